package workflows

import "go.temporal.io/sdk/workflow"

// Versions of the port workflows' command sequences (workflow.GetVersion). Each port takes its
// version once, as the first thing it does, and keeps it for its whole run: a port that started
// before a change replays and goes on with the behaviour it started with. One change ID carries
// every version (the ID keeps the name of its first change); a new version raises the maximum.
const (
	// changeFailurePaths is the change ID of the port workflows' versions.
	changeFailurePaths = "failure-paths"
	// versionFailurePaths: the failure and change paths (issue 10): validation recorded once,
	// provisioning retried until the port date, every failure compensated, cancel rounds, withdrawn
	// and repeated FOCs, reschedules that move provisioning, carrier and portability expiry, the
	// verification test call retried with the numbers kept live.
	versionFailurePaths workflow.Version = 1
	// versionNumberLevel: number-level porting (issue 12): per-number carrier answers and split
	// groups, supplemental changes (request-port-date, remove-numbers), the port date rule, the CSR
	// pre-check before each LOA version goes to the carrier.
	versionNumberLevel workflow.Version = 2
	// versionBulk: bulk requests (issue 13): a request of more than porting.OrderSize numbers is
	// handled by order workflows (PortOrder), each with the search attributes of its own numbers;
	// every port publishes RequestId.
	versionBulk workflow.Version = 3
	// versionPortOutProtection: port-out protection (issue 14): the customer told of the first
	// winning-carrier request at once, a wrong passcode a rejection of its own (PASSCODE_INVALID),
	// the third one freezing the port-out until operations unfreeze it.
	versionPortOutProtection workflow.Version = 4
	// versionActionCost: cost per port (issue 17). A port-in publishes its search attributes (state,
	// port date, identity) when it is about to wait, in one upsert, not at every transient state; its
	// notifications wait in the workflow's outbox until then and go in one local activity, or with
	// the activity that comes first (provisioning, and the end's FinishPortRequest, in its
	// transaction); the calendar's holidays are recorded once with the validation, so business-day
	// deadlines need no side effect each; the portability check runs in the recording activity; a
	// provisioning that keeps retrying is reported by the activity itself, not by a timer beside it.
	versionActionCost workflow.Version = 5
	// versionLocalSteps: cost per port, the engine's side (issue 17). A port-in's short Postgres
	// steps run as local activities in the workflow task that reaches them, not as activity tasks
	// that each cost the server a dispatch and the port a workflow task more: recording the request,
	// each LOA's submission, activation, the test calls and the end's record (port_steps.go).
	// Provisioning (long, rate-limited, heartbeating) stays an activity, as does everything of a
	// bulk request's own workflow (its recording holds thousands of numbers).
	versionLocalSteps workflow.Version = 6
	// releasedVersion is the newest version production builds run (latestVersion, version_latest.go).
	releasedVersion = versionLocalSteps
	// versionUpgradeDrill, one above, exists only in the upgrade drill's build B (go build -tags
	// upgradedrill, version_upgradedrill.go): a port that starts on it sends operations a summary
	// when it ends, one activity more than build A runs (README "Changing a workflow safely").
	versionUpgradeDrill = releasedVersion + 1
)

// portVersion is the version a port runs (workflow.DefaultVersion for ports started before
// failure-paths).
func portVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, changeFailurePaths, workflow.DefaultVersion, latestVersion)
}
