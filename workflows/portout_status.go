package workflows

import (
	"fmt"
	"time"

	"github.com/contactcenter/numberporting/porting"
)

// What a port-out shows people: the status query, the memo's summary, times in the port's zone.

// summary is the customer-facing one-line account of the port-out, kept in the workflow's memo.
func (w *portOut) summary() string {
	out := fmt.Sprintf("Port-out of %d number(s) from %s to %s: %s", len(w.req.Numbers), w.req.InstanceARN, w.req.WinningCarrier, w.state)
	if w.releaseAt != nil {
		at := *w.releaseAt
		if w.v < versionFailurePaths {
			at = at.UTC()
		} else {
			at = w.clock.local(at)
		}
		out += "; release " + at.Format("Mon 2 Jan 2006 15:04 MST")
	}
	if w.reason != "" && w.state.IsEnd() {
		out += " (" + w.reason + ")"
	}
	return out
}

// local formats t in the port's time zone (RFC 3339 with its offset).
func (w *portOut) local(t time.Time) string {
	if w.clock.cal != nil {
		t = t.In(w.clock.cal.Location())
	}
	return t.Format(time.RFC3339)
}

func (w *portOut) numberStatuses() []porting.NumberStatus {
	out := make([]porting.NumberStatus, len(w.req.Numbers), len(w.req.Numbers)+len(w.removed))
	for i, n := range w.req.Numbers {
		out[i] = porting.NumberStatus{E164: n, State: w.state}
		if w.state.IsEnd() && w.state != porting.StateCompleted {
			out[i].Reason = w.reason
		}
		if w.validation.Accepted {
			out[i].Group = w.req.WinningCarrier
		}
	}
	// Numbers removed from the port-out stay with the instance: cancelled for this request.
	for _, r := range w.removed {
		out = append(out, porting.NumberStatus{E164: r.E164, State: porting.StateCancelled, Reason: r.Reason})
	}
	return out
}

// status is the status query's answer. Once recorded, the port-out shows one pseudo-group named
// after the winning carrier: its requests received (loa_version), rejections, the approved release
// time (port_date) and the next deadline.
func (w *portOut) status() porting.Status {
	s := porting.Status{
		RequestID:   w.req.RequestID,
		Kind:        porting.KindPortOut,
		State:       w.state,
		Numbers:     w.numberStatuses(),
		Groups:      []porting.GroupStatus{},
		TimeZone:    w.tz,
		InstanceARN: w.req.InstanceARN,
		History:     w.history,
		Ignored:     w.ignoredSignals,
	}
	if !w.nextDeadline.IsZero() && !w.state.IsEnd() {
		d := w.nextDeadline
		s.NextDeadline, s.NextDeadlineKind = &d, w.nextDeadlineKind
	}
	if w.validation.Accepted {
		s.Groups = append(s.Groups, porting.GroupStatus{
			Group: w.req.WinningCarrier, State: w.state, LOAVersion: w.received, PortDate: w.releaseAt,
			NextDeadline: s.NextDeadline, NextDeadlineKind: s.NextDeadlineKind, Rounds: w.rounds, LastReason: w.lastReason,
			LastReasonCode: w.lastReasonCode, CustomerAction: w.customerAction, Numbers: len(w.req.Numbers),
		})
	}
	return s
}
