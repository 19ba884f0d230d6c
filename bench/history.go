package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"
)

// fetchHistory reads a workflow's whole history from the server.
func (e *env) fetchHistory(ctx context.Context, workflowID string) (*historypb.History, error) {
	it := e.client.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// historyShape counts what a history holds.
type historyShape struct {
	Events int
	Bytes  int // proto size of the History message
	ByType map[string]int
	// Activities by activity type; timers started; updates accepted by name; signals by name.
	Activities map[string]int
	Timers     int
	Updates    map[string]int
	Signals    map[string]int
	// Actions: billable actions by Temporal Cloud's rules (actions.go), from the history alone.
	Actions actionCount
}

func shapeOf(h *historypb.History) historyShape {
	s := historyShape{
		Events: len(h.Events), Bytes: proto.Size(h),
		ByType: map[string]int{}, Activities: map[string]int{}, Updates: map[string]int{}, Signals: map[string]int{},
		Actions: billableActions(h),
	}
	for _, ev := range h.Events {
		t := strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_")
		s.ByType[t]++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			s.Activities[ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()]++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			s.Timers++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			s.Updates[ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()]++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			s.Signals[ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()]++
		}
	}
	return s
}

func (s historyShape) activityCount() int {
	n := 0
	for _, c := range s.Activities {
		n += c
	}
	return n
}

func (s historyShape) updateCount() int {
	n := 0
	for _, c := range s.Updates {
		n += c
	}
	return n
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func (s historyShape) String() string {
	return fmt.Sprintf("%d events, %d bytes; activities %d (%s); timers %d; updates %d (%s); billable actions %d",
		s.Events, s.Bytes, s.activityCount(), sortedCounts(s.Activities), s.Timers, s.updateCount(), sortedCounts(s.Updates), s.Actions.Total)
}

// detailed adds the count of every event type.
func (s historyShape) detailed() string {
	return s.String() + "; events by type: " + sortedCounts(s.ByType) + "; actions: " + s.Actions.String()
}
