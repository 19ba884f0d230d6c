package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// request-port-date (DESIGN §8): the customer asks the carrier for another port date. It is a
// supplemental change of the port request the carrier holds (outbox kind supp); the current date
// stands until the carrier answers with a carrier-response — accepted with the new date (the port is
// rescheduled as any carrier reschedule is), or rejected (the old date stands; while a supp awaits
// its answer, a rejection answers the supp and never withdraws the date).

// suppRequest is one port date the customer asked for.
type suppRequest struct {
	changeOutcome
	date  time.Time
	by    string
	round int // the group's supp number once sent (keys its outbox row and notifications)
}

func (s *suppRequest) result(g *group) (string, error) { return s.resultOf(g, "port date request") }

// validateRequestPortDate says why the group cannot ask for this date now, or nil. The cut-off and
// the port date rule read the calendar: check runs them (recorded for a signal).
func (w *port) validateRequestPortDate(ctx workflow.Context, in porting.RequestPortDate, check calendarCheck) error {
	now := workflow.Now(ctx)
	if err := porting.ValidateRequestPortDate(in, now); err != nil {
		return err
	}
	if w.v < versionNumberLevel {
		return fmt.Errorf("request %s started before port date changes existed; ask support to cancel and start a new request", w.req.RequestID)
	}
	if w.ordered() {
		return w.bulkRefusal(in.Group)
	}
	g, err := w.openGroup(in.Group)
	if err != nil {
		return err
	}
	switch g.state {
	case porting.StateScheduled:
	case porting.StateAwaitingLOA, porting.StateLOARejected, porting.StateAwaitingCarrier:
		return fmt.Errorf("group %s is %s: it has no port date yet; %s gives one when it accepts the LOA", g.name, g.state, g.carrier)
	default:
		return fmt.Errorf("group %s is %s: its port date can no longer be changed (numbers are provisioned a business day before the date)", g.name, g.visibleState())
	}
	switch {
	case g.cancelRequested:
		return fmt.Errorf("group %s is being cancelled", g.name)
	case g.supp != nil:
		return fmt.Errorf("group %s: the port date %s asked for earlier still awaits %s's answer", g.name, w.localTime(g.supp.date), g.carrier)
	case g.pendingSupp != nil:
		return fmt.Errorf("group %s: the port date %s asked for earlier is being sent to %s", g.name, w.localTime(g.pendingSupp.date), g.carrier)
	case in.PortDate.Equal(*g.portDate):
		return fmt.Errorf("port_date: %s is already the port date of group %s", w.localTime(in.PortDate), g.name)
	}
	current, days, rule, cal := *g.portDate, w.deadlines.SuppCutoffBusinessDays, w.deadlines.PortDateRule, w.clock.cal
	return check(ctx, func() error {
		// Pure reads of the holiday calendar (recorded by the caller where a replay would run them again).
		//workflowcheck:ignore
		cutoff := cal.AddBusinessDays(current, -days)
		if !now.Before(cutoff) {
			return fmt.Errorf("group %s ports on %s: another date must be asked for at least %d business days before it (by %s)",
				g.name, w.localTime(current), days, w.localTime(cutoff))
		}
		//workflowcheck:ignore
		soonest := cal.AddBusinessDays(now, days)
		if in.PortDate.Before(soonest) {
			return fmt.Errorf("port_date: %s is less than %d business days away; %s needs until %s at least",
				w.localTime(in.PortDate), days, g.carrier, w.localTime(soonest))
		}
		//workflowcheck:ignore
		if err := porting.CheckPortDate(rule, cal, in.PortDate); err != nil {
			return fmt.Errorf("port_date: %w", err)
		}
		return nil
	})
}

// takeSupp hands the asked-for date to its group.
func (w *port) takeSupp(ctx workflow.Context, g *group, in porting.RequestPortDate) *suppRequest {
	s := &suppRequest{date: in.PortDate.In(w.clock.cal.Location()), by: in.By}
	g.pendingSupp = s
	w.note(ctx, g.visibleState(), fmt.Sprintf("%s: %s asked for the port date %s instead of %s", g.name, in.By, w.localTime(s.date), w.localTime(*g.portDate)))
	return s
}

// sendSupp sends the asked-for date to the carrier; the group's date stands until it answers.
func (w *port) sendSupp(ctx workflow.Context, g *group) {
	s := g.pendingSupp
	g.pendingSupp = nil
	if g.state != porting.StateScheduled {
		s.refuse(fmt.Errorf("group %s is %s: its port date can no longer be changed", g.name, g.visibleState()))
		return
	}
	g.supps++
	s.round = g.supps
	err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("supp #%d of %s: port date", s.round, g.name)), acts.SubmitSupp, activities.SuppInput{
		WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, Round: s.round, Change: activities.SuppPortDate,
		Numbers: e164s(g.numbers), PortDate: &s.date, By: s.by,
	}).Get(ctx, nil)
	if err != nil {
		s.refuse(fmt.Errorf("group %s: the port date change could not be sent to %s: %v", g.name, g.carrier, plainError(err)))
		w.note(ctx, g.visibleState(), s.refused.Error())
		return
	}
	g.supp = s
	w.note(ctx, g.visibleState(), fmt.Sprintf("%s: port date %s asked of %s (supp #%d); the port date %s stands until it answers",
		g.name, w.localTime(s.date), g.carrier, s.round, w.localTime(*g.portDate)))
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("port-date-requested/%s/%d", g.name, s.round), Kind: "port_date_change_requested", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("New port date asked of %s for %s", g.carrier, g.name),
		Body: fmt.Sprintf("We asked %s to port %s on %s instead of %s. Until %s answers, the port date stays %s.",
			g.carrier, describeNumbers(e164s(g.numbers)), w.localTime(s.date), w.localTime(*g.portDate), g.carrier, w.localTime(*g.portDate)),
	})
	s.finish(fmt.Sprintf("group %s: port date %s asked of %s (supp #%d); the port date %s stands until it answers",
		g.name, w.localTime(s.date), g.carrier, s.round, w.localTime(*g.portDate)))
}

// answerSupp takes the carrier's answer to the asked-for date: accepted with a new date reschedules
// (the asked-for one or the carrier's own); rejected, or the current date confirmed, leaves the port
// date as it was.
func (w *port) answerSupp(ctx workflow.Context, g *group, r porting.CarrierResponse) {
	s := g.supp
	g.supp = nil
	refused := func(why string) {
		w.note(ctx, g.visibleState(), fmt.Sprintf("%s: %s refused the port date %s (%s); the port date %s stands", g.name, g.carrier, w.localTime(s.date), why, w.localTime(*g.portDate)))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("port-date-refused/%s/%d", g.name, s.round), Kind: "port_date_change_refused", Recipient: activities.RecipientCustomer,
			Subject: fmt.Sprintf("%s kept the port date for %s", g.carrier, g.name),
			Body: fmt.Sprintf("%s did not move the port of %s to %s (%s). The port date stays %s.",
				g.carrier, describeNumbers(e164s(g.numbers)), w.localTime(s.date), why, w.localTime(*g.portDate)),
		})
	}
	switch {
	case !r.Accepted:
		refused(joinReason(r.ReasonCode, r.Reason))
		if len(r.Numbers) > 0 {
			w.recordNumberAnswers(r.Numbers)
		}
		return
	case r.PortDate.Equal(*g.portDate) && len(r.Rejected()) == 0:
		refused("it confirmed the current date")
		return
	case !r.PortDate.Equal(s.date):
		w.note(ctx, g.visibleState(), fmt.Sprintf("%s: %s answered the request for %s with another date, %s", g.name, g.carrier, w.localTime(s.date), w.localTime(*r.PortDate)))
	}
	if rejected := r.Rejected(); len(rejected) > 0 {
		w.splitGroup(ctx, g, rejected)
	}
	w.acceptPortDate(ctx, g, r)
}
