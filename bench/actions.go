package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// Billable actions per port (issue 17, "Performance v2: cost per port"), counted from a workflow's
// history by Temporal Cloud's published rules:
//
//	https://docs.temporal.io/cloud/actions  (docs/evaluate/cloud/actions.mdx in temporalio/documentation:
//	each Action type with the History Event Type it is counted from)
//
// One action each:
//
//   - workflow started: WORKFLOW_EXECUTION_STARTED (client start, and the next run of a
//     Continue-As-New — the docs count Continue-As-New once, and the Cloud UI shows it on the new
//     run's STARTED event, so WORKFLOW_EXECUTION_CONTINUED_AS_NEW itself counts 0 here). A child's own
//     STARTED counts 0: its parent's START_CHILD_WORKFLOW_EXECUTION_INITIATED counts 2, "one for durably
//     storing the intent to start a Child Workflow and one for the attempt to start it" (our reading:
//     the attempt is the child's start; the docs do not name a third action).
//     Signal-With-Start is one action in total (STARTED followed by SIGNALED as event 2).
//   - activity scheduled: ACTIVITY_TASK_SCHEDULED; activity retried: ACTIVITY_TASK_STARTED.attempt − 1
//     (the intermediate attempts are not in history; the last one's number is).
//   - local activities and other markers: "Temporal Cloud counts all RecordMarkers from each Workflow
//     Task as one action" — the MARKER_RECORDED events of one workflow task (the same
//     workflow_task_completed_event_id) are one action, whatever their names: LocalActivity,
//     SideEffect, MutableSideEffect (only recorded when its value changes) and Version (GetVersion) alike;
//     the OSS server's `action` metric (command_BatchMarkers) counts them the same way. Local activity
//     retries: WORKFLOW_TASK_COMPLETED.metering_metadata.nonfirst_local_activity_execution_attempts.
//   - timer started: TIMER_STARTED (implicit timers too: AwaitWithTimeout, activity-less timeouts).
//   - search-attribute upsert: UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, one per command however many attributes;
//     an upsert of TemporalChangeVersion alone (GetVersion's) is exempt, as are attributes given at start.
//   - signal: WORKFLOW_EXECUTION_SIGNALED, from a client or from a workflow. A workflow's signal to
//     another is counted where the Cloud UI shows it, in the signaled history:
//     SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED counts 0.
//   - update: WORKFLOW_EXECUTION_UPDATE_ACCEPTED. A rejected update (its validator refused it) is one
//     action too, but never written to history: outsideHistory.RejectedUpdates.
//   - workflow options updated (WORKFLOW_EXECUTION_OPTIONS_UPDATED), reset (WORKFLOW_TASK_FAILED with
//     cause RESET_WORKFLOW), Nexus operation scheduled or cancel requested.
//
// Not in history, so the caller supplies them (outsideHistory): queries (every query a worker answers,
// the starter's and the simulator's status queries included, except __temporal_workflow_metadata),
// rejected updates, and activity heartbeats that reach the server (the SDK throttles them to one per
// 80% of the heartbeat timeout; the first is sent at once).
//
// Not actions: workflow tasks, activity and timer outcomes, update completions, child completions,
// REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED (not in the list), and memo upserts
// (WORKFLOW_PROPERTIES_MODIFIED): Temporal Cloud's list does not name them. The OSS server's
// `action` metric does count command_ModifyWorkflowProperties, so they are kept apart
// (actionCount.Unbilled) to show what they would add if Cloud billed them.

// The rules, in the order the report lists them.
const (
	ruleStarted      = "workflow started"
	ruleActivity     = "activity scheduled"
	ruleRetry        = "activity retry"
	ruleMarkers      = "marker batch (markers of one workflow task)"
	ruleLocalRetry   = "local activity retry"
	ruleTimer        = "timer started"
	ruleUpsert       = "search-attribute upsert"
	ruleSignal       = "signal received"
	ruleUpdate       = "update accepted"
	ruleChild        = "child workflow started (2 each)"
	ruleOptions      = "workflow options updated"
	ruleReset        = "workflow reset"
	ruleNexus        = "Nexus operation scheduled or cancel requested"
	ruleQuery        = "query (outside history)"
	ruleRejected     = "update rejected (outside history)"
	ruleHeartbeat    = "activity heartbeat (outside history)"
	unbilledMemo     = "memo upsert"
	unbilledVersion  = "TemporalChangeVersion upsert"
	unbilledMarkers  = "markers beyond the first of a workflow task"
	unbilledChildRun = "child run's own start"
	unbilledCAN      = "continue-as-new (counted on the next run's start)"
	unbilledSigOut   = "signal sent to another workflow (counted where received)"
)

var actionRules = []string{ruleStarted, ruleActivity, ruleRetry, ruleMarkers, ruleLocalRetry, ruleTimer, ruleUpsert,
	ruleSignal, ruleUpdate, ruleChild, ruleOptions, ruleReset, ruleNexus, ruleQuery, ruleRejected, ruleHeartbeat}

var unbilledKinds = []string{unbilledMemo, unbilledVersion, unbilledMarkers, unbilledChildRun, unbilledCAN, unbilledSigOut}

// actionCount is a history's billable actions: the total and what each rule contributes.
type actionCount struct {
	Total    int
	ByRule   map[string]int
	Unbilled map[string]int // events the rules leave out, by kind (see the rules above)
	Markers  map[string]int // MARKER_RECORDED events by marker name (they are billed in batches)
}

// outsideHistory is what a history cannot show: the caller counts it.
type outsideHistory struct {
	Queries         int // queries answered by a worker: the driver's (starter, simulator) status queries
	RejectedUpdates int // updates refused by a validator
	Heartbeats      int // activity heartbeats that reached the server
}

// billableActions counts a history's billable actions by Temporal Cloud's rules (above), with
// nothing outside the history: no queries, rejected updates or heartbeats.
func billableActions(h *historypb.History) actionCount {
	return billableActionsWith(h, outsideHistory{})
}

// billableActionsWith counts a history's billable actions plus those the caller counted outside it.
func billableActionsWith(h *historypb.History, out outsideHistory) actionCount {
	c := actionCount{ByRule: map[string]int{}, Unbilled: map[string]int{}, Markers: map[string]int{}}
	add := func(rule string, n int) {
		if n > 0 {
			c.ByRule[rule] += n
			c.Total += n
		}
	}
	markerTasks := map[int64]bool{}
	events := h.GetEvents()
	for i, ev := range events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			if ev.GetWorkflowExecutionStartedEventAttributes().GetParentWorkflowExecution() != nil {
				c.Unbilled[unbilledChildRun]++
			} else {
				add(ruleStarted, 1)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			c.Unbilled[unbilledCAN]++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			add(ruleActivity, 1)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			add(ruleRetry, int(ev.GetActivityTaskStartedEventAttributes().GetAttempt())-1)
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a := ev.GetMarkerRecordedEventAttributes()
			c.Markers[a.GetMarkerName()]++
			if markerTasks[a.GetWorkflowTaskCompletedEventId()] {
				c.Unbilled[unbilledMarkers]++
			} else {
				markerTasks[a.GetWorkflowTaskCompletedEventId()] = true
				add(ruleMarkers, 1)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			add(ruleLocalRetry, int(ev.GetWorkflowTaskCompletedEventAttributes().GetMeteringMetadata().GetNonfirstLocalActivityExecutionAttempts()))
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			add(ruleTimer, 1)
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			if _, ok := fields["TemporalChangeVersion"]; ok && len(fields) == 1 {
				c.Unbilled[unbilledVersion]++
			} else {
				add(ruleUpsert, 1)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
			c.Unbilled[unbilledMemo]++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			// Signal-With-Start: the signal lands right after the start, before the first workflow task
			// is scheduled, and the pair is one action.
			if i == 1 && events[0].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED &&
				events[0].GetWorkflowExecutionStartedEventAttributes().GetParentWorkflowExecution() == nil {
				break
			}
			add(ruleSignal, 1)
		case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
			c.Unbilled[unbilledSigOut]++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			add(ruleUpdate, 1)
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			add(ruleChild, 2)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
			add(ruleOptions, 1)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			if ev.GetWorkflowTaskFailedEventAttributes().GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW {
				add(ruleReset, 1)
			}
		case enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED, enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
			add(ruleNexus, 1)
		}
	}
	add(ruleQuery, out.Queries)
	add(ruleRejected, out.RejectedUpdates)
	add(ruleHeartbeat, out.Heartbeats)
	return c
}

// breakdown lists the rules that contributed, in actionRules' order: "activity scheduled 10, timer started 4, …".
func (c actionCount) breakdown() string {
	var parts []string
	for _, r := range actionRules {
		if n := c.ByRule[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	return strings.Join(parts, ", ")
}

// unbilled lists the events left out, in unbilledKinds' order.
func (c actionCount) unbilled() string {
	var parts []string
	for _, k := range unbilledKinds {
		if n := c.Unbilled[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (c actionCount) String() string {
	return fmt.Sprintf("%d billable actions (%s; markers by name: %s; not billed: %s)",
		c.Total, c.breakdown(), sortedCounts(c.Markers), c.unbilled())
}

// readHistoryJSON reads a history as `temporal workflow show -o json` writes it (workflows/testdata).
func readHistoryJSON(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// actionShape is one port shape of item 8: a recorded history (e2e's TestRecordHistories) and its target.
type actionShape struct {
	file, what string
	target     int // 0: reported, no target
}

var actionShapes = []actionShape{
	{"portin-happy.json", "happy-path port-in (2 numbers, 1 group)", 20},
	{"portin-rejected-once.json", "port-in, 1 LOA rejection round (2 numbers, 1 group)", 26},
	{"portin-rejections-reschedule.json", "port-in, 1 LOA rejection round, then 1 port-date change", 0},
	{"intl-cost-approval.json", "international port-in with cost approval", 0},
	{"portout-mismatch-then-release.json", "port-out, 1 ownership-mismatch round, then released", 0},
}

// Item 8: billable actions per port, from the histories committed in workflows/testdata (no server).
func itemActions(rep *report, root string, o options) error {
	dir := filepath.Join(root, "workflows", "testdata")
	out := outsideHistory{Queries: o.actionQueries}
	for _, s := range actionShapes {
		h, err := readHistoryJSON(filepath.Join(dir, s.file))
		if err != nil {
			return err
		}
		c := billableActionsWith(h, out)
		target, result := "(report)", ""
		if s.target > 0 {
			target, result = fmt.Sprintf("≤ %d", s.target), passIf(c.Total <= s.target)
		}
		rep.add("8", "billable actions per "+s.what, fmt.Sprint(c.Total), target, result, "")
		rep.note("Item 8, %s (workflows/testdata/%s): %s", s.what, s.file, c)
	}
	all, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	var parts []string
	for _, f := range all {
		h, err := readHistoryJSON(f)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimSuffix(filepath.Base(f), ".json"), billableActionsWith(h, out).Total))
	}
	rep.note("Item 8, every recorded history: %s", strings.Join(parts, ", "))
	rep.note("Item 8: Temporal Cloud's rules (https://docs.temporal.io/cloud/actions), counted from each history (bench/actions.go); "+
		"%d status queries per port added (-actions-queries). Not in history and not counted: the driver's other queries "+
		"(the starter's and simulator's status queries are billable), rejected updates, and activity heartbeats "+
		"(ProvisionNumbers sends at least one per attempt). Memo upserts are not billed by Cloud's published list; "+
		"the OSS server's action metric counts them.", o.actionQueries)
	return nil
}
