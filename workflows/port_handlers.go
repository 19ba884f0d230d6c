package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// setup registers the status query, the await-validation update and every signal with its twin
// update. A signal and its update share one validator: the update is refused with the validator's
// message; the signal is recorded in the history as ignored with the same message.
func (w *port) setup(ctx workflow.Context) error {
	if w.deferring() {
		w.signals = newSignalHub(ctx)
	}
	if err := registerStatusAndValidation(ctx,
		"The port's state, numbers, LOA groups, next deadline and history",
		"Waits until the request has been validated and recorded, and tells whether it was accepted",
		w.status, func() (bool, porting.ValidationOutcome) { return w.validated, w.validation }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalSubmitLOA,
		func(ctx workflow.Context, in porting.SubmitLOA) (string, error) {
			return w.awaitSubmitLOA(ctx, in)
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.SubmitLOA) error { return w.validateSubmitLOA(in) },
			Description: "Submit the LOA (first or a resubmission) of one group: {group, loa}",
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalCarrierResponse,
		func(ctx workflow.Context, in porting.CarrierResponse) (string, error) {
			return w.awaitCarrierResponseApplied(ctx, in)
		}, workflow.UpdateHandlerOptions{
			Validator: func(ctx workflow.Context, in porting.CarrierResponse) error {
				return w.validateCarrierResponse(ctx, in, checkNow)
			},
			Description: "The carrier's answer for one group: accepted with a port date (again to reschedule) or rejected with a reason",
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalCancel,
		func(ctx workflow.Context, in porting.Cancel) (string, error) {
			w.acceptCancel(ctx, in)
			// Wait until it took, or until the carrier was asked (international: the carrier confirms later).
			if err := workflow.Await(ctx, func() bool { return w.state.IsEnd() || w.state == porting.StateCancelRequested }); err != nil {
				return "", err
			}
			if w.state == porting.StateCancelRequested {
				return fmt.Sprintf("request %s: cancellation sent to the carrier; the port goes on until the carrier confirms it", w.state), nil
			}
			return fmt.Sprintf("request %s: %s", w.state, w.reason), nil
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.Cancel) error { return w.validateCancel(in) },
			Description: "Cancel the request: {reason, by}; provisioned numbers are released",
		}); err != nil {
		return err
	}

	listen(ctx, w, porting.SignalSubmitLOA, func(ctx workflow.Context, in porting.SubmitLOA) error {
		if w.ordered() {
			return w.forwardSignal(ctx, porting.SignalSubmitLOA, in.Group, in)
		}
		if err := w.validateSubmitLOA(in); err != nil {
			return err
		}
		_ = w.takeLOA(ctx, in)
		return nil
	})
	listen(ctx, w, porting.SignalCarrierResponse, func(ctx workflow.Context, in porting.CarrierResponse) error {
		if w.ordered() {
			return w.forwardSignal(ctx, porting.SignalCarrierResponse, in.Group, in)
		}
		if err := w.validateCarrierResponse(ctx, in, signalCheck(w.v)); err != nil {
			return err
		}
		w.queueAnswer(ctx, w.findGroup(in.Group), in)
		return nil
	})
	listen(ctx, w, porting.SignalCancel, func(ctx workflow.Context, in porting.Cancel) error {
		if err := w.validateCancel(in); err != nil {
			return err
		}
		w.acceptCancel(ctx, in)
		return nil
	})
	if err := w.setupChanges(ctx); err != nil {
		return err
	}
	if w.v >= versionBulk && w.order == nil {
		listen(ctx, w, porting.SignalOrderReport, func(ctx workflow.Context, r orderReport) error { return w.takeReport(ctx, r) })
	}
	if err := w.proc.setup(ctx, w); err != nil {
		return err
	}
	if w.watching() {
		w.watch(ctx)
	} else {
		w.signals.run(ctx)
	}
	return nil
}

// ignoreRecorder records a signal that was ignored, and why, in a workflow's status history.
type ignoreRecorder interface {
	ignored(ctx workflow.Context, note string)
}

// maxIgnoredNotes caps the ignored signals listed in a port's status history; later ones are only
// counted (status ignored_signals), so a misbehaving sender cannot grow the history without bound.
const maxIgnoredNotes = 25

func (w *port) ignored(ctx workflow.Context, note string) {
	if line, ok := countIgnored(&w.ignoredSignals, note); ok {
		w.note(ctx, w.state, line)
	}
}

// countIgnored counts one more ignored signal and says what the history lists for it: the note
// itself for the first maxIgnoredNotes, one line saying the rest are only counted, then nothing.
func countIgnored(count *int, note string) (string, bool) {
	*count++
	switch {
	case *count <= maxIgnoredNotes:
		return note, true
	case *count == maxIgnoredNotes+1:
		return fmt.Sprintf("more than %d signals ignored; further ones are counted in ignored_signals, not listed (the latest: %s)", maxIgnoredNotes, note), true
	}
	return "", false
}

// listen drains one signal channel for the life of the workflow. A payload that does not decode or
// that the current state cannot take is recorded in the history as ignored, with the reason.
//
// A port from versionActionCost drains all its channels in one coroutine (signalHub).
func listen[T any](ctx workflow.Context, w ignoreRecorder, name string, apply func(workflow.Context, T) error) {
	ch := workflow.GetSignalChannel(ctx, name)
	take := func(ctx workflow.Context, raw json.RawMessage) {
		var in T
		// Pure decoding of the signal's bytes.
		//workflowcheck:ignore
		err := json.Unmarshal(raw, &in)
		if err != nil {
			w.ignored(ctx, fmt.Sprintf("ignored %s signal: payload is not a valid %s payload: %v", name, name, err))
			return
		}
		if err := apply(ctx, in); err != nil {
			w.ignored(ctx, fmt.Sprintf("ignored %s signal: %v", name, err))
		}
	}
	if h, ok := w.(interface{ hub() *signalHub }); ok && h.hub() != nil {
		h.hub().add(ch, take)
		return
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var raw json.RawMessage
			ch.Receive(ctx, &raw)
			take(ctx, raw)
		}
	})
}

// signalHub drains every signal channel of a port in one coroutine, in the order the signals came
// (versionActionCost): the SDK resumes every coroutine at every step of a workflow, so a coroutine
// per channel made each step cost more.
type signalHub struct {
	sel      workflow.Selector
	channels int
	ctx      workflow.Context // the hub's own coroutine's, which the signals are applied on
}

func newSignalHub(ctx workflow.Context) *signalHub { return &signalHub{sel: workflow.NewSelector(ctx)} }

func (h *signalHub) add(ch workflow.ReceiveChannel, take func(workflow.Context, json.RawMessage)) {
	h.channels++
	h.sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
		var raw json.RawMessage
		c.Receive(h.ctx, &raw)
		take(h.ctx, raw)
	})
}

// run starts the hub's coroutine once every channel is added.
func (h *signalHub) run(ctx workflow.Context) {
	if h == nil || h.channels == 0 {
		return
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		h.ctx = ctx
		for {
			h.sel.Select(ctx)
		}
	})
}

func (w *port) hub() *signalHub { return w.signals }

// openGroup finds a group that can still take customer or carrier input, or says why not.
func (w *port) openGroup(name string) (*group, error) {
	if w.state.IsEnd() {
		return nil, fmt.Errorf("request %s is %s", w.req.RequestID, w.state)
	}
	if len(w.groups) == 0 {
		return nil, fmt.Errorf("request %s is %s; its LOA groups exist once the portability check is done", w.req.RequestID, w.state)
	}
	g := w.findGroup(name)
	if g == nil {
		return nil, fmt.Errorf("group %q is not part of request %s; its groups are: %s", name, w.req.RequestID, strings.Join(w.groupNames(), ", "))
	}
	if w.cancel != nil {
		return nil, fmt.Errorf("request %s is being cancelled", w.req.RequestID)
	}
	return g, nil
}

// ordered reports whether the request's groups are handled by its orders (a bulk request whose
// orders started): group-addressed updates are refused with where to send them, signals forwarded.
func (w *port) ordered() bool { return w.bulk != nil && w.bulk.started }

func (w *port) validateSubmitLOA(in porting.SubmitLOA) error {
	if err := porting.ValidateSubmitLOA(in); err != nil {
		return err
	}
	if w.ordered() {
		return w.bulkRefusal(in.Group)
	}
	g, err := w.openGroup(in.Group)
	if err != nil {
		return err
	}
	if g.state != porting.StateAwaitingLOA && g.state != porting.StateLOARejected {
		return fmt.Errorf("group %s is %s, not awaiting an LOA", g.name, g.state)
	}
	if g.pendingLOA != nil && w.v < versionFailurePaths {
		return fmt.Errorf("group %s: an LOA is already being submitted", g.name)
	}
	if in.OverrideCSR && w.v < versionNumberLevel {
		return fmt.Errorf("override_csr: request %s started before the CSR pre-check existed; its LOAs are sent unchecked, leave override_csr out", w.req.RequestID)
	}
	return nil
}

// takeLOA hands an LOA to its group. Two LOAs arriving before the group could submit the first:
// the latest is submitted (it is the customer's correction), and the history says so.
func (w *port) takeLOA(ctx workflow.Context, in porting.SubmitLOA) *loaSubmission {
	g := w.findGroup(in.Group)
	if g.pendingLOA != nil {
		w.note(ctx, g.state, fmt.Sprintf("%s: a later LOA arrived before the earlier one was submitted; the later one is submitted", g.name))
		g.pendingLOA.refuse(fmt.Errorf("group %s: a later LOA replaced this one before it was sent to %s", g.name, g.carrier))
	}
	sub := &loaSubmission{loa: in.LOA, override: in.OverrideCSR}
	g.pendingLOA = sub
	return sub
}

// validateCarrierResponse says why a carrier response cannot be taken now, or nil. check runs the
// checks that read the business calendar (the port date rule): at once for an update's validator,
// recorded for a signal (recordedCheck), so a holiday-data upgrade cannot change a replayed decision.
func (w *port) validateCarrierResponse(ctx workflow.Context, in porting.CarrierResponse, check calendarCheck) error {
	if w.ordered() {
		return w.bulkRefusal(in.Group)
	}
	g := w.findGroup(in.Group)
	if g == nil || w.state.IsEnd() {
		_, err := w.openGroup(in.Group)
		if err == nil {
			err = porting.ValidateCarrierResponse(in, workflow.Now(ctx))
		}
		return err
	}
	if w.v < versionFailurePaths {
		// Ports started before versionFailurePaths took one response at a time.
		if g.hasAnswer() {
			return fmt.Errorf("group %s: a carrier response is already being processed", g.name)
		}
	} else if len(g.answers) >= maxQueuedAnswers {
		return fmt.Errorf("group %s: %d carrier responses are already waiting to be applied; send the next one after they are", g.name, len(g.answers))
	}
	if err := w.answerRefusal(ctx, g, in); err != nil {
		return err
	}
	if w.v >= versionNumberLevel && in.Accepted && in.PortDate != nil && w.deadlines.PortDateRule != porting.PortDateAny {
		date := *in.PortDate
		return check(ctx, func() error {
			// A pure read of the holiday calendar (its cache iterates a map); recorded where a replay runs it again.
			//workflowcheck:ignore
			if err := porting.CheckPortDate(w.deadlines.PortDateRule, w.clock.cal, date); err != nil {
				return fmt.Errorf("port_date: %w", err)
			}
			return nil
		})
	}
	return nil
}

func (w *port) validateCancel(in porting.Cancel) error {
	return validateCancel(in, w.req.RequestID, w.cancel, w.cancelRefusal)
}

// cancelRefusal says why the request can no longer be cancelled, or "" when it can.
func (w *port) cancelRefusal() string {
	if w.state.IsEnd() {
		return fmt.Sprintf("request %s is %s; there is nothing to cancel", w.req.RequestID, w.state)
	}
	if w.ordered() {
		return w.bulkCancelRefusal()
	}
	if len(w.groups) == 0 {
		return ""
	}
	var live []string
	for _, g := range w.groups {
		switch g.state {
		case porting.StateActivating, porting.StateVerifying, porting.StateCompleted, porting.StateCancelled, porting.StateFailed, porting.StateNotPortable:
			live = append(live, fmt.Sprintf("%s is %s", g.name, g.state))
		default:
			return ""
		}
	}
	return fmt.Sprintf("request %s can no longer be cancelled: %s", w.req.RequestID, strings.Join(live, ", "))
}

func (w *port) acceptCancel(ctx workflow.Context, in porting.Cancel) {
	w.cancel = &in
	w.note(ctx, w.state, fmt.Sprintf("cancellation requested by %s: %s", in.By, in.Reason))
}

// awaitSubmitLOA hands the LOA to its group and waits until it reached the carrier; from
// versionNumberLevel, an LOA kept from the carrier (a CSR mismatch, or replaced by a later one) is the
// update's error, with why.
func (w *port) awaitSubmitLOA(ctx workflow.Context, in porting.SubmitLOA) (string, error) {
	g := w.findGroup(in.Group)
	version := g.loaVersion
	sub := w.takeLOA(ctx, in)
	if w.v >= versionNumberLevel {
		_ = workflow.Await(ctx, func() bool { return sub.done || g.done })
		switch {
		case sub.refused != nil:
			return "", temporal.NewApplicationError(sub.refused.Error(), ErrLOANotSent)
		case sub.done:
			return sub.outcome, nil
		}
		return "", temporal.NewApplicationError(fmt.Sprintf("group %s is %s before the LOA was sent", g.name, g.state), ErrLOANotSent)
	}
	_ = workflow.Await(ctx, func() bool { return g.loaVersion > version && g.pendingLOA == nil || g.state.IsEnd() })
	if g.state == porting.StateAwaitingCarrier {
		return fmt.Sprintf("group %s: LOA v%d submitted to %s", g.name, g.loaVersion, g.carrier), nil
	}
	return fmt.Sprintf("group %s is %s", g.name, g.state), nil
}

// awaitCarrierResponseApplied hands the response to its group and waits until its turn came: the
// result says where the group stands; a response that no longer fitted then is refused with why.
func (w *port) awaitCarrierResponseApplied(ctx workflow.Context, in porting.CarrierResponse) (string, error) {
	g := w.findGroup(in.Group)
	a := w.queueAnswer(ctx, g, in)
	_ = workflow.Await(ctx, func() bool { return a.done || g.done })
	switch {
	case a.refused != nil:
		return "", temporal.NewApplicationError(a.refused.Error(), ErrAnswerRefused)
	case !a.done:
		return "", temporal.NewApplicationError(fmt.Sprintf("group %s is %s before the response was applied", g.name, g.state), ErrAnswerRefused)
	case g.state == porting.StateLOARejected:
		return fmt.Sprintf("group %s: LOA v%d rejected (%s); the customer is asked for a new LOA", g.name, g.loaVersion, g.lastReason), nil
	case g.cancelRequested && g.portDate != nil:
		return fmt.Sprintf("group %s is cancel_requested; port date %s until the carrier answers the cancellation", g.name, g.portDate.Format(time.RFC3339)), nil
	case g.portDate != nil && !g.state.IsEnd():
		return fmt.Sprintf("group %s is %s; port date %s", g.name, g.visibleState(), g.portDate.Format(time.RFC3339)), nil
	default:
		return fmt.Sprintf("group %s is %s", g.name, g.state), nil
	}
}

// ErrLOANotSent is the error type of a submit-loa update whose LOA was kept from the carrier: it
// does not match the losing carrier's customer service record, or a later LOA replaced it.
const ErrLOANotSent = "LOANotSent"

// ErrAnswerRefused is the error type of a carrier-response update that no longer fitted the group
// when its turn came (the starter reports it with exit 3).
const ErrAnswerRefused = "CarrierResponseRefused"
