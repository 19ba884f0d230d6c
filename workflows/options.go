package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
)

// acts is only used to name activity methods; the worker registers the real value.
var acts *activities.Activities

// retryForever retries transient failures (Postgres down, network) with capped backoff; permanent
// failures come back as non-retryable application errors and stop at once.
var retryForever = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

// dbStepTimeout bounds one attempt of a short Postgres step, activity or local activity.
const dbStepTimeout = 30 * time.Second

// withDBActivity is for short Postgres activities.
func withDBActivity(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: dbStepTimeout,
		RetryPolicy:         retryForever,
		Summary:             summary,
	})
}

// withLocalDBActivity is withDBActivity for a short Postgres step run as a local activity (the
// outbox's flush, a port-in's steps from versionLocalSteps).
func withLocalDBActivity(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: dbStepTimeout,
		RetryPolicy:         retryForever,
		Summary:             summary,
	})
}

// withProvisioning is for the rate-limited, heartbeating provisioning of a whole group.
func withProvisioning(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		// Provisioning heartbeats after every batch and while it waits for the instance API's rate
		// limit, so a crashed worker's attempt is retried within 20 s.
		HeartbeatTimeout: 20 * time.Second,
		RetryPolicy:      retryForever,
		Summary:          summary,
	})
}
