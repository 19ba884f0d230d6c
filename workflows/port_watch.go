package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// What watches a port from versionLocalSteps: draining every signal channel in the order the
// signals came, keeping the current details the Temporal UI shows, publishing what a handler changed
// while the port waits, and turning a cancellation of the workflow itself (Temporal UI, `temporal
// workflow cancel`) into a cancel request like the `cancel` signal.
//
// Ports before it ran a coroutine for each of these (the signal hub, the details watcher, the
// cancellation watcher) beside the main one and the groups'. The SDK resumes every coroutine at
// every step of a workflow and walks its stack each time it blocks again, so each one cost every
// step of the port. Now one coroutine watches while the main one validates and settles the
// request's portability (watch), and the main one takes over once the groups run — it only waits
// for them then (runGroups) — so a port of one group runs two coroutines for most of its life.
//
// A signal is never dropped: while the watcher publishes (a local activity) the signals wait in
// their channels and are drained right after, in order. A coroutine about to wait shows the details
// and publishes itself (beforeWait); the watcher does what changed without a wait after it (a note
// a handler added, the end), and the SDK needs no extra pass over the coroutines for the rest.

// watchState is what the watcher keeps.
type watchState struct {
	root         workflow.Context // the workflow's own context, cancelled with the workflow
	cancelSeen   bool
	handedOver   bool // the main coroutine watches (runGroups); the watcher coroutine has ended
	detailsKey   uint64
	detailsShown bool
}

// watching reports whether the port is watched this way.
func (w *port) watching() bool { return w.v >= versionLocalSteps }

// watch starts the watcher coroutine; it ends when the main coroutine takes over (takeOverWatch).
func (w *port) watch(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		if w.watcher.handedOver {
			return // the main coroutine reached the groups before this one first ran (a resumed run)
		}
		w.signals.ctx = ctx
		for {
			if err := workflow.Await(ctx, func() bool { return w.watcher.handedOver || w.watchDue() }); err != nil || w.watcher.handedOver {
				return
			}
			w.watchStep(ctx)
		}
	})
}

// takeOverWatch makes ctx's coroutine (the main one) the watcher: the signals are applied on it.
func (w *port) takeOverWatch(ctx workflow.Context) {
	w.watcher.handedOver = true
	w.signals.ctx = ctx
}

// watchDue reports whether the watcher has something to do.
func (w *port) watchDue() bool {
	return w.signals.sel.HasPending() || w.cancelledInTemporal() || w.detailsStale() || w.dueWhileWaiting()
}

func (w *port) cancelledInTemporal() bool {
	return !w.watcher.cancelSeen && w.watcher.root.Err() != nil
}

// watchStep does what watchDue found.
func (w *port) watchStep(ctx workflow.Context) {
	if w.cancelledInTemporal() {
		w.watcher.cancelSeen = true
		w.acceptTemporalCancel(ctx)
	}
	// Only the coroutine the signals are applied on drains them (a signal that blocked the watcher
	// while the main coroutine took over is the main one's to go on with).
	for w.signals.ctx == ctx && w.signals.sel.HasPending() {
		w.signals.sel.Select(ctx)
	}
	w.showDetails(ctx)
	if w.dueWhileWaiting() {
		w.flush(ctx)
	}
}

// acceptTemporalCancel turns a cancellation of the workflow itself into a cancel request, unless
// one is under way or the port can no longer be cancelled.
func (w *port) acceptTemporalCancel(ctx workflow.Context) {
	if w.cancel == nil && w.cancelRefusal() == "" {
		w.acceptCancel(ctx, porting.Cancel{Reason: "the workflow was cancelled in Temporal", By: "temporal"})
	}
}

// detailsStale reports whether the current details no longer say what details() would.
func (w *port) detailsStale() bool {
	return !w.watcher.detailsShown || w.detailsKey() != w.watcher.detailsKey
}

// showDetails sets the workflow's current details if they changed.
func (w *port) showDetails(ctx workflow.Context) {
	if key := w.detailsKey(); !w.watcher.detailsShown || key != w.watcher.detailsKey {
		workflow.SetCurrentDetails(ctx, w.details())
		w.watcher.detailsKey, w.watcher.detailsShown = key, true
	}
}
