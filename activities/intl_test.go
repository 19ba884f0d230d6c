package activities_test

import (
	"github.com/contactcenter/numberporting/internal/pgtest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// The cost decision keeps the quoted amount exactly: a JSON string in the audit's jsonb detail, with
// its digits and scale, never through a float (0.10 + 0.20 is 0.30, 0.1 is not 0.1000000000000000055…).
func TestRecordCostDecisionKeepsTheAmountExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	amount := porting.MustDecimal("0.10").Add(porting.MustDecimal("0.20"))
	in := activities.CostDecisionInput{WorkflowID: "intl-port-in-cost", Amount: amount, Currency: "GBP", Approved: true, By: "bea"}
	twiceErr(t, f.db, func() error { return f.a.RecordCostDecision(ctx, in) })
	var stored string
	pgtest.Get(t, f.db, &stored, `detail->>'amount'`, "audit_log", `workflow_id = $1 AND action = 'cost_approved' AND jsonb_typeof(detail->'amount') = 'string'`, in.WorkflowID)
	require.Equal(t, "0.30", stored)
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND (detail->>'amount')::numeric = 0.3`, in.WorkflowID))

	in.WorkflowID, in.Amount = "intl-port-in-bad", porting.Decimal{}
	requireAppErr(t, f.a.RecordCostDecision(ctx, in), activities.ErrInvalidInput, "amount: is required")
}
