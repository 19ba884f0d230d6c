package workflows

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// TestPortOutOwnershipNormalizedOnPostgres runs PortOut in the time-skipping environment with the
// REAL activities on a real Postgres (the mocked VerifyOwnership of the other port-out tests
// re-implements the comparison, which hid that it compared bytes). The instance's records are in
// NFC; the winning carrier first sends a genuinely different name (rejected, the field named, nothing
// released), then the right details in NFD with extra white space and another case: approved, and the
// numbers are released at the requested time while the instance's other number stays.
func TestPortOutOwnershipNormalizedOnPostgres(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	req := portOutRequest()
	_, err := store.AddInstance(ctx, db, store.Instance{
		ARN: req.InstanceARN, OwnerName: "Jos\u00e9 M\u00fcller", Address: "1 Main St, New York, NY 10001", BillingContact: recordBilling,
	})
	require.NoError(t, err)
	const kept = "+14155550199"
	for _, n := range append([]string{kept}, req.Numbers...) {
		require.NoError(t, store.ClaimNumber(ctx, db, req.InstanceARN, n, "did", ""))
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(monday)
	env.SetTestTimeout(time.Minute)
	Register(env)
	env.RegisterActivity(&activities.Activities{DB: db})
	h := &harness{t: t, env: env, notPortable: map[string]string{}}

	releaseAt := ny(2026, 12, 4, 14, 0) // Friday
	wrong := winningRequest(releaseAt)
	wrong.OwnerName = "Jose Muller" // no accents: another spelling
	first := h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, wrong)
	var releasedBetween int
	h.at(ny(2026, 11, 24, 11, 0), func() {
		require.NoError(t, db.Get(&releasedBetween, `SELECT count(*) FROM phone_numbers WHERE state = 'released'`))
	})
	right := winningRequest(releaseAt)
	right.OwnerName = "  JOSE\u0301   mu\u0308ller\t"   // NFD, extra spaces, upper case
	right.Address = "1 main st,\n New York,  NY 10001 " // newline, doubled and trailing spaces
	right.BillingContact = " Billing@Doe.Example"       // leading space, case
	right.Carrier = "beta  wireless"
	second := h.update(ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, right)

	env.ExecuteWorkflow(porting.WorkflowPortOut, req)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res porting.PortResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.ErrorContains(t, first.err, "do not match the ownership records held for the instance: owner_name; send a corrected request")
	require.NotContains(t, first.err.Error(), "address")
	require.NotContains(t, first.err.Error(), "Müller", "the stored value is never told")
	require.Zero(t, releasedBetween, "a rejected request releases nothing")
	require.NoError(t, second.rejected)
	require.NoError(t, second.err)
	require.Contains(t, second.result, "approved")
	require.Equal(t, porting.StateCompleted, res.State, res.Reason)

	type row struct {
		E164  string `db:"e164"`
		State string `db:"state"`
	}
	var rows []row
	require.NoError(t, db.Select(&rows, `SELECT e164, state FROM phone_numbers ORDER BY e164`))
	require.Equal(t, []row{{req.Numbers[0], "released"}, {req.Numbers[1], "released"}, {kept, "active"}}, rows)
	var releasedAt time.Time
	require.NoError(t, db.Get(&releasedAt, `SELECT max(updated_at) FROM phone_numbers WHERE state = 'released'`))

	var state string
	require.NoError(t, db.Get(&state, `SELECT state FROM port_requests WHERE workflow_id = 'default-test-workflow-id'`))
	require.Equal(t, string(porting.StateCompleted), state)
	var locked int
	require.NoError(t, db.Get(&locked, `SELECT count(*) FROM port_request_numbers WHERE active`))
	require.Zero(t, locked, "the numbers are unlocked once the port-out completed")

	audits := map[string]int{}
	var actions []string
	require.NoError(t, db.Select(&actions, `SELECT action FROM audit_log WHERE workflow_id = 'default-test-workflow-id'`))
	for _, a := range actions {
		audits[a]++
	}
	require.Equal(t, 1, audits["ownership_mismatch"])
	require.Equal(t, 1, audits["ownership_verified"])
	require.Equal(t, 1, audits["numbers_released_port_out"])
	var mismatched string
	require.NoError(t, db.Get(&mismatched, `SELECT detail->'result'->>'mismatched' FROM audit_log WHERE action = 'ownership_mismatch'`))
	require.JSONEq(t, `["owner_name"]`, mismatched)

	kinds := map[string]int{}
	var nk []struct {
		Kind      string `db:"kind"`
		Recipient string `db:"recipient"`
		Body      string `db:"body"`
	}
	require.NoError(t, db.Select(&nk, `SELECT kind, recipient, body FROM notifications WHERE workflow_id = 'default-test-workflow-id'`))
	for _, n := range nk {
		kinds[n.Kind]++
		require.NotContains(t, n.Body, "Müller", "no notification carries the stored owner name")
		if n.Kind == "ownership_mismatch" {
			require.Equal(t, activities.RecipientCarrier, n.Recipient)
			require.Contains(t, n.Body, "Mismatched fields: owner_name.")
		}
	}
	require.Equal(t, 1, kinds["port_out_started"])
	require.Equal(t, 1, kinds["ownership_mismatch"])
	require.Equal(t, 2, kinds["port_out_approved"])
	require.Equal(t, 1, kinds["port_out_released"])
	require.Equal(t, 1, kinds["completed"])
}
