package store

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

// OwnershipCheck is one winning-carrier request to verify against the instance's ownership records
// (the fields of activities.VerifyOwnershipInput, in its order). Round numbers the carrier's requests
// of one port-out (1, 2, …); it keys the verification.
type OwnershipCheck struct {
	WorkflowID  string
	InstanceARN string
	Numbers     []string // the port-out's own numbers
	Round       int
	Claim       porting.WinningCarrierRequest
}

// OwnershipResult names the fields of the carrier's request that differ from the ownership records —
// never the stored values themselves. Its JSON is kept in the audit log (and read back on a rerun).
type OwnershipResult struct {
	Matched bool `json:"matched"`
	// Mismatched lists the differing fields in porting.OwnershipFields order.
	Mismatched []string `json:"mismatched,omitempty"`
	// MissingRecords lists ownership fields the instance has no record of.
	MissingRecords []string `json:"missing_records,omitempty"`
	// PasscodeInvalid: the instance has a port-out passcode and the request's is missing or wrong.
	// It is checked first: nothing else is compared, and nothing else is said.
	PasscodeInvalid bool `json:"passcode_invalid,omitempty"`
	// PasscodeChecked: the instance has a passcode and the request's was checked (right or wrong).
	PasscodeChecked bool `json:"passcode_checked,omitempty"`
}

// PortOutRelease names the numbers a port-out releases from its instance (the fields of
// activities.ReleasePortOutInput, in its order).
type PortOutRelease struct {
	WorkflowID  string
	InstanceARN string
	Numbers     []string
	Carrier     string // the winning carrier, for the audit
}

// PortOutReleased tells what the release did and when (the database's time of the release).
type PortOutReleased struct {
	Released   []string
	ReleasedAt time.Time
}

// portOutGroup is the port_request_numbers group of a port-out's numbers: the winning carrier.
func portOutGroup(r porting.PortOutRequest) string { return r.WinningCarrier }

// portOutField names a number of a port-out request by its position, as the request's JSON does.
func portOutField(numbers []string, e164 string) string {
	if i := IndexOf(numbers, e164); i >= 0 {
		return fmt.Sprintf("numbers[%d]", i)
	}
	return "numbers"
}

// RecordPortOut records a new port-out request (checked for required fields and numbers) in one
// transaction, after checking it against the inventory: the instance exists outside the Tokyo region,
// every number is held by that instance and active, no number is locked against port-out
// (LockNumber; ErrNumberLocked naming numbers[i] and who locked it), and no number is in another
// active port (the unique partial index on port_request_numbers decides races). The numbers are then locked against
// other ports until FinishPortRequest unlocks them. A rerun for the same workflow ID is a no-op. A
// refusal writes nothing. It returns the instance's region.
func RecordPortOut(ctx context.Context, db *sqlx.DB, workflowID string, r porting.PortOutRequest) (string, error) {
	request, err := json.Marshal(r)
	if err != nil {
		return "", invalidInput("request", "cannot be encoded: %v", err)
	}

	var res InstanceInfo
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		// A rerun (same workflow, same request) finds its own row and does nothing.
		rerun, err := recordedBefore(ctx, tx, workflowID, r.RequestID, request)
		if err != nil {
			return err
		}
		if rerun {
			inst, err := loadInstance(ctx, tx, r.InstanceARN)
			res.Region = inst.Region
			return err
		}

		inst, err := checkPortableInstance(ctx, tx, r.InstanceARN)
		res.Region = inst.Region
		if err != nil {
			return err
		}
		types, err := checkOwnedAndActive(ctx, tx, r.InstanceARN, r.Numbers)
		if err != nil {
			return err
		}
		// After the numbers' rows are locked (checkOwnedAndActive), so that a LockNumber of the same
		// moment, which locks the row too, is either seen here or sees this port-out.
		if err := checkNotLocked(ctx, tx, r.Numbers); err != nil {
			return err
		}
		if err := checkNotPortingOut(ctx, tx, workflowID, r.Numbers); err != nil {
			return err
		}

		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			workflowID, r.RequestID, porting.KindPortOut, r.InstanceARN, porting.StateAwaitingWinningCarrier, request); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_request_numbers (workflow_id, e164, "group", type, carrier, active, state)
			SELECT $1, u.e164, $2, u.type, $3, true, $4
			FROM unnest($5::text[], $6::text[]) AS u(e164, type)`,
			workflowID, portOutGroup(r), r.WinningCarrier, porting.StateAwaitingWinningCarrier,
			pq.Array(r.Numbers), pq.Array(types)); err != nil {
			return err
		}
		return Audit(ctx, tx, StepKey(workflowID, "record"), workflowID, "port_out_recorded", map[string]any{
			"request_id": r.RequestID, "instance_arn": r.InstanceARN, "winning_carrier": r.WinningCarrier, "numbers": r.Numbers,
		})
	})
	if c, ok := UniqueViolation(err); ok && c == constraintActivePort {
		// Another port locked one of the numbers between our check and our insert; its transaction has
		// committed by now (the unique check waited for it), so it can be named.
		if perr := checkNotPortingOut(ctx, db, workflowID, r.Numbers); perr != nil {
			return "", perr
		}
		return "", fmt.Errorf("a number of the request was locked by another port meanwhile: %w", err)
	}
	if err != nil {
		return "", err
	}
	return res.Region, nil
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
					return nil, refuse(ErrNumberNotActive, field,
						"%s is %s on instance %s%s, not active; only active numbers can be ported out", n, row.State, arn, by)
				}
				types[i] = row.Type
			case row.State != NumberReleased:
				// Held by another instance: the request's instance does not own it (the other one is not named).
				return nil, refuse(ErrNumberNotHeld, field, "%s is not held by instance %s", n, arn)
			case row.InstanceARN == arn && row.UpdatedAt.After(releasedAt):
				releasedAt = row.UpdatedAt
			}
		}
		switch {
		case held:
		case !releasedAt.IsZero():
			return nil, refuse(ErrNumberReleased, field,
				"%s was released from instance %s at %s; the instance no longer owns it, and a released number cannot be claimed again",
				n, arn, releasedAt.UTC().Format(time.RFC3339))
		default:
			return nil, refuse(ErrNumberNotHeld, field, "%s is not held by instance %s", n, arn)
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
		if first < 0 || IndexOf(numbers, l.E164) < IndexOf(numbers, locked[first].E164) {
			first = i
		}
	}
	if first < 0 {
		return nil
	}
	l := locked[first]
	return refuse(ErrNumberAlreadyPorting, portOutField(numbers, l.E164), "%s is already in an active port (%s)", l.E164, l.WorkflowID)
}

// VerifyOwnership (in.Round ≥ 1, numbers checked) compares the winning carrier's request with the ownership records held for the
// instance: owner name, service address and billing contact as porting.SameText reads the seeds'
// "exactly" (Unicode NFC, white space trimmed and collapsed, case ignored; letters, accents, digits
// and punctuation must be the same), and the numbers as a set equal to the port-out's numbers, all
// still held active by the instance. It returns only the names
// of the fields that differ. Each round is verified once: a rerun returns the recorded result even if
// the records changed meanwhile. The request's state becomes approved or rejected_mismatch.
//
// When the instance has a port-out passcode (SetPortOutPasscode), the request's passcode is checked
// first (bcrypt): missing or wrong gives {PasscodeInvalid, PasscodeChecked} and nothing else — no
// field is compared, so nothing is said of the records; right gives PasscodeChecked and the usual
// comparison. Every check is audited (port_out_passcode_checked: round, carrier, outcome right,
// wrong or missing). No row written, the recorded result included, holds the passcode.
func VerifyOwnership(ctx context.Context, db *sqlx.DB, in OwnershipCheck) (OwnershipResult, error) {
	key := StepKey(in.WorkflowID, "verify-ownership", strconv.Itoa(in.Round))
	var res OwnershipResult
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
		if done, err := recordedResult(ctx, tx, key, &res); done || err != nil {
			return err
		}
		var owner struct {
			OwnerName      string  `db:"owner_name"`
			Address        string  `db:"address"`
			BillingContact string  `db:"billing_contact"`
			PasscodeHash   *string `db:"port_out_passcode_hash"`
		}
		err := tx.GetContext(ctx, &owner, `
			SELECT owner_name, address, billing_contact, port_out_passcode_hash FROM instances WHERE arn = $1`, in.InstanceARN)
		if isNoRows(err) {
			return refuse(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", in.InstanceARN)
		}
		if err != nil {
			return err
		}
		// The carrier's reference data (normalized) for the audit: never the passcode, nor the
		// ownership records.
		claim := map[string]any{
			"round": in.Round, "carrier": porting.NormalizeText(in.Claim.Carrier), "loa_ref": porting.NormalizeText(in.Claim.LOARef),
			"requested_at": in.Claim.RequestedAt, "numbers": in.Claim.Numbers,
		}

		if owner.PasscodeHash != nil {
			outcome := checkClaimPasscode(*owner.PasscodeHash, in.Claim.Passcode)
			if err := Audit(ctx, tx, StepKey(in.WorkflowID, "passcode-check", strconv.Itoa(in.Round)), in.WorkflowID,
				"port_out_passcode_checked", map[string]any{
					"round": in.Round, "carrier": porting.NormalizeText(in.Claim.Carrier), "outcome": outcome,
				}); err != nil {
				return err
			}
			res.PasscodeChecked = true
			if outcome != PasscodeRight {
				res.PasscodeInvalid = true
				if _, err := tx.ExecContext(ctx, `
					UPDATE port_requests SET state = $2, updated_at = now() WHERE workflow_id = $1 AND finished_at IS NULL`,
					in.WorkflowID, porting.StateRejectedMismatch); err != nil {
					return err
				}
				claim["result"] = res
				return Audit(ctx, tx, key, in.WorkflowID, "ownership_passcode_invalid", claim)
			}
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
		claim["result"] = res
		return Audit(ctx, tx, key, in.WorkflowID, action, claim)
	})
	if err != nil {
		return OwnershipResult{}, err
	}
	return res, nil
}

// ReleasePortOutNumbers (numbers checked) releases a port-out's numbers from its instance: each number leaves its
// contact flow and becomes released (the instance no longer owns it; irreversible). It runs exactly
// once per port-out: a rerun — even after the instance took a number back meanwhile — changes
// nothing and returns the first run's result. The numbers must still be locked by this port-out.
// Numbers that came in through a port-in raised the phone-number limit then; their release lowers it
// again, by one each (lowerLimitForPortedIn; in the audit detail as limit_decrease).
func ReleasePortOutNumbers(ctx context.Context, db *sqlx.DB, in PortOutRelease) (PortOutReleased, error) {
	key := StepKey(in.WorkflowID, "release-port-out")
	var res PortOutReleased
	err := InTx(ctx, db, func(tx *sqlx.Tx) error {
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
			if IndexOf(locked, n) < 0 {
				return refuse(ErrRequestConflict, portOutField(in.Numbers, n),
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
			if IndexOf(released, n) < 0 {
				return refuse(ErrNumberNotActive, portOutField(in.Numbers, n),
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
		if err := Audit(ctx, tx, key, in.WorkflowID, "numbers_released_port_out", detail); err != nil {
			return err
		}
		res.Released = in.Numbers
		return tx.GetContext(ctx, &res.ReleasedAt, `SELECT at FROM audit_log WHERE idempotency_key = $1`, key)
	})
	if err != nil {
		return PortOutReleased{}, err
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
