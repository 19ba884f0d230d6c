package workflows

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// TestReplayRecordedHistories replays histories recorded from real runs (see e2e's
// TestRecordHistories) against today's workflow code: a change that alters the commands of a
// running port fails here instead of in production.
func TestReplayRecordedHistories(t *testing.T) {
	// testdata/v0: recorded before versionFailurePaths, testdata/v1 before versionNumberLevel,
	// testdata/v2 before versionBulk, testdata/v3 before versionPortOutProtection, testdata/v4 before
	// versionActionCost, testdata/v5 before versionLocalSteps (the ports that were running when each
	// shipped); testdata: recorded with the current version.
	var all []string
	for _, dir := range []string{"", "v0", "v1", "v2", "v3", "v4", "v5"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "no recorded histories in workflows/testdata/%s", dir)
		all = append(all, files...)
	}
	for _, f := range all {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "testdata"+string(filepath.Separator)), ".json")
		t.Run(name, func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			Register(replayer)
			require.NoError(t, replayFile(replayer, f))
		})
	}
}

// replayFile replays a recorded history under its own workflow ID where the commands depend on it
// (a bulk request names its orders' workflows after its own), otherwise under the replayer's.
func replayFile(replayer worker.WorkflowReplayer, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return err
	}
	var opts worker.ReplayWorkflowHistoryOptions
	for _, e := range h.GetEvents() {
		if a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			if id, ok := porting.RequestOfOrder(a.GetWorkflowId()); ok {
				opts.OriginalExecution = workflow.Execution{ID: id}
				break
			}
		}
	}
	return replayer.ReplayWorkflowHistoryWithOptions(nil, h, opts)
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
	err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", "v0", "portin-happy.json"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "TMPRL1100", "the SDK's non-determinism error")
}

// TestReplayKeepsTheRecordedValidation stands in for a library upgrade that reclassifies a number:
// validation that now refuses every request. A port recorded with the current version replays
// unchanged (its validation outcome is in its history); a port recorded before versionFailurePaths,
// which validated in workflow code on every replay, breaks, as it did.
func TestReplayKeepsTheRecordedValidation(t *testing.T) {
	validatePortIn = func(porting.PortInRequest) error {
		return errors.New("numbers[0].e164: not a valid number (reclassified)")
	}
	t.Cleanup(func() { validatePortIn = porting.ValidatePortIn })
	for _, tc := range []struct {
		file   string
		breaks bool
	}{
		{filepath.Join("testdata", "portin-happy.json"), false},
		{filepath.Join("testdata", "v0", "portin-happy.json"), true},
	} {
		replayer := worker.NewWorkflowReplayer()
		Register(replayer)
		err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, tc.file)
		if tc.breaks {
			require.Error(t, err, tc.file)
			require.Contains(t, err.Error(), "TMPRL1100", tc.file)
		} else {
			require.NoError(t, err, tc.file)
		}
	}
}
