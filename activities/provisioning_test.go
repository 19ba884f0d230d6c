package activities_test

import (
	"context"
	"fmt"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// The whole life of a port, every activity run twice: the second run returns the same and leaves
// exactly the same rows in every table.
func TestEveryActivityRunTwiceLeavesTheSameRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, "Acme Telecom")
	in := f.request("life", nums)
	wf := in.WorkflowID
	group := "Acme Telecom/did"
	ni := f.numbersInput(wf, nums)

	twice(t, f.db, func() (activities.RecordPortInResult, error) { return f.a.RecordPortIn(ctx, in) })
	twice(t, f.db, func() ([]activities.PortabilityResult, error) {
		return f.a.CheckPortability(ctx, activities.PortabilityInput{WorkflowID: wf, Numbers: nums})
	})
	twiceErr(t, f.db, func() error {
		return f.a.Notify(ctx, activities.Notification{WorkflowID: wf, Key: "loa-requested/" + group, Kind: "loa_requested", Recipient: "customer"})
	})
	twice(t, f.db, func() (activities.LOASubmitted, error) {
		return f.a.SubmitLOA(ctx, activities.SubmitLOAInput{WorkflowID: wf, Group: group, Carrier: "Acme Telecom", NumberType: "did",
			Numbers: []string{nums[0].E164, nums[1].E164, nums[2].E164}, Version: 1, LOA: loa()})
	})
	res := twice(t, f.db, func() (activities.ProvisionResult, error) { return f.a.ProvisionNumbers(ctx, ni) })
	require.Equal(t, activities.ProvisionResult{Provisioned: 3, PhoneNumberLimit: 13}, res)
	twiceErr(t, f.db, func() error { return f.a.ActivateNumbers(ctx, ni) })
	v := twice(t, f.db, func() (activities.VerifyResult, error) { return f.a.VerifyTestCall(ctx, ni) })
	require.Equal(t, activities.VerifyResult{Answered: true}, v)
	twiceErr(t, f.db, func() error {
		return f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: wf, State: porting.StateCompleted})
	})

	list, err := store.ListNumbers(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.Len(t, list, 3)
	for _, n := range list {
		require.Equal(t, "active", n.State)
		require.Equal(t, flowMain, n.ContactFlow)
		require.Equal(t, wf, n.PortRequest)
	}
	require.Equal(t, 3, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND NOT active AND state = 'completed'`, wf))
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_requests", `workflow_id = $1 AND state = 'completed' AND finished_at IS NOT NULL`, wf))
	var actions []string
	entries, err := store.AuditLog(ctx, f.db, wf)
	require.NoError(t, err)
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"port_in_recorded", "portability_checked", "notification_queued", "loa_submitted",
		"phone_number_limit_raised", "numbers_provisioned", "numbers_activated", "port_finished"}, actions)
}

func TestProvisionNumbersRespectsTheInstanceRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.a.ProvisionBatchSize = 1
	nums := numbers(9, "Acme")
	in := f.record(t, "rate", nums)
	start := time.Now()
	res, err := f.a.ProvisionNumbers(ctx, f.numbersInput(in.WorkflowID, nums))
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, 9, res.Provisioned)
	// 9 requests at 2/s with a burst of 5: the last 4 wait 0.5 s each.
	require.GreaterOrEqual(t, elapsed, 2*time.Second)
	require.Less(t, elapsed, 10*time.Second)
}

func TestProvisionNumbersBatchesAndFinishesAfterPartialProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.a.ProvisionBatchSize = 2
	nums := numbers(12, "Acme")
	in := f.record(t, "partial", nums)
	ni := f.numbersInput(in.WorkflowID, nums)

	// The first attempt runs out of time once the burst (5 requests = 10 numbers) is spent: the 6th
	// request could go only 0.5 s after the first.
	short, cancel := context.WithTimeout(ctx, 450*time.Millisecond)
	defer cancel()
	_, err := f.a.ProvisionNumbers(short, ni)
	require.Error(t, err)
	partial := pgtest.Count(t, f.db, "phone_numbers", `port_request = $1`, in.WorkflowID)
	require.Less(t, partial, 12)
	t.Logf("first attempt provisioned %d of 12", partial)
	require.Equal(t, 22, f.limit(t), "the limit is raised once, up front")

	res, err := f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	require.Equal(t, activities.ProvisionResult{Provisioned: 12, PhoneNumberLimit: 22}, res)
	require.Equal(t, 12, pgtest.Count(t, f.db, "phone_numbers", `port_request = $1 AND state = 'provisioned' AND contact_flow = $2`, in.WorkflowID, flowMain))
	require.Equal(t, 12, pgtest.Int(t, f.db, `count(DISTINCT e164)`, "phone_numbers", ``))
	require.Equal(t, 1, pgtest.Count(t, f.db, "limit_increases", ``))
}

func TestProvisionNumbersHeartbeatsInsideAnActivity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.a.ProvisionBatchSize = 2
	nums := numbers(5, "Acme")
	in := f.record(t, "heartbeat", nums)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(f.a)
	val, err := env.ExecuteActivity(f.a.ProvisionNumbers, f.numbersInput(in.WorkflowID, nums))
	require.NoError(t, err)
	var res activities.ProvisionResult
	require.NoError(t, val.Get(&res))
	require.Equal(t, activities.ProvisionResult{Provisioned: 5, PhoneNumberLimit: 15}, res)
}

func TestProvisionNumbersRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme")
	in := f.record(t, "prov-refused", nums)
	ni := f.numbersInput(in.WorkflowID, nums)

	require.NoError(t, store.AddContactFlow(ctx, f.db, f.arn, flowMain, false)) // unpublished meanwhile
	before := snapshot(t, f.db)
	_, err := f.a.ProvisionNumbers(ctx, ni)
	requireAppErr(t, err, activities.ErrContactFlowNotPublished, `contact_flow: contact flow "Main" of instance `+f.arn+` is not published`)
	require.Equal(t, before, snapshot(t, f.db))

	gone := ni
	gone.ContactFlow = "Deleted"
	_, err = f.a.ProvisionNumbers(ctx, gone)
	requireAppErr(t, err, activities.ErrContactFlowNotPublished, `contact_flow: contact flow "Deleted" does not exist on instance`)

	require.NoError(t, store.PublishContactFlow(ctx, f.db, f.arn, flowMain))
	other := f.instance(t, "us-west-2")
	// Someone claims one of the numbers for another instance (the port unlocked it by ending).
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateFailed}))
	require.NoError(t, store.ClaimNumber(ctx, f.db, other, nums[1].E164, "did", ""))
	_, err = f.a.ProvisionNumbers(ctx, ni)
	requireAppErr(t, err, activities.ErrNumberAlreadyInInstance,
		fmt.Sprintf("numbers[1].e164: %s is already held by instance %s (state active, claimed directly)", nums[1].E164, other))
	require.Equal(t, 10, f.limit(t), "no limit increase for a refused provisioning")
}

func TestActivateNumbersNeedsProvisionedNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme")
	in := f.record(t, "activate", nums)
	ni := f.numbersInput(in.WorkflowID, nums)
	before := snapshot(t, f.db)
	err := f.a.ActivateNumbers(ctx, ni)
	requireAppErr(t, err, activities.ErrNumberNotProvisioned, fmt.Sprintf("numbers[0].e164: %s is not provisioned on instance %s", nums[0].E164, f.arn))
	require.Equal(t, before, snapshot(t, f.db))

	_, err = f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	twiceErr(t, f.db, func() error { return f.a.ActivateNumbers(ctx, ni) })
	require.Equal(t, 2, pgtest.Count(t, f.db, "phone_numbers", `port_request = $1 AND state = 'active'`, in.WorkflowID))
}

func TestVerifyTestCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme")
	in := f.record(t, "verify", nums)
	ni := f.numbersInput(in.WorkflowID, nums)

	v, err := f.a.VerifyTestCall(ctx, ni)
	require.NoError(t, err)
	require.False(t, v.Answered)
	require.Contains(t, v.Reason, nums[0].E164+" is not on instance "+f.arn)

	_, err = f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	v, err = f.a.VerifyTestCall(ctx, ni)
	require.NoError(t, err)
	require.False(t, v.Answered)
	require.Contains(t, v.Reason, nums[1].E164+" is provisioned, not active")

	require.NoError(t, f.a.ActivateNumbers(ctx, ni))
	require.NoError(t, store.AddContactFlow(ctx, f.db, f.arn, flowMain, false))
	v, err = f.a.VerifyTestCall(ctx, ni)
	require.NoError(t, err)
	require.False(t, v.Answered)
	require.Contains(t, v.Reason, `is mapped to contact flow "Main", which is not published`)

	require.NoError(t, store.PublishContactFlow(ctx, f.db, f.arn, flowMain))
	v, err = f.a.VerifyTestCall(ctx, ni)
	require.NoError(t, err)
	require.Equal(t, activities.VerifyResult{Answered: true}, v)
}

func TestReleaseNumbersReversesTheLimitIncreaseOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(4, "Acme")
	in := f.record(t, "release", nums)
	ni := f.numbersInput(in.WorkflowID, nums)
	res, err := f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	require.Equal(t, 14, res.PhoneNumberLimit)

	ni.Reason = "cancelled by the customer"
	twiceErr(t, f.db, func() error { return f.a.ReleaseNumbers(ctx, ni) })
	require.Equal(t, 10, f.limit(t), "the increase is reversed exactly once")
	require.Zero(t, pgtest.Count(t, f.db, "limit_increases", ``))
	require.Equal(t, 4, pgtest.Count(t, f.db, "phone_numbers", `port_request = $1 AND state = 'released' AND contact_flow IS NULL`, in.WorkflowID))
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `action = 'numbers_released'`))

	// Released numbers no longer count against the limit nor block other holders.
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateCancelled}))
	require.NoError(t, store.ClaimNumber(ctx, f.db, f.arn, nums[0].E164, "did", flowMain))
}

func TestFinishPortRequestUnlocksNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme")
	in := f.record(t, "finish", nums)
	_, err := f.a.RecordPortIn(ctx, f.request("finish-2", nums))
	requireAppErr(t, err, activities.ErrNumberAlreadyPorting, "(port-in-finish)")

	twiceErr(t, f.db, func() error {
		return f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateCancelled, Note: "by support"})
	})
	// A different end later does not overwrite the first.
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateFailed}))
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_requests", `workflow_id = $1 AND state = 'cancelled'`, in.WorkflowID))
	f.record(t, "finish-2", nums)

	// Finishing a port that was never recorded only audits.
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: "port-in-never", State: porting.StateFailed}))
	requireAppErr(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: "port-in-never", State: porting.StateScheduled}),
		activities.ErrInvalidInput, `state: must be an end state`)
}

// The phone-number limit is enforced by ProvisionNumbers: the port's increase makes room for its own
// numbers only, so an instance whose base limit was lowered below what it holds cannot take them.
// Nothing is added and the increase is not kept.
func TestProvisionNumbersRefusesAboveThePhoneNumberLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.claim(t, 3)
	nums := numbers(2, "Acme Telecom")
	in := f.record(t, "over-limit", nums)
	_, err := store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, PhoneNumberLimit: 2}) // below the 3 held
	require.NoError(t, err)

	before := snapshot(t, f.db)
	_, err = f.a.ProvisionNumbers(ctx, f.numbersInput(in.WorkflowID, nums))
	requireAppErr(t, err, activities.ErrPhoneNumberLimit, fmt.Sprintf(
		"instance_arn: instance %s would hold 5 numbers with this group's 2, above its phone-number limit of 4 (the port's increase included)", f.arn))
	require.Equal(t, before, snapshot(t, f.db), "nothing added, no increase kept")

	// With room again, the same call goes through.
	_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, PhoneNumberLimit: 3})
	require.NoError(t, err)
	res, err := f.a.ProvisionNumbers(ctx, f.numbersInput(in.WorkflowID, nums))
	require.NoError(t, err)
	require.Equal(t, activities.ProvisionResult{Provisioned: 2, PhoneNumberLimit: 5}, res)
}

// A claim cannot take the room a port's increase reserved for its numbers before they are added
// (ProvisionNumbers raises the limit first, then adds the numbers in batches).
func TestClaimNumberDoesNotTakeAPortsReservedRoom(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.claim(t, 10) // at the base limit
	nums := numbers(2, "Acme Telecom")
	in := f.record(t, "reserved", nums)
	// What ProvisionNumbers' first transaction does, before its batches.
	pgtest.Insert(t, f.db, "limit_increases", map[string]any{"workflow_id": in.WorkflowID, "group": "Acme Telecom/did", "instance_arn": f.arn, "amount": 2})
	pgtest.Set(t, f.db, "instances", "phone_number_limit = phone_number_limit + 2", "arn = $1", f.arn)

	err := store.ClaimNumber(ctx, f.db, f.arn, numbers(1, "")[0].E164, "did", "")
	require.ErrorContains(t, err, "is at its phone-number limit of 12 (numbers held and reserved by ports in progress)")
	_, err = f.a.ProvisionNumbers(ctx, f.numbersInput(in.WorkflowID, nums))
	require.NoError(t, err, "the port's numbers still fit")
}
