package workflows

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// PortOrderInput is the input of a PortOrder workflow: one order of a bulk request (port_bulk.go),
// started by the request's workflow.
type PortOrderInput struct {
	Kind string `json:"kind"` // the request's: porting.KindPortIn or KindInternationalPortIn
	// Request is the request's workflow ID: the key of its rows in Postgres, which the order's
	// activities use, and where the order reports.
	Request string `json:"request_workflow_id"`
	Order   string `json:"order"`
	// Port is the request with the order's numbers only (validated, normalised and recorded by the
	// request; portable).
	Port     porting.PortInRequest `json:"port"`
	Country  string                `json:"country"`
	TimeZone string                `json:"time_zone"`
	// Calendar is the request's recorded holidays (versionActionCost): the order's deadlines are
	// counted from it, as the request's are.
	Calendar *porting.CalendarRecord `json:"calendar,omitempty"`
	// International requests: their account details for the LOAs, deadlines and preferred window.
	LOADefaults     porting.LOA            `json:"loa_defaults,omitempty"`
	Intl            *porting.IntlDeadlines `json:"intl,omitempty"`
	PreferredWindow *porting.Window        `json:"preferred_window,omitempty"`
	// Resume is the order's own carry-over when it continues as new.
	Resume json.RawMessage `json:"resume,omitempty"`
}

// orderLink makes a port an order of a bulk request: it reports to the request, and leaves the
// request's rows (unlocking, the end) to the request.
type orderLink struct {
	request string
	name    string
	seq     int
	last    string // the last report sent, as compared (only a change is sent)
}

// PortOrder runs one order of a bulk request: a port of its numbers from awaiting_loa to an end,
// with everything a port-in group does (LOA versions and the CSR pre-check, carrier answers and
// splits, supps, removals, provisioning, activation, the test call, cancellation), its deadlines in
// the request's calendar, its rows and notifications under the request's workflow ID.
func PortOrder(ctx workflow.Context, in PortOrderInput) (porting.PortResult, error) {
	v := portVersion(ctx)
	carry, err := resumed[portCarryOver](ctx, in.Resume)
	if err != nil {
		return porting.PortResult{}, err
	}
	r := usRules
	if in.Kind == porting.KindInternationalPortIn {
		d := in.Intl.WithDefaults()
		r = intlRules(d, in.PreferredWindow)
	}
	order := in.Order
	r.groupName = func(porting.PortNumber) string { return order }
	req := in.Port
	req.Resume = nil
	w := newPort(ctx, v, in.Kind, orderProcess{in: in}, r, req)
	w.workflowID = in.Request
	w.order = &orderLink{request: in.Request, name: in.Order}
	w.loaDefaults = in.LOADefaults
	w.resumeFrom = carry
	w.continueWith = func(resume json.RawMessage) (string, any) {
		next := in
		next.Resume = resume
		return porting.WorkflowPortOrder, next
	}
	return runPort(ctx, w)
}

// orderProcess is an order's process: the request validated, recorded and checked its numbers.
type orderProcess struct{ in PortOrderInput }

func (orderProcess) setup(workflow.Context, *port) error { return nil }

func (p orderProcess) validate(_ workflow.Context, w *port) error {
	if err := w.useCalendar(p.in.Country, p.in.TimeZone); err != nil {
		return err
	}
	w.clock.rec = p.in.Calendar
	return nil
}

func (orderProcess) settlePortability(_ workflow.Context, w *port) ([]porting.PortNumber, porting.State, string) {
	for _, n := range w.numbers {
		n.state = porting.StateAwaitingLOA
	}
	return w.req.Numbers, "", ""
}

// reportToRequest tells the request the order's state when it changed (not while numbers go live:
// activation and the test call take seconds, and the end follows).
func (w *port) reportToRequest(ctx workflow.Context, final bool) {
	if w.order == nil {
		return
	}
	st := w.status()
	if !final {
		for _, g := range st.Groups {
			if g.State == porting.StateActivating || g.State == porting.StateVerifying {
				return
			}
		}
	}
	r := orderReport{Order: w.order.name, State: st.State, Groups: st.Groups, NextDeadline: st.NextDeadline, NextDeadlineKind: st.NextDeadlineKind}
	groupState := map[string]porting.State{}
	for i := range r.Groups {
		r.Groups[i].NextDeadline, r.Groups[i].NextDeadlineKind = nil, "" // the request shows its own next deadline
		groupState[r.Groups[i].Group] = r.Groups[i].State
	}
	for _, n := range st.Numbers {
		if n.Group != w.order.name || n.State != groupState[n.Group] || n.Reason != "" || n.ReasonCode != "" {
			r.Numbers = append(r.Numbers, n)
		}
	}
	// Pure encoding of the order's own state, to send only a change.
	//workflowcheck:ignore
	raw, _ := json.Marshal(r)
	if string(raw) == w.order.last && !final {
		return
	}
	w.order.last = string(raw)
	w.order.seq++
	r.Seq = w.order.seq
	f := workflow.SignalExternalWorkflow(ctx, w.order.request, "", porting.SignalOrderReport, r)
	if final {
		// The last report reaches the request before the order returns.
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("final order report not delivered", "request", w.order.request, "error", err)
		}
	}
}

// orderLabel names an order for people.
func (w *port) orderLabel() string {
	return fmt.Sprintf("order %s of request %s", w.order.name, w.req.RequestID)
}
