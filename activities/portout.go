package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// Error types of the port-out activities' non-retryable errors (see the list in activities.go).
const (
	// ErrNumberNotHeld: a number to port out is not held by the request's instance.
	ErrNumberNotHeld = "NumberNotHeld"
	// ErrNumberReleased: a number to port out was already released from the instance.
	ErrNumberReleased = "NumberReleased"
	// ErrNumberNotActive: a number of the instance is not active (e.g. provisioned by a port-in in progress).
	ErrNumberNotActive = "NumberNotActive"
)

// RecordPortOutInput records a new PortOut request.
type RecordPortOutInput struct {
	WorkflowID string                 `json:"workflow_id"`
	Request    porting.PortOutRequest `json:"request"`
}

// RecordPortOutResult describes the instance the numbers leave.
type RecordPortOutResult struct {
	Region string `json:"region"`
}

// VerifyOwnershipInput is one winning-carrier request to verify against the instance's ownership
// records. Round numbers the carrier's requests of one port-out (1, 2, …); it keys the verification.
type VerifyOwnershipInput struct {
	WorkflowID  string                        `json:"workflow_id"`
	InstanceARN string                        `json:"instance_arn"`
	Numbers     []string                      `json:"numbers"` // the port-out's own numbers
	Round       int                           `json:"round"`
	Claim       porting.WinningCarrierRequest `json:"claim"`
}

// VerifyOwnershipResult names the fields of the carrier's request that differ from the ownership
// records — never the stored values themselves, which stay in Postgres (and out of workflow history).
type VerifyOwnershipResult struct {
	Matched bool `json:"matched"`
	// Mismatched lists the differing fields in porting.OwnershipFields order.
	Mismatched []string `json:"mismatched,omitempty"`
	// MissingRecords lists ownership fields the instance has no record of: no request can match them
	// until operations register them (starter instance add --owner-name … --address … --billing-contact …).
	MissingRecords []string `json:"missing_records,omitempty"`
}

// ReleasePortOutInput names the numbers a port-out releases from its instance.
type ReleasePortOutInput struct {
	WorkflowID  string   `json:"workflow_id"`
	InstanceARN string   `json:"instance_arn"`
	Numbers     []string `json:"numbers"`
	Carrier     string   `json:"carrier,omitempty"` // the winning carrier, for the audit
}

// ReleasePortOutResult tells what the release did and when (the database's time of the release).
type ReleasePortOutResult struct {
	Released   []string  `json:"released"`
	ReleasedAt time.Time `json:"released_at"`
}

// portOutGroup is the port_request_numbers group of a port-out's numbers: the winning carrier.
func portOutGroup(r porting.PortOutRequest) string { return r.WinningCarrier }

// portOutField names a number of a port-out request by its position, as the request's JSON does.
func portOutField(numbers []string, e164 string) string {
	if i := indexOf(numbers, e164); i >= 0 {
		return fmt.Sprintf("numbers[%d]", i)
	}
	return "numbers"
}

func checkPortOutNumbers(numbers []string) error {
	if len(numbers) == 0 {
		return invalidInput("numbers", "at least one number is required")
	}
	seen := make(map[string]int, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		if !e164Pattern.MatchString(n) {
			return invalidInput(field, "must be an E.164 number like +14155550100, got %q", n)
		}
		if first, dup := seen[n]; dup {
			return invalidInput(field, "duplicate of numbers[%d] (%s)", first, n)
		}
		seen[n] = i
	}
	return nil
}

// RecordPortOut records a new PortOut request in one transaction, after checking it against the
// inventory: the instance exists outside the Tokyo region, every number is held by that instance and active, and no number is
// in another active port (the unique partial index on port_request_numbers decides races). The
// numbers are then locked against other ports until FinishPortRequest unlocks them. A rerun for the
// same workflow ID is a no-op. A refusal writes nothing.
func (a *Activities) RecordPortOut(ctx context.Context, in RecordPortOutInput) (RecordPortOutResult, error) {
	r := in.Request
	switch {
	case in.WorkflowID == "":
		return RecordPortOutResult{}, invalidInput("workflow_id", "is required")
	case r.RequestID == "":
		return RecordPortOutResult{}, invalidInput("request_id", "is required")
	case r.InstanceARN == "":
		return RecordPortOutResult{}, invalidInput("instance_arn", "is required: a port-out cannot be processed without the instance ARN")
	case r.WinningCarrier == "":
		return RecordPortOutResult{}, invalidInput("winning_carrier", "is required")
	}
	if err := checkPortOutNumbers(r.Numbers); err != nil {
		return RecordPortOutResult{}, err
	}
	request, err := json.Marshal(r)
	if err != nil {
		return RecordPortOutResult{}, invalidInput("request", "cannot be encoded: %v", err)
	}

	var res RecordPortOutResult
	err = inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		// A rerun (same workflow, same request) finds its own row and does nothing.
		rerun, err := recordedBefore(ctx, tx, in.WorkflowID, r.RequestID, request)
		if err != nil {
			return err
		}
		if rerun {
			inst, err := loadInstance(ctx, tx, r.InstanceARN)
			res.Region = inst.Region
			return err
		}

		inst, err := loadInstance(ctx, tx, r.InstanceARN)
		if isNoRows(err) {
			return nonRetryable(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", r.InstanceARN)
		}
		if err != nil {
			return err
		}
		res.Region = inst.Region
		if inst.Region == porting.TokyoRegion {
			// The admin guide: porting is not supported in Tokyo, in either direction.
			return nonRetryable(ErrRegionNotSupported, "instance_arn",
				"porting is not supported for instances in the Asia Pacific (Tokyo) region (%s)", porting.TokyoRegion)
		}
		types, err := checkOwnedAndActive(ctx, tx, r.InstanceARN, r.Numbers)
		if err != nil {
			return err
		}
		if err := checkNotPortingOut(ctx, tx, in.WorkflowID, r.Numbers); err != nil {
			return err
		}

		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			in.WorkflowID, r.RequestID, porting.KindPortOut, r.InstanceARN, porting.StateAwaitingWinningCarrier, request); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_request_numbers (workflow_id, e164, "group", type, carrier, active, state)
			SELECT $1, u.e164, $2, u.type, $3, true, $4
			FROM unnest($5::text[], $6::text[]) AS u(e164, type)`,
			in.WorkflowID, portOutGroup(r), r.WinningCarrier, porting.StateAwaitingWinningCarrier,
			pq.Array(r.Numbers), pq.Array(types)); err != nil {
			return err
		}
		return audit(ctx, tx, stepKey(in.WorkflowID, "record"), in.WorkflowID, "port_out_recorded", map[string]any{
			"request_id": r.RequestID, "instance_arn": r.InstanceARN, "winning_carrier": r.WinningCarrier, "numbers": r.Numbers,
		})
	})
	if c, ok := uniqueViolation(err); ok && c == constraintActivePort {
		// Another port locked one of the numbers between our check and our insert; its transaction has
		// committed by now (the unique check waited for it), so it can be named.
		if perr := checkNotPortingOut(ctx, a.DB, in.WorkflowID, r.Numbers); perr != nil {
			return RecordPortOutResult{}, perr
		}
		return RecordPortOutResult{}, fmt.Errorf("a number of the request was locked by another port meanwhile: %w", err)
	}
	if err != nil {
		return RecordPortOutResult{}, err
	}
	return res, nil
}

// checkOwnedAndActive: every number is held by the instance and active. It locks the numbers' rows
// and returns their types, in request order.
func checkOwnedAndActive(ctx context.Context, tx *sqlx.Tx, arn string, numbers []string) ([]string, error) {
	var rows []struct {
		E164        string    `db:"e164"`
		InstanceARN string    `db:"instance_arn"`
		Type        string    `db:"type"`
		State       string    `db:"state"`
		PortRequest *string   `db:"port_request"`
		UpdatedAt   time.Time `db:"updated_at"`
	}
	if err := tx.SelectContext(ctx, &rows, `
		SELECT e164, instance_arn, type, state, port_request, updated_at FROM phone_numbers
		WHERE e164 = ANY($1) ORDER BY id FOR UPDATE`, pq.Array(numbers)); err != nil {
		return nil, err
	}
	types := make([]string, len(numbers))
	for i, n := range numbers {
		field := fmt.Sprintf("numbers[%d]", i)
		var releasedAt time.Time
		held := false
		for _, row := range rows {
			if row.E164 != n {
				continue
			}
			switch {
			case row.State != NumberReleased && row.InstanceARN == arn:
				held = true
				if row.State != NumberActive {
					by := ""
					if row.PortRequest != nil {
						by = " (brought in by port " + *row.PortRequest + ")"
					}
					return nil, nonRetryable(ErrNumberNotActive, field,
						"%s is %s on instance %s%s, not active; only active numbers can be ported out", n, row.State, arn, by)
				}
				types[i] = row.Type
			case row.State != NumberReleased:
				// Held by another instance: the request's instance does not own it (the other one is not named).
				return nil, nonRetryable(ErrNumberNotHeld, field, "%s is not held by instance %s", n, arn)
			case row.InstanceARN == arn && row.UpdatedAt.After(releasedAt):
				releasedAt = row.UpdatedAt
			}
		}
		switch {
		case held:
		case !releasedAt.IsZero():
			return nil, nonRetryable(ErrNumberReleased, field,
				"%s was released from instance %s at %s; the instance no longer owns it, and a released number cannot be claimed again",
				n, arn, releasedAt.UTC().Format(time.RFC3339))
		default:
			return nil, nonRetryable(ErrNumberNotHeld, field, "%s is not held by instance %s", n, arn)
		}
	}
	return types, nil
}

// checkNotPortingOut: no number is in another workflow's active port (which is named).
func checkNotPortingOut(ctx context.Context, q sqlx.QueryerContext, workflowID string, numbers []string) error {
	var locked []struct {
		E164       string
		WorkflowID string `db:"workflow_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &locked, `
		SELECT e164, workflow_id FROM port_request_numbers
		WHERE e164 = ANY($1) AND active AND workflow_id <> $2`, pq.Array(numbers), workflowID); err != nil {
		return err
	}
	first := -1
	for i, l := range locked {
		if first < 0 || indexOf(numbers, l.E164) < indexOf(numbers, locked[first].E164) {
			first = i
		}
	}
	if first < 0 {
		return nil
	}
	l := locked[first]
	return nonRetryable(ErrNumberAlreadyPorting, portOutField(numbers, l.E164), "%s is already in an active port (%s)", l.E164, l.WorkflowID)
}

// VerifyOwnership compares the winning carrier's request with the ownership records held for the
// instance: owner name, service address and billing contact as porting.SameText reads the seeds'
// "exactly" (Unicode NFC, white space trimmed and collapsed, case ignored; letters, accents, digits
// and punctuation must be the same), and the numbers as a set equal to the port-out's numbers, all
// still held active by the instance. It returns only the names
// of the fields that differ. Each round is verified once: a rerun returns the recorded result even if
// the records changed meanwhile. The request's state becomes approved or rejected_mismatch.
func (a *Activities) VerifyOwnership(ctx context.Context, in VerifyOwnershipInput) (VerifyOwnershipResult, error) {
	switch {
	case in.WorkflowID == "":
		return VerifyOwnershipResult{}, invalidInput("workflow_id", "is required")
	case in.InstanceARN == "":
		return VerifyOwnershipResult{}, invalidInput("instance_arn", "is required")
	case in.Round < 1:
		return VerifyOwnershipResult{}, invalidInput("round", "must be 1 or more, got %d", in.Round)
	}
	if err := checkPortOutNumbers(in.Numbers); err != nil {
		return VerifyOwnershipResult{}, err
	}
	key := stepKey(in.WorkflowID, "verify-ownership", strconv.Itoa(in.Round))
	var res VerifyOwnershipResult
	err := inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		if done, err := recordedResult(ctx, tx, key, &res); done || err != nil {
			return err
		}
		var owner struct {
			OwnerName      string `db:"owner_name"`
			Address        string `db:"address"`
			BillingContact string `db:"billing_contact"`
		}
		err := tx.GetContext(ctx, &owner, `SELECT owner_name, address, billing_contact FROM instances WHERE arn = $1`, in.InstanceARN)
		if isNoRows(err) {
			return nonRetryable(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", in.InstanceARN)
		}
		if err != nil {
			return err
		}
		var heldActive int
		if err := tx.GetContext(ctx, &heldActive, `
			SELECT count(*) FROM phone_numbers WHERE instance_arn = $1 AND e164 = ANY($2) AND state = 'active'`,
			in.InstanceARN, pq.Array(in.Numbers)); err != nil {
			return err
		}

		stored := map[string]string{
			porting.OwnershipOwnerName: owner.OwnerName, porting.OwnershipAddress: owner.Address,
			porting.OwnershipBillingContact: owner.BillingContact,
		}
		claimed := map[string]string{
			porting.OwnershipOwnerName: in.Claim.OwnerName, porting.OwnershipAddress: in.Claim.Address,
			porting.OwnershipBillingContact: in.Claim.BillingContact,
		}
		for _, f := range porting.OwnershipFields {
			if f == porting.OwnershipNumbers {
				if !porting.SameNumbers(in.Claim.Numbers, in.Numbers) || heldActive != len(in.Numbers) {
					res.Mismatched = append(res.Mismatched, f)
				}
				continue
			}
			if porting.NormalizeText(stored[f]) == "" {
				res.MissingRecords = append(res.MissingRecords, f)
			}
			if !porting.SameText(claimed[f], stored[f]) {
				res.Mismatched = append(res.Mismatched, f)
			}
		}
		res.Matched = len(res.Mismatched) == 0

		state := porting.StateApproved
		if !res.Matched {
			state = porting.StateRejectedMismatch
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_requests SET state = $2, updated_at = now() WHERE workflow_id = $1 AND finished_at IS NULL`,
			in.WorkflowID, state); err != nil {
			return err
		}
		action := "ownership_verified"
		if !res.Matched {
			action = "ownership_mismatch"
		}
		// The audit keeps the carrier's reference data (normalized) and the result, not the ownership records.
		return audit(ctx, tx, key, in.WorkflowID, action, map[string]any{
			"round": in.Round, "carrier": porting.NormalizeText(in.Claim.Carrier), "loa_ref": porting.NormalizeText(in.Claim.LOARef),
			"requested_at": in.Claim.RequestedAt, "numbers": in.Claim.Numbers, "result": res,
		})
	})
	if err != nil {
		return VerifyOwnershipResult{}, err
	}
	return res, nil
}

// recordedResult reads the result an earlier run recorded in the audit log under key, if any.
func recordedResult(ctx context.Context, q sqlx.QueryerContext, key string, out any) (bool, error) {
	var detail []byte
	err := sqlx.GetContext(ctx, q, &detail, `SELECT detail->'result' FROM audit_log WHERE idempotency_key = $1`, key)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(detail, out); err != nil {
		return false, fmt.Errorf("recorded result of %s: %w", key, err)
	}
	return true, nil
}

// ReleasePortOutNumbers releases a port-out's numbers from its instance: each number leaves its
// contact flow and becomes released (the instance no longer owns it; irreversible). It runs exactly
// once per port-out: a rerun — even after the instance took a number back meanwhile — changes
// nothing and returns the first run's result. The numbers must still be locked by this port-out.
// Numbers that came in through a port-in raised the phone-number limit then; their release lowers it
// again, by one each (lowerLimitForPortedIn; in the audit detail as limit_decrease).
func (a *Activities) ReleasePortOutNumbers(ctx context.Context, in ReleasePortOutInput) (ReleasePortOutResult, error) {
	switch {
	case in.WorkflowID == "":
		return ReleasePortOutResult{}, invalidInput("workflow_id", "is required")
	case in.InstanceARN == "":
		return ReleasePortOutResult{}, invalidInput("instance_arn", "is required")
	}
	if err := checkPortOutNumbers(in.Numbers); err != nil {
		return ReleasePortOutResult{}, err
	}
	key := stepKey(in.WorkflowID, "release-port-out")
	var res ReleasePortOutResult
	err := inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		var prev struct {
			Detail []byte    `db:"detail"`
			At     time.Time `db:"at"`
		}
		err := tx.GetContext(ctx, &prev, `SELECT detail->'numbers' AS detail, at FROM audit_log WHERE idempotency_key = $1`, key)
		if err == nil {
			res.ReleasedAt = prev.At.UTC()
			return json.Unmarshal(prev.Detail, &res.Released)
		}
		if !isNoRows(err) {
			return err
		}

		var locked []string
		if err := tx.SelectContext(ctx, &locked, `
			SELECT e164 FROM port_request_numbers WHERE workflow_id = $1 AND active AND e164 = ANY($2)`,
			in.WorkflowID, pq.Array(in.Numbers)); err != nil {
			return err
		}
		for _, n := range in.Numbers {
			if indexOf(locked, n) < 0 {
				return nonRetryable(ErrRequestConflict, portOutField(in.Numbers, n),
					"%s is not locked by port %s (the port has ended or never recorded it); it is not released", n, in.WorkflowID)
			}
		}
		var rows []struct {
			E164        string  `db:"e164"`
			PortRequest *string `db:"port_request"`
		}
		if err := tx.SelectContext(ctx, &rows, `
			UPDATE phone_numbers SET state = 'released', contact_flow = NULL, updated_at = now()
			WHERE instance_arn = $1 AND e164 = ANY($2) AND state IN ('active', 'releasing')
			RETURNING e164, port_request`, in.InstanceARN, pq.Array(in.Numbers)); err != nil {
			return err
		}
		var released, portedIn []string
		for _, r := range rows {
			released = append(released, r.E164)
			if r.PortRequest != nil {
				portedIn = append(portedIn, r.E164)
			}
		}
		for _, n := range in.Numbers {
			if indexOf(released, n) < 0 {
				return nonRetryable(ErrNumberNotActive, portOutField(in.Numbers, n),
					"%s is not an active number of instance %s; nothing was released", n, in.InstanceARN)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $3, updated_at = now()
			WHERE workflow_id = $1 AND e164 = ANY($2)`, in.WorkflowID, pq.Array(in.Numbers), NumberReleased); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_requests SET state = $2, updated_at = now() WHERE workflow_id = $1 AND finished_at IS NULL`,
			in.WorkflowID, porting.StateReleasing); err != nil {
			return err
		}
		detail := map[string]any{"instance_arn": in.InstanceARN, "numbers": in.Numbers, "carrier": in.Carrier}
		if len(portedIn) > 0 {
			limit, err := lowerLimitForPortedIn(ctx, tx, in.InstanceARN, portedIn)
			if err != nil {
				return err
			}
			detail["limit_decrease"] = len(portedIn)
			detail["ported_in_numbers"] = portedIn
			detail["phone_number_limit"] = limit
		}
		if err := audit(ctx, tx, key, in.WorkflowID, "numbers_released_port_out", detail); err != nil {
			return err
		}
		res.Released = in.Numbers
		return tx.GetContext(ctx, &res.ReleasedAt, `SELECT at FROM audit_log WHERE idempotency_key = $1`, key)
	})
	if err != nil {
		return ReleasePortOutResult{}, err
	}
	res.ReleasedAt = res.ReleasedAt.UTC()
	return res, nil
}

// lowerLimitForPortedIn takes back the phone-number limit increase that came with numbers ported in
// (phone_numbers.port_request set) now that they leave the instance: the limit drops by one per such
// number, and so does the limit increase recorded for the port-in's group (limit_increases, whose sum
// AddInstance adds to the base limit), which is removed once nothing of it is left. Numbers claimed
// directly, within the base limit, lower nothing. It returns the instance's new limit. The caller
// runs it once per port-out (ReleasePortOutNumbers' audit key).
func lowerLimitForPortedIn(ctx context.Context, tx *sqlx.Tx, arn string, numbers []string) (int, error) {
	// One row per (port-in, group) with how many of its numbers leave.
	var groups []struct {
		WorkflowID string `db:"workflow_id"`
		Group      string `db:"group"`
		Leaving    int    `db:"leaving"`
	}
	if err := tx.SelectContext(ctx, &groups, `
		SELECT n.workflow_id, n."group", count(*) AS leaving
		FROM phone_numbers p JOIN port_request_numbers n ON n.workflow_id = p.port_request AND n.e164 = p.e164
		WHERE p.instance_arn = $1 AND p.e164 = ANY($2) AND p.state = 'released' AND p.port_request IS NOT NULL
		GROUP BY n.workflow_id, n."group"`, arn, pq.Array(numbers)); err != nil {
		return 0, err
	}
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM limit_increases WHERE workflow_id = $1 AND "group" = $2 AND amount <= $3`,
			g.WorkflowID, g.Group, g.Leaving); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE limit_increases SET amount = amount - $3 WHERE workflow_id = $1 AND "group" = $2 AND amount > $3`,
			g.WorkflowID, g.Group, g.Leaving); err != nil {
			return 0, err
		}
	}
	var limit int
	err := tx.GetContext(ctx, &limit, `
		UPDATE instances SET phone_number_limit = greatest(phone_number_limit - $2, 0) WHERE arn = $1
		RETURNING phone_number_limit`, arn, len(numbers))
	return limit, err
}
