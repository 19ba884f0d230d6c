package workflows

import (
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// Bulk requests (DESIGN §8 "Bulk", versionBulk). A port-in or international port-in of more than
// porting.OrderSize numbers is recorded, checked for portability and cost-approved by its own
// workflow as any request; then its numbers are handled by order workflows (PortOrder, order.go):
// one per LOA group of at most OrderSize numbers, a larger group split into orders "<group>~k" in
// request order. Each order is a whole port of its numbers — LOA versions, carrier answers, port
// date, provisioning a business day before it, activation, test call, splits, supps, removals —
// with the search attributes of its own numbers, so that every number is found by PhoneNumbers
// however large the request. Each order reports its state to the request (order-report signals);
// the request's status is theirs put together, its state that of its least advanced group; a
// cancellation of the request goes to every open order; the request ends when every order has,
// and only then unlocks its numbers.
//
// Why orders rather than one workflow: the server refuses a search-attribute value over 2 KB
// (about 130 numbers), and one history holding 20,000 numbers' activities would pass its size
// limits; carriers handle bulk ports as orders per carrier anyway, each with its own FOC.

// bulkRequest is a bulk request's orders.
type bulkRequest struct {
	orders  []*orderState
	orderOf map[string]int // number → index in orders (looked up, never iterated)
	started bool           // the orders were started
}

// orderState is one order as the request knows it.
type orderState struct {
	name       string
	of         string // the LOA group it belongs to
	workflowID string
	numbers    []porting.PortNumber // its portable numbers (empty: none, never started)
	report     orderReport          // its latest report
	result     *porting.PortResult  // its end, once it returned
	failure    string               // why it could not run or ended with an error
	done       bool
}

// orderReport is what an order tells its request when its state changes: its groups as its status
// shows them and the numbers that are not simply in their group's state.
type orderReport struct {
	Order            string                 `json:"order"`
	Seq              int                    `json:"seq"`
	State            porting.State          `json:"state"`
	Groups           []porting.GroupStatus  `json:"groups"`
	Numbers          []porting.NumberStatus `json:"numbers,omitempty"`
	NextDeadline     *time.Time             `json:"next_deadline,omitempty"`
	NextDeadlineKind string                 `json:"next_deadline_kind,omitempty"`
}

// isBulk reports whether this port-in handles its numbers through orders.
func (w *port) isBulk() bool {
	return w.v >= versionBulk && w.order == nil && len(w.req.Numbers) > porting.OrderSize
}

// planOrders splits the request's numbers into orders (before recording: each number is recorded
// in its order's group) and returns each number's group.
func (w *port) planOrders() []string {
	names, orderOf := porting.Orders(w.req.Numbers, w.rules.groupName)
	b := &bulkRequest{orderOf: make(map[string]int, len(w.req.Numbers))}
	for k, name := range names {
		b.orders = append(b.orders, &orderState{name: name, of: porting.OrderOf(name), workflowID: porting.OrderWorkflowID(w.workflowID, k+1)})
	}
	groups := make([]string, len(w.req.Numbers))
	for i, n := range w.req.Numbers {
		b.orderOf[n.E164] = orderOf[i]
		groups[i] = names[orderOf[i]]
	}
	w.bulk = b
	return groups
}

// runOrders starts an order workflow for every order with a portable number, forwards a
// cancellation to them, and ends the request once every order has ended.
func (w *port) runOrders(ctx workflow.Context, portable []porting.PortNumber) (porting.PortResult, error) {
	b := w.bulk
	for _, n := range portable {
		o := b.orders[b.orderOf[n.E164]]
		o.numbers = append(o.numbers, n)
		w.number(n.E164).group = o.name
	}
	var open []*orderState
	var groups []string
	for _, o := range b.orders {
		if len(o.numbers) == 0 {
			o.done = true
			continue
		}
		open = append(open, o)
		o.report = orderReport{Order: o.name, State: porting.StateAwaitingLOA}
		if !contains(groups, o.of) {
			groups = append(groups, o.of)
		}
	}
	for _, g := range groups {
		w.askForBulkLOA(ctx, g)
	}
	w.setState(ctx, porting.StateAwaitingLOA, fmt.Sprintf("%d number(s) in %d order workflow(s) for %d LOA group(s): %s",
		len(portable), len(open), len(groups), strings.Join(groups, ", ")))

	sel := workflow.NewSelector(ctx)
	for _, o := range open {
		o := o
		f := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, w.orderOptions(o)), porting.WorkflowPortOrder, w.orderInput(o))
		sel.AddFuture(f, func(f workflow.Future) {
			var res porting.PortResult
			if err := f.Get(ctx, &res); err != nil {
				o.failure = plainError(err).Error()
			} else {
				o.result = &res
			}
			o.done = true
		})
	}
	b.started = true
	workflow.Go(ctx, func(ctx workflow.Context) { w.forwardCancels(ctx) })
	if w.deferring() {
		// The request waits for its orders from here: what their reports change is published as
		// it comes (dueWhileWaiting).
		w.beforeWait(ctx)
	}
	for range open {
		sel.Select(ctx)
		w.refreshBulkState(ctx)
	}
	if w.deferring() {
		w.afterWait()
	}
	end, note := w.bulkOutcome()
	return w.finish(ctx, end, note)
}

// orderOptions starts an order with the search attributes of its own numbers; it goes on if the
// request's workflow is closed by an operator (its numbers are the carrier's business by then, and
// the order compensates for itself).
func (w *port) orderOptions(o *orderState) workflow.ChildWorkflowOptions {
	numbers := e164s(o.numbers)
	return workflow.ChildWorkflowOptions{
		WorkflowID:        o.workflowID,
		TaskQueue:         porting.TaskQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     fmt.Sprintf("order %s of request %s: %d number(s)", o.name, w.req.RequestID, len(numbers)),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			porting.SearchPortKind.ValueSet(porting.OrderKind(w.kind)),
			porting.SearchPortState.ValueSet(string(porting.StateAwaitingLOA)),
			porting.SearchInstanceArn.ValueSet(w.req.InstanceARN),
			porting.SearchCarrier.ValueSet([]string{o.numbers[0].Carrier}),
			porting.SearchPhoneNumbers.ValueSet(porting.IndexedNumbers(numbers)),
			porting.SearchRequestId.ValueSet(w.req.RequestID),
		),
	}
}

// orderInput is what an order needs to run as a port of its own: its numbers, the request's
// calendar, deadlines and process rules.
func (w *port) orderInput(o *orderState) PortOrderInput {
	req := w.req
	req.Numbers = o.numbers
	req.Resume = nil
	in := PortOrderInput{
		Kind: w.kind, Request: w.workflowID, Order: o.name, Port: req,
		Country: w.clock.cal.Country(), TimeZone: w.tz, LOADefaults: w.loaDefaults, Calendar: w.clock.rec,
	}
	if ip, ok := w.proc.(*intlPortIn); ok {
		d := ip.d
		in.Intl = &d
		window := ip.req.PreferredWindow
		in.PreferredWindow = &window
	}
	return in
}

// askForBulkLOA asks the customer once for the LOA of a group however many orders it has.
func (w *port) askForBulkLOA(ctx workflow.Context, group string) {
	var numbers []string
	var carrier, numberType string
	for _, o := range w.bulk.orders {
		if o.of == group && len(o.numbers) > 0 {
			numbers = append(numbers, e164s(o.numbers)...)
			carrier, numberType = o.numbers[0].Carrier, o.numbers[0].Type
		}
	}
	sample := numbers
	more := ""
	if len(sample) > 10 {
		sample, more = sample[:10], fmt.Sprintf(" and %d more", len(numbers)-10)
	}
	w.notify(ctx, activities.Notification{
		Key: "loa-requested/" + group, Kind: "loa_requested", Recipient: activities.RecipientCustomer,
		Subject: "LOA needed for " + group,
		Body: fmt.Sprintf("Please send a signed %s LOA for the %d %s numbers of this request (%s%s); it must match %s's records. "+
			"One LOA serves every order of the group.", numberType, len(numbers), carrier, strings.Join(sample, ", "), more, carrier),
	})
}

// takeReport keeps an order's latest report (an older one arriving late is dropped).
func (w *port) takeReport(ctx workflow.Context, r orderReport) error {
	if w.bulk == nil || !w.bulk.started {
		return fmt.Errorf("request %s has no orders", w.req.RequestID)
	}
	for _, o := range w.bulk.orders {
		if o.name == r.Order {
			if r.Seq > o.report.Seq {
				o.report = r
				w.refreshBulkState(ctx)
			}
			return nil
		}
	}
	return fmt.Errorf("order %q is not part of request %s", r.Order, w.req.RequestID)
}

// orderGroups lists the groups of the request's orders as their reports show them, each with the
// order workflow that handles it; an order that ended shows its end.
func (w *port) orderGroups() []porting.GroupStatus {
	var out []porting.GroupStatus
	for _, o := range w.bulk.orders {
		if len(o.numbers) == 0 {
			continue
		}
		if len(o.report.Groups) == 0 {
			out = append(out, porting.GroupStatus{Group: o.name, State: o.state(), Numbers: len(o.numbers), WorkflowID: o.workflowID, OrderOf: o.of})
			continue
		}
		for _, g := range o.report.Groups {
			g.WorkflowID, g.OrderOf = o.workflowID, o.of
			if o.done && !g.State.IsEnd() {
				g.State = o.state()
			}
			out = append(out, g)
		}
	}
	return out
}

// state is the order's state: its end once it returned, else its latest report's.
func (o *orderState) state() porting.State {
	switch {
	case o.result != nil:
		return o.result.State
	case o.failure != "":
		return porting.StateFailed
	case o.report.State != "":
		return o.report.State
	}
	return porting.StateAwaitingLOA
}

// refreshBulkState sets the request's state to that of its least advanced open group, and its port
// date to the earliest of its orders'.
func (w *port) refreshBulkState(ctx workflow.Context) {
	least := porting.State("")
	var next time.Time
	for _, g := range w.orderGroups() {
		if g.State.IsEnd() {
			continue
		}
		if least == "" || g.State.Progress() < least.Progress() {
			least = g.State
		}
		if g.PortDate != nil {
			next = earliest(next, *g.PortDate)
		}
	}
	if least != "" {
		w.publishState(ctx, least)
	}
	if !next.IsZero() && !next.Equal(w.searchPortDate) {
		w.searchPortDate = next
		if w.deferring() {
			return // published while the request waits for its orders (dueWhileWaiting)
		}
		_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortDate.ValueSet(next))
		_ = workflow.UpsertMemo(ctx, map[string]any{porting.MemoSummary: w.summary()})
	}
}

// forwardCancels hands an accepted cancellation of the request to every order still open: each
// cancels as a port does (released, the carrier told, or asked when it must confirm).
func (w *port) forwardCancels(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return w.cancel != nil || w.bulk.allDone() }); err != nil || w.cancel == nil {
			return
		}
		c := *w.cancel
		var sent []string
		for _, o := range w.bulk.orders {
			if o.done || len(o.numbers) == 0 {
				continue
			}
			_ = workflow.SignalExternalWorkflow(ctx, o.workflowID, "", porting.SignalCancel, c)
			sent = append(sent, o.name)
		}
		w.note(ctx, w.state, fmt.Sprintf("cancellation by %s sent to %d order(s): %s", c.By, len(sent), strings.Join(sent, ", ")))
		// Each order decides (an international carrier may refuse); a later cancel is sent again.
		w.cancel = nil
	}
}

func (b *bulkRequest) allDone() bool {
	for _, o := range b.orders {
		if !o.done {
			return false
		}
	}
	return true
}

// bulkOutcome is the request's end once every order has ended.
func (w *port) bulkOutcome() (porting.State, string) {
	count := map[porting.State]int{}
	var failures []string
	for _, o := range w.bulk.orders {
		if len(o.numbers) == 0 {
			continue
		}
		count[o.state()]++
		if o.failure != "" {
			failures = append(failures, o.name+": "+o.failure)
		}
	}
	orders := count[porting.StateCompleted] + count[porting.StateFailed] + count[porting.StateCancelled] + count[porting.StateNotPortable] + count[porting.StateExpired]
	summary := fmt.Sprintf("%d order(s): %d completed, %d failed, %d cancelled", orders, count[porting.StateCompleted], count[porting.StateFailed], count[porting.StateCancelled])
	if len(failures) > 0 {
		summary += "; " + strings.Join(failures, "; ")
	}
	switch {
	case count[porting.StateCompleted] == orders:
		return porting.StateCompleted, fmt.Sprintf("%d number(s) ported and verified in %d order(s)", w.countBulkNumbers(porting.StateCompleted), orders)
	case count[porting.StateFailed] > 0:
		return porting.StateFailed, summary
	case count[porting.StateCompleted] > 0:
		return porting.StateCompleted, "partly completed: " + summary
	default:
		return porting.StateCancelled, summary
	}
}

// bulkNumberStatuses is every number's state: not-portable ones as the request found them, the
// others as their order reports them (or returned them).
func (w *port) bulkNumberStatuses() []porting.NumberStatus {
	type orderView struct {
		groupState map[string]porting.State
		special    map[string]porting.NumberStatus
	}
	views := make([]*orderView, len(w.bulk.orders))
	view := func(k int) *orderView {
		if views[k] != nil {
			return views[k]
		}
		o := w.bulk.orders[k]
		v := &orderView{groupState: map[string]porting.State{}, special: map[string]porting.NumberStatus{}}
		for _, g := range o.report.Groups {
			v.groupState[g.Group] = g.State
		}
		numbers := o.report.Numbers
		if o.result != nil {
			numbers = o.result.Numbers
		}
		for _, n := range numbers {
			v.special[n.E164] = n
		}
		views[k] = v
		return v
	}
	out := make([]porting.NumberStatus, len(w.numbers))
	for i, n := range w.numbers {
		out[i] = porting.NumberStatus{E164: n.E164, State: n.state, Reason: n.reason, Group: n.group}
		k, ok := w.bulk.orderOf[n.E164]
		if !ok || n.state == porting.StateNotPortable || !w.bulk.started || len(w.bulk.orders[k].numbers) == 0 {
			if n.group == "" && !n.state.IsEnd() {
				out[i].State = w.state
			}
			continue
		}
		o, v := w.bulk.orders[k], view(k)
		if s, ok := v.special[n.E164]; ok {
			s.Group = orDefault(s.Group, o.name)
			out[i] = s
			continue
		}
		out[i].Group = o.name
		if s, ok := v.groupState[o.name]; ok {
			out[i].State = s
		} else {
			out[i].State = o.state()
		}
	}
	return out
}

func (w *port) countBulkNumbers(s porting.State) int {
	c := 0
	for _, n := range w.bulkNumberStatuses() {
		if n.State == s {
			c++
		}
	}
	return c
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// bulkRefusal is why an update addressed to a group goes to its order instead: the order's own
// validator decides (the starter sends it there itself).
func (w *port) bulkRefusal(group string) error {
	var ids []string
	for _, o := range w.bulk.orders {
		if len(o.numbers) > 0 && (o.name == porting.BaseGroupName(group) || o.of == group) {
			ids = append(ids, o.workflowID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("group %q is not part of request %s", group, w.req.RequestID)
	}
	return temporal.NewApplicationError(fmt.Sprintf("group %s of bulk request %s is handled by order workflow(s) %s: send it there (bin/starter does)",
		group, w.req.RequestID, strings.Join(ids, ", ")), porting.ErrHandledByOrders)
}

// forwardSignal hands a group-addressed signal to the order(s) that handle the group (every order
// of an LOA group for one addressed to the group itself).
func (w *port) forwardSignal(ctx workflow.Context, name, group string, payload any) error {
	var sent []string
	for _, o := range w.bulk.orders {
		if len(o.numbers) > 0 && !o.done && (o.name == porting.BaseGroupName(group) || o.of == group) {
			_ = workflow.SignalExternalWorkflow(ctx, o.workflowID, "", name, payload)
			sent = append(sent, o.workflowID)
		}
	}
	if len(sent) == 0 {
		return w.bulkRefusal(group)
	}
	w.note(ctx, w.state, fmt.Sprintf("%s signal for %s forwarded to %s", name, group, strings.Join(sent, ", ")))
	return nil
}

// forwardRemoval hands each order its numbers of a remove-numbers signal.
func (w *port) forwardRemoval(ctx workflow.Context, in porting.RemoveNumbers) error {
	parts := map[int][]string{}
	var order []int
	for i, e := range in.Numbers {
		k, ok := w.bulk.orderOf[e]
		if !ok {
			return fmt.Errorf("numbers[%d]: %s is not part of request %s", i, e, w.req.RequestID)
		}
		if _, seen := parts[k]; !seen {
			order = append(order, k)
		}
		parts[k] = append(parts[k], e)
	}
	for _, k := range order {
		o := w.bulk.orders[k]
		_ = workflow.SignalExternalWorkflow(ctx, o.workflowID, "", porting.SignalRemoveNumbers,
			porting.RemoveNumbers{Numbers: parts[k], Reason: in.Reason, By: in.By})
	}
	w.note(ctx, w.state, fmt.Sprintf("remove-numbers by %s forwarded to %d order(s)", in.By, len(order)))
	return nil
}

// bulkCancelRefusal says why a bulk request can no longer be cancelled, or "".
func (w *port) bulkCancelRefusal() string {
	var live []string
	for _, g := range w.orderGroups() {
		switch g.State {
		case porting.StateActivating, porting.StateVerifying, porting.StateCompleted, porting.StateCancelled, porting.StateFailed, porting.StateNotPortable:
			live = append(live, fmt.Sprintf("%s is %s", g.Group, g.State))
		default:
			return ""
		}
	}
	return fmt.Sprintf("request %s can no longer be cancelled: %s", w.req.RequestID, strings.Join(live, ", "))
}

// bulkRemovalRefusal: the numbers of a remove-numbers update to a bulk request must be its own and
// open; removing every number left is the request's cancellation (taken here), anything less goes to
// the orders that hold them (bin/starter sends each its part).
func (w *port) bulkRemovalRefusal(in porting.RemoveNumbers) error {
	byNumber := map[string]porting.NumberStatus{}
	open := 0
	for _, n := range w.bulkNumberStatuses() {
		byNumber[n.E164] = n
		if !n.State.IsEnd() {
			open++
		}
	}
	var ids []string
	for i, e := range in.Numbers {
		n, ok := byNumber[e]
		switch {
		case !ok:
			return fmt.Errorf("numbers[%d]: %s is not part of request %s", i, e, w.req.RequestID)
		case n.State.IsEnd():
			return fmt.Errorf("numbers[%d]: %s is %s", i, e, n.State)
		}
		if id := w.bulk.orders[w.bulk.orderOf[e]].workflowID; !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(in.Numbers) == open {
		if why := w.cancelRefusal(); why != "" {
			return fmt.Errorf("%s", why)
		}
		return nil
	}
	return temporal.NewApplicationError(fmt.Sprintf("the numbers of bulk request %s are handled by its order workflows: send remove-numbers to %s with each one's numbers (bin/starter does)",
		w.req.RequestID, strings.Join(ids, ", ")), porting.ErrHandledByOrders)
}
