package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

func testdataHistory(t *testing.T, name string) *historypb.History {
	t.Helper()
	h, err := readHistoryJSON(filepath.Join("..", "workflows", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestActionsFixtures prints every recorded history's actions (go test ./bench/ -run Actions -v) and
// checks two of them against a count made by hand from their event lists.
func TestActionsFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "workflows", "testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-38s %5s  %s\n", "history", "total", "by rule; not billed")
	for _, f := range files {
		c := billableActions(testdataHistory(t, filepath.Base(f)))
		fmt.Fprintf(&b, "%-38s %5d  %s; not billed: %s\n", strings.TrimSuffix(filepath.Base(f), ".json"), c.Total, c.breakdown(), c.unbilled())
	}
	t.Log(b.String())

	for _, tc := range []struct {
		file     string
		total    int
		byRule   map[string]int
		unbilled map[string]int
	}{
		// v4/portin-happy.json (before versionActionCost), by hand (event IDs):
		//   started 1 (1)
		//   activities scheduled 10 (9 RecordPortIn, 16 CheckPortability, 24 Notify, 36 SubmitLOA, 54 Notify,
		//     62 ProvisionNumbers, 78 ActivateNumbers, 85 VerifyTestCall, 93 FinishPortRequest, 99 Notify);
		//     every ACTIVITY_TASK_STARTED has attempt 1: no retries
		//   markers 6 in 4 workflow tasks: WFT 4 (5 Version, 8 SideEffect), 29 (30), 41 (43, 44), 59 (60) → 4
		//   timers 4 (31, 45, 63, 72)
		//   search-attribute upserts 12 (6 7 15 22 42 51 52 61 71 77 84 91); 6 is TemporalChangeVersion
		//     alone, exempt → 11
		//   updates accepted 2 (35 submit-loa, 50 carrier-response)
		//   memo upserts 3 (23, 53, 92): not billed
		//   1 + 10 + 4 + 4 + 11 + 2 = 32
		{"v4/portin-happy.json", 32,
			map[string]int{ruleStarted: 1, ruleActivity: 10, ruleMarkers: 4, ruleTimer: 4, ruleUpsert: 11, ruleUpdate: 2},
			map[string]int{unbilledMemo: 3, unbilledVersion: 1, unbilledMarkers: 2}},
		// portin-happy.json (versionLocalSteps), by hand (event IDs):
		//   started 1 (1)
		//   activities scheduled 1 (26 ProvisionNumbers with the FOC notification); attempt 1
		//   markers 9 in 3 workflow tasks: WFT 4 (5 Version, 7 and 8 SideEffect: validation, calendar,
		//     9 LocalActivity RecordPortIn, 12 LocalActivity NotifyAll: the LOA request), 16 (18
		//     LocalActivity SubmitLOA), 39 (40 ActivateNumbers, 41 VerifyTestCall, 42 FinishPortRequest,
		//     all LocalActivity) → 3
		//   timers 3 (13 LOA reminder, 20 carrier silence, 35 port date)
		//   search-attribute upserts 5 (6 10 19 33 43); 6 TemporalChangeVersion alone → 4
		//   updates accepted 2 (17 submit-loa, 25 carrier-response)
		//   memo upserts 3 (11, 34, 44): not billed
		//   1 + 1 + 3 + 3 + 4 + 2 = 14
		{"portin-happy.json", 14,
			map[string]int{ruleStarted: 1, ruleActivity: 1, ruleMarkers: 3, ruleTimer: 3, ruleUpsert: 4, ruleUpdate: 2},
			map[string]int{unbilledMemo: 3, unbilledVersion: 1, unbilledMarkers: 6}},
		// v5/portin-happy.json (versionActionCost), by hand (event IDs):
		//   started 1 (1)
		//   activities scheduled 6 (9 RecordPortIn with the portability check, 23 SubmitLOA, 36
		//     ProvisionNumbers with the FOC notification, 50 ActivateNumbers, 56 VerifyTestCall, 62
		//     FinishPortRequest with the end's notification); all attempt 1
		//   markers 4 in 2 workflow tasks: WFT 4 (5 Version, 7 and 8 SideEffect: validation, calendar),
		//     16 (17 LocalActivity NotifyAll: the LOA request) → 2
		//   timers 3 (18 LOA reminder, 30 carrier silence, 45 port date)
		//   search-attribute upserts 5 (6 15 29 43 68); 6 TemporalChangeVersion alone → 4
		//   updates accepted 2 (22 submit-loa, 35 carrier-response)
		//   1 + 6 + 2 + 3 + 4 + 2 = 18
		{"v5/portin-happy.json", 18,
			map[string]int{ruleStarted: 1, ruleActivity: 6, ruleMarkers: 2, ruleTimer: 3, ruleUpsert: 4, ruleUpdate: 2},
			map[string]int{unbilledMemo: 3, unbilledVersion: 1, unbilledMarkers: 2}},
		// portout-mismatch-then-release.json, by hand:
		//   started 1 (1)
		//   activities scheduled 12 (9 RecordPortOut, 17 Notify, 29 Notify, 36 VerifyOwnership, 42 Notify,
		//     58 VerifyOwnership, 67 Notify, 74 Notify, 86 ReleasePortOutNumbers, 92 Notify,
		//     100 FinishPortRequest, 106 Notify); all attempt 1
		//   markers 4 in 3 workflow tasks: WFT 4 (5 Version, 8 SideEffect), 22 (23), 47 (50) → 3
		//   timers 3 (24, 51, 80)
		//   search-attribute upserts 10 (6 7 15 35 48 57 64 65 85 98); 6 TemporalChangeVersion alone → 9
		//   updates accepted 2 (28, 56 winning-carrier-request: the first fails in its handler, after
		//     acceptance, so it is in history and billed)
		//   memo upserts 4 (16, 49, 66, 99): not billed
		//   1 + 12 + 3 + 3 + 9 + 2 = 30
		{"portout-mismatch-then-release.json", 30,
			map[string]int{ruleStarted: 1, ruleActivity: 12, ruleMarkers: 3, ruleTimer: 3, ruleUpsert: 9, ruleUpdate: 2},
			map[string]int{unbilledMemo: 4, unbilledVersion: 1, unbilledMarkers: 1}},
	} {
		c := billableActions(testdataHistory(t, tc.file))
		if c.Total != tc.total || !maps.Equal(c.ByRule, tc.byRule) || !maps.Equal(c.Unbilled, tc.unbilled) {
			t.Errorf("%s: %v\nwant %d: %v, not billed %v", tc.file, c, tc.total, tc.byRule, tc.unbilled)
		}
	}
}

// TestActionsBulkFixtures: a bulk request and its order. The parent pays 2 per child started and 1
// per signal its orders send it; the order's own start and its sends are not billed again.
func TestActionsBulkFixtures(t *testing.T) {
	parent := billableActions(testdataHistory(t, "portin-bulk.json"))
	if parent.ByRule[ruleChild] != 4 || parent.ByRule[ruleSignal] != 12 {
		t.Errorf("portin-bulk: %v; want child workflow started 4 (2 orders), signal received 12", parent)
	}
	order := billableActions(testdataHistory(t, "portin-bulk-order-1.json"))
	if order.ByRule[ruleStarted] != 0 || order.Unbilled[unbilledChildRun] != 1 || order.Unbilled[unbilledSigOut] != 6 || order.ByRule[ruleSignal] != 0 {
		t.Errorf("portin-bulk-order-1: %v; want its start and its 6 signals to the request not billed here", order)
	}
}

// TestActionsRules covers the rules the recorded histories do not exercise.
func TestActionsRules(t *testing.T) {
	ev := func(typ enumspb.EventType, set func(*historypb.HistoryEvent)) *historypb.HistoryEvent {
		e := &historypb.HistoryEvent{EventType: typ}
		if set != nil {
			set(e)
		}
		return e
	}
	marker := func(name string, wft int64) *historypb.HistoryEvent {
		return ev(enumspb.EVENT_TYPE_MARKER_RECORDED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_MarkerRecordedEventAttributes{MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
				MarkerName: name, WorkflowTaskCompletedEventId: wft}}
		})
	}
	upsert := func(keys ...string) *historypb.HistoryEvent {
		fields := map[string]*commonpb.Payload{}
		for _, k := range keys {
			fields[k] = &commonpb.Payload{}
		}
		return ev(enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields}}}
		})
	}
	started := ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{}}
	})
	signaled := ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, nil)
	h := &historypb.History{Events: []*historypb.HistoryEvent{
		started,
		signaled, // Signal-With-Start: one action with the start
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) { // 3 local activity retries
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
				MeteringMetadata: &commonpb.MeteringMetadata{NonfirstLocalActivityExecutionAttempts: 3}}}
		}),
		marker("LocalActivity", 5), marker("LocalActivity", 5), marker("MutableSideEffect", 5), // one batch
		marker("Version", 9), // another workflow task: another batch
		upsert("TemporalChangeVersion"),
		upsert("TemporalChangeVersion", "PortState"),
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, nil),
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: 4}}
		}),
		signaled, // a signal later on
		ev(enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, nil),
		ev(enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, nil),
		ev(enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, nil),
		ev(enumspb.EVENT_TYPE_TIMER_STARTED, nil),
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
				Cause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW}}
		}),
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, nil), // an ordinary failure: not billed
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, nil),
	}}
	c := billableActionsWith(h, outsideHistory{Queries: 5, RejectedUpdates: 1, Heartbeats: 2})
	want := map[string]int{ruleStarted: 1, ruleLocalRetry: 3, ruleMarkers: 2, ruleUpsert: 1, ruleActivity: 1, ruleRetry: 3,
		ruleSignal: 1, ruleChild: 2, ruleUpdate: 1, ruleTimer: 1, ruleReset: 1, ruleQuery: 5, ruleRejected: 1, ruleHeartbeat: 2}
	wantUnbilled := map[string]int{unbilledMarkers: 2, unbilledVersion: 1, unbilledSigOut: 1, unbilledMemo: 1, unbilledCAN: 1}
	if c.Total != 25 || !maps.Equal(c.ByRule, want) || !maps.Equal(c.Unbilled, wantUnbilled) {
		t.Errorf("%v\nwant 25: %v, not billed %v", c, want, wantUnbilled)
	}

	// A child's own run: its start is the parent's (START_CHILD_WORKFLOW_EXECUTION_INITIATED counts 2).
	child := ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			ParentWorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "parent"}}}
	})
	if c := billableActions(&historypb.History{Events: []*historypb.HistoryEvent{child}}); c.Total != 0 || c.Unbilled[unbilledChildRun] != 1 {
		t.Errorf("child run: %v; want 0", c)
	}
}
