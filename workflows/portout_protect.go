package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// Port-out protection (DESIGN §8, versionPortOutProtection). Port-out fraud — a thief moving a
// business's numbers to take its calls and one-time codes — is met three ways here:
//   - the customer hears of the first winning-carrier request at once, matching or not, with the
//     carrier, the time asked for and how to stop it (cancel), so an unexpected port-out is stopped
//     before any release;
//   - an instance with a port-out passcode has it checked before the ownership records
//     (VerifyOwnership): a missing or wrong one is rejected as PASSCODE_INVALID and nothing else is
//     said, so guessing reveals nothing about the records;
//   - the third wrong passcode of a port-out freezes it: no request is taken and nothing is released
//     until operations unfreeze it (or someone cancels); operations and the customer are told, with
//     the attempts. Every attempt is in the audit log (the activity writes it), never the passcode.

// passcodeAttempt is a winning-carrier request refused for its passcode.
type passcodeAttempt struct {
	At      time.Time `json:"at"`
	Request int       `json:"request"`
	Carrier string    `json:"carrier"`
}

// tellRequested tells the customer that a winning carrier asked for their numbers: once, at the
// first request, before it is checked.
func (w *portOut) tellRequested(ctx workflow.Context, p carrierRequest) {
	w.toldRequested = true
	w.notify(ctx, activities.Notification{
		Key: "port-out-requested", Kind: "port_out_requested", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("%s asked to take %s", p.req.Carrier, strings.Join(w.req.Numbers, ", ")),
		Body: fmt.Sprintf("%s sent a port-out request for %s, to be released at %s. If you did not ask for this, stop it now: "+
			"reply to this message or have support cancel port-out %s (starter cancel --workflow %s). Nothing is released before that time.",
			p.req.Carrier, strings.Join(w.req.Numbers, ", "), w.local(p.req.RequestedAt), w.req.RequestID, w.workflowID),
	})
}

// passcodeRefused rejects a request whose passcode was missing or wrong — saying only that — and
// freezes the port-out at the MaxPasscodeAttempts-th.
func (w *portOut) passcodeRefused(ctx workflow.Context, p carrierRequest, wasApproved bool) {
	w.rounds++
	w.wrongPasscodes = append(w.wrongPasscodes, passcodeAttempt{At: workflow.Now(ctx), Request: p.seq, Carrier: p.req.Carrier})
	reason := porting.LookupReason(string(porting.ReasonPasscodeInvalid))
	w.lastReason, w.lastReasonCode, w.customerAction = string(porting.ReasonPasscodeInvalid), porting.ReasonPasscodeInvalid, reason.Action(w.req.WinningCarrier)
	w.outcomes[p.seq] = verdict{msg: fmt.Sprintf("request #%d rejected: %s", p.seq, porting.ReasonPasscodeInvalid)}
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("passcode-invalid/%d", p.seq), Kind: "passcode_invalid", Recipient: activities.RecipientCarrier,
		Subject: fmt.Sprintf("Port-out request #%d rejected: %s", p.seq, porting.ReasonPasscodeInvalid),
		Body:    fmt.Sprintf("Your port-out request #%d (LOA %s) was rejected: %s.", p.seq, p.req.LOARef, porting.ReasonPasscodeInvalid),
	})
	if len(w.wrongPasscodes) >= porting.MaxPasscodeAttempts {
		w.freeze(ctx, wasApproved)
		return
	}
	note := fmt.Sprintf("%s's request #%d rejected: %s (%d of %d wrong passcodes before the port-out freezes)",
		p.req.Carrier, p.seq, porting.ReasonPasscodeInvalid, len(w.wrongPasscodes), porting.MaxPasscodeAttempts)
	if wasApproved {
		w.setState(ctx, porting.StateApproved, note+fmt.Sprintf("; the approved release at %s stands", w.local(*w.releaseAt)))
		return
	}
	w.carrierClock = workflow.Now(ctx)
	w.setState(ctx, porting.StateRejectedMismatch, note)
}

// freeze stops the port-out: no request is taken and nothing released until operations unfreeze it.
func (w *portOut) freeze(ctx workflow.Context, wasApproved bool) {
	w.frozenFrom = porting.StateRejectedMismatch
	if wasApproved {
		w.frozenFrom = porting.StateApproved
	}
	w.frozenAt = workflow.Now(ctx)
	w.freezes++
	var attempts []string
	for _, a := range w.wrongPasscodes {
		attempts = append(attempts, fmt.Sprintf("request #%d from %s at %s", a.Request, a.Carrier, w.local(a.At)))
	}
	list := strings.Join(attempts, "; ")
	w.setState(ctx, porting.StateFrozen, fmt.Sprintf("frozen after %d wrong passcodes (%s): no request is taken and nothing released until operations unfreeze it",
		len(w.wrongPasscodes), list))
	body := fmt.Sprintf("Port-out %s of %s from %s to %s was frozen after %d requests with a missing or wrong port-out passcode: %s. "+
		"Nothing is released while it is frozen. Check with the customer, then unfreeze it (starter unfreeze --workflow %s --by … --reason …) or cancel it.",
		w.req.RequestID, strings.Join(w.req.Numbers, ", "), w.req.InstanceARN, w.req.WinningCarrier, len(w.wrongPasscodes), list, w.workflowID)
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("port-out-frozen/%d", w.freezes), Kind: "port_out_frozen", Recipient: activities.RecipientOperations,
		Subject: fmt.Sprintf("Port-out %s frozen: %d wrong passcodes", w.req.RequestID, len(w.wrongPasscodes)), Body: body,
	})
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("port-out-frozen-customer/%d", w.freezes), Kind: "port_out_frozen", Recipient: activities.RecipientCustomer,
		Subject: "A port-out of your numbers was stopped",
		Body: fmt.Sprintf("%s tried %d times to take %s without the right port-out passcode, so we stopped the port-out. Nothing was released. "+
			"If you did not ask for it, tell support; if you did, give %s the passcode and ask support to let it go on.",
			w.req.WinningCarrier, len(w.wrongPasscodes), strings.Join(w.req.Numbers, ", "), w.req.WinningCarrier),
	})
}

// awaitUnfreeze waits while the port-out is frozen: operations unfreeze it (it goes on as it was),
// someone cancels it, or it expires after the winning carrier's period with nothing released.
func (w *portOut) awaitUnfreeze(ctx workflow.Context) (porting.State, string, error) {
	expiry := w.clock.addBusinessDays(ctx, w.frozenAt, w.deadlines.WinningCarrierBusinessDays)
	w.nextDeadline, w.nextDeadlineKind = expiry, "frozen_expiry"
	got, err := awaitDeadline(ctx, porting.KindPortOut, metrics.WaitFrozen, expiry, "frozen: unfreeze or cancel", func() bool {
		return w.pendingUnfreeze != nil || w.cancel != nil || len(w.removals) > 0 || w.readyToContinue(ctx)
	})
	switch {
	case err != nil:
		return "", "", err
	case w.pendingUnfreeze == nil && w.cancel == nil && len(w.removals) == 0 && w.readyToContinue(ctx):
		return "", "", nil // the loop continues as new
	case w.cancel != nil:
		return w.cancelled(ctx)
	case len(w.removals) > 0:
		w.applyRemovals(ctx)
		return "", "", nil
	case !got:
		return porting.StateExpired, fmt.Sprintf("frozen after %d wrong passcodes and not unfreezed within %d business days; nothing was released, the numbers are unlocked and stay with the instance",
			len(w.wrongPasscodes), w.deadlines.WinningCarrierBusinessDays), nil
	}
	u := *w.pendingUnfreeze
	w.pendingUnfreeze = nil
	w.wrongPasscodes = nil
	w.carrierClock = workflow.Now(ctx)
	note := fmt.Sprintf("unfrozen by %s (%s): %s may send requests again", u.By, u.Reason, w.req.WinningCarrier)
	if w.frozenFrom == porting.StateApproved {
		note += fmt.Sprintf("; the approved release at %s stands", w.local(*w.releaseAt))
	}
	w.setState(ctx, w.frozenFrom, note)
	return "", "", nil
}

// validateUnfreeze says why the port-out cannot be unfrozen now, or nil.
func (w *portOut) validateUnfreeze(in porting.Unfreeze) error {
	if err := porting.ValidateUnfreeze(in); err != nil {
		return err
	}
	switch {
	case w.v < versionPortOutProtection:
		return fmt.Errorf("request %s started before port-out protection existed: it never freezes", w.req.RequestID)
	case w.state != porting.StateFrozen:
		return fmt.Errorf("request %s is %s, not frozen", w.req.RequestID, w.state)
	case w.cancel != nil:
		return fmt.Errorf("request %s is being cancelled", w.req.RequestID)
	case w.pendingUnfreeze != nil:
		return fmt.Errorf("request %s is being unfrozen (by %s)", w.req.RequestID, w.pendingUnfreeze.By)
	}
	return nil
}

// setupProtection registers unfreeze, a signal and a validated update.
func (w *portOut) setupProtection(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalUnfreeze,
		func(ctx workflow.Context, in porting.Unfreeze) (string, error) {
			w.pendingUnfreeze = &in
			if err := workflow.Await(ctx, func() bool { return w.state != porting.StateFrozen }); err != nil {
				return "", err
			}
			if w.state.IsEnd() {
				return "", temporal.NewApplicationError(fmt.Sprintf("request %s is %s: %s", w.req.RequestID, w.state, w.reason), ErrChangeRefused)
			}
			return fmt.Sprintf("request %s is %s: unfrozen by %s", w.req.RequestID, w.state, in.By), nil
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.Unfreeze) error { return w.validateUnfreeze(in) },
			Description: "Let a port-out frozen after too many wrong passcodes go on: {by, reason}",
		}); err != nil {
		return err
	}
	listen(ctx, w, porting.SignalUnfreeze, func(ctx workflow.Context, in porting.Unfreeze) error {
		if err := w.validateUnfreeze(in); err != nil {
			return err
		}
		w.pendingUnfreeze = &in
		return nil
	})
	return nil
}
