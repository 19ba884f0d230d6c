package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nyaruka/phonenumbers"

	"github.com/contactcenter/numberporting/porting"
)

// notPortableTypes are the number types carriers do not port, with the reason given to the customer.
var notPortableTypes = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.PREMIUM_RATE: "premium-rate numbers cannot be ported",
	phonenumbers.SHARED_COST:  "shared-cost numbers cannot be ported",
	phonenumbers.UAN:          "UAN (universal access) numbers cannot be ported",
	phonenumbers.PAGER:        "pager numbers cannot be ported",
	phonenumbers.VOICEMAIL:    "voicemail-access numbers cannot be ported",
}

// CheckPortability asks the (simulated) carrier LNP database whether each number can be ported: a
// number listed in non_portable_numbers is not (with the listed reason), nor is a number whose type is
// premium rate, shared cost, UAN, pager or voicemail access; every other number is. The results are
// recorded on the port's numbers: portable numbers await their LOA, not-portable ones leave the port
// (inactive, state not_portable, with the reason), which unlocks them for other ports. Results come in
// the order of the input. Idempotent.
func (a *Activities) CheckPortability(ctx context.Context, in PortabilityInput) ([]PortabilityResult, error) {
	if in.WorkflowID == "" {
		return nil, invalidInput("workflow_id", "is required")
	}
	if err := checkNumbers(in.Numbers); err != nil {
		return nil, err
	}
	numbers := e164List(in.Numbers)
	listed := map[string]string{}
	rows, err := a.DB.QueryContext(ctx, `SELECT e164, reason FROM non_portable_numbers WHERE e164 = ANY($1)`, pq.Array(numbers))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e164, reason string
		if err := rows.Scan(&e164, &reason); err != nil {
			rows.Close()
			return nil, err
		}
		listed[e164] = reason
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	results := make([]PortabilityResult, len(numbers))
	for i, e164 := range numbers {
		reason, listedNP := listed[e164]
		if !listedNP {
			reason = typeReason(e164)
		}
		results[i] = PortabilityResult{E164: e164, Portable: reason == "", Reason: reason}
	}
	if err := a.recordPortability(ctx, in.WorkflowID, results); err != nil {
		return nil, err
	}
	return results, nil
}

// recordPortability records portability results on the port's numbers: portable numbers await their
// LOA, not-portable ones leave the port (inactive, state not_portable, with the reason), which
// unlocks them for other ports. Idempotent.
func (a *Activities) recordPortability(ctx context.Context, workflowID string, results []PortabilityResult) error {
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
	return inTx(ctx, a.DB, func(tx *sqlx.Tx) error {
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
		return audit(ctx, tx, stepKey(workflowID, "portability"), workflowID, "portability_checked",
			map[string]any{"portable": portable, "not_portable": np})
	})
}

// typeReason is why a number's type makes it not portable, "" when it is portable.
func typeReason(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return fmt.Sprintf("%s is not a phone number the carrier knows (%v)", e164, err)
	}
	return notPortableTypes[phonenumbers.GetNumberType(num)]
}

// AddNonPortableNumber lists a number in the simulated carrier LNP database as not portable, with the
// reason the carrier gives (ops and tests fill it). Idempotent; a second call updates the reason.
func AddNonPortableNumber(ctx context.Context, db *sqlx.DB, e164, reason string) error {
	if !e164Pattern.MatchString(e164) {
		return &InventoryError{Kind: InventoryInvalid, Field: "e164", Msg: fmt.Sprintf("must be an E.164 number like +14155550100, got %q", e164)}
	}
	if strings.TrimSpace(reason) == "" {
		return &InventoryError{Kind: InventoryInvalid, Field: "reason", Msg: "is required: the carrier's reason"}
	}
	_, err := db.ExecContext(ctx, `
		INSERT INTO non_portable_numbers (e164, reason) VALUES ($1, $2)
		ON CONFLICT (e164) DO UPDATE SET reason = EXCLUDED.reason
		WHERE non_portable_numbers.reason IS DISTINCT FROM EXCLUDED.reason`, e164, reason)
	return err
}
