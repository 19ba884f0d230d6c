package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
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
	// cancelRequested: a cancellation was sent to a carrier that holds the request and must confirm
	// it; until it answers, the port goes on (and completes if the carrier ports anyway).
	cancelRequested   bool
	carrierCancelSent bool
	submittedAt       time.Time // when the current LOA version reached the carrier
	rounds            int       // rejection rounds
	lastReason        string

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
		got, err := awaitUntil(ctx, next, kind+" "+g.name, func() bool { return g.pendingLOA != nil || w.cancelPending(g) })
		if err != nil {
			return err
		}
		switch {
		case w.cancelPending(g):
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
	loa := withLOADefaults(*g.pendingLOA, w.loaDefaults)
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
	g.submittedAt = workflow.Now(ctx)
	w.setGroupState(ctx, g, porting.StateAwaitingCarrier, fmt.Sprintf("%s: LOA v%d submitted to %s", g.name, g.loaVersion, g.carrier))
	return nil
}

// followUp is a chase of a carrier that has not answered: n business days after the submission,
// a notification of kind to recipient.
type followUp struct {
	businessDays int
	kind         string
	recipient    string
}

// awaitCarrierResponse waits for the carrier's answer to the submitted LOA, chasing it on the
// process's follow-up schedule and then every CarrierReminderBusinessDays.
func (w *port) awaitCarrierResponse(ctx workflow.Context, g *group) error {
	steps := w.rules.carrierFollowUps
	at, done := workflow.Now(ctx), 0
	for n := 0; ; n++ {
		step := steps[len(steps)-1]
		step.businessDays = done + w.deadlines.CarrierReminderBusinessDays
		if n < len(steps) {
			step = steps[n]
		}
		at = w.clock.addBusinessDays(ctx, at, step.businessDays-done)
		done = step.businessDays
		g.nextDeadline, g.nextDeadlineKind = at, step.kind
		for {
			got, err := awaitUntil(ctx, at, "carrier answer "+g.name, func() bool { return g.pendingResponse != nil || w.cancelPending(g) })
			if err != nil {
				return err
			}
			if w.cancelPending(g) {
				if ended, err := w.handleCancel(ctx, g); ended || err != nil {
					return err
				}
				continue
			}
			if got {
				w.applyCarrierResponse(ctx, g)
				return nil
			}
			break
		}
		w.note(ctx, g.state, fmt.Sprintf("%s: no carrier answer after %d business days; %s sent to %s", g.name, done, step.kind, step.recipient))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("%s/%s/%d/%d", step.kind, g.name, g.loaVersion, n+1), Kind: step.kind,
			Recipient: step.recipient,
			Subject:   fmt.Sprintf("%s has not answered LOA v%d for %s", g.carrier, g.loaVersion, g.name),
			Body:      fmt.Sprintf("No answer from %s for %d business days since the submission; please chase the carrier.", g.carrier, done),
		})
	}
}

// applyCarrierResponse takes the pending response: a rejection asks the customer for a new LOA; an
// acceptance (first or a reschedule) sets the port date.
func (w *port) applyCarrierResponse(ctx workflow.Context, g *group) {
	r := *g.pendingResponse
	g.pendingResponse = nil
	if g.state == porting.StateAwaitingCarrier && !g.cancelRequested {
		// Only a metric (no command depends on it); the holiday library's lookups are pure.
		//workflowcheck:ignore
		latency := w.clock.cal.BusinessDaysBetween(g.submittedAt, workflow.Now(ctx))
		metrics.CarrierResponseLatency(ctx, w.kind, latency)
	}
	if g.cancelRequested {
		w.applyCancelAnswer(ctx, g, r)
		return
	}
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
	if w.rules.preferredWindow != nil && !w.rules.preferredWindow.Contains(date) {
		win := w.rules.preferredWindow
		w.note(ctx, g.state, fmt.Sprintf("%s: port date %s is outside the preferred window %s – %s", g.name,
			date.Format(time.RFC3339), win.Start.Format(time.RFC3339), win.End.Format(time.RFC3339)))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("outside-window/%s/%d", g.name, g.portDateVersion), Kind: "port_date_outside_window",
			Recipient: activities.RecipientCustomer, Subject: "The carrier's port date is outside your preferred window",
			Body: fmt.Sprintf("%s proposed %s, outside your preferred window (%s to %s). The port goes ahead on that date unless you cancel.",
				g.carrier, date.Format(time.RFC1123Z), win.Start.Format(time.RFC1123Z), win.End.Format(time.RFC1123Z)),
		})
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
		at := w.clock.provisioningTime(ctx, *g.portDate)
		g.nextDeadline, g.nextDeadlineKind = at, "provisioning"
		if fired, err := w.awaitGroupDeadline(ctx, g, at, "provision "+g.name); !fired || err != nil {
			if err != nil || g.state.IsEnd() {
				return err
			}
			continue
		}
		break
	}
	w.setGroupState(ctx, g, porting.StateProvisioning, fmt.Sprintf("%s: adding %d number(s) to the instance", g.name, len(g.numbers)))
	started := workflow.Now(ctx)
	var res activities.ProvisionResult
	err := workflow.ExecuteActivity(withProvisioning(ctx, "provision "+g.name), acts.ProvisionNumbers, w.numbersInput(g, "")).Get(ctx, &res)
	if err != nil {
		return plainError(err)
	}
	metrics.ProvisioningDuration(ctx, w.kind, workflow.Now(ctx).Sub(started))
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateProvisioned
	}
	w.setGroupState(ctx, g, porting.StateProvisioned, fmt.Sprintf("%s: %d number(s) provisioned on flow %q; phone-number limit now %d", g.name, res.Provisioned, w.req.ContactFlow, res.PhoneNumberLimit))
	return nil
}

// awaitPortDate waits for the port date (following reschedules), then activates and verifies.
func (w *port) awaitPortDate(ctx workflow.Context, g *group) error {
	for {
		g.nextDeadline, g.nextDeadlineKind = *g.portDate, "port_date"
		if fired, err := w.awaitGroupDeadline(ctx, g, *g.portDate, "port date "+g.name); !fired || err != nil {
			if err != nil || g.state.IsEnd() {
				return err
			}
			continue
		}
		break
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

// awaitGroupDeadline waits for a scheduled group's deadline. It reports fired=false when a carrier
// response (a reschedule, or the answer to a cancellation) or a cancel came first and was handled:
// the caller then recomputes its deadline, or stops if the group ended.
func (w *port) awaitGroupDeadline(ctx workflow.Context, g *group, at time.Time, summary string) (fired bool, err error) {
	_, err = awaitUntil(ctx, at, summary, func() bool { return g.pendingResponse != nil || w.cancelPending(g) })
	switch {
	case err != nil:
		return false, err
	case w.cancelPending(g):
		_, err = w.handleCancel(ctx, g)
		return false, err
	case g.pendingResponse != nil:
		w.applyCarrierResponse(ctx, g)
		return false, nil
	}
	return true, nil
}

// cancelPending reports a cancellation this group has not acted on yet.
func (w *port) cancelPending(g *group) bool { return w.cancel != nil && !g.cancelRequested }

// carrierHolds reports whether the carrier holds a live port request of the group.
func carrierHolds(g *group) bool {
	switch g.state {
	case porting.StateAwaitingCarrier, porting.StateScheduled, porting.StateProvisioning, porting.StateProvisioned:
		return g.submitted
	}
	return false
}

// handleCancel acts on a cancellation: where the process needs the carrier's confirmation and the
// carrier holds the request, the cancellation is sent and the group waits (cancel_requested);
// otherwise the group is cancelled at once. It reports whether the group ended.
func (w *port) handleCancel(ctx workflow.Context, g *group) (ended bool, err error) {
	if !w.rules.confirmCancelAtCarrier || !carrierHolds(g) {
		return true, w.cancelGroup(ctx, g)
	}
	g.cancelRequested = true
	w.sendCarrierCancel(ctx, g, w.cancelNote())
	w.note(ctx, porting.StateCancelRequested, fmt.Sprintf("%s: cancellation sent to %s; the port goes on until the carrier confirms it", g.name, g.carrier))
	w.refreshState(ctx)
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("cancel-requested/%s/%d", g.name, g.loaVersion), Kind: "cancel_requested", Recipient: activities.RecipientCustomer,
		Subject: "Cancellation requested from " + g.carrier,
		Body:    fmt.Sprintf("%s has the port request, so cancelling it is a request to the carrier. We will tell you when it answers.", g.carrier),
	})
	return false, nil
}

// applyCancelAnswer takes the carrier's answer to a cancellation: accepted means the cancellation
// took; a refusal means the port goes ahead.
func (w *port) applyCancelAnswer(ctx workflow.Context, g *group, r porting.CarrierResponse) {
	g.cancelRequested = false
	if r.Accepted {
		g.carrierCancelSent = true // confirmed: nothing more to tell the carrier
		if err := w.cancelGroup(ctx, g); err != nil {
			g.lastReason = err.Error()
			w.setGroupState(ctx, g, porting.StateFailed, "failed while cancelling: "+err.Error())
		}
		return
	}
	reason := joinReason(r.ReasonCode, r.Reason)
	w.note(ctx, g.state, fmt.Sprintf("%s: %s refused the cancellation (%s); the port goes ahead", g.name, g.carrier, reason))
	w.cancel = nil
	w.refreshState(ctx)
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("cancel-refused/%s/%d", g.name, g.loaVersion), Kind: "cancel_refused", Recipient: activities.RecipientCustomer,
		Subject: g.carrier + " refused the cancellation",
		Body:    fmt.Sprintf("%s refused to cancel the port (%s); it goes ahead as scheduled.", g.carrier, reason),
	})
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
	if g.carrierCancelSent {
		return
	}
	g.carrierCancelSent = true
	err := workflow.ExecuteActivity(withDBActivity(ctx, "cancel at carrier "+g.name), acts.SubmitCarrierCancel, activities.CarrierCancelInput{
		WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, Numbers: e164s(g.numbers), Reason: reason,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("carrier cancellation not queued", "group", g.name, "error", err)
	}
}

// visibleState is the group's state as shown: cancel_requested while a carrier is asked to cancel.
func (g *group) visibleState() porting.State {
	if g.cancelRequested && !g.state.IsEnd() {
		return porting.StateCancelRequested
	}
	return g.state
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

// withLOADefaults fills what the LOA leaves out from the request (international requests carry the
// account number, PIN and billing number up front).
func withLOADefaults(l, defaults porting.LOA) porting.LOA {
	if l.AccountNumber == "" {
		l.AccountNumber = defaults.AccountNumber
	}
	if l.PIN == "" {
		l.PIN = defaults.PIN
	}
	if l.BillingTelephoneNumber == "" {
		l.BillingTelephoneNumber = defaults.BillingTelephoneNumber
	}
	return l
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
		return code + ": " + reason
	}
}
