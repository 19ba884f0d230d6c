package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/porting"
)

// What a port-in shows people: the status query, the memo's summary, times in the port's zone.

// summary is the customer-facing one-line account of the port, kept in the workflow's memo.
func (w *port) summary() string {
	out := fmt.Sprintf("%s of %d number(s) from %s to %s: %s", w.label(), len(w.req.Numbers), strings.Join(w.carriers(), ", "), w.req.InstanceARN, w.state)
	if !w.searchPortDate.IsZero() && w.clock.cal != nil {
		out += "; port date " + w.clock.local(w.searchPortDate).Format("Mon 2 Jan 2006 15:04 MST")
	}
	if w.reason != "" && w.state.IsEnd() {
		out += " (" + w.reason + ")"
	}
	return out
}

// label names the process for people.
func (w *port) label() string {
	if w.kind == porting.KindInternationalPortIn {
		return "International port-in"
	}
	return "Port-in"
}

// localTime formats t in the port's time zone (RFC 3339 with its offset), for people.
func (w *port) localTime(t time.Time) string { return w.clock.local(t).Format(time.RFC3339) }

// localDay formats t's day in the port's time zone, for people.
func (w *port) localDay(t time.Time) string { return w.clock.local(t).Format("Mon 2 Jan 2006") }

func (w *port) numberStatuses() []porting.NumberStatus {
	if w.bulk != nil && w.numbers != nil {
		return w.bulkNumberStatuses()
	}
	if w.numbers == nil {
		out := make([]porting.NumberStatus, len(w.req.Numbers))
		for i, n := range w.req.Numbers {
			out[i] = porting.NumberStatus{E164: n.E164, State: w.state, Reason: w.reason}
		}
		return out
	}
	out := make([]porting.NumberStatus, len(w.numbers))
	for i, n := range w.numbers {
		out[i] = porting.NumberStatus{E164: n.E164, State: n.state, Reason: n.reason, Group: n.group, ReasonCode: n.reasonCode}
		if n.group == "" && !n.state.IsEnd() {
			out[i].State = w.state // before the groups exist, every number is where the request is
		}
	}
	return out
}

func (w *port) status() porting.Status {
	s := porting.Status{
		RequestID:   w.req.RequestID,
		Kind:        w.kind,
		State:       w.state,
		Numbers:     w.numberStatuses(),
		Groups:      make([]porting.GroupStatus, 0, len(w.groups)),
		TimeZone:    w.tz,
		InstanceARN: w.req.InstanceARN,
		History:     w.history,
		Ignored:     w.ignoredSignals,
	}
	if w.order != nil {
		s.RequestWorkflowID = w.order.request
	}
	if w.bulk != nil && w.bulk.started {
		s.Groups = w.orderGroups()
		for _, o := range w.bulk.orders {
			if len(o.numbers) > 0 {
				s.Orders++
			}
		}
	}
	for _, g := range w.groups {
		gs := porting.GroupStatus{
			Group: g.name, State: g.visibleState(), LOAVersion: g.loaVersion, PortDate: g.portDate,
			Rounds: g.rounds, LastReason: g.lastReason, SplitFrom: g.splitFrom, Numbers: len(g.numbers),
		}
		if g.supp != nil && !g.state.IsEnd() {
			d := g.supp.date
			gs.RequestedPortDate = &d
		}
		gs.LastReasonCode, gs.CustomerAction = g.lastReasonCode()
		if !g.nextDeadline.IsZero() && !g.state.IsEnd() {
			d := g.nextDeadline
			gs.NextDeadline, gs.NextDeadlineKind = &d, g.nextDeadlineKind
		}
		s.Groups = append(s.Groups, gs)
	}
	if next, nextKind := w.earliestDeadline(); !next.IsZero() {
		s.NextDeadline, s.NextDeadlineKind = &next, nextKind
	}
	return s
}

// earliestDeadline is the port's next deadline: its own (international portability and cost), its
// open orders' and its open groups', whichever comes first.
func (w *port) earliestDeadline() (time.Time, string) {
	next, kind := w.nextDeadline, w.nextDeadlineKind
	if w.bulk != nil && w.bulk.started {
		for _, o := range w.bulk.orders {
			if d := o.report.NextDeadline; d != nil && !o.done && (next.IsZero() || d.Before(next)) {
				next, kind = *d, o.report.NextDeadlineKind
			}
		}
	}
	for _, g := range w.groups {
		if !g.nextDeadline.IsZero() && !g.state.IsEnd() && (next.IsZero() || g.nextDeadline.Before(next)) {
			next, kind = g.nextDeadline, g.nextDeadlineKind
		}
	}
	return next, kind
}
