package activities_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// The outbox rides with the activities of ports from versionActionCost (issue 17): NotifyAll queues a
// batch, FinishPortRequest queues the end's messages in the transaction that records the end,
// ProvisionNumbers queues what it is handed first thing; each once per key however often it runs.
func TestNotificationsRideWithTheActivities(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme Telecom")
	in := f.record(t, "outbox", nums)
	wf := in.WorkflowID
	note := func(key string) activities.Notification {
		return activities.Notification{Key: key, Kind: key, Recipient: activities.RecipientCustomer, Subject: "s " + key, Body: "b"}
	}

	twiceErr(t, f.db, func() error {
		return f.a.NotifyAll(ctx, activities.NotifyAllInput{WorkflowID: wf, Notifications: []activities.Notification{note("loa-requested"), note("reminder")}})
	})
	ni := f.numbersInput(wf, nums)
	ni.Notifications = []activities.Notification{note("scheduled"), note("reminder")}
	twice(t, f.db, func() (activities.ProvisionResult, error) { return f.a.ProvisionNumbers(ctx, ni) })
	twiceErr(t, f.db, func() error {
		return f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: wf, State: porting.StateCompleted, Notifications: []activities.Notification{note("finished")}})
	})

	var keys []string
	pgtest.Select(t, f.db, &keys, `key`, "notifications", `workflow_id = $1 ORDER BY id`, wf)
	require.Equal(t, []string{"loa-requested", "reminder", "scheduled", "finished"}, keys)
	require.Equal(t, 4, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'notification_queued'`, wf))
}

// A bad notification refuses the whole batch, naming its place and field, and queues nothing; an end
// whose messages are refused is not recorded either (one transaction).
func TestBadNotificationRefusesTheBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.record(t, "outbox-bad", numbers(1, "Acme Telecom"))
	wf := in.WorkflowID
	good := activities.Notification{Key: "k", Kind: "k", Recipient: activities.RecipientCustomer}
	requireAppErr(t, f.a.NotifyAll(ctx, activities.NotifyAllInput{WorkflowID: wf, Notifications: []activities.Notification{good, {Key: "x", Recipient: "customer"}}}),
		activities.ErrInvalidInput, "notifications[1].kind: is required")
	requireAppErr(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: wf, State: porting.StateFailed, Notifications: []activities.Notification{{Kind: "x", Recipient: "customer"}}}),
		activities.ErrInvalidInput, "notifications[0].key: is required")
	require.Equal(t, 0, pgtest.Count(t, f.db, "notifications", `workflow_id = $1`, wf))
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_requests", `workflow_id = $1 AND finished_at IS NULL`, wf))
}

// RecordPortIn with CheckPortability records the request, then asks the gateway, in one activity: the
// answers come back in the request's order and are recorded as CheckPortability records them.
func TestRecordPortInChecksPortability(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme Telecom")
	require.NoError(t, store.AddNonPortableNumber(ctx, f.db, nums[1].E164, "number is disconnected at the losing carrier"))
	in := f.request("record-and-check", nums)
	in.CheckPortability = true
	res := twice(t, f.db, func() (activities.RecordPortInResult, error) { return f.a.RecordPortIn(ctx, in) })
	require.Equal(t, []activities.PortabilityResult{
		{E164: nums[0].E164, Portable: true},
		{E164: nums[1].E164, Portable: false, Reason: "number is disconnected at the losing carrier"},
	}, res.Portability)
	require.Empty(t, res.PortabilityProblem)
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND NOT active AND state = 'not_portable'`, in.WorkflowID))
}
