package workflows

import "go.temporal.io/sdk/workflow"

// A port-in's short Postgres steps (versionLocalSteps): each is one transaction of a few
// milliseconds, idempotent by its keys, so it runs as a local activity in the workflow task that
// reaches it. A step that fails is retried by the worker in that task (retryForever's backoff; a
// wait longer than the SDK's local retry threshold becomes a timer and the step runs again in a
// later task). Should the worker die mid-step, the step runs again on replay: its result is only
// recorded (a LocalActivity marker) when the task completes, which is why every step must be, and
// is, safe to run twice. Operators see the steps in the history as markers with their summaries.

// localSteps says whether this port runs its short steps as local activities.
func (w *port) localSteps() bool { return w.v >= versionLocalSteps && !w.isBulk() }

// step runs one of the port's short Postgres steps: a local activity from versionLocalSteps (not for
// a bulk request's own workflow), an activity before.
func (w *port) step(ctx workflow.Context, summary string, activity any, args ...any) workflow.Future {
	if w.localSteps() {
		return workflow.ExecuteLocalActivity(withLocalDBActivity(ctx, summary), activity, args...)
	}
	return workflow.ExecuteActivity(withDBActivity(ctx, summary), activity, args...)
}
