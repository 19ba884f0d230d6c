package workflows

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// TestReplayRecordedHistories replays histories recorded from real runs (see e2e's
// TestRecordHistories) against today's workflow code: a change that alters the commands of a
// running port fails here instead of in production.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in workflows/testdata")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			Register(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// portInReordered is PortIn with one command moved, as an unversioned edit would do.
func portInReordered(ctx workflow.Context, req porting.PortInRequest) (porting.PortResult, error) {
	var results []activities.PortabilityResult
	_ = workflow.ExecuteActivity(withDBActivity(ctx, "check portability first"), acts.CheckPortability,
		activities.PortabilityInput{WorkflowID: "x", Numbers: req.Numbers}).Get(ctx, &results)
	return PortIn(ctx, req)
}

// TestReplayCatchesAnUnversionedChange is the guard: the same history replayed against a workflow
// whose command order changed without workflow.GetVersion must fail.
func TestReplayCatchesAnUnversionedChange(t *testing.T) {
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(portInReordered, workflow.RegisterOptions{Name: porting.WorkflowPortIn})
	err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", "portin-happy.json"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "TMPRL1100", "the SDK's non-determinism error")
}
