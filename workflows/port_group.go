package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// group is one LOA group: the numbers of one current carrier and one number type. It has its own
// LOA versions, carrier submissions, port date and progress.
type group struct {
	name       string
	carrier    string
	numberType string
	numbers    []porting.PortNumber

	state      porting.State
	loaVersion int
	submitted  bool // a port request reached the carrier (a cancel must then be sent to it)
	rounds     int  // rejection rounds
	lastReason string

	pendingLOA      *porting.LOA
	pendingResponse *porting.CarrierResponse

	portDate        *time.Time
	portDateVersion int // bumps on every accepted date, so waits notice a reschedule

	customerClock    time.Time // when the customer was last asked for an LOA: the silence expiry counts from here
	nextDeadline     time.Time
	nextDeadlineKind string

	done bool // the group's coroutine has returned
}

// runGroup drives one group from awaiting_loa to an end.
func (w *port) runGroup(ctx workflow.Context, g *group) {
	w.notify(ctx, activities.Notification{
		Key: "loa-requested/" + g.name, Kind: "loa_requested", Recipient: activities.RecipientCustomer,
		Subject: "LOA needed for " + g.name,
		Body:    fmt.Sprintf("Please send a signed %s LOA for %s numbers %v; it must match %s's records.", g.numberType, g.carrier, e164s(g.numbers), g.carrier),
	})
	for !g.state.IsEnd() {
		var err error
		switch g.state {
		case porting.StateAwaitingLOA, porting.StateLOARejected:
			err = w.awaitLOA(ctx, g)
		case porting.StateAwaitingCarrier:
			err = w.awaitCarrierResponse(ctx, g)
		case porting.StateScheduled:
			err = w.awaitProvisioningTime(ctx, g)
		case porting.StateProvisioned:
			err = w.awaitPortDate(ctx, g)
		default:
			err = fmt.Errorf("group %s in unexpected state %s", g.name, g.state)
		}
		if err != nil {
			g.lastReason = err.Error()
			w.setGroupState(ctx, g, porting.StateFailed, "failed: "+err.Error())
			w.notify(ctx, activities.Notification{
				Key: "failed/" + g.name, Kind: "port_failed", Recipient: activities.RecipientOperations,
				Subject: "Port-in group " + g.name + " failed", Body: err.Error(),
			})
		}
	}
	g.nextDeadline = time.Time{}
	g.done = true
}

// awaitLOA waits for the customer's LOA, reminding every few business days, and expires the group
// after the customer has been silent for the configured calendar days.
func (w *port) awaitLOA(ctx workflow.Context, g *group) error {
	expiry := g.customerClock.Add(time.Duration(w.deadlines.CustomerSilenceDays) * 24 * time.Hour)
	reminder := w.clock.addBusinessDays(ctx, g.customerClock, w.deadlines.LOAReminderBusinessDays)
	for reminders := 1; ; reminders++ {
		next, kind := reminder, "loa_reminder"
		if !expiry.After(reminder) {
			next, kind = expiry, "loa_expiry"
		}
		g.nextDeadline, g.nextDeadlineKind = next, kind
		got, err := awaitUntil(ctx, next, kind+" "+g.name, func() bool { return g.pendingLOA != nil || w.cancel != nil })
		if err != nil {
			return err
		}
		switch {
		case w.cancel != nil:
			return w.cancelGroup(ctx, g)
		case got:
			return w.submitLOA(ctx, g)
		case kind == "loa_expiry":
			g.lastReason = fmt.Sprintf("no LOA received within %d days", w.deadlines.CustomerSilenceDays)
			if g.submitted {
				w.sendCarrierCancel(ctx, g, g.lastReason)
			}
			w.setGroupState(ctx, g, porting.StateCancelled, "expired: "+g.lastReason)
			w.notify(ctx, activities.Notification{
				Key: "loa-expired/" + g.name, Kind: "loa_expired", Recipient: activities.RecipientCustomer,
				Subject: "Port request expired for " + g.name,
				Body:    fmt.Sprintf("We received no LOA for %s within %d days, so this part of the request was closed.", g.name, w.deadlines.CustomerSilenceDays),
			})
			return nil
		default:
			w.note(ctx, g.state, fmt.Sprintf("%s: LOA reminder %d sent", g.name, reminders))
			w.notify(ctx, activities.Notification{
				Key: fmt.Sprintf("loa-reminder/%s/%d/%d", g.name, g.loaVersion, reminders), Kind: "loa_reminder",
				Recipient: activities.RecipientCustomer, Subject: "Reminder: LOA needed for " + g.name,
				Body: fmt.Sprintf("We are still waiting for the LOA for %s; the request expires on %s.", g.name, expiry.Format("Mon 2 Jan 2006")),
			})
			reminder = w.clock.addBusinessDays(ctx, reminder, w.deadlines.LOAReminderBusinessDays)
		}
	}
}

// submitLOA records the pending LOA as a new version and submits it to the carrier.
func (w *port) submitLOA(ctx workflow.Context, g *group) error {
	loa := *g.pendingLOA
	g.loaVersion++
	err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("submit LOA v%d of %s", g.loaVersion, g.name)), acts.SubmitLOA,
		activities.SubmitLOAInput{
			WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, NumberType: g.numberType,
			Numbers: e164s(g.numbers), Version: g.loaVersion, LOA: loa,
		}).Get(ctx, nil)
	g.pendingLOA = nil
	if err != nil {
		return plainError(err)
	}
	g.submitted = true
	w.setGroupState(ctx, g, porting.StateAwaitingCarrier, fmt.Sprintf("%s: LOA v%d submitted to %s", g.name, g.loaVersion, g.carrier))
	return nil
}

// awaitCarrierResponse waits for the carrier's answer to the submitted LOA, escalating to
// operations after the configured business days without one and again every period after.
func (w *port) awaitCarrierResponse(ctx workflow.Context, g *group) error {
	period := w.deadlines.CarrierReminderBusinessDays
	escalation := w.clock.addBusinessDays(ctx, workflow.Now(ctx), period)
	for n := 1; ; n++ {
		g.nextDeadline, g.nextDeadlineKind = escalation, "carrier_escalation"
		got, err := awaitUntil(ctx, escalation, "carrier answer "+g.name, func() bool { return g.pendingResponse != nil || w.cancel != nil })
		if err != nil {
			return err
		}
		if w.cancel != nil {
			return w.cancelGroup(ctx, g)
		}
		if got {
			w.applyCarrierResponse(ctx, g)
			return nil
		}
		w.note(ctx, g.state, fmt.Sprintf("%s: no carrier answer after %d business days; escalated", g.name, n*period))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("carrier-escalation/%s/%d/%d", g.name, g.loaVersion, n), Kind: "carrier_escalation",
			Recipient: activities.RecipientOperations,
			Subject:   fmt.Sprintf("%s has not answered LOA v%d for %s", g.carrier, g.loaVersion, g.name),
			Body:      fmt.Sprintf("No answer from %s for %d business days; please chase the carrier.", g.carrier, n*period),
		})
		escalation = w.clock.addBusinessDays(ctx, escalation, period)
	}
}

// applyCarrierResponse takes the pending response: a rejection asks the customer for a new LOA; an
// acceptance (first or a reschedule) sets the port date.
func (w *port) applyCarrierResponse(ctx workflow.Context, g *group) {
	r := *g.pendingResponse
	g.pendingResponse = nil
	if !r.Accepted {
		g.rounds++
		g.lastReason = joinReason(r.ReasonCode, r.Reason)
		g.customerClock = workflow.Now(ctx)
		w.setGroupState(ctx, g, porting.StateLOARejected, fmt.Sprintf("%s: carrier rejected LOA v%d: %s", g.name, g.loaVersion, g.lastReason))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("loa-rejected/%s/%d", g.name, g.loaVersion), Kind: "loa_rejected", Recipient: activities.RecipientCustomer,
			Subject: "New LOA needed for " + g.name,
			Body:    fmt.Sprintf("%s rejected the LOA: %s. Please send a corrected LOA matching the carrier's records.", g.carrier, g.lastReason),
		})
		return
	}
	date := r.PortDate.In(w.clock.cal.Location())
	rescheduled := g.portDate != nil
	g.portDate = &date
	g.portDateVersion++
	note := fmt.Sprintf("%s: carrier accepted; port date %s", g.name, date.Format(time.RFC3339))
	if rescheduled {
		note = fmt.Sprintf("%s: port date moved to %s", g.name, date.Format(time.RFC3339))
	}
	if g.state == porting.StateAwaitingCarrier {
		g.lastReason = ""
		w.setGroupState(ctx, g, porting.StateScheduled, note)
	} else {
		w.note(ctx, g.state, note)
		w.upsertPortDate(ctx)
	}
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("scheduled/%s/%d", g.name, g.portDateVersion), Kind: "port_scheduled", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("Port date for %s: %s", g.name, date.Format("Mon 2 Jan 2006 15:04 MST")),
		Body:    fmt.Sprintf("%s will port %v on %s. We add them to your instance one business day before.", g.carrier, e164s(g.numbers), date.Format(time.RFC1123Z)),
	})
}

// awaitProvisioningTime waits until one business day before the port date (at once when that is
// already past), following reschedules, then provisions the numbers into the instance.
func (w *port) awaitProvisioningTime(ctx workflow.Context, g *group) error {
	for {
		version := g.portDateVersion
		at := w.clock.provisioningTime(ctx, *g.portDate)
		g.nextDeadline, g.nextDeadlineKind = at, "provisioning"
		_, err := awaitUntil(ctx, at, "provision "+g.name, func() bool {
			return g.pendingResponse != nil || w.cancel != nil
		})
		if err != nil {
			return err
		}
		if w.cancel != nil {
			return w.cancelGroup(ctx, g)
		}
		if g.pendingResponse != nil {
			w.applyCarrierResponse(ctx, g)
		}
		if g.portDateVersion == version {
			break
		}
	}
	w.setGroupState(ctx, g, porting.StateProvisioning, fmt.Sprintf("%s: adding %d number(s) to the instance", g.name, len(g.numbers)))
	var res activities.ProvisionResult
	err := workflow.ExecuteActivity(withProvisioning(ctx, "provision "+g.name), acts.ProvisionNumbers, w.numbersInput(g, "")).Get(ctx, &res)
	if err != nil {
		return plainError(err)
	}
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateProvisioned
	}
	w.setGroupState(ctx, g, porting.StateProvisioned, fmt.Sprintf("%s: %d number(s) provisioned on flow %q; phone-number limit now %d", g.name, res.Provisioned, w.req.ContactFlow, res.PhoneNumberLimit))
	return nil
}

// awaitPortDate waits for the port date (following reschedules), then activates and verifies.
func (w *port) awaitPortDate(ctx workflow.Context, g *group) error {
	for {
		version := g.portDateVersion
		g.nextDeadline, g.nextDeadlineKind = *g.portDate, "port_date"
		_, err := awaitUntil(ctx, *g.portDate, "port date "+g.name, func() bool {
			return g.pendingResponse != nil || w.cancel != nil
		})
		if err != nil {
			return err
		}
		if w.cancel != nil {
			return w.cancelGroup(ctx, g)
		}
		if g.pendingResponse != nil {
			w.applyCarrierResponse(ctx, g)
		}
		if g.portDateVersion == version {
			break
		}
	}
	g.nextDeadline = time.Time{}
	w.setGroupState(ctx, g, porting.StateActivating, g.name+": port date reached; activating")
	if err := workflow.ExecuteActivity(withDBActivity(ctx, "activate "+g.name), acts.ActivateNumbers, w.numbersInput(g, "")).Get(ctx, nil); err != nil {
		return plainError(err)
	}
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateActivating
	}
	w.setGroupState(ctx, g, porting.StateVerifying, g.name+": numbers live; placing a test call")
	var res activities.VerifyResult
	if err := workflow.ExecuteActivity(withDBActivity(ctx, "test call "+g.name), acts.VerifyTestCall, w.numbersInput(g, "")).Get(ctx, &res); err != nil {
		return plainError(err)
	}
	if !res.Answered {
		return fmt.Errorf("verification test call not answered by flow %q: %s", w.req.ContactFlow, res.Reason)
	}
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateCompleted
	}
	w.setGroupState(ctx, g, porting.StateCompleted, fmt.Sprintf("%s: test call answered by %q; port complete", g.name, w.req.ContactFlow))
	return nil
}

// cancelGroup stops a group: numbers already added to the instance are released again (and the
// limit increase reversed), and a carrier that has the request is told to cancel it.
func (w *port) cancelGroup(ctx workflow.Context, g *group) error {
	reason := w.cancelNote()
	if g.state == porting.StateProvisioned {
		err := workflow.ExecuteActivity(withDBActivity(ctx, "release "+g.name), acts.ReleaseNumbers, w.numbersInput(g, reason)).Get(ctx, nil)
		if err != nil {
			return plainError(err)
		}
		w.note(ctx, g.state, fmt.Sprintf("%s: %d provisioned number(s) released", g.name, len(g.numbers)))
	}
	if g.submitted {
		w.sendCarrierCancel(ctx, g, reason)
	}
	g.lastReason = reason
	w.setGroupState(ctx, g, porting.StateCancelled, g.name+": "+reason)
	return nil
}

func (w *port) sendCarrierCancel(ctx workflow.Context, g *group, reason string) {
	err := workflow.ExecuteActivity(withDBActivity(ctx, "cancel at carrier "+g.name), acts.SubmitCarrierCancel, activities.CarrierCancelInput{
		WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, Numbers: e164s(g.numbers), Reason: reason,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("carrier cancellation not queued", "group", g.name, "error", err)
	}
}

// setGroupState moves a group and its numbers, then the request's state.
func (w *port) setGroupState(ctx workflow.Context, g *group, s porting.State, note string) {
	g.state = s
	for _, n := range g.numbers {
		ns := w.number(n.E164)
		if !ns.state.IsEnd() || s.IsEnd() {
			ns.state = s
			if s.IsEnd() && s != porting.StateCompleted {
				ns.reason = g.lastReason
			}
		}
	}
	w.note(ctx, s, note)
	w.refreshState(ctx)
}

func (w *port) numbersInput(g *group, reason string) activities.NumbersInput {
	return activities.NumbersInput{
		WorkflowID: w.workflowID, Group: g.name, InstanceARN: w.req.InstanceARN,
		ContactFlow: w.req.ContactFlow, Numbers: g.numbers, Reason: reason,
	}
}

func e164s(numbers []porting.PortNumber) []string {
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = n.E164
	}
	return out
}

func joinReason(code, reason string) string {
	switch {
	case code == "":
		return reason
	case reason == "":
		return code
	default:
		return code + " " + reason
	}
}
