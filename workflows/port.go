package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// PortIn moves US/Canada (+1) numbers from their current carriers into a customer's instance
// (DESIGN §1): validation, portability check, one LOA per (carrier, number type) group with any
// number of rejection rounds, provisioning one business day before the carrier's port date,
// activation and a verification test call on the day. Groups progress independently; the
// request's state is that of its least advanced open group.
func PortIn(ctx workflow.Context, req porting.PortInRequest) (porting.PortResult, error) {
	w := newPortIn(ctx, req)
	// All work runs on a disconnected context: a cancellation of the workflow itself (Temporal UI,
	// `temporal workflow cancel`) becomes a cancel request like the `cancel` signal, and the
	// compensation (release what was provisioned, tell the carrier) can still run.
	work, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(work, func(c workflow.Context) {
		workflow.NewSelector(c).AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
			if w.cancel == nil && w.cancelRefusal() == "" {
				w.acceptCancel(c, porting.Cancel{Reason: "the workflow was cancelled in Temporal", By: "temporal"})
			}
		}).Select(c)
	})
	if err := w.setup(work); err != nil {
		return porting.PortResult{}, err
	}
	return w.run(work)
}

// portIn is the state of one PortIn workflow. Handlers and the group coroutines share it; the
// workflow runs one coroutine at a time, so no locking is needed.
type portIn struct {
	req        porting.PortInRequest
	workflowID string
	deadlines  porting.Deadlines
	clock      businessClock
	tz         string

	state   porting.State
	reason  string
	numbers []*numberState
	groups  []*group
	history []porting.HistoryEntry

	validated  bool
	validation porting.ValidationOutcome

	cancel *porting.Cancel // set once when a cancellation is accepted

	searchPortDate time.Time
}

type numberState struct {
	porting.PortNumber
	state  porting.State
	reason string
	group  string
}

func newPortIn(ctx workflow.Context, req porting.PortInRequest) *portIn {
	return &portIn{
		req:        req,
		workflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		deadlines:  req.Deadlines.WithDefaults(),
		state:      porting.StateValidating,
	}
}

func (w *portIn) run(ctx workflow.Context) (porting.PortResult, error) {
	w.note(ctx, porting.StateValidating, fmt.Sprintf("port-in of %d number(s) to %s requested", len(w.req.Numbers), w.req.InstanceARN))
	w.upsertIdentity(ctx)

	if err := w.validate(ctx); err != nil {
		return w.finish(ctx, porting.StateFailed, err.Error())
	}
	if w.cancel != nil {
		return w.finish(ctx, porting.StateCancelled, w.cancelNote())
	}

	w.setState(ctx, porting.StateCheckingPortability, "checking portability with the current carriers")
	portable, err := w.checkPortability(ctx)
	if err != nil {
		return w.finish(ctx, porting.StateFailed, "portability check failed: "+err.Error())
	}
	if len(portable) == 0 {
		return w.finish(ctx, porting.StateNotPortable, "none of the numbers can be ported")
	}
	if w.cancel != nil {
		return w.finish(ctx, porting.StateCancelled, w.cancelNote())
	}

	w.groups = buildGroups(portable)
	for _, g := range w.groups {
		g.state = porting.StateAwaitingLOA
		g.customerClock = workflow.Now(ctx)
		for _, n := range g.numbers {
			w.number(n.E164).group = g.name
		}
	}
	w.setState(ctx, porting.StateAwaitingLOA, fmt.Sprintf("awaiting %d LOA(s): %s", len(w.groups), strings.Join(w.groupNames(), ", ")))

	for _, g := range w.groups {
		g := g
		workflow.Go(ctx, func(ctx workflow.Context) { w.runGroup(ctx, g) })
	}
	if err := workflow.Await(ctx, w.allGroupsEnded); err != nil {
		return porting.PortResult{}, err
	}
	end, note := w.outcome()
	return w.finish(ctx, end, note)
}

// validate runs the request's own checks, then the database's (instance, flow, inventory, other
// ports), which also records the request and locks its numbers.
func (w *portIn) validate(ctx workflow.Context) error {
	err := porting.ValidatePortIn(w.req)
	if err == nil {
		var ref porting.InstanceRef
		ref, _ = porting.ParseInstanceARN(w.req.InstanceARN)
		w.tz, _ = porting.RegionTimeZone(ref.Region)
		var cal *porting.BusinessCalendar
		if cal, err = porting.NewBusinessCalendar("US", w.tz); err == nil {
			w.clock = businessClock{cal: cal}
		}
	}
	if err == nil {
		var res activities.RecordPortInResult
		err = workflow.ExecuteActivity(withDBActivity(ctx, "record request and lock numbers"), acts.RecordPortIn,
			activities.RecordPortInInput{WorkflowID: w.workflowID, Request: w.req}).Get(ctx, &res)
		err = plainError(err)
	}
	w.validated = true
	if err != nil {
		w.validation = porting.ValidationOutcome{Accepted: false, State: porting.StateFailed, Reason: err.Error()}
		return err
	}
	w.validation = porting.ValidationOutcome{Accepted: true, State: porting.StateCheckingPortability}
	w.numbers = make([]*numberState, len(w.req.Numbers))
	for i, n := range w.req.Numbers {
		w.numbers[i] = &numberState{PortNumber: n, state: porting.StateCheckingPortability}
	}
	return nil
}

func (w *portIn) checkPortability(ctx workflow.Context) ([]porting.PortNumber, error) {
	var results []activities.PortabilityResult
	err := workflow.ExecuteActivity(withDBActivity(ctx, "check portability"), acts.CheckPortability,
		activities.PortabilityInput{WorkflowID: w.workflowID, Numbers: w.req.Numbers}).Get(ctx, &results)
	if err != nil {
		return nil, plainError(err)
	}
	byNumber := make(map[string]activities.PortabilityResult, len(results))
	for _, r := range results {
		byNumber[r.E164] = r
	}
	var portable []porting.PortNumber
	var refused []string
	for _, n := range w.numbers {
		r, ok := byNumber[n.E164]
		if ok && r.Portable {
			n.state = porting.StateAwaitingLOA
			portable = append(portable, n.PortNumber)
			continue
		}
		n.state, n.reason = porting.StateNotPortable, r.Reason
		if !ok {
			n.reason = "the carrier gave no answer for this number"
		}
		refused = append(refused, fmt.Sprintf("%s (%s)", n.E164, n.reason))
	}
	if len(refused) > 0 {
		w.note(ctx, w.state, "not portable: "+strings.Join(refused, ", "))
		w.notify(ctx, activities.Notification{
			Key: "not-portable", Kind: "not_portable", Recipient: activities.RecipientCustomer,
			Subject: fmt.Sprintf("%d number(s) cannot be ported", len(refused)),
			Body:    "These numbers cannot be ported: " + strings.Join(refused, "; "),
		})
	}
	return portable, nil
}

// finish records the end in Postgres (unlocking the numbers), tells the customer and returns.
func (w *portIn) finish(ctx workflow.Context, end porting.State, reason string) (porting.PortResult, error) {
	w.reason = reason
	if !w.validated {
		w.validated = true
		w.validation = porting.ValidationOutcome{State: end, Reason: reason}
	}
	w.setState(ctx, end, reason)
	for _, n := range w.numbers {
		if !n.state.IsEnd() {
			n.state = end
		}
	}
	// A request the database refused was never recorded: there is nothing to finish or tell.
	if w.validation.Accepted {
		err := workflow.ExecuteActivity(withDBActivity(ctx, "record the end and unlock numbers"), acts.FinishPortRequest,
			activities.FinishInput{WorkflowID: w.workflowID, State: end, Note: reason}).Get(ctx, nil)
		if err != nil {
			return porting.PortResult{}, err
		}
		w.notify(ctx, activities.Notification{
			Key: "finished", Kind: string(end), Recipient: activities.RecipientCustomer,
			Subject: fmt.Sprintf("Port request %s: %s", w.req.RequestID, end),
			Body:    reason,
		})
	}
	// Let in-flight update handlers answer before the workflow closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return porting.PortResult{RequestID: w.req.RequestID, State: end, Reason: reason, Numbers: w.numberStatuses()}, nil
}

// outcome is the request's end once every group has ended.
func (w *portIn) outcome() (porting.State, string) {
	count := map[porting.State]int{}
	for _, g := range w.groups {
		count[g.state]++
	}
	switch {
	case count[porting.StateCompleted] == len(w.groups):
		return porting.StateCompleted, fmt.Sprintf("%d number(s) ported and verified", w.countNumbers(porting.StateCompleted))
	case count[porting.StateFailed] > 0:
		return porting.StateFailed, w.groupSummary()
	case count[porting.StateCompleted] > 0:
		return porting.StateCompleted, "partly completed: " + w.groupSummary()
	default:
		return porting.StateCancelled, w.groupSummary()
	}
}

func (w *portIn) groupSummary() string {
	parts := make([]string, len(w.groups))
	for i, g := range w.groups {
		parts[i] = fmt.Sprintf("%s %s", g.name, g.state)
		if g.lastReason != "" && g.state != porting.StateCompleted {
			parts[i] += " (" + g.lastReason + ")"
		}
	}
	return strings.Join(parts, "; ")
}

func (w *portIn) allGroupsEnded() bool {
	for _, g := range w.groups {
		if !g.state.IsEnd() {
			return false
		}
	}
	return true
}

// refreshState sets the request's state to that of its least advanced open group.
func (w *portIn) refreshState(ctx workflow.Context) {
	least := porting.State("")
	for _, g := range w.groups {
		if g.state.IsEnd() {
			continue
		}
		if least == "" || g.state.Progress() < least.Progress() {
			least = g.state
		}
	}
	if least != "" {
		w.publishState(ctx, least)
	}
	w.upsertPortDate(ctx)
}

// setState records a request-level state change in the history and the search attributes.
func (w *portIn) setState(ctx workflow.Context, s porting.State, note string) {
	w.note(ctx, s, note)
	w.publishState(ctx, s)
}

// publishState sets the request's state and publishes it to the PortState search attribute.
func (w *portIn) publishState(ctx workflow.Context, s porting.State) {
	if s == w.state {
		return
	}
	w.state = s
	_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortState.ValueSet(string(s)))
}

func (w *portIn) note(ctx workflow.Context, s porting.State, note string) {
	w.history = append(w.history, porting.HistoryEntry{At: workflow.Now(ctx).UTC(), State: s, Note: note})
	workflow.GetLogger(ctx).Info("port-in", "state", string(s), "note", note, "request_id", w.req.RequestID)
}

// upsertIdentity publishes the attributes an operator searches by; the starter sets them at start
// too, but a port started by another client must be findable as well.
func (w *portIn) upsertIdentity(ctx workflow.Context) {
	numbers := make([]string, 0, len(w.req.Numbers))
	carriers := []string{}
	seen := map[string]bool{}
	for _, n := range w.req.Numbers {
		numbers = append(numbers, n.E164)
		if !seen[n.Carrier] {
			seen[n.Carrier] = true
			carriers = append(carriers, n.Carrier)
		}
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx,
		porting.SearchPortKind.ValueSet(porting.KindPortIn),
		porting.SearchPortState.ValueSet(string(w.state)),
		porting.SearchInstanceArn.ValueSet(w.req.InstanceARN),
		porting.SearchCarrier.ValueSet(carriers),
		porting.SearchPhoneNumbers.ValueSet(numbers),
	)
}

// upsertPortDate publishes the earliest port date of the open groups.
func (w *portIn) upsertPortDate(ctx workflow.Context) {
	var next time.Time
	for _, g := range w.groups {
		if g.portDate != nil && !g.state.IsEnd() {
			next = earliest(next, *g.portDate)
		}
	}
	if next.IsZero() || next.Equal(w.searchPortDate) {
		return
	}
	w.searchPortDate = next
	_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortDate.ValueSet(next))
}

// notify puts a message in the outbox; its key makes a retry or replay send it once.
func (w *portIn) notify(ctx workflow.Context, n activities.Notification) {
	n.WorkflowID = w.workflowID
	err := workflow.ExecuteActivity(withDBActivity(ctx, "notify "+n.Recipient+": "+n.Kind), acts.Notify, n).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("notification not queued", "key", n.Key, "error", err)
	}
}

func (w *portIn) cancelNote() string {
	return fmt.Sprintf("cancelled by %s: %s", w.cancel.By, w.cancel.Reason)
}

func (w *portIn) number(e164 string) *numberState {
	for _, n := range w.numbers {
		if n.E164 == e164 {
			return n
		}
	}
	return &numberState{}
}

func (w *portIn) countNumbers(s porting.State) int {
	c := 0
	for _, n := range w.numbers {
		if n.state == s {
			c++
		}
	}
	return c
}

func (w *portIn) groupNames() []string {
	names := make([]string, len(w.groups))
	for i, g := range w.groups {
		names[i] = g.name
	}
	return names
}

func (w *portIn) findGroup(name string) *group {
	for _, g := range w.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

// buildGroups splits the numbers into one group per (carrier, number type), in request order.
func buildGroups(numbers []porting.PortNumber) []*group {
	var groups []*group
	index := map[string]*group{}
	for _, n := range numbers {
		name := porting.GroupName(n.Carrier, n.Type)
		g, ok := index[name]
		if !ok {
			g = &group{name: name, carrier: n.Carrier, numberType: n.Type}
			index[name] = g
			groups = append(groups, g)
		}
		g.numbers = append(g.numbers, n)
	}
	return groups
}

// plainError turns an activity failure into the error support staff should read: the
// application error's own message, without the SDK's wrapping.
func plainError(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return errors.New(app.Error())
	}
	return err
}

func (w *portIn) numberStatuses() []porting.NumberStatus {
	if w.numbers == nil {
		out := make([]porting.NumberStatus, len(w.req.Numbers))
		for i, n := range w.req.Numbers {
			out[i] = porting.NumberStatus{E164: n.E164, State: w.state, Reason: w.reason}
		}
		return out
	}
	out := make([]porting.NumberStatus, len(w.numbers))
	for i, n := range w.numbers {
		out[i] = porting.NumberStatus{E164: n.E164, State: n.state, Reason: n.reason, Group: n.group}
	}
	return out
}

func (w *portIn) status() porting.Status {
	s := porting.Status{
		RequestID:   w.req.RequestID,
		Kind:        porting.KindPortIn,
		State:       w.state,
		Numbers:     w.numberStatuses(),
		Groups:      make([]porting.GroupStatus, 0, len(w.groups)),
		TimeZone:    w.tz,
		InstanceARN: w.req.InstanceARN,
		History:     w.history,
	}
	var next time.Time
	nextKind := ""
	for _, g := range w.groups {
		gs := porting.GroupStatus{
			Group: g.name, State: g.state, LOAVersion: g.loaVersion, PortDate: g.portDate,
			Rounds: g.rounds, LastReason: g.lastReason,
		}
		if !g.nextDeadline.IsZero() && !g.state.IsEnd() {
			d := g.nextDeadline
			gs.NextDeadline, gs.NextDeadlineKind = &d, g.nextDeadlineKind
			if next.IsZero() || d.Before(next) {
				next, nextKind = d, g.nextDeadlineKind
			}
		}
		s.Groups = append(s.Groups, gs)
	}
	if !next.IsZero() {
		s.NextDeadline, s.NextDeadlineKind = &next, nextKind
	}
	return s
}
