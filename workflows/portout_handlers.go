package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// ErrOwnershipMismatch is the error type of a winning-carrier-request update whose request did not
// match the ownership records (the starter reports it with exit 3).
const ErrOwnershipMismatch = "OwnershipMismatch"

// setup registers the status query, the await-validation update and every signal with its twin
// update. A signal and its update share one validator: the update is refused with the validator's
// message; the signal is recorded in the history as ignored with the same message.
func (w *portOut) setup(ctx workflow.Context) error {
	if err := registerStatusAndValidation(ctx,
		"The port-out's state, numbers, winning carrier, release time, next deadline and history",
		"Waits until the request has been validated and its numbers locked, and tells whether it was accepted",
		w.status, func() (bool, porting.ValidationOutcome) { return w.validated, w.validation }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalWinningCarrierRequest,
		func(ctx workflow.Context, in porting.WinningCarrierRequest) (string, error) {
			return w.awaitVerdict(ctx, w.submit(ctx, in))
		}, workflow.UpdateHandlerOptions{
			Validator: func(ctx workflow.Context, in porting.WinningCarrierRequest) error {
				return w.validateCarrierRequest(ctx, in, checkNow)
			},
			Description: "The winning carrier's port-out request {carrier, owner_name, address, billing_contact, numbers, loa_ref, requested_at}: " +
				"verified against the ownership records; again while approved to reschedule the release",
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalCancel,
		func(ctx workflow.Context, in porting.Cancel) (string, error) {
			w.acceptCancel(ctx, in)
			if err := workflow.Await(ctx, func() bool { return w.state.IsEnd() }); err != nil {
				return "", err
			}
			return fmt.Sprintf("request %s: %s", w.state, w.reason), nil
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.Cancel) error { return w.validateCancel(in) },
			Description: "Cancel the port-out before its numbers are released: {reason, by}; the numbers are unlocked",
		}); err != nil {
		return err
	}

	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalRemoveNumbers,
		func(ctx workflow.Context, in porting.RemoveNumbers) (string, error) {
			r := w.takeRemoval(ctx, in)
			if err := workflow.Await(ctx, func() bool { return r.done || w.state.IsEnd() }); err != nil {
				return "", err
			}
			if r.cancel {
				return fmt.Sprintf("every remaining number removed, so the port-out is cancelled: request %s: %s", w.state, w.reason), nil
			}
			if r.refused != nil || !r.done {
				why := r.refused
				if why == nil {
					why = fmt.Errorf("request %s is %s before the removal was applied", w.req.RequestID, w.state)
				}
				return "", temporal.NewApplicationError(why.Error(), ErrChangeRefused)
			}
			return r.outcome, nil
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.RemoveNumbers) error { return w.validateRemoveNumbers(in) },
			Description: "Keep numbers out of the port-out before their release: {numbers, reason, by}; they stay with the instance, the winning carrier is told; removing every number cancels",
		}); err != nil {
		return err
	}

	listen(ctx, w, porting.SignalRemoveNumbers, func(ctx workflow.Context, in porting.RemoveNumbers) error {
		if err := w.validateRemoveNumbers(in); err != nil {
			return err
		}
		w.takeRemoval(ctx, in)
		return nil
	})
	listen(ctx, w, porting.SignalWinningCarrierRequest, func(ctx workflow.Context, in porting.WinningCarrierRequest) error {
		if err := w.validateCarrierRequest(ctx, in, signalCheck(w.v)); err != nil {
			return err
		}
		w.submit(ctx, in)
		return nil
	})
	listen(ctx, w, porting.SignalCancel, func(ctx workflow.Context, in porting.Cancel) error {
		if err := w.validateCancel(in); err != nil {
			return err
		}
		w.acceptCancel(ctx, in)
		return nil
	})
	return w.setupProtection(ctx)
}

func (w *portOut) ignored(ctx workflow.Context, note string) {
	if line, ok := countIgnored(&w.ignoredSignals, note); ok {
		w.note(ctx, w.state, line)
	}
}

// submit hands a validated winning-carrier request to the main coroutine and returns its number;
// one that waits behind another is said so in the history.
func (w *portOut) submit(ctx workflow.Context, in porting.WinningCarrierRequest) int {
	w.received++
	if len(w.queue) > 0 {
		w.note(ctx, w.state, fmt.Sprintf("%s's request #%d queued behind %d earlier one(s); each is verified in turn", in.Carrier, w.received, len(w.queue)))
	}
	w.queue = append(w.queue, &carrierRequest{seq: w.received, req: in})
	return w.received
}

// awaitVerdict waits until request seq was verified: the approval (or reschedule) is the update's
// result; a mismatch is its error, naming the mismatched fields.
func (w *portOut) awaitVerdict(ctx workflow.Context, seq int) (string, error) {
	if err := workflow.Await(ctx, func() bool {
		_, done := w.outcomes[seq]
		return done || w.state.IsEnd()
	}); err != nil {
		return "", err
	}
	v, done := w.outcomes[seq]
	switch {
	case !done:
		return "", temporal.NewApplicationError(fmt.Sprintf("request %s is %s before request #%d was verified: %s", w.req.RequestID, w.state, seq, w.reason), "PortEnded")
	case !v.ok:
		return "", temporal.NewApplicationError(v.msg, ErrOwnershipMismatch)
	}
	return v.msg, nil
}

// validateCarrierRequest says why the current state cannot take a winning-carrier request, or nil.
// check runs the port date rule on requested_at (it reads the calendar; recorded for a signal).
func (w *portOut) validateCarrierRequest(ctx workflow.Context, in porting.WinningCarrierRequest, check calendarCheck) error {
	if err := w.carrierRequestRefusal(ctx, in); err != nil {
		return err
	}
	if w.v < versionNumberLevel || w.deadlines.PortDateRule == porting.PortDateAny || w.clock.cal == nil {
		return nil
	}
	rule, cal, at := w.deadlines.PortDateRule, w.clock.cal, in.RequestedAt
	return check(ctx, func() error {
		// A pure read of the holiday calendar (its cache iterates a map); recorded where a replay runs it again.
		//workflowcheck:ignore
		if err := porting.CheckPortDate(rule, cal, at); err != nil {
			return fmt.Errorf("requested_at: %w", err)
		}
		return nil
	})
}

// carrierRequestRefusal says why the current state cannot take a winning-carrier request, or nil.
func (w *portOut) carrierRequestRefusal(ctx workflow.Context, in porting.WinningCarrierRequest) error {
	if err := porting.ValidateWinningCarrierRequest(in, workflow.Now(ctx)); err != nil {
		return err
	}
	switch {
	case w.state == porting.StateCompleted:
		return fmt.Errorf("request %s is completed: the numbers were released at %s", w.req.RequestID, w.local(w.releasedAt))
	case w.state.IsEnd():
		return fmt.Errorf("request %s is %s; it takes no more requests", w.req.RequestID, w.state)
	case w.cancel != nil:
		return fmt.Errorf("request %s is being cancelled", w.req.RequestID)
	case w.state == porting.StateFrozen:
		return fmt.Errorf("request %s is frozen after %d wrong passcodes: it takes no request until operations unfreeze it", w.req.RequestID, len(w.wrongPasscodes))
	case !porting.SameCarrier(in.Carrier, w.req.WinningCarrier):
		return fmt.Errorf("carrier %q is not the winning carrier of request %s (%s)", in.Carrier, w.req.RequestID, w.req.WinningCarrier)
	case w.v < versionFailurePaths && (len(w.queue) > 0 || w.state == porting.StateVerifyingOwnership):
		return fmt.Errorf("request %s: a request from %s is already being verified", w.req.RequestID, w.req.WinningCarrier)
	case len(w.queue) >= maxQueuedAnswers:
		return fmt.Errorf("request %s: %d requests from %s are already waiting to be verified", w.req.RequestID, len(w.queue), w.req.WinningCarrier)
	case w.state == porting.StateVerifyingOwnership:
		return nil // verified after the one in progress
	}
	switch w.state {
	case porting.StateAwaitingWinningCarrier, porting.StateRejectedMismatch, porting.StateApproved:
		return nil
	case porting.StateReleasing:
		return fmt.Errorf("request %s is releasing: the numbers are being released since %s; the release can no longer be rescheduled",
			w.req.RequestID, w.local(w.releasingSince))
	default:
		return fmt.Errorf("request %s is %s, not awaiting the winning carrier", w.req.RequestID, w.state)
	}
}

func (w *portOut) validateCancel(in porting.Cancel) error {
	return validateCancel(in, w.req.RequestID, w.cancel, w.cancelRefusal)
}

// cancelRefusal says why the request can no longer be cancelled, or "" when it can: once the
// release has started the numbers are gone.
func (w *portOut) cancelRefusal() string {
	switch {
	case w.state == porting.StateReleasing:
		return fmt.Sprintf("request %s can no longer be cancelled: the numbers are being released (since %s); a released number cannot be claimed again",
			w.req.RequestID, w.local(w.releasingSince))
	case w.state == porting.StateCompleted:
		return fmt.Sprintf("request %s can no longer be cancelled: numbers were released at %s; a released number cannot be claimed again",
			w.req.RequestID, w.local(w.releasedAt))
	case w.state.IsEnd():
		return fmt.Sprintf("request %s is %s; there is nothing to cancel", w.req.RequestID, w.state)
	}
	return ""
}

func (w *portOut) acceptCancel(ctx workflow.Context, in porting.Cancel) {
	w.cancel = &in
	w.note(ctx, w.state, fmt.Sprintf("cancellation requested by %s: %s", in.By, in.Reason))
}
