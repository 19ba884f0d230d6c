package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// InstanceInfo is what recording a port tells of its instance.
type InstanceInfo struct {
	Region           string `db:"region"`
	PhoneNumberLimit int    `db:"phone_number_limit"`
}

// RecordPortIn records a new port-in request (kind porting.KindPortIn or KindInternationalPortIn,
// carriers already normalised) in one transaction, after checking it against the inventory: the
// instance exists and is outside the Tokyo region, the contact flow exists and is published, no
// number is already held by an instance, and no number is in another active port (the unique partial
// index on port_request_numbers decides races). The numbers are then locked against other ports until
// FinishPortRequest (or the portability check) unlocks them. A rerun for the same workflow ID is a
// no-op. It returns the instance's region and current phone-number limit.
//
// groups, when given, names each number's group (parallel to r.Numbers): a bulk request's numbers
// are recorded in their orders (porting.Orders); otherwise each is in its `<carrier>/<type>` group.
func RecordPortIn(ctx context.Context, db *sqlx.DB, workflowID, kind string, r porting.PortInRequest, groups ...string) (InstanceInfo, error) {
	if len(groups) > 0 && len(groups) != len(r.Numbers) {
		return InstanceInfo{}, invalidInput("groups", "must name the group of each of the %d numbers, got %d", len(r.Numbers), len(groups))
	}
	request, err := json.Marshal(r) // a PortIn request carries no secrets (PINs come with LOAs)
	if err != nil {
		return InstanceInfo{}, invalidInput("request", "cannot be encoded: %v", err)
	}
	numbers := E164List(r.Numbers)

	var res InstanceInfo
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		// A rerun (same workflow, same request) finds its own row and does nothing.
		rerun, err := recordedBefore(ctx, tx, workflowID, r.RequestID, request)
		if err != nil {
			return err
		}
		if rerun {
			inst, err := loadInstance(ctx, tx, r.InstanceARN)
			res = inst
			return err
		}

		if err := checkInstanceAndFlow(ctx, tx, r.InstanceARN, r.ContactFlow, &res); err != nil {
			return err
		}
		if err := checkNotHeld(ctx, tx, numbers); err != nil {
			return err
		}
		if err := checkNotPorting(ctx, tx, workflowID, numbers); err != nil {
			return err
		}

		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			workflowID, r.RequestID, kind, r.InstanceARN, porting.StateCheckingPortability, request); err != nil {
			return err
		}
		carriers := make([]string, len(r.Numbers))
		if len(groups) == 0 {
			groups = make([]string, len(r.Numbers))
			for i, n := range r.Numbers {
				groups[i] = porting.GroupName(n.Carrier, n.Type)
			}
		}
		for i, n := range r.Numbers {
			carriers[i] = n.Carrier
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_request_numbers (workflow_id, e164, "group", type, carrier, active, state)
			SELECT $1, u.e164, u.grp, u.type, u.carrier, true, $2
			FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(e164, grp, type, carrier)`,
			workflowID, porting.StateCheckingPortability,
			pq.Array(numbers), pq.Array(groups), pq.Array(typeList(r.Numbers)), pq.Array(carriers)); err != nil {
			return err
		}
		return Audit(ctx, tx, StepKey(workflowID, "record"), workflowID, "port_in_recorded", map[string]any{
			"request_id": r.RequestID, "instance_arn": r.InstanceARN, "contact_flow": r.ContactFlow, "numbers": numbers,
		})
	})
	if c, ok := UniqueViolation(err); ok && c == constraintActivePort {
		// Another port locked one of the numbers between our check and our insert; its transaction has
		// committed by now (the unique check waited for it), so it can be named.
		if perr := checkNotPorting(ctx, db, workflowID, numbers); perr != nil {
			return InstanceInfo{}, perr
		}
		return InstanceInfo{}, fmt.Errorf("a number of the request was locked by another port meanwhile: %w", err)
	}
	if err != nil {
		return InstanceInfo{}, err
	}
	return res, nil
}

// recordedBefore reports whether this port was already recorded with this very request (a rerun of
// the recording activity). A workflow ID already used by a finished port, or recorded with another
// request, is a RequestConflict naming request_id.
func recordedBefore(ctx context.Context, tx *sqlx.Tx, workflowID, requestID string, request []byte) (bool, error) {
	var prev struct {
		Same     bool `db:"same"`
		Finished bool `db:"finished"`
		State    string
	}
	err := tx.GetContext(ctx, &prev, `
		SELECT request = $2::jsonb AS same, finished_at IS NOT NULL AS finished, state
		FROM port_requests WHERE workflow_id = $1 FOR UPDATE`, workflowID, request)
	switch {
	case isNoRows(err):
		return false, nil
	case err != nil:
		return false, err
	case prev.Finished:
		return false, refuse(ErrRequestConflict, "request_id",
			"%s was already used by port %s, which ended (%s); use a new request_id", requestID, workflowID, prev.State)
	case !prev.Same:
		return false, refuse(ErrRequestConflict, "request_id",
			"port %s is already recorded with a different request; use a new request_id", workflowID)
	}
	return true, nil
}

// checkInstanceAndFlow: the instance exists outside the Tokyo region; the flow exists and is published.
func checkInstanceAndFlow(ctx context.Context, q sqlx.QueryerContext, arn, flow string, res *InstanceInfo) error {
	inst, err := checkPortableInstance(ctx, q, arn)
	*res = inst
	if err != nil {
		return err
	}
	return checkFlowPublished(ctx, q, arn, flow, ErrContactFlowNotFound)
}

// checkPortableInstance: the instance exists and is outside the Tokyo region, where the admin guide
// says porting is not supported, in either direction.
func checkPortableInstance(ctx context.Context, q sqlx.QueryerContext, arn string) (InstanceInfo, error) {
	inst, err := loadInstance(ctx, q, arn)
	if isNoRows(err) {
		return inst, refuse(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", arn)
	}
	if err != nil {
		return inst, err
	}
	if inst.Region == porting.TokyoRegion {
		return inst, refuse(ErrRegionNotSupported, "instance_arn",
			"porting is not supported for instances in the Asia Pacific (Tokyo) region (%s)", porting.TokyoRegion)
	}
	return inst, nil
}

func loadInstance(ctx context.Context, q sqlx.QueryerContext, arn string) (InstanceInfo, error) {
	var inst InstanceInfo
	err := sqlx.GetContext(ctx, q, &inst, `SELECT region, phone_number_limit FROM instances WHERE arn = $1`, arn)
	return inst, err
}

// checkFlowPublished: the flow exists on the instance (else a notFoundCode error) and is published.
func checkFlowPublished(ctx context.Context, q sqlx.QueryerContext, arn, flow, notFoundCode string) error {
	var published bool
	err := sqlx.GetContext(ctx, q, &published, `SELECT published FROM contact_flows WHERE instance_arn = $1 AND name = $2`, arn, flow)
	if isNoRows(err) {
		return refuse(notFoundCode, "contact_flow", "contact flow %q does not exist on instance %s", flow, arn)
	}
	if err != nil {
		return err
	}
	if !published {
		return refuse(ErrContactFlowNotPublished, "contact_flow",
			"contact flow %q of instance %s is not published; numbers can only be mapped to a published flow", flow, arn)
	}
	return nil
}

// checkNotHeld: no number is held (in a state other than released) by any instance.
func checkNotHeld(ctx context.Context, q sqlx.QueryerContext, numbers []string) error {
	var held []struct {
		E164        string
		InstanceARN string `db:"instance_arn"`
		State       string
	}
	if err := sqlx.SelectContext(ctx, q, &held, `
		SELECT e164, instance_arn, state FROM phone_numbers
		WHERE e164 = ANY($1) AND state <> 'released'`, pq.Array(numbers)); err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	sort.Slice(held, func(i, j int) bool { return IndexOf(numbers, held[i].E164) < IndexOf(numbers, held[j].E164) })
	h := held[0]
	return refuse(ErrNumberAlreadyInInstance, numberField(numbers, h.E164),
		"%s is already held by instance %s (state %s); a number can only be ported in once", h.E164, h.InstanceARN, h.State)
}

// checkNotPorting: no number is in another workflow's active port.
func checkNotPorting(ctx context.Context, q sqlx.QueryerContext, workflowID string, numbers []string) error {
	var locked []struct {
		E164       string
		WorkflowID string `db:"workflow_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &locked, `
		SELECT e164, workflow_id FROM port_request_numbers
		WHERE e164 = ANY($1) AND active AND workflow_id <> $2`, pq.Array(numbers), workflowID); err != nil {
		return err
	}
	if len(locked) == 0 {
		return nil
	}
	sort.Slice(locked, func(i, j int) bool { return IndexOf(numbers, locked[i].E164) < IndexOf(numbers, locked[j].E164) })
	l := locked[0]
	return refuse(ErrNumberAlreadyPorting, numberField(numbers, l.E164),
		"%s is already in an active port (%s)", l.E164, l.WorkflowID)
}

// FinishPortRequest records a port's end: the request's state and finish time, and every number of it
// leaves the port (inactive), which unlocks it for other ports. The first finish wins; a rerun changes
// nothing. Finishing a port that was never recorded only writes the audit row.
//
// notifications, if any, are queued in the same transaction (the outbox of the port's end).
func FinishPortRequest(ctx context.Context, db *sqlx.DB, workflowID string, state porting.State, note string, notifications ...Notification) error {
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := queueNotificationsTx(ctx, tx, notifications); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_requests SET state = $2, finished_at = now(), updated_at = now()
			WHERE workflow_id = $1 AND finished_at IS NULL`, workflowID, state); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET active = false, state = $2, updated_at = now()
			WHERE workflow_id = $1 AND active`, workflowID, state); err != nil {
			return err
		}
		return Audit(ctx, tx, StepKey(workflowID, "finish"), workflowID, "port_finished",
			map[string]any{"state": state, "note": note})
	})
}

// PortabilityResult is one number's portability, as recorded on the port's numbers.
type PortabilityResult struct {
	E164     string `json:"e164"`
	Portable bool   `json:"portable"`
	Reason   string `json:"reason,omitempty"`
}

// RecordPortability records portability results on the port's numbers: portable numbers await their
// LOA, not-portable ones leave the port (inactive, state not_portable, with the reason), which
// unlocks them for other ports. Idempotent.
func RecordPortability(ctx context.Context, db *sqlx.DB, workflowID string, results []PortabilityResult) error {
	var portable, notPortable, reasons []string
	np := make([]PortabilityResult, 0, len(results))
	for _, r := range results {
		if r.Portable {
			portable = append(portable, r.E164)
			continue
		}
		notPortable = append(notPortable, r.E164)
		reasons = append(reasons, r.Reason)
		np = append(np, r)
	}
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $3, updated_at = now()
			WHERE workflow_id = $1 AND e164 = ANY($2) AND active AND state = $4`,
			workflowID, pq.Array(portable), porting.StateAwaitingLOA, porting.StateCheckingPortability); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers p SET active = false, state = $3, reason = u.reason, updated_at = now()
			FROM unnest($2::text[], $4::text[]) AS u(e164, reason)
			WHERE p.workflow_id = $1 AND p.e164 = u.e164 AND p.active`,
			workflowID, pq.Array(notPortable), porting.StateNotPortable, pq.Array(reasons)); err != nil {
			return err
		}
		return Audit(ctx, tx, StepKey(workflowID, "portability"), workflowID, "portability_checked",
			map[string]any{"portable": portable, "not_portable": np})
	})
}

// PortRequestRecord is a port request as recorded in port_requests: the request as received
// (without secrets), its kind and instance.
type PortRequestRecord struct {
	WorkflowID  string          `db:"workflow_id" json:"workflow_id"`
	RequestID   string          `db:"request_id" json:"request_id"`
	Kind        string          `db:"kind" json:"kind"`
	InstanceARN string          `db:"instance_arn" json:"instance_arn"`
	State       string          `db:"state" json:"state"`
	Request     json.RawMessage `db:"-" json:"request"`
}

// GetPortRequest reads a recorded port request (not_found when the workflow recorded none).
func GetPortRequest(ctx context.Context, db *sqlx.DB, workflowID string) (PortRequestRecord, error) {
	var row struct {
		PortRequestRecord
		Request []byte `db:"request"`
	}
	err := db.GetContext(ctx, &row, `
		SELECT workflow_id, request_id, kind, instance_arn, state, request
		FROM port_requests WHERE workflow_id = $1`, workflowID)
	if isNoRows(err) {
		return PortRequestRecord{}, invErr(InventoryNotFound, "workflow_id", "no port request recorded for %s", workflowID)
	}
	out := row.PortRequestRecord
	out.Request = json.RawMessage(row.Request)
	return out, err
}

// RecordedContactFlow is the contact flow named in the port's recorded request ("" when none).
func RecordedContactFlow(ctx context.Context, db *sqlx.DB, workflowID string) (string, error) {
	var flow string
	err := db.GetContext(ctx, &flow, `SELECT coalesce(request->>'contact_flow', '') FROM port_requests WHERE workflow_id = $1`, workflowID)
	if err != nil && !isNoRows(err) {
		return "", err
	}
	return flow, nil
}
