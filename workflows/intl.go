package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// InternationalPortIn ports non-+1 numbers in through a partner carrier (DESIGN §1): a portability
// check the partner carriers answer within days, the customer's approval of any cost before
// anything goes to a carrier, documents (LOA) with rejection rounds, mutual acceptance with
// reminders and escalation, and the port on the agreed date in the numbers' country, provisioned
// one business day before in that country's calendar. Once the carrier holds the request, a
// cancellation is a request to the carrier that it must confirm.
func InternationalPortIn(ctx workflow.Context, req porting.InternationalPortInRequest) (porting.PortResult, error) {
	v := portVersion(ctx)
	carry, err := resumed[portCarryOver](ctx, req.Resume)
	if err != nil {
		return porting.PortResult{}, err
	}
	if carry != nil {
		req.Resume = nil // the carry-over is this run's own state from here
	}
	var invalid error
	switch {
	case carry != nil:
		// Validated and normalised by the first run.
	case v < versionFailurePaths:
		normalized, err := porting.ValidateInternationalPortIn(req, workflow.Now(ctx))
		if err == nil {
			req = normalized
		}
		invalid = err
	default:
		// Validation reads library data (numbering plans, countries) that an upgrade may change: its
		// outcome is recorded once, so a running port replays with the request it was accepted with.
		now := workflow.Now(ctx)
		var out intlValidated
		if err := workflow.SideEffect(ctx, func(workflow.Context) interface{} {
			normalized, err := porting.ValidateInternationalPortIn(req, now)
			if err != nil {
				return intlValidated{Problem: err.Error()}
			}
			return intlValidated{Request: &normalized}
		}).Get(&out); err != nil {
			return porting.PortResult{}, err
		}
		if out.Problem != "" {
			invalid = errors.New(out.Problem)
		} else {
			req = *out.Request
		}
	}
	p := &intlPortIn{req: req, invalid: invalid}
	d := req.Deadlines.WithDefaults()
	w := newPort(ctx, v, porting.KindInternationalPortIn, p, intlRules(d, &req.PreferredWindow), p.portInShape(d))
	w.loaDefaults = porting.LOA{AccountNumber: req.CarrierAccountNumber, PIN: req.PIN, BillingTelephoneNumber: req.BillingTelephoneNumber}
	w.resumeFrom = carry
	if v >= versionFailurePaths {
		w.continueWith = func(resume json.RawMessage) (string, any) {
			next := p.req
			next.Resume = resume
			return porting.WorkflowInternationalPortIn, next
		}
	}
	return runPort(ctx, w)
}

// intlRules are the international process's rules: the partner carrier is chased with acceptance
// reminders then escalations, a cancellation is a request it must confirm, a port date outside the
// preferred window is noted and told.
func intlRules(d porting.IntlDeadlines, window *porting.Window) rules {
	return rules{
		groupName: func(porting.PortNumber) string { return porting.IntlGroup },
		carrierFollowUps: []followUp{
			{businessDays: d.AcceptanceReminderBusinessDays, kind: "acceptance_reminder", recipient: activities.RecipientCarrier},
			{businessDays: d.AcceptanceEscalationBusinessDays, kind: "acceptance_escalation", recipient: activities.RecipientOperations},
		},
		confirmCancelAtCarrier: true,
		preferredWindow:        window,
	}
}

// intlValidated is the recorded outcome of an international request's validation.
type intlValidated struct {
	Problem string                              `json:"problem,omitempty"`
	Request *porting.InternationalPortInRequest `json:"request,omitempty"`
}

// intlPortIn is the international process.
type intlPortIn struct {
	req     porting.InternationalPortInRequest
	invalid error
	d       porting.IntlDeadlines

	pendingPortability *porting.PortabilityResult
	pendingCost        *porting.ApproveCost
	cost               *porting.Cost
}

// portInShape is the request as the port engine sees it: every number from the one carrier.
func (p *intlPortIn) portInShape(d porting.IntlDeadlines) porting.PortInRequest {
	p.d = d
	numbers := make([]porting.PortNumber, len(p.req.Numbers))
	for i, n := range p.req.Numbers {
		numbers[i] = porting.PortNumber{E164: n.E164, Type: n.Type, Carrier: p.req.Carrier}
	}
	deadlines := d.Deadlines
	return porting.PortInRequest{
		RequestID: p.req.RequestID, InstanceARN: p.req.InstanceARN, ContactFlow: p.req.ContactFlow,
		Numbers: numbers, AuthorizedContact: p.req.AuthorizedContact, Deadlines: &deadlines,
	}
}

func (p *intlPortIn) validate(ctx workflow.Context, w *port) error {
	if p.invalid != nil {
		return p.invalid
	}
	tz, _ := porting.CountryTimeZone(p.req.Country)
	if err := w.useCalendar(p.req.Country, tz); err != nil {
		return err
	}
	w.recordCalendar(ctx)
	return w.record(ctx)
}

// settlePortability sends the check to the partner carriers, waits for their answer (escalating
// every few business days without one) and, when a cost is quoted, for the customer's approval.
func (p *intlPortIn) settlePortability(ctx workflow.Context, w *port) ([]porting.PortNumber, porting.State, string) {
	w.setState(ctx, porting.StateAwaitingPortability, "portability check sent to the partner carriers")
	err := workflow.ExecuteActivity(withDBActivity(ctx, "portability check to partner carriers"), acts.RequestPortabilityCheck,
		activities.PortabilityCheckInput{WorkflowID: w.workflowID, Carrier: p.req.Carrier, Country: p.req.Country, Numbers: e164s(w.req.Numbers)}).Get(ctx, nil)
	if err != nil {
		return nil, porting.StateFailed, "portability check could not be sent: " + plainError(err).Error()
	}

	at := workflow.Now(ctx)
	var expiry time.Time
	if w.v >= versionFailurePaths {
		expiry = w.clock.addBusinessDays(ctx, at, p.d.PortabilityExpiryBusinessDays)
	}
	for n := 1; p.pendingPortability == nil; n++ {
		at = w.clock.addBusinessDays(ctx, at, p.d.PortabilityEscalationBusinessDays)
		expiring := !expiry.IsZero() && !expiry.After(at)
		if expiring {
			at = expiry
		}
		w.nextDeadline, w.nextDeadlineKind = at, "portability_escalation"
		if expiring {
			w.nextDeadlineKind = "portability_expiry"
		}
		got, err := awaitDeadline(ctx, w.kind, metrics.WaitPortabilityAnswer, at, "portability answer", func() bool { return p.pendingPortability != nil || w.cancel != nil })
		if err != nil {
			return nil, porting.StateFailed, err.Error()
		}
		if w.cancel != nil {
			return nil, porting.StateCancelled, w.cancelNote()
		}
		if got {
			break
		}
		if expiring {
			w.clearRequestDeadline()
			reason := fmt.Sprintf("expired: the partner carriers did not answer the portability check within %d business days", p.d.PortabilityExpiryBusinessDays)
			w.notify(ctx, activities.Notification{
				Key: "portability-expired", Kind: "portability_expired", Recipient: activities.RecipientOperations,
				Subject: "Portability check of " + w.req.RequestID + " expired",
				Body:    fmt.Sprintf("The partner carriers never answered the portability check of %s (%s); the request was closed. Nothing was sent to a carrier.", w.req.RequestID, p.req.Country),
			})
			return nil, porting.StateCancelled, reason + "; nothing was sent to a carrier and the numbers stay where they are"
		}
		days := n * p.d.PortabilityEscalationBusinessDays
		w.note(ctx, w.state, fmt.Sprintf("no portability answer from the partner carriers after %d business days; escalated", days))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("portability-escalation/%d", n), Kind: "portability_escalation", Recipient: activities.RecipientOperations,
			Subject: "No portability answer for " + w.req.RequestID,
			Body:    fmt.Sprintf("The partner carriers have not answered the portability check of %s (%s) for %d business days.", w.req.RequestID, p.req.Country, days),
		})
	}
	w.clearRequestDeadline()

	answer := *p.pendingPortability
	p.pendingPortability = nil
	results := make([]activities.PortabilityResult, len(w.numbers))
	for i, n := range w.numbers {
		results[i] = activities.PortabilityResult{E164: n.E164, Portable: answer.Portable}
		if !answer.Portable {
			results[i].Reason = "the partner carriers report the number cannot be ported"
		}
		for _, r := range answer.Numbers {
			if r.E164 == n.E164 {
				results[i] = activities.PortabilityResult{E164: r.E164, Portable: r.Portable, Reason: r.Reason}
				if !r.Portable && r.Reason == "" {
					results[i].Reason = "the partner carriers report the number cannot be ported"
				}
			}
		}
	}
	err = workflow.ExecuteActivity(withDBActivity(ctx, "record portability answer"), acts.RecordPortabilityResult,
		activities.RecordPortabilityInput{WorkflowID: w.workflowID, Results: results}).Get(ctx, nil)
	if err != nil {
		return nil, porting.StateFailed, "portability answer not recorded: " + plainError(err).Error()
	}
	portable := w.applyPortability(ctx, results)
	if len(portable) == 0 {
		return nil, porting.StateNotPortable, "the partner carriers report that none of the numbers can be ported"
	}
	if answer.Cost == nil || !answer.Cost.IsPositive() {
		return portable, "", ""
	}
	return p.awaitCostApproval(ctx, w, portable, *answer.Cost)
}

// awaitCostApproval asks the customer to approve the quoted cost; nothing goes to a carrier before.
func (p *intlPortIn) awaitCostApproval(ctx workflow.Context, w *port, portable []porting.PortNumber, cost porting.Cost) ([]porting.PortNumber, porting.State, string) {
	p.cost = &cost
	w.setState(ctx, porting.StateAwaitingCostApproval, fmt.Sprintf("porting costs %s; awaiting the customer's approval", cost))
	w.notify(ctx, activities.Notification{
		Key: "cost-approval", Kind: "cost_approval_requested", Recipient: activities.RecipientCustomer,
		Subject: "Please approve the cost of porting " + w.req.RequestID,
		Body:    fmt.Sprintf("Porting %d number(s) from %s costs %s. Nothing is sent to the carrier until you approve.", len(portable), p.req.Carrier, cost),
	})
	start := workflow.Now(ctx)
	expiry := start.AddDate(0, 0, w.deadlines.CustomerSilenceDays)
	reminder := start
	for n := 1; ; n++ {
		reminder = w.clock.addBusinessDays(ctx, reminder, w.deadlines.LOAReminderBusinessDays)
		next, kind := reminder, "cost_approval_reminder"
		if !expiry.After(reminder) {
			next, kind = expiry, "cost_approval_expiry"
		}
		w.nextDeadline, w.nextDeadlineKind = next, kind
		got, err := awaitDeadline(ctx, w.kind, metrics.WaitCostApproval, next, kind, func() bool { return p.pendingCost != nil || w.cancel != nil })
		switch {
		case err != nil:
			return nil, porting.StateFailed, err.Error()
		case w.cancel != nil:
			w.clearRequestDeadline()
			return nil, porting.StateCancelled, w.cancelNote()
		case got:
			w.clearRequestDeadline()
			decision := *p.pendingCost
			p.pendingCost = nil
			err := workflow.ExecuteActivity(withDBActivity(ctx, "record cost decision"), acts.RecordCostDecision, activities.CostDecisionInput{
				WorkflowID: w.workflowID, Amount: cost.Amount, Currency: cost.Currency, Approved: decision.Approved, By: decision.By,
			}).Get(ctx, nil)
			if err != nil {
				return nil, porting.StateFailed, "cost decision not recorded: " + plainError(err).Error()
			}
			if !decision.Approved {
				return nil, porting.StateCancelled, fmt.Sprintf("cost of %s declined by %s; nothing was sent to a carrier", cost, decision.By)
			}
			w.note(ctx, w.state, fmt.Sprintf("cost of %s approved by %s", cost, decision.By))
			return portable, "", ""
		case kind == "cost_approval_expiry":
			w.clearRequestDeadline()
			return nil, porting.StateCancelled, fmt.Sprintf("the cost of %s was not approved within %d days", cost, w.deadlines.CustomerSilenceDays)
		default:
			w.note(ctx, w.state, fmt.Sprintf("cost approval reminder %d sent", n))
			w.notify(ctx, activities.Notification{
				Key: fmt.Sprintf("cost-approval-reminder/%d", n), Kind: "cost_approval_reminder", Recipient: activities.RecipientCustomer,
				Subject: "Reminder: please approve the cost of porting " + w.req.RequestID,
				Body:    fmt.Sprintf("Porting costs %s; the request closes on %s without your approval.", cost, w.localDay(expiry)),
			})
		}
	}
}

// setup registers portability-result and approve-cost, each a signal and a validated update.
func (p *intlPortIn) setup(ctx workflow.Context, w *port) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalPortabilityResult,
		func(ctx workflow.Context, in porting.PortabilityResult) (string, error) {
			p.takePortability(ctx, w, in)
			_ = workflow.Await(ctx, func() bool { return w.state != porting.StateAwaitingPortability })
			return p.describe(w), nil
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.PortabilityResult) error { return p.validatePortability(w, in) },
			Description: "The partner carriers' portability answer: {portable, numbers?:[{e164, portable, reason?}], cost?:{amount, currency}}",
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalApproveCost,
		func(ctx workflow.Context, in porting.ApproveCost) (string, error) {
			p.takeCost(ctx, w, in)
			_ = workflow.Await(ctx, func() bool { return w.state != porting.StateAwaitingCostApproval })
			return p.describe(w), nil
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.ApproveCost) error { return p.validateCost(w, in) },
			Description: "The customer's decision on the quoted cost: {approved, by}",
		}); err != nil {
		return err
	}
	listen(ctx, w, porting.SignalPortabilityResult, func(ctx workflow.Context, in porting.PortabilityResult) error {
		if err := p.validatePortability(w, in); err != nil {
			return err
		}
		p.takePortability(ctx, w, in)
		return nil
	})
	listen(ctx, w, porting.SignalApproveCost, func(ctx workflow.Context, in porting.ApproveCost) error {
		if err := p.validateCost(w, in); err != nil {
			return err
		}
		p.takeCost(ctx, w, in)
		return nil
	})
	return nil
}

// takePortability hands the partner carriers' answer to the process. Two answers before the first
// was taken: the later one is the correction, and the history says it replaced the earlier.
func (p *intlPortIn) takePortability(ctx workflow.Context, w *port, in porting.PortabilityResult) {
	if p.pendingPortability != nil {
		w.note(ctx, w.state, "a later portability answer arrived before the earlier one was taken; the later one is used")
	}
	p.pendingPortability = &in
}

// takeCost hands the customer's cost decision to the process; a later decision replaces an earlier
// one not yet taken, and the history says so.
func (p *intlPortIn) takeCost(ctx workflow.Context, w *port, in porting.ApproveCost) {
	if p.pendingCost != nil {
		w.note(ctx, w.state, fmt.Sprintf("a later cost decision by %s arrived before the earlier one was taken; the later one is used", in.By))
	}
	p.pendingCost = &in
}

func (p *intlPortIn) validatePortability(w *port, in porting.PortabilityResult) error {
	if err := porting.ValidatePortabilityResult(in); err != nil {
		return err
	}
	if w.state != porting.StateAwaitingPortability || w.cancel != nil {
		return fmt.Errorf("request %s is %s, not awaiting a portability answer", w.req.RequestID, w.state)
	}
	if p.pendingPortability != nil && w.v < versionFailurePaths {
		return fmt.Errorf("request %s: a portability answer is already being processed", w.req.RequestID)
	}
	for i, n := range in.Numbers {
		if w.number(n.E164).E164 == "" {
			return fmt.Errorf("numbers[%d].e164: %s is not part of request %s", i, n.E164, w.req.RequestID)
		}
	}
	return nil
}

func (p *intlPortIn) validateCost(w *port, in porting.ApproveCost) error {
	if err := porting.ValidateApproveCost(in); err != nil {
		return err
	}
	if w.state != porting.StateAwaitingCostApproval || w.cancel != nil {
		return fmt.Errorf("request %s is %s, not awaiting a cost approval", w.req.RequestID, w.state)
	}
	if p.pendingCost != nil && w.v < versionFailurePaths {
		return fmt.Errorf("request %s: a cost decision is already being processed", w.req.RequestID)
	}
	return nil
}

// describe says where the request stands, for update results.
func (p *intlPortIn) describe(w *port) string {
	out := fmt.Sprintf("request %s is %s", w.req.RequestID, w.state)
	if n := w.countNumbers(porting.StateNotPortable); n > 0 {
		out += fmt.Sprintf("; %d number(s) not portable", n)
	}
	if w.state == porting.StateAwaitingCostApproval && p.cost != nil {
		out += fmt.Sprintf("; cost %s awaits approval", p.cost)
	}
	if w.reason != "" {
		out += ": " + w.reason
	}
	return out
}
