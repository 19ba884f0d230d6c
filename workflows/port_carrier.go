package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// maxQueuedAnswers caps the carrier responses one group keeps waiting: a carrier (or a script) that
// floods a group is refused with the reason instead of growing the workflow without bound.
const maxQueuedAnswers = 5

// carrierAnswer is one carrier-response waiting for its group. Answers are applied one at a time in
// arrival order, each checked again against the state it then meets: two answers delivered in one
// workflow task are both applied (a corrected date after an acceptance reschedules), never dropped.
type carrierAnswer struct {
	seq     int
	resp    porting.CarrierResponse
	done    bool
	refused error // why the answer no longer fitted when its turn came
}

func (g *group) hasAnswer() bool { return len(g.answers) > 0 }

// queueAnswer hands a validated carrier response to its group and says so in the history when it
// waits behind others.
func (w *port) queueAnswer(ctx workflow.Context, g *group, r porting.CarrierResponse) *carrierAnswer {
	g.answerSeq++
	a := &carrierAnswer{seq: g.answerSeq, resp: r}
	if len(g.answers) > 0 {
		w.note(ctx, g.visibleState(), fmt.Sprintf("%s: carrier response #%d queued behind %d earlier one(s); each is applied in turn", g.name, a.seq, len(g.answers)))
	}
	g.answers = append(g.answers, a)
	return a
}

// followUp is a chase of a carrier that has not answered: n business days after the submission,
// a notification of kind to recipient.
type followUp struct {
	businessDays int
	kind         string
	recipient    string
}

// chase is how far the chase of a silent carrier has got: follow-up step n, the deadline it waits
// for (at, done business days since the submission) and the expiry. It lives on the group so that a
// port carried over by continue-as-new goes on where it was.
type chase struct {
	started  bool
	n        int
	done     int
	at       time.Time
	expiry   time.Time
	waiting  bool // at is step n's deadline
	expiring bool // at is the expiry
}

// awaitCarrierResponse waits for the carrier's answer to the submitted LOA, chasing it on the
// process's follow-up schedule and then every CarrierReminderBusinessDays, and (from
// versionFailurePaths) expiring the group after CarrierSilenceBusinessDays without an answer.
func (w *port) awaitCarrierResponse(ctx workflow.Context, g *group) error {
	steps := w.rules.carrierFollowUps
	c := &g.chase
	if w.v < versionFailurePaths {
		*c = chase{started: true, at: workflow.Now(ctx)} // before: the chase started afresh at every entry
	} else if !c.started {
		*c = chase{started: true, at: g.submittedAt}
		c.expiry = w.clock.addBusinessDays(ctx, g.submittedAt, w.deadlines.CarrierSilenceBusinessDays)
	}
	for ; ; c.n++ {
		step := steps[len(steps)-1]
		step.businessDays = c.done + w.deadlines.CarrierReminderBusinessDays
		if c.n < len(steps) {
			step = steps[c.n]
		}
		if !c.waiting {
			next := w.clock.addBusinessDays(ctx, c.at, step.businessDays-c.done)
			c.expiring = !c.expiry.IsZero() && !c.expiry.After(next)
			if c.expiring {
				next = c.expiry
			}
			c.at, c.done, c.waiting = next, step.businessDays, true
		}
		g.nextDeadline, g.nextDeadlineKind = c.at, step.kind
		if c.expiring {
			g.nextDeadlineKind = "carrier_expiry"
		}
		for {
			g.parked = !g.cancelRequested
			got, err := awaitDeadline(ctx, w.kind, metrics.WaitCarrierAnswer, c.at, "carrier answer "+g.name, func() bool { return g.hasAnswer() || w.cancelPending(g) || g.hasChange() })
			g.parked = false
			if err != nil {
				return err
			}
			if w.cancelPending(g) {
				if ended, err := w.handleCancel(ctx, g); ended || err != nil {
					return err
				}
				continue
			}
			if g.hasChange() {
				w.applyChanges(ctx, g)
				if g.state != porting.StateAwaitingCarrier {
					return nil
				}
				continue
			}
			if got {
				w.applyCarrierResponse(ctx, g)
				if w.v < versionFailurePaths || g.state != porting.StateAwaitingCarrier {
					return nil
				}
				continue // refused when its turn came, or a cancellation answered: the same chase goes on
			}
			break
		}
		if c.expiring {
			return w.expireAtCarrier(ctx, g)
		}
		w.note(ctx, g.state, fmt.Sprintf("%s: no carrier answer after %d business days; %s sent to %s", g.name, c.done, step.kind, step.recipient))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("%s/%s/%d/%d", step.kind, g.name, g.loaVersion, c.n+1), Kind: step.kind,
			Recipient: step.recipient,
			Subject:   fmt.Sprintf("%s has not answered LOA v%d for %s", g.carrier, g.loaVersion, g.name),
			Body:      fmt.Sprintf("No answer from %s for %d business days since the submission; please chase the carrier.", g.carrier, c.done),
		})
		c.waiting = false
	}
}

// expireAtCarrier closes a group whose carrier never answered its LOA: the carrier is told to
// cancel (it holds the request), the customer and operations are told; the numbers were never on the
// instance and are unlocked when the request ends.
func (w *port) expireAtCarrier(ctx workflow.Context, g *group) error {
	g.lastReason = fmt.Sprintf("%s did not answer LOA v%d within %d business days", g.carrier, g.loaVersion, w.deadlines.CarrierSilenceBusinessDays)
	w.sendCarrierCancel(ctx, g, "expired: "+g.lastReason)
	w.setGroupState(ctx, g, porting.StateCancelled, fmt.Sprintf("%s: expired: %s; the carrier is told to cancel", g.name, g.lastReason))
	body := fmt.Sprintf("%s never answered the port request for %v (LOA v%d), so this part of the request was closed and the carrier told to cancel it. "+
		"The numbers stay with %s; you may start a new port-in.", g.carrier, e164s(g.numbers), g.loaVersion, g.carrier)
	w.notify(ctx, activities.Notification{
		Key: "carrier-expired/" + g.name, Kind: "carrier_expired", Recipient: activities.RecipientCustomer,
		Subject: "Port request expired for " + g.name, Body: body,
	})
	w.notify(ctx, activities.Notification{
		Key: "carrier-expired-ops/" + g.name, Kind: "carrier_expired", Recipient: activities.RecipientOperations,
		Subject: fmt.Sprintf("Port-in %s: %s never answered %s", w.req.RequestID, g.carrier, g.name), Body: body,
	})
	return nil
}

// answerRefusal says why a carrier response does not fit the group as it is now, or nil. The
// validator asks it when the response arrives and the group asks it again when the response's
// turn comes.
func (w *port) answerRefusal(ctx workflow.Context, g *group, in porting.CarrierResponse) error {
	if g.cancelRequested && !g.state.IsEnd() {
		// The answer to a cancellation: accepted without a date confirms it, rejected refuses it; accepted
		// with a date is a reschedule of the port that still awaits the cancellation's answer.
		if len(in.Numbers) > 0 {
			return fmt.Errorf("numbers: group %s awaits %s's answer to a cancellation; answer it for the whole group, without numbers", g.name, g.carrier)
		}
		if w.v >= versionFailurePaths && in.Accepted && in.PortDate != nil {
			return porting.ValidateCarrierResponse(in, workflow.Now(ctx))
		}
		return nil
	}
	if err := porting.ValidateCarrierResponse(in, workflow.Now(ctx)); err != nil {
		return err
	}
	if _, err := w.openGroup(in.Group); err != nil {
		return err
	}
	if err := w.numberAnswersRefusal(g, in); err != nil {
		return err
	}
	switch {
	case g.state == porting.StateAwaitingCarrier:
		return nil
	case g.state == porting.StateScheduled || g.state == porting.StateProvisioning || g.state == porting.StateProvisioned:
		if !in.Accepted && w.v < versionFailurePaths {
			return fmt.Errorf("group %s is %s, not awaiting the carrier; a rejection is only taken while the carrier has an LOA", g.name, g.state)
		}
		return nil // a new date reschedules; a rejection withdraws the date
	default:
		return fmt.Errorf("group %s is %s, not awaiting the carrier", g.name, g.state)
	}
}

// applyCarrierResponse takes the oldest waiting response: a rejection asks the customer for a new
// LOA (while scheduled it withdraws the port date); an acceptance sets or moves the port date; to a
// pending cancellation it is the carrier's answer.
func (w *port) applyCarrierResponse(ctx workflow.Context, g *group) {
	a := g.answers[0]
	g.answers = g.answers[1:]
	if w.v < versionFailurePaths {
		a.done = true // before: the update answered once its response was taken, not once applied
	}
	defer func() { a.done = true }()
	r := a.resp
	if w.v >= versionFailurePaths {
		if err := w.answerRefusal(ctx, g, r); err != nil {
			a.refused = err
			w.note(ctx, g.visibleState(), fmt.Sprintf("ignored carrier response #%d for %s when its turn came: %v", a.seq, g.name, err))
			return
		}
	}
	if g.state == porting.StateAwaitingCarrier && !g.cancelRequested {
		// Only a metric (no command depends on it); the holiday library's lookups are pure.
		//workflowcheck:ignore
		latency := w.clock.cal.BusinessDaysBetween(g.submittedAt, workflow.Now(ctx))
		metrics.CarrierResponseLatency(ctx, w.kind, latency)
	}
	switch {
	case g.cancelRequested:
		w.applyCancelAnswer(ctx, g, r)
	case g.supp != nil && w.v >= versionNumberLevel:
		w.answerSupp(ctx, g, r)
	case !r.Accepted && g.state == porting.StateAwaitingCarrier:
		w.rejectLOA(ctx, g, r)
	case !r.Accepted:
		w.withdrawPortDate(ctx, g, r)
	default:
		if rejected := r.Rejected(); len(rejected) > 0 && w.v >= versionNumberLevel {
			w.splitGroup(ctx, g, rejected)
		}
		w.acceptPortDate(ctx, g, r)
	}
}

// rejectLOA: the carrier rejected the LOA; the customer is asked for a corrected one.
func (w *port) rejectLOA(ctx workflow.Context, g *group, r porting.CarrierResponse) {
	g.rounds++
	g.setRejection(r, joinReason(r.ReasonCode, r.Reason))
	g.askForLOA(workflow.Now(ctx))
	w.setGroupState(ctx, g, porting.StateLOARejected, fmt.Sprintf("%s: carrier rejected LOA v%d: %s", g.name, g.loaVersion, g.lastReason))
	body := fmt.Sprintf("%s rejected the LOA: %s. What to do: %s", g.carrier, g.lastReason, g.coded.action)
	if len(r.Numbers) > 0 {
		// The carrier said why, number by number: each number shows its own reason.
		w.recordNumberAnswers(r.Numbers)
		body += " " + describeNumberAnswers(r.Numbers, g.carrier)
	}
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("loa-rejected/%s/%d", g.name, g.loaVersion), Kind: "loa_rejected", Recipient: activities.RecipientCustomer,
		Subject: "New LOA needed for " + g.name, Body: body,
	})
}

// codedReason is the catalogue's reading of a carrier's rejection (porting.LookupReason): its code
// (OTHER for one the catalogue does not know) and what the customer should do. It explains the
// group's lastReason it was recorded with, and is shown only while that is still the last reason
// (a later expiry, failure or acceptance replaces it). Status only: no command depends on it.
type codedReason struct {
	code   porting.ReasonCode
	action string
	of     string // the lastReason it explains
}

// setRejection records a carrier's rejection as the group's last reason, with its catalogue code and
// customer action.
func (g *group) setRejection(r porting.CarrierResponse, lastReason string) {
	reason := porting.ReasonFor(r.ReasonCode, r.Reason)
	g.lastReason = lastReason
	g.coded = codedReason{code: reason.Code, action: reason.Action(g.carrier), of: lastReason}
}

// lastReasonCode is the catalogue code and customer action of the group's last reason, when it is a
// carrier's rejection.
func (g *group) lastReasonCode() (porting.ReasonCode, string) {
	if g.lastReason == "" || g.coded.code == "" || g.coded.of != g.lastReason {
		return "", ""
	}
	return g.coded.code, g.coded.action
}

// withdrawPortDate: the carrier withdrew its firm order commitment while the port was scheduled or
// provisioned. Numbers already on the instance are released (the limit increase with them), the
// group goes back to loa_rejected and the customer is asked for a corrected LOA.
func (w *port) withdrawPortDate(ctx workflow.Context, g *group, r porting.CarrierResponse) {
	reason := joinReason(r.ReasonCode, r.Reason)
	old := *g.portDate
	released := ""
	if g.onInstance {
		if err := w.releaseFromInstance(ctx, g, "port date withdrawn by the carrier: "+reason); err != nil {
			workflow.GetLogger(ctx).Error("release after a withdrawn port date failed", "group", g.name, "error", err)
		}
		released = fmt.Sprintf("; the %d provisioned number(s) were released", len(g.numbers))
	}
	g.portDate = nil
	g.portDateVersion++
	g.rounds++
	g.setRejection(r, "the carrier withdrew the port date: "+reason)
	g.askForLOA(workflow.Now(ctx))
	w.setGroupState(ctx, g, porting.StateLOARejected, fmt.Sprintf("%s: %s withdrew the port date %s (%s)%s; a corrected LOA is needed",
		g.name, g.carrier, w.localTime(old), reason, released))
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("port-date-withdrawn/%s/%d", g.name, g.portDateVersion), Kind: "port_date_withdrawn", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("%s withdrew the port date for %s", g.carrier, g.name),
		Body: fmt.Sprintf("%s withdrew the port date %s for %v: %s. Nothing ports on that date. What to do: %s",
			g.carrier, w.localTime(old), e164s(g.numbers), reason, g.coded.action),
	})
}

// acceptPortDate sets the port date on the first acceptance and moves it on a later one; the same
// date again changes nothing. A date moved far enough that provisioned numbers would wait more than
// a business day is provisioned again about a business day before the new date.
func (w *port) acceptPortDate(ctx workflow.Context, g *group, r porting.CarrierResponse) {
	date := r.PortDate.In(w.clock.cal.Location())
	if w.v >= versionFailurePaths && g.portDate != nil && date.Equal(*g.portDate) {
		w.note(ctx, g.visibleState(), fmt.Sprintf("%s: %s confirmed the port date %s again; nothing changes", g.name, g.carrier, w.localTime(date)))
		return
	}
	rescheduled := g.portDate != nil
	g.portDate = &date
	g.portDateVersion++
	note := fmt.Sprintf("%s: carrier accepted; port date %s", g.name, date.Format(time.RFC3339))
	if rescheduled {
		note = fmt.Sprintf("%s: port date moved to %s", g.name, date.Format(time.RFC3339))
	}
	if g.cancelRequested {
		note += "; the cancellation still awaits the carrier's answer"
	}
	if g.state == porting.StateAwaitingCarrier {
		g.lastReason, g.coded = "", codedReason{}
		w.setGroupState(ctx, g, porting.StateScheduled, note)
	} else {
		w.note(ctx, g.visibleState(), note)
		w.upsertPortDate(ctx)
	}
	if w.rules.preferredWindow != nil && !w.rules.preferredWindow.Contains(date) {
		win := w.rules.preferredWindow
		w.note(ctx, g.visibleState(), fmt.Sprintf("%s: port date %s is outside the preferred window %s – %s", g.name,
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
	if w.v >= versionFailurePaths && g.state == porting.StateProvisioned {
		w.reprovisionIfMovedLater(ctx, g)
	}
}

// reprovisionIfMovedLater releases provisioned numbers when the new port date's provisioning time
// is more than a business day away: they would otherwise sit on the instance, counted against its
// limit, for as long as the date moved. They are provisioned again a business day before the date.
func (w *port) reprovisionIfMovedLater(ctx workflow.Context, g *group) {
	at := w.clock.provisioningTime(ctx, *g.portDate)
	keepUntil := w.clock.addBusinessDays(ctx, workflow.Now(ctx), 1)
	if !at.After(keepUntil) {
		return
	}
	if err := w.releaseFromInstance(ctx, g, "port date moved to "+w.localTime(*g.portDate)); err != nil {
		workflow.GetLogger(ctx).Error("release for a later port date failed; the numbers stay provisioned", "group", g.name, "error", err)
		return
	}
	w.setGroupState(ctx, g, porting.StateScheduled, fmt.Sprintf("%s: the %d provisioned number(s) were released for the later date; they are provisioned again on %s",
		g.name, len(g.numbers), w.localTime(at)))
}
