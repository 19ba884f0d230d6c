package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// What a port publishes and tells, and when (ports from versionActionCost; issue 17, cost per port).
//
// Temporal Cloud bills every search-attribute upsert and every activity, and on a self-hosted
// cluster each is a visibility write or a task. A port's transient states (checking portability,
// provisioning, activating, verifying) last as long as one activity: an operator listing ports
// learns nothing from them that the port's current details and status query do not say better. So
// a port publishes its search attributes — state, port date and, once, the identity the start did
// not set — in one upsert when it is about to wait (a timer, or the customer, a carrier or
// operations), and when it ends. Its notifications wait in the workflow's outbox until then too:
// they go in one local activity (its marker is billed with the other markers of the workflow task),
// or with the activity that comes first and takes them (provisioning, and at the end
// FinishPortRequest, which queues them in the transaction that records the end). A notification is
// never lost: what a handler queues while the port waits is flushed at once (dueWhileWaiting), and
// what an activity that takes the outbox fails to queue goes back to it.

// deferring reports whether the port publishes and notifies when it is about to wait.
func (w *port) deferring() bool { return w.v >= versionActionCost }

// waitHookKey carries the port into awaitUntil, which calls beforeWait before it starts a timer.
type waitHookKey struct{}

type waitHook interface {
	beforeWait(ctx workflow.Context)
	afterWait()
}

// withWaitHook is ctx with the port's hook for awaitUntil.
func (w *port) withWaitHook(ctx workflow.Context) workflow.Context {
	if !w.deferring() {
		return ctx
	}
	return workflow.WithValue(ctx, waitHookKey{}, waitHook(w))
}

// beforeWait publishes and notifies what is pending: the port is about to wait.
func (w *port) beforeWait(ctx workflow.Context) {
	w.flush(ctx)
	if w.watching() {
		w.showDetails(ctx) // port_watch.go
	}
	w.waiting++
}

func (w *port) afterWait() { w.waiting-- }

// waitFor is workflow.Await for a wait on the outside world that awaitUntil does not cover (no timer).
func (w *port) waitFor(ctx workflow.Context, cond func() bool) error {
	if !w.deferring() {
		return workflow.Await(ctx, cond)
	}
	w.beforeWait(ctx)
	defer w.afterWait()
	return workflow.Await(ctx, cond)
}

// dueWhileWaiting reports whether an update or signal handler changed something while the port
// waits: it is published at once (by the current-details watcher, runPort), so that nothing a
// handler queued waits for the port's next step.
func (w *port) dueWhileWaiting() bool { return w.waiting > 0 && w.pendingPublication() }

// pendingPublication reports whether anything waits to be published or queued.
func (w *port) pendingPublication() bool {
	return len(w.outbox) > 0 || w.state != w.shown.state || !w.identityShown ||
		(!w.searchPortDate.IsZero() && !w.searchPortDate.Equal(w.shown.portDate))
}

// shownAttributes is what the port's search attributes hold.
type shownAttributes struct {
	state    porting.State
	portDate time.Time
}

// flush publishes the search attributes that changed, in one upsert, and queues the outbox.
func (w *port) flush(ctx workflow.Context) {
	w.flushAttributes(ctx)
	w.flushOutbox(ctx)
}

func (w *port) flushAttributes(ctx workflow.Context) {
	var set []temporal.SearchAttributeUpdate
	if !w.identityShown {
		w.identityShown = true
		if s, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(porting.SearchPortState); ok {
			w.shown.state = porting.State(s)
		}
		set = append(set, w.missingIdentity(ctx)...)
	}
	memo := false
	if w.state != w.shown.state {
		w.shown.state = w.state
		set = append(set, porting.SearchPortState.ValueSet(string(w.state)))
		memo = memoMilestone(w.state)
	}
	if !w.searchPortDate.IsZero() && !w.searchPortDate.Equal(w.shown.portDate) {
		w.shown.portDate = w.searchPortDate
		set = append(set, porting.SearchPortDate.ValueSet(w.searchPortDate))
		memo = true
	}
	if len(set) > 0 {
		_ = workflow.UpsertTypedSearchAttributes(ctx, set...)
	}
	if memo {
		_ = workflow.UpsertMemo(ctx, map[string]any{porting.MemoSummary: w.summary()})
	}
}

// flushOutbox queues the pending notifications in one local activity.
func (w *port) flushOutbox(ctx workflow.Context) {
	if len(w.outbox) == 0 {
		return
	}
	ns := w.takeOutbox()
	err := workflow.ExecuteLocalActivity(withLocalDBActivity(ctx, ""), acts.NotifyAll, activities.NotifyAllInput{WorkflowID: w.workflowID, Notifications: ns}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("notifications not queued", "count", len(ns), "first_key", ns[0].Key, "error", err)
	}
}

// takeOutbox hands the pending notifications to an activity that queues them.
func (w *port) takeOutbox() []activities.Notification {
	out := w.outbox
	w.outbox = nil
	return out
}

// returnOutbox puts back what an activity that took the outbox did not queue (it failed): they go
// with the next flush, before anything queued since. Their keys make a second queueing harmless.
func (w *port) returnOutbox(ns []activities.Notification) {
	if len(ns) > 0 {
		w.outbox = append(ns, w.outbox...)
	}
}

// missingIdentity is what the start did not set of the attributes an operator finds a port by
// (upsertMissingIdentity's list, without the state, which flushAttributes publishes itself).
func (w *port) missingIdentity(ctx workflow.Context) []temporal.SearchAttributeUpdate {
	if w.order != nil {
		return nil // an order's identity comes from its start (startOrder)
	}
	numbers, carriers := w.identity()
	return missingIdentity(ctx, w.kind, "", w.req.InstanceARN, w.req.RequestID, carriers, numbers)
}

// closeWithOutbox records a recorded port's end in Postgres, which unlocks its numbers, with the
// customer's message about it and everything else in the outbox, in one transaction.
func (w *port) closeWithOutbox(ctx workflow.Context, end porting.State, subject, reason string) error {
	w.notify(ctx, finishedNotice(end, subject, reason))
	ns := w.takeOutbox()
	err := w.step(ctx, "record the end, unlock numbers, tell the customer", acts.FinishPortRequest,
		activities.FinishInput{WorkflowID: w.workflowID, State: end, Note: reason, Notifications: ns}).Get(ctx, nil)
	if err != nil {
		w.returnOutbox(ns)
		return err
	}
	return nil
}
