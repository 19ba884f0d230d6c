package workflows

// The failure and change paths run on the real activities against a real Postgres: where the rule
// lives in the database (the outbox keys, the limit increase, which rows a release touches), the
// test reads what happened to the numbers, the limit, the carrier outbox and the notifications.

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

const pgWorkflowID = "default-test-workflow-id"

// pgPort is a PortIn on the real activities: the instance of portInRequest with a published
// "Main IVR" flow and the default phone-number limit of 10.
type pgPort struct {
	t   *testing.T
	db  *sqlx.DB
	env *testsuite.TestWorkflowEnvironment
	req porting.PortInRequest
}

// newPGPort is a port of portInRequest whose LOA is sent Mon 23 Nov 10:00 and accepted Tue 24 Nov
// 10:00 for Mon 7 Dec 09:00.
func newPGPort(t *testing.T) *pgPort {
	p := newPGPortOf(t, portInRequest())
	p.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	p.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	return p
}

// newPGPortOf is a port of req on the real activities, nothing delivered yet.
func newPGPortOf(t *testing.T, req porting.PortInRequest) *pgPort {
	db := pgtest.New(t)
	ctx := context.Background()
	_, err := store.AddInstance(ctx, db, store.Instance{ARN: req.InstanceARN})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, db, req.InstanceARN, req.ContactFlow, true))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(monday)
	env.SetTestTimeout(2 * time.Minute)
	Register(env)
	env.RegisterActivity(&activities.Activities{DB: db})
	runOldPaths(env)
	return &pgPort{t: t, db: db, env: env, req: req}
}

func (p *pgPort) at(when time.Time, fn func()) {
	p.env.RegisterDelayedCallback(fn, when.Sub(monday))
}

func (p *pgPort) signal(when time.Time, name string, payload any) {
	p.at(when, func() { p.env.SignalWorkflow(name, payload) })
}

func (p *pgPort) publishFlow(when time.Time, published bool) {
	p.at(when, func() {
		require.NoError(p.t, store.AddContactFlow(context.Background(), p.db, p.req.InstanceARN, p.req.ContactFlow, published))
	})
}

func (p *pgPort) run() porting.PortResult {
	p.env.ExecuteWorkflow(porting.WorkflowPortIn, p.req)
	require.True(p.t, p.env.IsWorkflowCompleted())
	require.NoError(p.t, p.env.GetWorkflowError())
	var res porting.PortResult
	require.NoError(p.t, p.env.GetWorkflowResult(&res))
	return res
}

// count runs a count(*) query.
func (p *pgPort) count(query string, args ...any) int {
	var n int
	require.NoError(p.t, p.db.Get(&n, query, args...))
	return n
}

func (p *pgPort) limit() int {
	var n int
	require.NoError(p.t, p.db.Get(&n, `SELECT phone_number_limit FROM instances WHERE arn = $1`, p.req.InstanceARN))
	return n
}

func (p *pgPort) numbersIn(state string) int {
	return p.count(`SELECT count(*) FROM phone_numbers WHERE port_request = $1 AND state = $2`, pgWorkflowID, state)
}

func (p *pgPort) notifications(kind, recipient string) int {
	return p.count(`SELECT count(*) FROM notifications WHERE workflow_id = $1 AND kind = $2 AND recipient = $3`, pgWorkflowID, kind, recipient)
}

func (p *pgPort) carrierRows(kind string) int {
	return p.count(`SELECT count(*) FROM carrier_submissions WHERE workflow_id = $1 AND kind = $2`, pgWorkflowID, kind)
}

func TestPGFlowUnpublishedAfterAcceptanceFailsAtThePortDateWithNothingStranded(t *testing.T) {
	p := newPGPort(t)
	p.publishFlow(ny(2026, 12, 1, 12, 0), false)

	res := p.run()

	require.Equal(t, porting.StateFailed, res.State)
	require.Zero(t, p.numbersIn("provisioned")+p.numbersIn("active"), "nothing left on the instance")
	require.Equal(t, 10, p.limit(), "no limit increase left behind")
	require.Equal(t, 1, p.carrierRows(store.SubmissionCancel), "the carrier is told to cancel")
	require.Equal(t, 1, p.notifications("provisioning_blocked", activities.RecipientCustomer))
	require.Equal(t, 1, p.notifications("provisioning_blocked", activities.RecipientOperations))
	require.Equal(t, 1, p.notifications("port_failed", activities.RecipientCustomer))
	require.Equal(t, 1, p.notifications("port_failed", activities.RecipientOperations))
	require.Zero(t, p.count(`SELECT count(*) FROM port_request_numbers WHERE active`), "the numbers are unlocked")
	require.Equal(t, "failed", p.portState())
}

func TestPGFlowPublishedAgainBeforeThePortDateCompletes(t *testing.T) {
	p := newPGPort(t)
	p.publishFlow(ny(2026, 12, 1, 12, 0), false)
	p.publishFlow(ny(2026, 12, 4, 11, 15), true) // during the blocked tries of Friday

	res := p.run()

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, 2, p.numbersIn("active"))
	require.Equal(t, 12, p.limit())
	require.Zero(t, p.carrierRows(store.SubmissionCancel))
	require.Equal(t, 1, p.notifications("provisioning_blocked", activities.RecipientCustomer))
	require.Equal(t, 1, p.notifications("provisioning_unblocked", activities.RecipientOperations))
}

func TestPGWithdrawnPortDateAfterProvisioningReleasesNumbersAndLimit(t *testing.T) {
	p := newPGPort(t)
	limitWhileProvisioned := 0
	p.at(ny(2026, 12, 4, 11, 0), func() { limitWhileProvisioned = p.limit() })
	p.signal(ny(2026, 12, 4, 12, 0), porting.SignalCarrierResponse, reject(acmeDID, "FOC withdrawn"))
	p.signal(ny(2026, 12, 4, 13, 0), porting.SignalCancel, porting.Cancel{Reason: "we give up", By: "ada"})

	res := p.run()

	require.Equal(t, porting.StateCancelled, res.State)
	require.Equal(t, 12, limitWhileProvisioned)
	require.Equal(t, 2, p.numbersIn("released"))
	require.Zero(t, p.numbersIn("provisioned"))
	require.Equal(t, 10, p.limit())
	require.Equal(t, 1, p.notifications("port_date_withdrawn", activities.RecipientCustomer))
	require.Equal(t, 1, p.carrierRows(store.SubmissionCancel))
}

func TestPGRescheduleWeeksLaterReleasesAndProvisionsAgain(t *testing.T) {
	p := newPGPort(t)
	p.signal(ny(2026, 12, 4, 12, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 21, 9, 0)))
	var limitBetween, provisionedBetween int
	p.at(ny(2026, 12, 10, 12, 0), func() { limitBetween, provisionedBetween = p.limit(), p.numbersIn("provisioned") })

	res := p.run()

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, 10, limitBetween, "not counted against the limit for the two weeks between")
	require.Zero(t, provisionedBetween)
	require.Equal(t, 2, p.numbersIn("active"))
	require.Equal(t, 2, p.numbersIn("released"), "the first round's rows")
	require.Equal(t, 12, p.limit())
	require.Equal(t, 2, p.count(`SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'numbers_provisioned'`, pgWorkflowID), "one audit row per round")
	require.Equal(t, 1, p.count(`SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'numbers_released'`, pgWorkflowID))
}

func TestPGVerificationNotAnsweredKeepsTheNumbersLive(t *testing.T) {
	p := newPGPort(t)
	p.publishFlow(ny(2026, 12, 5, 12, 0), false) // after provisioning, before the port date

	res := p.run()

	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "not answered")
	require.Equal(t, 2, p.numbersIn("active"), "ported numbers stay live on the instance")
	require.Equal(t, 12, p.limit())
	require.Zero(t, p.carrierRows(store.SubmissionCancel))
	require.Equal(t, 1, p.notifications("verification_failed", activities.RecipientCustomer))
	require.Equal(t, 1, p.notifications("port_failed", activities.RecipientCustomer))
}

func (p *pgPort) portState() string {
	var s string
	require.NoError(p.t, p.db.Get(&s, `SELECT state FROM port_requests WHERE workflow_id = $1`, pgWorkflowID))
	return s
}
