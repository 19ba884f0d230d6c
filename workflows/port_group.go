package workflows

import (
	"errors"
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
	cancelRequested bool
	cancelConfirmed bool // the carrier confirmed a cancellation: nothing more to tell it
	cancelRounds    int  // cancellations sent to the carrier; each round has its own outbox row
	submittedAt     time.Time
	rounds          int // rejection rounds (a withdrawn port date counts as one)
	lastReason      string
	coded           codedReason // the catalogue code and customer action of lastReason, when a carrier's rejection

	pendingLOA *loaSubmission
	answers    []*carrierAnswer // carrier responses not yet applied, in arrival order
	answerSeq  int

	// Number-level changes (versionNumberLevel, port_changes.go).
	splitFrom     string       // the group this one's numbers left when the carrier rejected them alone
	csrStops      int          // LOAs the CSR pre-check kept from the carrier
	pendingSupp   *suppRequest // a port date the customer asked for, not yet sent to the carrier
	supp          *suppRequest // sent to the carrier (outbox kind supp), awaiting its answer
	supps         int          // supplemental changes sent to the carrier (each its own outbox row)
	removals      []*removal   // remove-numbers waiting for the group, in arrival order
	removalRounds int          // removals applied (keys their notifications)

	portDate        *time.Time
	portDateVersion int // bumps on every accepted date, so waits notice a reschedule

	provisionRounds int  // provisionings started; numbers released for a later date are provisioned in a new round
	onInstance      bool // this port may hold numbers of the group on the instance (release them on any other end)

	customerClock    time.Time // when the customer was last asked for an LOA: the silence expiry counts from here
	loaReminderAt    time.Time // the next LOA reminder (zero: counted afresh from customerClock)
	loaReminders     int       // LOA reminders sent since customerClock
	chase            chase     // the chase of a silent carrier since the current LOA version's submission
	parked           bool      // the group waits for a deadline with nothing to act on (a safe point for continue-as-new)
	resumed          bool      // the group was carried over by continue-as-new
	nextDeadline     time.Time
	nextDeadlineKind string

	done bool // the group's coroutine has returned
}

// keepLive marks a failure after which the group's numbers stay live on the instance on purpose:
// the carrier has ported them, so releasing them would leave the customer's numbers nowhere.
type keepLive struct{ error }

// runGroup drives one group from awaiting_loa to an end.
func (w *port) runGroup(ctx workflow.Context, g *group) {
	if !g.resumed && g.splitFrom == "" && w.order == nil { // a bulk request asks once per group for all its orders
		w.notify(ctx, activities.Notification{
			Key: "loa-requested/" + g.name, Kind: "loa_requested", Recipient: activities.RecipientCustomer,
			Subject: "LOA needed for " + g.name,
			Body:    fmt.Sprintf("Please send a signed %s LOA for %s numbers %v; it must match %s's records.", g.numberType, g.carrier, e164s(g.numbers), g.carrier),
		})
	}
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
		if err == nil {
			continue
		}
		if w.v < versionFailurePaths {
			g.lastReason = err.Error()
			w.setGroupState(ctx, g, porting.StateFailed, "failed: "+err.Error())
			w.notify(ctx, activities.Notification{
				Key: "failed/" + g.name, Kind: "port_failed", Recipient: activities.RecipientOperations,
				Subject: "Port-in group " + g.name + " failed", Body: err.Error(),
			})
			continue
		}
		var live keepLive
		w.failGroup(ctx, g, err, errors.As(err, &live))
	}
	// Answers and changes that arrived after the end are told so, not left waiting.
	for len(g.answers) > 0 {
		a := g.answers[0]
		g.answers = g.answers[1:]
		a.refused = fmt.Errorf("group %s is %s", g.name, g.state)
		a.done = true
	}
	w.refuseChangesAfterEnd(g)
	g.nextDeadline = time.Time{}
	g.done = true
}

// awaitLOA waits for the customer's LOA, reminding every few business days, and expires the group
// after the customer has been silent for the configured calendar days.
func (w *port) awaitLOA(ctx workflow.Context, g *group) error {
	expiry := g.customerClock.Add(time.Duration(w.deadlines.CustomerSilenceDays) * 24 * time.Hour)
	if g.loaReminderAt.IsZero() {
		g.loaReminderAt = w.clock.addBusinessDays(ctx, g.customerClock, w.deadlines.LOAReminderBusinessDays)
		g.loaReminders = 0
	}
	for {
		reminders := g.loaReminders + 1
		next, kind := g.loaReminderAt, "loa_reminder"
		if !expiry.After(g.loaReminderAt) {
			next, kind = expiry, "loa_expiry"
		}
		g.nextDeadline, g.nextDeadlineKind = next, kind
		g.parked = true
		got, err := awaitDeadline(ctx, w.kind, metrics.WaitCustomerLOA, next, kind+" "+g.name, func() bool {
			return g.pendingLOA != nil || w.cancelPending(g) || (w.v >= versionFailurePaths && g.hasAnswer()) || g.hasChange()
		})
		g.parked = false
		if err != nil {
			return err
		}
		switch {
		case w.cancelPending(g):
			return w.cancelGroup(ctx, g)
		case g.hasChange():
			w.applyChanges(ctx, g)
			if g.state.IsEnd() {
				return nil
			}
			continue
		case g.pendingLOA == nil && g.hasAnswer():
			// A carrier response queued behind the one that rejected the LOA: it answered an LOA the
			// carrier no longer holds, so it is refused now rather than taken for the next version.
			w.applyCarrierResponse(ctx, g)
			continue
		case got:
			return w.submitLOA(ctx, g)
		case kind == "loa_expiry":
			g.lastReason = fmt.Sprintf("no LOA received within %d days", w.deadlines.CustomerSilenceDays)
			if g.submitted {
				w.sendCarrierCancel(ctx, g, g.lastReason)
			}
			w.setGroupState(ctx, g, porting.StateCancelled, "expired: "+g.lastReason)
			w.notify(ctx, activities.Notification{
				Key: "loa-expired/" + w.loaGroup(g), Kind: "loa_expired", Recipient: activities.RecipientCustomer,
				Subject: "Port request expired for " + g.name,
				Body:    fmt.Sprintf("We received no LOA for %s within %d days, so this part of the request was closed.", g.name, w.deadlines.CustomerSilenceDays),
			})
			return nil
		default:
			w.note(ctx, g.state, fmt.Sprintf("%s: LOA reminder %d sent", g.name, reminders))
			w.notify(ctx, activities.Notification{
				Key: fmt.Sprintf("loa-reminder/%s/%d/%d", w.loaGroup(g), g.loaVersion, reminders), Kind: "loa_reminder",
				Recipient: activities.RecipientCustomer, Subject: "Reminder: LOA needed for " + g.name,
				Body: fmt.Sprintf("We are still waiting for the LOA for %s; the request expires on %s.", g.name, w.localDay(expiry)),
			})
			g.loaReminders = reminders
			g.loaReminderAt = w.clock.addBusinessDays(ctx, g.loaReminderAt, w.deadlines.LOAReminderBusinessDays)
		}
	}
}

// loaGroup is the group the customer sends the LOA for: in an order of a bulk request, the group it
// belongs to (its orders' reminders are one message to the customer: the outbox keeps one row per
// key); otherwise the group itself.
func (w *port) loaGroup(g *group) string {
	if w.order != nil && g.splitFrom == "" {
		return porting.OrderOf(g.name)
	}
	return g.name
}

// askForLOA starts a new wait for the customer's LOA from now (the silence expiry and the
// reminders count from here).
func (g *group) askForLOA(now time.Time) {
	g.customerClock = now
	g.loaReminderAt, g.loaReminders = time.Time{}, 0
}

// submitLOA records the pending LOA as a new version and submits it to the carrier. An LOA that
// arrives while one is being submitted is the customer's correction: it is submitted next, as a new
// version that supersedes the one before (ports before versionFailurePaths refused it). From
// versionNumberLevel each LOA is first compared with the losing carrier's customer service records:
// one that does not match is kept from the carrier (the group goes to loa_rejected with CSR_MISMATCH)
// unless the customer overrides the check.
func (w *port) submitLOA(ctx workflow.Context, g *group) error {
	for g.pendingLOA != nil {
		sub := g.pendingLOA
		loa := withLOADefaults(sub.loa, w.loaDefaults)
		if w.v >= versionFailurePaths {
			g.pendingLOA = nil
		}
		checked := w.v >= versionNumberLevel
		version, summary := g.loaVersion+1, fmt.Sprintf("submit LOA v%d of %s", g.loaVersion+1, g.name)
		if checked {
			summary = fmt.Sprintf("CSR pre-check and submit LOA v%d of %s", version, g.name)
		} else {
			g.loaVersion = version // before number-level the version counted from the attempt, not the sending
		}
		var res activities.LOASubmitted
		err := w.step(ctx, summary, acts.SubmitLOA,
			activities.SubmitLOAInput{
				WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, NumberType: g.numberType,
				Numbers: e164s(g.numbers), Version: version, LOA: loa, CheckCSR: checked, OverrideCSR: sub.override,
			}).Get(ctx, &res)
		if w.v < versionFailurePaths {
			g.pendingLOA = nil
		}
		if err != nil {
			sub.refuse(fmt.Errorf("group %s: LOA v%d could not be submitted: %v", g.name, version, plainError(err)))
			return plainError(err)
		}
		if checked && !w.passedCSR(ctx, g, sub, version, res) {
			continue // kept from the carrier: the group is loa_rejected, or the next LOA is tried
		}
		g.loaVersion = version
		g.submitted = true
		g.submittedAt = workflow.Now(ctx)
		g.chase = chase{}
		w.setGroupState(ctx, g, porting.StateAwaitingCarrier, fmt.Sprintf("%s: LOA v%d submitted to %s", g.name, g.loaVersion, g.carrier))
		sub.finish(fmt.Sprintf("group %s: LOA v%d submitted to %s", g.name, g.loaVersion, g.carrier))
		if g.pendingLOA != nil {
			w.note(ctx, g.state, fmt.Sprintf("%s: a later LOA arrived while v%d was being submitted; it is submitted as v%d and supersedes v%d", g.name, g.loaVersion, g.loaVersion+1, g.loaVersion))
		}
	}
	return nil
}

// loaSubmission is an LOA handed to its group (submit-loa), until the group has sent it to the
// carrier or kept it back (the CSR pre-check, or a later LOA replaced it); the update that delivered
// it answers with the outcome.
type loaSubmission struct {
	changeOutcome
	loa      porting.LOA
	override bool // override_csr: sent even when it does not match the CSR
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
		ContactFlow: w.req.ContactFlow, Numbers: g.numbers, Reason: reason, Round: g.provisionRounds,
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
