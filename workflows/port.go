package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// rules are the fixed differences between the processes.
type rules struct {
	// groupName names a number's LOA group.
	groupName func(porting.PortNumber) string
	// carrierFollowUps chase a silent carrier; after the last, it repeats every CarrierReminderBusinessDays.
	carrierFollowUps []followUp
	// confirmCancelAtCarrier: once the carrier holds the request, a cancel is a request to it.
	confirmCancelAtCarrier bool
	// preferredWindow: a port date outside it is accepted but noted and told to the customer.
	preferredWindow *porting.Window
}

// process is what differs between the port-in processes: how a request is validated and recorded,
// and how its portability (and, internationally, its cost) is settled before the LOA groups start.
type process interface {
	// setup registers the process's own signals, updates and queries.
	setup(ctx workflow.Context, w *port) error
	// validate checks and records the request; it sets the port's calendar.
	validate(ctx workflow.Context, w *port) error
	// settlePortability returns the numbers that go ahead, or an end state and its reason.
	settlePortability(ctx workflow.Context, w *port) ([]porting.PortNumber, porting.State, string)
}

// port is the state of one port-in workflow (US/Canada or international). Handlers and the group
// coroutines share it; the workflow runs one coroutine at a time, so no locking is needed.
type port struct {
	v          workflow.Version // the command sequence this port runs (versions.go)
	kind       string
	proc       process
	rules      rules
	req        porting.PortInRequest // the request in port-in shape (international numbers carry the one carrier)
	workflowID string
	deadlines  porting.Deadlines
	clock      businessClock
	tz         string

	state   porting.State
	reason  string
	numbers []*numberState
	byE164  map[string]*numberState // numbers by E.164 (looked up, never iterated: a bulk request has thousands)
	groups  []*group
	history []porting.HistoryEntry

	validated  bool
	validation porting.ValidationOutcome

	cancel *porting.Cancel // set when a cancellation is accepted (cleared if a carrier refuses it)

	loaDefaults porting.LOA // what the request itself says about the account (international)

	searchPortDate time.Time
	// Continue-as-new (resume.go): the carry-over this run starts from, how many runs came before,
	// and how the next run is started.
	resumeFrom     *portCarryOver
	runs           int
	continueWith   func(resume json.RawMessage) (workflowType string, input any)
	ignoredSignals int // signals the state could not take; only the first maxIgnoredNotes are listed in the history

	// The request's own deadline before its groups exist (international portability and cost).
	nextDeadline     time.Time
	nextDeadlineKind string

	// Bulk requests (versionBulk): the request's orders (port_bulk.go), or, in an order's workflow,
	// its link to the request (order.go).
	bulk  *bulkRequest
	order *orderLink

	// What waits to be published and told (versionActionCost, outbox.go).
	outbox        []activities.Notification
	shown         shownAttributes
	identityShown bool
	waiting       int        // coroutines in a wait (beforeWait … afterWait)
	signals       *signalHub // every signal channel, drained in one coroutine (versionActionCost)
	// portability is the recording activity's portability answers (versionActionCost, US/Canada).
	portability *activities.RecordPortInResult
	watcher     watchState // versionLocalSteps (port_watch.go)
}

func (w *port) clearRequestDeadline() { w.nextDeadline, w.nextDeadlineKind = time.Time{}, "" }

type numberState struct {
	porting.PortNumber
	state      porting.State
	reason     string
	group      string
	reasonCode porting.ReasonCode // the catalogue code of the carrier's answer for this number alone
}

// runPort runs a port-in process to its end. All work runs on a disconnected context: a
// cancellation of the workflow itself (Temporal UI, `temporal workflow cancel`) becomes a cancel
// request like the `cancel` signal, and the compensation (release what was provisioned, tell the
// carrier) can still run.
func runPort(ctx workflow.Context, w *port) (porting.PortResult, error) {
	work, _ := workflow.NewDisconnectedContext(ctx)
	if w.watching() {
		w.watcher.root = ctx // setup starts the port's watcher once its signal channels are known (port_watch.go)
	} else {
		workflow.Go(work, func(c workflow.Context) {
			workflow.NewSelector(c).AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
				w.acceptTemporalCancel(c)
			}).Select(c)
		})
	}
	work = w.withWaitHook(work)
	switch {
	case w.watching():
	case w.deferring():
		// One watcher keeps the current details and publishes what handlers change while the port
		// waits (outbox.go).
		keepCurrentDetailsAnd(work, w.detailsKey, w.details, w.dueWhileWaiting, w.flush)
	default:
		keepCurrentDetails(work, w.detailsKey, w.details)
	}
	if err := w.setup(work); err != nil {
		return porting.PortResult{}, err
	}
	res, err := w.run(work)
	if w.watching() {
		w.showDetails(work) // the end (the watcher does not run after the main coroutine returns)
	}
	return res, err
}

func newPort(ctx workflow.Context, v workflow.Version, kind string, proc process, r rules, req porting.PortInRequest) *port {
	return &port{
		v:          v,
		kind:       kind,
		proc:       proc,
		rules:      r,
		req:        req,
		workflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		deadlines:  req.Deadlines.WithDefaults(),
		state:      porting.StateValidating,
	}
}

func (w *port) run(ctx workflow.Context) (porting.PortResult, error) {
	if w.resumeFrom != nil {
		if err := w.restore(w.resumeFrom); err != nil {
			return porting.PortResult{}, err
		}
		w.note(ctx, w.state, fmt.Sprintf("continued as run %d of this port (a new history; the state carried over)", w.runs+1))
		return w.runGroups(ctx)
	}
	if w.order == nil {
		metrics.PortStarted(ctx, w.kind)
		w.note(ctx, porting.StateValidating, fmt.Sprintf("%s of %d number(s) to %s requested", w.label(), len(w.req.Numbers), w.req.InstanceARN))
		w.upsertIdentity(ctx)
	} else {
		w.note(ctx, porting.StateValidating, fmt.Sprintf("%s: %d number(s) to %s", w.orderLabel(), len(w.req.Numbers), w.req.InstanceARN))
	}

	err := w.proc.validate(ctx, w)
	w.validated = true
	if err != nil {
		w.validation = porting.ValidationOutcome{Accepted: false, State: porting.StateFailed, Reason: err.Error()}
		return w.finish(ctx, porting.StateFailed, err.Error())
	}
	w.numbers = make([]*numberState, len(w.req.Numbers))
	for i, n := range w.req.Numbers {
		w.numbers[i] = &numberState{PortNumber: n, state: porting.StateValidating}
	}
	w.validation = porting.ValidationOutcome{Accepted: true, State: porting.StateValidating}
	if w.cancel != nil {
		return w.finish(ctx, porting.StateCancelled, w.cancelNote())
	}

	portable, end, reason := w.proc.settlePortability(ctx, w)
	if end != "" {
		return w.finish(ctx, end, reason)
	}
	if w.cancel != nil {
		return w.finish(ctx, porting.StateCancelled, w.cancelNote())
	}
	if w.bulk != nil {
		return w.runOrders(ctx, portable)
	}

	w.groups = buildGroups(portable, w.rules.groupName)
	for _, g := range w.groups {
		g.state = porting.StateAwaitingLOA
		g.askForLOA(workflow.Now(ctx))
		for _, n := range g.numbers {
			w.number(n.E164).group = g.name
		}
	}
	w.setState(ctx, porting.StateAwaitingLOA, fmt.Sprintf("awaiting %d LOA(s): %s", len(w.groups), strings.Join(w.groupNames(), ", ")))

	return w.runGroups(ctx)
}

// runGroups runs every open group to its end, then ends the request; a long history continues as a
// new run at a safe point instead (resume.go).
func (w *port) runGroups(ctx workflow.Context) (porting.PortResult, error) {
	for _, g := range w.groups {
		if g.done {
			continue
		}
		g := g
		workflow.Go(ctx, func(ctx workflow.Context) { w.runGroup(ctx, g) })
	}
	// Wait for the group coroutines themselves, not only their end states: a group still sends its
	// last notification after it has ended.
	over := func() bool {
		return w.allGroupsDone() || (w.continueWith != nil && shouldContinueAsNew(ctx) && w.atSafePoint(ctx))
	}
	if w.watching() {
		// This coroutine only waits from here on: it watches the port too (port_watch.go).
		w.takeOverWatch(ctx)
		for {
			if err := workflow.Await(ctx, func() bool { return over() || w.watchDue() }); err != nil {
				return porting.PortResult{}, err
			}
			if w.watchDue() {
				w.watchStep(ctx) // signals first: none is left in its channel when the run ends
				continue
			}
			break
		}
	} else if err := workflow.Await(ctx, over); err != nil {
		return porting.PortResult{}, err
	}
	if !w.allGroupsDone() {
		// Pure encoding of the workflow's own state.
		//workflowcheck:ignore
		raw, err := json.Marshal(w.carryOver(w.runs + 1))
		if err != nil {
			return porting.PortResult{}, err
		}
		w.note(ctx, w.state, fmt.Sprintf("history of %d events: continuing as a new run", workflow.GetInfo(ctx).GetCurrentHistoryLength()))
		if w.deferring() {
			w.flush(ctx) // nothing pending is carried over
		}
		typ, input := w.continueWith(raw)
		return porting.PortResult{}, workflow.NewContinueAsNewError(ctx, typ, input)
	}
	end, note := w.outcome()
	return w.finish(ctx, end, note)
}

// useCalendar sets the business calendar deadlines are counted in.
func (w *port) useCalendar(country, tz string) error {
	cal, err := porting.NewBusinessCalendar(country, tz)
	if err != nil {
		return err
	}
	w.tz, w.clock = tz, businessClock{cal: cal}
	return nil
}

// recordCalendar records the calendar's holidays around now in the history, once (ports from
// versionActionCost): the port's deadlines are computed from the record (businessClock).
func (w *port) recordCalendar(ctx workflow.Context) {
	if !w.deferring() {
		return
	}
	now := workflow.Now(ctx)
	var rec porting.CalendarRecord
	if err := workflow.SideEffect(ctx, func(workflow.Context) interface{} {
		return w.clock.cal.Record(now.Add(-calendarSpanBefore), now.Add(calendarSpanAfter))
	}).Get(&rec); err == nil {
		w.clock.rec = &rec
	}
}

// record checks the request against the database (instance, flow, inventory, other ports), records
// it and locks its numbers.
func (w *port) record(ctx workflow.Context) error {
	in := activities.RecordPortInInput{WorkflowID: w.workflowID, Kind: w.kind, Request: w.req}
	if w.isBulk() {
		in.Groups = w.planOrders() // each number recorded in its order's group
	}
	summary := "record request and lock numbers"
	// A bulk request keeps its own portability activity: await-validation answers once the request
	// is recorded, and 20,000 numbers take the gateway seconds (one action in a bulk request's many).
	if w.deferring() && w.kind == porting.KindPortIn && !w.isBulk() {
		in.CheckPortability = true // settlePortability takes the answers (usPortIn)
		summary += ", check portability"
	}
	var res activities.RecordPortInResult
	err := w.step(ctx, summary, acts.RecordPortIn, in).Get(ctx, &res)
	if err == nil && in.CheckPortability {
		w.portability = &res
	}
	return plainError(err)
}

// applyPortability marks each number portable or not (with the carrier's reason), tells the
// customer about the ones that cannot be ported, and returns those that go ahead.
func (w *port) applyPortability(ctx workflow.Context, results []activities.PortabilityResult) []porting.PortNumber {
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
	return portable
}

// finish records the end in Postgres (unlocking the numbers), tells the customer and returns.
func (w *port) finish(ctx workflow.Context, end porting.State, reason string) (porting.PortResult, error) {
	w.reason = reason
	if !w.validated {
		w.validated = true
		w.validation = porting.ValidationOutcome{State: end, Reason: reason}
	}
	w.setState(ctx, end, reason)
	if w.order == nil {
		metrics.PortEnded(ctx, w.kind, end)
	}
	for _, n := range w.numbers {
		if !n.state.IsEnd() && (w.bulk == nil || !w.bulk.started) { // a bulk request's numbers end as their orders end them
			n.state = end
		}
	}
	if w.order != nil {
		// An order leaves the request's rows and its end to the request, which it tells.
		w.reportToRequest(ctx, true)
		awaitHandlers(ctx)
		if w.deferring() {
			w.flush(ctx)
		}
		return w.result(end, reason), nil
	}
	// A request the database refused was never recorded: there is nothing to finish or tell.
	if w.validation.Accepted {
		subject := fmt.Sprintf("Port request %s: %s", w.req.RequestID, end)
		if w.deferring() {
			if err := w.closeWithOutbox(ctx, end, subject, reason); err != nil {
				return porting.PortResult{}, err
			}
		} else if err := closeRecordedPort(ctx, w.workflowID, end, subject, reason); err != nil {
			return porting.PortResult{}, err
		}
		endSummary(ctx, w.v, w.workflowID, end, reason)
	}
	awaitHandlers(ctx)
	if w.deferring() {
		w.flush(ctx) // the end state, and what handlers told after it
	}
	return w.result(end, reason), nil
}

// outcome is the request's end once every group has ended.
func (w *port) outcome() (porting.State, string) {
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

func (w *port) groupSummary() string {
	parts := make([]string, len(w.groups))
	for i, g := range w.groups {
		parts[i] = fmt.Sprintf("%s %s", g.name, g.state)
		if g.lastReason != "" && g.state != porting.StateCompleted {
			parts[i] += " (" + g.lastReason + ")"
		}
	}
	return strings.Join(parts, "; ")
}

func (w *port) allGroupsDone() bool {
	for _, g := range w.groups {
		if !g.done {
			return false
		}
	}
	return true
}

// refreshState sets the request's state to that of its least advanced open group.
func (w *port) refreshState(ctx workflow.Context) {
	least := porting.State("")
	for _, g := range w.groups {
		if g.state.IsEnd() {
			continue
		}
		if least == "" || g.visibleState().Progress() < least.Progress() {
			least = g.visibleState()
		}
	}
	if least != "" {
		w.publishState(ctx, least)
	}
	w.upsertPortDate(ctx)
	w.reportToRequest(ctx, false)
}

// setState records a request-level state change in the history and the search attributes.
func (w *port) setState(ctx workflow.Context, s porting.State, note string) {
	w.note(ctx, s, note)
	w.publishState(ctx, s)
}

// publishState sets the request's state and publishes it to the PortState search attribute.
func (w *port) publishState(ctx workflow.Context, s porting.State) {
	if s == w.state {
		return
	}
	kind := w.kind
	if w.order != nil {
		kind = porting.OrderKind(kind) // an order's transitions are not the request's
	}
	metrics.StateTransition(ctx, kind, w.state, s)
	w.state = s
	if w.deferring() {
		return // published when the port next waits (flushAttributes)
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortState.ValueSet(string(s)))
	if memoMilestone(s) {
		_ = workflow.UpsertMemo(ctx, map[string]any{porting.MemoSummary: w.summary()})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (w *port) note(ctx workflow.Context, s porting.State, note string) {
	w.history = append(w.history, porting.HistoryEntry{At: workflow.Now(ctx).UTC(), State: s, Note: note})
	workflow.GetLogger(ctx).Info("port-in", "state", string(s), "note", note)
}

// upsertIdentity publishes the attributes an operator searches by; the starter sets them at start
// too, but a port started by another client must be findable as well.
func (w *port) upsertIdentity(ctx workflow.Context) {
	if w.deferring() {
		return // published with the first wait (flushAttributes)
	}
	numbers, carriers := w.identity()
	requestID := ""
	if w.v >= versionBulk {
		requestID = w.req.RequestID
	}
	upsertMissingIdentity(ctx, w.kind, w.state, w.req.InstanceARN, requestID, carriers, numbers)
}

// identity is the request's numbers and their carriers, in order.
func (w *port) identity() (numbers, carriers []string) {
	numbers = make([]string, 0, len(w.req.Numbers))
	carriers = []string{}
	for _, n := range w.req.Numbers {
		numbers = append(numbers, n.E164)
		if !contains(carriers, n.Carrier) {
			carriers = append(carriers, n.Carrier)
		}
	}
	return numbers, carriers
}

// upsertPortDate publishes the earliest port date of the open groups.
func (w *port) upsertPortDate(ctx workflow.Context) {
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
	if w.deferring() {
		return // published when the port next waits (flushAttributes)
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortDate.ValueSet(next))
	_ = workflow.UpsertMemo(ctx, map[string]any{porting.MemoSummary: w.summary()})
}

// notify puts a message in the outbox; its key makes a retry or replay send it once. Ports from
// versionActionCost keep it in the workflow's outbox until they next wait (outbox.go).
func (w *port) notify(ctx workflow.Context, n activities.Notification) {
	if w.deferring() {
		n.WorkflowID = w.workflowID
		w.outbox = append(w.outbox, n)
		return
	}
	sendNotification(ctx, w.workflowID, n)
}

func (w *port) cancelNote() string {
	return fmt.Sprintf("cancelled by %s: %s", w.cancel.By, w.cancel.Reason)
}

func (w *port) number(e164 string) *numberState {
	if n := w.findNumber(e164); n != nil {
		return n
	}
	return &numberState{}
}

// findNumber is the request's number e164, or nil.
func (w *port) findNumber(e164 string) *numberState {
	if len(w.byE164) != len(w.numbers) {
		w.byE164 = make(map[string]*numberState, len(w.numbers))
		for _, n := range w.numbers {
			w.byE164[n.E164] = n
		}
	}
	return w.byE164[e164]
}

func (w *port) countNumbers(s porting.State) int {
	c := 0
	for _, n := range w.numbers {
		if n.state == s {
			c++
		}
	}
	return c
}

func (w *port) groupNames() []string {
	names := make([]string, len(w.groups))
	for i, g := range w.groups {
		names[i] = g.name
	}
	return names
}

func (w *port) findGroup(name string) *group {
	for _, g := range w.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

// buildGroups splits the numbers into their LOA groups, in request order.
func buildGroups(numbers []porting.PortNumber, groupName func(porting.PortNumber) string) []*group {
	var groups []*group
	index := map[string]*group{}
	for _, n := range numbers {
		name := groupName(n)
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
		return errors.New(app.Message())
	}
	return err
}
