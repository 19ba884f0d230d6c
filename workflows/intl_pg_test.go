package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// TestIntlCostDeclinedLeavesNoCarrierSubmissionInPostgres runs the workflow in the time-skipping
// environment with the real activities on a real Postgres: a declined cost cancels the request,
// and no port request (or anything else) ever reached the carrier outbox.
func TestIntlCostDeclinedLeavesNoCarrierSubmissionInPostgres(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	start := uk(2026, 11, 23, 9, 0)
	req := gbRequest(start)
	_, err := store.AddInstance(ctx, db, store.Instance{ARN: req.InstanceARN})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, db, req.InstanceARN, req.ContactFlow, true))

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	Register(env)
	env.RegisterActivity(&activities.Activities{DB: db})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(porting.SignalPortabilityResult, portableWithCost(400))
	}, 26*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(porting.SignalApproveCost, porting.ApproveCost{Approved: false, By: "bea@example.co.uk"})
	}, 50*time.Hour)

	env.ExecuteWorkflow(porting.WorkflowInternationalPortIn, req)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res porting.PortResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, porting.StateCancelled, res.State)

	var submissions, checks, locked int
	require.NoError(t, db.Get(&submissions, `SELECT count(*) FROM carrier_submissions`))
	require.NoError(t, db.Get(&checks, `SELECT count(*) FROM portability_checks WHERE workflow_id = 'default-test-workflow-id'`))
	require.NoError(t, db.Get(&locked, `SELECT count(*) FROM port_request_numbers WHERE active`))
	require.Zero(t, submissions, "nothing was sent to a carrier")
	require.Equal(t, 1, checks, "the partner carriers were asked once")
	require.Zero(t, locked, "the numbers are unlocked")
	var state string
	require.NoError(t, db.Get(&state, `SELECT state FROM port_requests`))
	require.Equal(t, string(porting.StateCancelled), state)
	var declined int
	require.NoError(t, db.Get(&declined, `SELECT count(*) FROM audit_log WHERE action = 'cost_declined'`))
	require.Equal(t, 1, declined)
}
