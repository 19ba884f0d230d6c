package activities

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.temporal.io/sdk/activity"
	"golang.org/x/time/rate"

	"github.com/contactcenter/numberporting/porting"
)

// ProvisionProgress is the heartbeat detail of ProvisionNumbers.
type ProvisionProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// heldRow is one non-released phone_numbers row.
type heldRow struct {
	E164        string  `db:"e164"`
	InstanceARN string  `db:"instance_arn"`
	State       string  `db:"state"`
	PortRequest *string `db:"port_request"`
	ContactFlow *string `db:"contact_flow"`
}

func (h heldRow) ownedBy(instanceARN, workflowID string) bool {
	return h.InstanceARN == instanceARN && h.PortRequest != nil && *h.PortRequest == workflowID
}

func loadHeld(ctx context.Context, q sqlx.QueryerContext, numbers []string) ([]heldRow, error) {
	var held []heldRow
	err := sqlx.SelectContext(ctx, q, &held, `
		SELECT e164, instance_arn, state, port_request, contact_flow FROM phone_numbers
		WHERE e164 = ANY($1) AND state <> 'released'`, pq.Array(numbers))
	// In the order of the request (a map of positions: the lists hold up to thousands of numbers).
	pos := make(map[string]int, len(numbers))
	for i, n := range numbers {
		pos[n] = i
	}
	sort.Slice(held, func(i, j int) bool { return pos[held[i].E164] < pos[held[j].E164] })
	return held, err
}

// heldByOthers is the first number held by another instance or for another purpose.
func heldByOthers(held []heldRow, instanceARN, workflowID string, numbers []string) error {
	for _, h := range held {
		if h.ownedBy(instanceARN, workflowID) {
			continue
		}
		by := "claimed directly"
		if h.PortRequest != nil {
			by = "brought in by " + *h.PortRequest
		}
		return nonRetryable(ErrNumberAlreadyInInstance, numberField(numbers, h.E164),
			"%s is already held by instance %s (state %s, %s); it cannot be provisioned for %s",
			h.E164, h.InstanceARN, h.State, by, workflowID)
	}
	return nil
}

// ProvisionNumbers adds the group's numbers to the instance, not yet live (state provisioned),
// mapped to the contact flow, which must still exist and be published. It raises the instance's
// phone-number limit by the number of numbers once per (workflow, group) — the service limit increase
// that accompanies a port. Numbers go in batches of ProvisionBatchSize, one instance-API request each,
// paced by the instance's rate limiter; progress is heartbeated. A rerun after partial progress adds
// only what is missing. It returns how many of the group's numbers are on the instance for this port
// and the instance's phone-number limit.
func (a *Activities) ProvisionNumbers(ctx context.Context, in NumbersInput) (ProvisionResult, error) {
	if err := checkNumbersInput(in, true); err != nil {
		return ProvisionResult{}, err
	}
	numbers := e164List(in.Numbers)
	flow := in.ContactFlow
	if flow == "" {
		// The flow named in the recorded request.
		err := a.DB.GetContext(ctx, &flow, `SELECT coalesce(request->>'contact_flow', '') FROM port_requests WHERE workflow_id = $1`, in.WorkflowID)
		if err != nil && !isNoRows(err) {
			return ProvisionResult{}, err
		}
		if flow == "" {
			return ProvisionResult{}, invalidInput("contact_flow", "is required: the published flow to map the numbers to")
		}
	}

	// Checks and the limit increase, in one transaction.
	err := inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		// The instance row lock serializes this with ClaimNumber, so the limit check below holds.
		var limit int
		err := tx.GetContext(ctx, &limit, `SELECT phone_number_limit FROM instances WHERE arn = $1 FOR UPDATE`, in.InstanceARN)
		if isNoRows(err) {
			return nonRetryable(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", in.InstanceARN)
		}
		if err != nil {
			return err
		}
		if err := checkFlowPublished(ctx, tx, in.InstanceARN, flow, ErrContactFlowNotPublished); err != nil {
			return err
		}
		held, err := loadHeld(ctx, tx, numbers)
		if err != nil {
			return err
		}
		if err := heldByOthers(held, in.InstanceARN, in.WorkflowID, numbers); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO limit_increases (workflow_id, "group", instance_arn, amount) VALUES ($1, $2, $3, $4)
			ON CONFLICT (workflow_id, "group") DO NOTHING`, in.WorkflowID, in.Group, in.InstanceARN, len(numbers))
		if err != nil {
			return err
		}
		raised := false
		if n, _ := res.RowsAffected(); n == 1 {
			raised = true
			if err := tx.GetContext(ctx, &limit, `
				UPDATE instances SET phone_number_limit = phone_number_limit + $2 WHERE arn = $1
				RETURNING phone_number_limit`, in.InstanceARN, len(numbers)); err != nil {
				return err
			}
		}
		// The increase makes room for the group's numbers only if the instance was within its limit:
		// it is not when its base limit was lowered below what it holds (starter instance add
		// --phone-number-limit). Then nothing is added and the increase is not kept (rollback).
		var others int
		if err := tx.GetContext(ctx, &others, `
			SELECT count(*) FROM phone_numbers
			WHERE instance_arn = $1 AND state <> 'released' AND NOT (port_request IS NOT DISTINCT FROM $2 AND e164 = ANY($3))`,
			in.InstanceARN, in.WorkflowID, pq.Array(numbers)); err != nil {
			return err
		}
		if others+len(numbers) > limit {
			return nonRetryable(ErrPhoneNumberLimit, "instance_arn",
				"instance %s would hold %d numbers with this group's %d, above its phone-number limit of %d (the port's increase included); "+
					"raise the instance's base limit (starter instance add --arn %s --phone-number-limit N) and retry",
				in.InstanceARN, others+len(numbers), len(numbers), limit, in.InstanceARN)
		}
		if raised {
			return audit(ctx, tx, roundKey(stepKey(in.WorkflowID, "limit-increase", in.Group), in.Round), in.WorkflowID, "phone_number_limit_raised",
				map[string]any{"group": in.Group, "instance_arn": in.InstanceARN, "amount": len(numbers), "phone_number_limit": limit})
		}
		return nil
	})
	if err != nil {
		return ProvisionResult{}, err
	}

	// What a previous attempt already added is skipped.
	held, err := loadHeld(ctx, a.DB, numbers)
	if err != nil {
		return ProvisionResult{}, err
	}
	done := map[string]bool{}
	for _, h := range held {
		if h.ownedBy(in.InstanceARN, in.WorkflowID) {
			done[h.E164] = true
		}
	}
	var todo []porting.PortNumber
	for _, n := range in.Numbers {
		if !done[n.E164] {
			todo = append(todo, n)
		}
	}
	batch := a.ProvisionBatchSize
	if batch <= 0 {
		batch = DefaultProvisionBatchSize
	}
	limiter := a.instanceLimiter(in.InstanceARN)
	progress := ProvisionProgress{Done: len(in.Numbers) - len(todo), Total: len(in.Numbers)}
	for start := 0; start < len(todo); start += batch {
		part := todo[start:min(start+batch, len(todo))]
		if err := waitHeartbeating(ctx, limiter, progress); err != nil {
			return ProvisionResult{}, err
		}
		if _, err := a.DB.ExecContext(ctx, `
			INSERT INTO phone_numbers (instance_arn, e164, type, state, contact_flow, port_request)
			SELECT $1, u.e164, u.type, 'provisioned', $2, $3 FROM unnest($4::text[], $5::text[]) AS u(e164, type)
			ON CONFLICT (e164) WHERE state <> 'released' DO NOTHING`,
			in.InstanceARN, flow, in.WorkflowID, pq.Array(e164List(part)), pq.Array(typeList(part))); err != nil {
			return ProvisionResult{}, err
		}
		progress.Done += len(part)
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, progress)
		}
	}

	// Every number must now be ours: a number claimed by someone else meanwhile stops the port.
	var res ProvisionResult
	err = inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		held, err := loadHeld(ctx, tx, numbers)
		if err != nil {
			return err
		}
		if err := heldByOthers(held, in.InstanceARN, in.WorkflowID, numbers); err != nil {
			return err
		}
		res.Provisioned = len(held)
		if res.Provisioned != len(numbers) {
			return fmt.Errorf("%d of %d numbers are on instance %s after provisioning; retrying", res.Provisioned, len(numbers), in.InstanceARN)
		}
		if err := tx.GetContext(ctx, &res.PhoneNumberLimit, `SELECT phone_number_limit FROM instances WHERE arn = $1`, in.InstanceARN); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $4, updated_at = now()
			WHERE workflow_id = $1 AND "group" = $2 AND e164 = ANY($3) AND active AND state <> $4`,
			in.WorkflowID, in.Group, pq.Array(numbers), porting.StateProvisioned); err != nil {
			return err
		}
		return audit(ctx, tx, roundKey(stepKey(in.WorkflowID, "provision", in.Group), in.Round), in.WorkflowID, "numbers_provisioned", map[string]any{
			"group": in.Group, "instance_arn": in.InstanceARN, "contact_flow": flow, "numbers": numbers,
		})
	})
	if err != nil {
		return ProvisionResult{}, err
	}
	return res, nil
}

// ActivateNumbers makes the group's provisioned numbers live (provisioned → active). Numbers already
// active stay so; a number that is not on the instance for this port is a non-retryable
// ErrNumberNotProvisioned. Idempotent.
func (a *Activities) ActivateNumbers(ctx context.Context, in NumbersInput) error {
	if err := checkNumbersInput(in, false); err != nil {
		return err
	}
	numbers := e164List(in.Numbers)
	return inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE phone_numbers SET state = 'active', updated_at = now()
			WHERE instance_arn = $1 AND port_request = $2 AND e164 = ANY($3) AND state = 'provisioned'`,
			in.InstanceARN, in.WorkflowID, pq.Array(numbers)); err != nil {
			return err
		}
		held, err := loadHeld(ctx, tx, numbers)
		if err != nil {
			return err
		}
		active := map[string]bool{}
		for _, h := range held {
			if h.ownedBy(in.InstanceARN, in.WorkflowID) && h.State == NumberActive {
				active[h.E164] = true
			}
		}
		for i, n := range numbers {
			if !active[n] {
				return nonRetryable(ErrNumberNotProvisioned, fmt.Sprintf("numbers[%d].e164", i),
					"%s is not provisioned on instance %s for %s; it cannot be activated", n, in.InstanceARN, in.WorkflowID)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $4, updated_at = now()
			WHERE workflow_id = $1 AND "group" = $2 AND e164 = ANY($3) AND active AND state <> $4`,
			in.WorkflowID, in.Group, pq.Array(numbers), porting.StateActivating); err != nil {
			return err
		}
		return audit(ctx, tx, stepKey(in.WorkflowID, "activate", in.Group), in.WorkflowID, "numbers_activated",
			map[string]any{"group": in.Group, "instance_arn": in.InstanceARN, "numbers": numbers})
	})
}

// VerifyTestCall places a (simulated) test call to every number: it is answered when every number is
// active on the instance and mapped to a contact flow that exists and is published. When it is not,
// Answered is false and Reason says why (that is a result, not an error).
func (a *Activities) VerifyTestCall(ctx context.Context, in NumbersInput) (VerifyResult, error) {
	if err := checkNumbersInput(in, false); err != nil {
		return VerifyResult{}, err
	}
	numbers := e164List(in.Numbers)
	var rows []struct {
		E164        string  `db:"e164"`
		InstanceARN string  `db:"instance_arn"`
		State       string  `db:"state"`
		ContactFlow *string `db:"contact_flow"`
		Published   *bool   `db:"published"`
	}
	if err := a.DB.SelectContext(ctx, &rows, `
		SELECT p.e164, p.instance_arn, p.state, p.contact_flow, f.published
		FROM phone_numbers p
		LEFT JOIN contact_flows f ON f.instance_arn = p.instance_arn AND f.name = p.contact_flow
		WHERE p.e164 = ANY($1) AND p.state <> 'released'`, pq.Array(numbers)); err != nil {
		return VerifyResult{}, err
	}
	byNumber := map[string]int{}
	for i, r := range rows {
		byNumber[r.E164] = i
	}
	var problems []string
	for _, n := range numbers {
		i, ok := byNumber[n]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s is not on instance %s", n, in.InstanceARN))
			continue
		case rows[i].InstanceARN != in.InstanceARN:
			problems = append(problems, fmt.Sprintf("%s is held by instance %s, not %s", n, rows[i].InstanceARN, in.InstanceARN))
			continue
		case rows[i].State != NumberActive:
			problems = append(problems, fmt.Sprintf("%s is %s, not active", n, rows[i].State))
			continue
		}
		r := rows[i]
		switch {
		case r.ContactFlow == nil:
			problems = append(problems, fmt.Sprintf("%s is not mapped to a contact flow", n))
		case r.Published == nil:
			problems = append(problems, fmt.Sprintf("%s is mapped to contact flow %q, which does not exist", n, *r.ContactFlow))
		case !*r.Published:
			problems = append(problems, fmt.Sprintf("%s is mapped to contact flow %q, which is not published", n, *r.ContactFlow))
		}
	}
	if len(problems) > 0 {
		return VerifyResult{Answered: false, Reason: "test call not answered: " + strings.Join(problems, "; ")}, nil
	}
	return VerifyResult{Answered: true}, nil
}

// ReleaseNumbers is the compensation of a port that will not complete: the group's numbers this
// workflow put on the instance are released (state released, no contact flow) and the phone-number
// limit increase of (workflow, group) is reversed, once. Idempotent.
func (a *Activities) ReleaseNumbers(ctx context.Context, in NumbersInput) error {
	if err := checkNumbersInput(in, false); err != nil {
		return err
	}
	numbers := e164List(in.Numbers)
	return inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
		var released []string
		if err := tx.SelectContext(ctx, &released, `
			UPDATE phone_numbers SET state = 'released', contact_flow = NULL, updated_at = now()
			WHERE instance_arn = $1 AND port_request = $2 AND e164 = ANY($3) AND state <> 'released'
			RETURNING e164`, in.InstanceARN, in.WorkflowID, pq.Array(numbers)); err != nil {
			return err
		}
		var inc []struct {
			InstanceARN string `db:"instance_arn"`
			Amount      int    `db:"amount"`
		}
		if err := tx.SelectContext(ctx, &inc, `
			DELETE FROM limit_increases WHERE workflow_id = $1 AND "group" = $2
			RETURNING instance_arn, amount`, in.WorkflowID, in.Group); err != nil {
			return err
		}
		detail := map[string]any{"group": in.Group, "instance_arn": in.InstanceARN, "numbers": numbers, "reason": in.Reason}
		for _, i := range inc {
			var limit int
			if err := tx.GetContext(ctx, &limit, `
				UPDATE instances SET phone_number_limit = greatest(phone_number_limit - $2, 0) WHERE arn = $1
				RETURNING phone_number_limit`, i.InstanceARN, i.Amount); err != nil {
				return err
			}
			detail["limit_decrease"] = i.Amount
			detail["phone_number_limit"] = limit
		}
		if len(released) == 0 && len(inc) == 0 {
			return nil // nothing left to undo: a rerun
		}
		return audit(ctx, tx, roundKey(stepKey(in.WorkflowID, "release", in.Group), in.Round), in.WorkflowID, "numbers_released", detail)
	})
}

// waitHeartbeating waits for the instance API's rate limiter, heartbeating while it waits, so that a
// long queue of provisioning on one instance is not taken for a dead worker.
func waitHeartbeating(ctx context.Context, l *rate.Limiter, progress ProvisionProgress) error {
	r := l.Reserve()
	if !r.OK() {
		return fmt.Errorf("instance API rate limiter refuses the request")
	}
	for delay := r.Delay(); delay > 0; delay = r.Delay() {
		step := min(delay, 5*time.Second)
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			r.Cancel()
			return ctx.Err()
		case <-t.C:
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, progress)
		}
	}
	return nil
}
