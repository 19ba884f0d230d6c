package workflows

import "go.temporal.io/sdk/workflow"

// Versions of the port workflows' command sequences (workflow.GetVersion). Each port takes its
// version once, as the first thing it does, and keeps it for its whole run: a port that started
// before a change replays and goes on with the behaviour it started with.
const (
	// changeFailurePaths is the change ID of the failure and change paths (issue 10): validation
	// recorded once, provisioning retried until the port date, every failure compensated, cancel
	// rounds, withdrawn and repeated FOCs, reschedules that move provisioning, carrier and
	// portability expiry, the verification test call retried with the numbers kept live.
	changeFailurePaths = "failure-paths"
	// versionFailurePaths is the version of changeFailurePaths that new ports run.
	versionFailurePaths workflow.Version = 1
)

// portVersion is the version a port runs (workflow.DefaultVersion for ports started before).
func portVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, changeFailurePaths, workflow.DefaultVersion, versionFailurePaths)
}
