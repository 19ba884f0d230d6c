package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// PortGroup names numbers of one group of a port on an instance (the fields of
// activities.NumbersInput, in its order, so that one converts to the other).
type PortGroup struct {
	WorkflowID  string
	Group       string
	InstanceARN string
	ContactFlow string
	Numbers     []porting.PortNumber
	Reason      string
	// Round counts the group's provisionings (0 and 1: the first); it keys the audit rows.
	Round int
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
		return refuse(ErrNumberAlreadyInInstance, numberField(numbers, h.E164),
			"%s is already held by instance %s (state %s, %s); it cannot be provisioned for %s",
			h.E164, h.InstanceARN, h.State, by, workflowID)
	}
	return nil
}

// PrepareProvisioning checks, in one transaction, that the group's numbers can go on the instance
// mapped to flow (instance exists, flow published, no number held by others) and raises the
// instance's phone-number limit by the number of numbers once per (workflow, group) — the service
// limit increase that accompanies a port — unless the instance would then still be above its limit
// (ErrPhoneNumberLimit, nothing kept).
func PrepareProvisioning(ctx context.Context, db *sqlx.DB, g PortGroup, flow string) error {
	numbers := E164List(g.Numbers)
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		// The instance row lock serializes this with ClaimNumber, so the limit check below holds.
		var limit int
		err := tx.GetContext(ctx, &limit, `SELECT phone_number_limit FROM instances WHERE arn = $1 FOR UPDATE`, g.InstanceARN)
		if isNoRows(err) {
			return refuse(ErrInstanceNotFound, "instance_arn", "instance %s does not exist", g.InstanceARN)
		}
		if err != nil {
			return err
		}
		if err := checkFlowPublished(ctx, tx, g.InstanceARN, flow, ErrContactFlowNotPublished); err != nil {
			return err
		}
		held, err := loadHeld(ctx, tx, numbers)
		if err != nil {
			return err
		}
		if err := heldByOthers(held, g.InstanceARN, g.WorkflowID, numbers); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO limit_increases (workflow_id, "group", instance_arn, amount) VALUES ($1, $2, $3, $4)
			ON CONFLICT (workflow_id, "group") DO NOTHING`, g.WorkflowID, g.Group, g.InstanceARN, len(numbers))
		if err != nil {
			return err
		}
		raised := false
		if n, _ := res.RowsAffected(); n == 1 {
			raised = true
			if err := tx.GetContext(ctx, &limit, `
				UPDATE instances SET phone_number_limit = phone_number_limit + $2 WHERE arn = $1
				RETURNING phone_number_limit`, g.InstanceARN, len(numbers)); err != nil {
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
			g.InstanceARN, g.WorkflowID, pq.Array(numbers)); err != nil {
			return err
		}
		if others+len(numbers) > limit {
			return refuse(ErrPhoneNumberLimit, "instance_arn",
				"instance %s would hold %d numbers with this group's %d, above its phone-number limit of %d (the port's increase included); "+
					"raise the instance's base limit (starter instance add --arn %s --phone-number-limit N) and retry",
				g.InstanceARN, others+len(numbers), len(numbers), limit, g.InstanceARN)
		}
		if raised {
			return Audit(ctx, tx, RoundKey(StepKey(g.WorkflowID, "limit-increase", g.Group), g.Round), g.WorkflowID, "phone_number_limit_raised",
				map[string]any{"group": g.Group, "instance_arn": g.InstanceARN, "amount": len(numbers), "phone_number_limit": limit})
		}
		return nil
	})
}

// ProvisionedFor is the set of numbers already on the instance for this port (what a previous
// attempt added).
func ProvisionedFor(ctx context.Context, db *sqlx.DB, instanceARN, workflowID string, numbers []string) (map[string]bool, error) {
	held, err := loadHeld(ctx, db, numbers)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, h := range held {
		if h.ownedBy(instanceARN, workflowID) {
			done[h.E164] = true
		}
	}
	return done, nil
}

// AddProvisionedNumbers puts numbers on the instance for the port, not yet live (state provisioned),
// mapped to flow; a number already held is left as it is. (The simulated instance API's "add
// numbers" request: it is recorded in the API's access log, instance_api_requests, in the same
// transaction — see InstanceAPIRequests.)
func AddProvisionedNumbers(ctx context.Context, db *sqlx.DB, instanceARN, flow, workflowID string, numbers []porting.PortNumber) error {
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO instance_api_requests (instance_arn, numbers) VALUES ($1, $2)`,
			instanceARN, len(numbers)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO phone_numbers (instance_arn, e164, type, state, contact_flow, port_request)
			SELECT $1, u.e164, u.type, 'provisioned', $2, $3 FROM unnest($4::text[], $5::text[]) AS u(e164, type)
			ON CONFLICT (e164) WHERE state <> 'released' DO NOTHING`,
			instanceARN, flow, workflowID, pq.Array(E164List(numbers)), pq.Array(typeList(numbers)))
		return err
	})
}

// FinishProvisioning checks that every number of the group is now on the instance for this port (a
// number claimed by someone else meanwhile is ErrNumberAlreadyInInstance; one missing is a retryable
// error) and records the group as provisioned. It returns how many are on the instance and its
// phone-number limit.
func FinishProvisioning(ctx context.Context, db *sqlx.DB, g PortGroup, flow string) (provisioned, limit int, err error) {
	numbers := E164List(g.Numbers)
	err = InTx(ctx, db, func(tx *sqlx.Tx) error {
		held, err := loadHeld(ctx, tx, numbers)
		if err != nil {
			return err
		}
		if err := heldByOthers(held, g.InstanceARN, g.WorkflowID, numbers); err != nil {
			return err
		}
		provisioned = len(held)
		if provisioned != len(numbers) {
			return fmt.Errorf("%d of %d numbers are on instance %s after provisioning; retrying", provisioned, len(numbers), g.InstanceARN)
		}
		if err := tx.GetContext(ctx, &limit, `SELECT phone_number_limit FROM instances WHERE arn = $1`, g.InstanceARN); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $4, updated_at = now()
			WHERE workflow_id = $1 AND "group" = $2 AND e164 = ANY($3) AND active AND state <> $4`,
			g.WorkflowID, g.Group, pq.Array(numbers), porting.StateProvisioned); err != nil {
			return err
		}
		return Audit(ctx, tx, RoundKey(StepKey(g.WorkflowID, "provision", g.Group), g.Round), g.WorkflowID, "numbers_provisioned", map[string]any{
			"group": g.Group, "instance_arn": g.InstanceARN, "contact_flow": flow, "numbers": numbers,
		})
	})
	return provisioned, limit, err
}

// ActivateNumbers makes the group's provisioned numbers live (provisioned → active) and records the
// group as activating. Numbers already active stay so; a number that is not on the instance for this
// port is ErrNumberNotProvisioned. Idempotent.
func ActivateNumbers(ctx context.Context, db *sqlx.DB, g PortGroup) error {
	numbers := E164List(g.Numbers)
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE phone_numbers SET state = 'active', updated_at = now()
			WHERE instance_arn = $1 AND port_request = $2 AND e164 = ANY($3) AND state = 'provisioned'`,
			g.InstanceARN, g.WorkflowID, pq.Array(numbers)); err != nil {
			return err
		}
		held, err := loadHeld(ctx, tx, numbers)
		if err != nil {
			return err
		}
		active := map[string]bool{}
		for _, h := range held {
			if h.ownedBy(g.InstanceARN, g.WorkflowID) && h.State == NumberActive {
				active[h.E164] = true
			}
		}
		for i, n := range numbers {
			if !active[n] {
				return refuse(ErrNumberNotProvisioned, fmt.Sprintf("numbers[%d].e164", i),
					"%s is not provisioned on instance %s for %s; it cannot be activated", n, g.InstanceARN, g.WorkflowID)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE port_request_numbers SET state = $4, updated_at = now()
			WHERE workflow_id = $1 AND "group" = $2 AND e164 = ANY($3) AND active AND state <> $4`,
			g.WorkflowID, g.Group, pq.Array(numbers), porting.StateActivating); err != nil {
			return err
		}
		return Audit(ctx, tx, StepKey(g.WorkflowID, "activate", g.Group), g.WorkflowID, "numbers_activated",
			map[string]any{"group": g.Group, "instance_arn": g.InstanceARN, "numbers": numbers})
	})
}

// TestCall is the simulated test call to every number: it is answered when every number is active on
// the instance and mapped to a contact flow that exists and is published. When it is not, reason says
// why.
func TestCall(ctx context.Context, db *sqlx.DB, instanceARN string, numbers []string) (answered bool, reason string, err error) {
	var rows []struct {
		E164        string  `db:"e164"`
		InstanceARN string  `db:"instance_arn"`
		State       string  `db:"state"`
		ContactFlow *string `db:"contact_flow"`
		Published   *bool   `db:"published"`
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT p.e164, p.instance_arn, p.state, p.contact_flow, f.published
		FROM phone_numbers p
		LEFT JOIN contact_flows f ON f.instance_arn = p.instance_arn AND f.name = p.contact_flow
		WHERE p.e164 = ANY($1) AND p.state <> 'released'`, pq.Array(numbers)); err != nil {
		return false, "", err
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
			problems = append(problems, fmt.Sprintf("%s is not on instance %s", n, instanceARN))
			continue
		case rows[i].InstanceARN != instanceARN:
			problems = append(problems, fmt.Sprintf("%s is held by instance %s, not %s", n, rows[i].InstanceARN, instanceARN))
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
		return false, "test call not answered: " + strings.Join(problems, "; "), nil
	}
	return true, "", nil
}

// ReleaseNumbers is the compensation of a port that will not complete: the group's numbers this
// workflow put on the instance are released (state released, no contact flow) and the phone-number
// limit increase of (workflow, group) is reversed, once. Idempotent.
func ReleaseNumbers(ctx context.Context, db *sqlx.DB, g PortGroup) error {
	numbers := E164List(g.Numbers)
	return InTx(ctx, db, func(tx *sqlx.Tx) error {
		var released []string
		if err := tx.SelectContext(ctx, &released, `
			UPDATE phone_numbers SET state = 'released', contact_flow = NULL, updated_at = now()
			WHERE instance_arn = $1 AND port_request = $2 AND e164 = ANY($3) AND state <> 'released'
			RETURNING e164`, g.InstanceARN, g.WorkflowID, pq.Array(numbers)); err != nil {
			return err
		}
		var inc []struct {
			InstanceARN string `db:"instance_arn"`
			Amount      int    `db:"amount"`
		}
		if err := tx.SelectContext(ctx, &inc, `
			DELETE FROM limit_increases WHERE workflow_id = $1 AND "group" = $2
			RETURNING instance_arn, amount`, g.WorkflowID, g.Group); err != nil {
			return err
		}
		detail := map[string]any{"group": g.Group, "instance_arn": g.InstanceARN, "numbers": numbers, "reason": g.Reason}
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
		return Audit(ctx, tx, RoundKey(StepKey(g.WorkflowID, "release", g.Group), g.Round), g.WorkflowID, "numbers_released", detail)
	})
}
