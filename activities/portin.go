package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// RecordPortIn records a new PortIn request in one transaction, after checking it against the
// inventory: the instance exists and is outside the Tokyo region, the contact flow exists and is
// published, no number is already held by an instance, and no number is in another active port (the
// unique partial index on port_request_numbers decides races). The numbers are then locked against
// other ports until FinishPortRequest (or the portability check) unlocks them. A rerun for the same
// workflow ID is a no-op. It returns the instance's region and current phone-number limit.
func (a *Activities) RecordPortIn(ctx context.Context, in RecordPortInInput) (RecordPortInResult, error) {
	// Carriers canonicalised as the workflow does (porting.NormalizePortIn), so the groups recorded in
	// port_request_numbers are the workflow's groups whatever spelling reached this activity.
	r := porting.NormalizePortIn(in.Request)
	if in.WorkflowID == "" {
		return RecordPortInResult{}, invalidInput("workflow_id", "is required")
	}
	if r.RequestID == "" {
		return RecordPortInResult{}, invalidInput("request_id", "is required")
	}
	if len(r.Numbers) == 0 {
		return RecordPortInResult{}, invalidInput("numbers", "at least one number is required")
	}
	if err := checkNumbers(r.Numbers); err != nil {
		return RecordPortInResult{}, err
	}
	request, err := json.Marshal(r) // a PortIn request carries no secrets (PINs come with LOAs)
	if err != nil {
		return RecordPortInResult{}, invalidInput("request", "cannot be encoded: %v", err)
	}
	numbers := e164List(r.Numbers)
	kind := in.Kind
	if kind == "" {
		kind = porting.KindPortIn
	}

	var res RecordPortInResult
	err = inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		// A rerun (same workflow, same request) finds its own row and does nothing.
		rerun, err := recordedBefore(ctx, tx, in.WorkflowID, r.RequestID, request)
		if err != nil {
			return err
		}
		if rerun {
			inst, err := loadInstance(ctx, tx, r.InstanceARN)
			res = RecordPortInResult{Region: inst.Region, PhoneNumberLimit: inst.PhoneNumberLimit}
			return err
		}

		if err := checkInstanceAndFlow(ctx, tx, r.InstanceARN, r.ContactFlow, &res); err != nil {
			return err
		}
		if err := checkNotHeld(ctx, tx, numbers); err != nil {
			return err
		}
		if err := checkNotPorting(ctx, tx, in.WorkflowID, numbers); err != nil {
			return err
		}

		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_requests (workflow_id, request_id, kind, instance_arn, state, request)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			in.WorkflowID, r.RequestID, kind, r.InstanceARN, porting.StateCheckingPortability, request); err != nil {
			return err
		}
		groups := make([]string, len(r.Numbers))
		carriers := make([]string, len(r.Numbers))
		for i, n := range r.Numbers {
			groups[i] = porting.GroupName(n.Carrier, n.Type)
			carriers[i] = n.Carrier
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO port_request_numbers (workflow_id, e164, "group", type, carrier, active, state)
			SELECT $1, u.e164, u.grp, u.type, u.carrier, true, $2
			FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u(e164, grp, type, carrier)`,
			in.WorkflowID, porting.StateCheckingPortability,
			pq.Array(numbers), pq.Array(groups), pq.Array(typeList(r.Numbers)), pq.Array(carriers)); err != nil {
			return err
		}
		return audit(ctx, tx, stepKey(in.WorkflowID, "record"), in.WorkflowID, "port_in_recorded", map[string]any{
			"request_id": r.RequestID, "instance_arn": r.InstanceARN, "contact_flow": r.ContactFlow, "numbers": numbers,
		})
	})
	if c, ok := uniqueViolation(err); ok && c == constraintActivePort {
		// Another port locked one of the numbers between our check and our insert; its transaction has
		// committed by now (the unique check waited for it), so it can be named.
		if perr := checkNotPorting(ctx, a.DB, in.WorkflowID, numbers); perr != nil {
			return RecordPortInResult{}, perr
		}
		return RecordPortInResult{}, fmt.Errorf("a number of the request was locked by another port meanwhile: %w", err)
	}
	if err != nil {
		return RecordPortInResult{}, err
	}
	return res, nil
}

// checkInstanceAndFlow: the instance exists outside the Tokyo region; the flow exists and is published.
func checkInstanceAndFlow(ctx context.Context, q sqlx.QueryerContext, arn, flow string, res *RecordPortInResult) error {
	inst, err := loadInstance(ctx, q, arn)
	*res = RecordPortInResult{Region: inst.Region, PhoneNumberLimit: inst.PhoneNumberLimit}
	if isNoRows(err) {
		return nonRetryable(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", arn)
	}
	if err != nil {
		return err
	}
	if res.Region == porting.TokyoRegion {
		return nonRetryable(ErrRegionNotSupported, "instance_arn",
			"porting is not supported for instances in the Asia Pacific (Tokyo) region (%s)", porting.TokyoRegion)
	}
	return checkFlowPublished(ctx, q, arn, flow, ErrContactFlowNotFound)
}

type instanceRow struct {
	Region           string `db:"region"`
	PhoneNumberLimit int    `db:"phone_number_limit"`
}

func loadInstance(ctx context.Context, q sqlx.QueryerContext, arn string) (instanceRow, error) {
	var inst instanceRow
	err := sqlx.GetContext(ctx, q, &inst, `SELECT region, phone_number_limit FROM instances WHERE arn = $1`, arn)
	return inst, err
}

// checkFlowPublished: the flow exists on the instance (else a notFoundType error) and is published.
func checkFlowPublished(ctx context.Context, q sqlx.QueryerContext, arn, flow, notFoundType string) error {
	var published bool
	err := sqlx.GetContext(ctx, q, &published, `SELECT published FROM contact_flows WHERE instance_arn = $1 AND name = $2`, arn, flow)
	if isNoRows(err) {
		return nonRetryable(notFoundType, "contact_flow", "contact flow %q does not exist on instance %s", flow, arn)
	}
	if err != nil {
		return err
	}
	if !published {
		return nonRetryable(ErrContactFlowNotPublished, "contact_flow",
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
	sort.Slice(held, func(i, j int) bool { return indexOf(numbers, held[i].E164) < indexOf(numbers, held[j].E164) })
	h := held[0]
	return nonRetryable(ErrNumberAlreadyInInstance, numberField(numbers, h.E164),
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
	sort.Slice(locked, func(i, j int) bool { return indexOf(numbers, locked[i].E164) < indexOf(numbers, locked[j].E164) })
	l := locked[0]
	return nonRetryable(ErrNumberAlreadyPorting, numberField(numbers, l.E164),
		"%s is already in an active port (%s)", l.E164, l.WorkflowID)
}
