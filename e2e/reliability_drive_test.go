//go:build reliability

package e2e

// The reliability harness: driving one port of the fleet through updates, as its customer and
// carriers would, until it ends.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
)

const pollEvery = time.Second

// drive starts one port and gives it what it waits for — through updates, as the starter does —
// until nothing is left to give; then it waits for the port's result.
func (f *fleet) drive(ctx context.Context, p *portPlan) error {
	if err := f.startPort(ctx, p); err != nil {
		return err
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		st, err := f.status(ctx, p.workflowID)
		if err == nil {
			if st.State.IsEnd() {
				break
			}
			if f.act(ctx, p, st) {
				break
			}
		} else {
			p.transient.Add(1)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: gave up waiting (last state %s): %w", p.workflowID, st.State, ctx.Err())
		case <-tick.C:
		}
	}
	return f.awaitResult(ctx, p)
}

// act sends what the port's current state waits for; it reports whether nothing is left to send.
// Updates it sends are answered by the workflow once they took effect (or refused with the reason);
// a refused or lost update is sent again at the next poll if the state still asks for it.
func (f *fleet) act(ctx context.Context, p *portPlan, st porting.Status) (finished bool) {
	now := time.Now()
	held := p.hold != "" && !f.holdsLifted()
	if p.kind == porting.KindPortOut {
		if st.State != porting.StateAwaitingWinningCarrier {
			return st.State == porting.StateApproved || st.State == porting.StateReleasing
		}
		if held {
			return false
		}
		at := now.Add(p.delay).Truncate(time.Second)
		err := f.update(ctx, p, "winning-carrier-request", porting.SignalWinningCarrierRequest, carrierRequest(at, p.numbers...), nil)
		if err != nil {
			return false
		}
		f.mu.Lock()
		p.releaseAt = at
		f.releases = append(f.releases, at)
		f.mu.Unlock()
		return true
	}

	if st.State == porting.StateAwaitingPortability {
		_ = f.update(ctx, p, "portability-result", porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true}, nil)
		return false
	}
	if len(st.Groups) == 0 {
		return false
	}
	settled := true // every group has its port date
	for _, g := range st.Groups {
		switch g.State {
		case porting.StateAwaitingLOA, porting.StateLOARejected:
			settled = false
			if held && p.hold == "loa" {
				continue
			}
			_ = f.update(ctx, p, "submit-loa/"+g.Group, porting.SignalSubmitLOA,
				porting.SubmitLOA{Group: g.Group, LOA: loa(p.requestID + ".pdf")}, nil)
		case porting.StateAwaitingCarrier:
			settled = false
			if held && p.hold == "carrier" {
				continue
			}
			date := now.Add(p.delay).Truncate(time.Second)
			if p.farDate > 0 && !f.holdsLifted() {
				date = now.Add(p.farDate).Truncate(time.Second)
			}
			_ = f.update(ctx, p, "carrier-response/"+g.Group, porting.SignalCarrierResponse,
				porting.CarrierResponse{Group: g.Group, Accepted: true, PortDate: &date}, nil)
		case porting.StateScheduled, porting.StateProvisioning, porting.StateProvisioned:
			if p.farDate == 0 {
				continue
			}
			f.mu.Lock()
			moved := p.moved[g.Group]
			f.mu.Unlock()
			if moved {
				continue
			}
			settled = false
			if !f.holdsLifted() {
				continue
			}
			// The carrier moves the far date to a near one: the port completes on the build now running.
			date := now.Add(p.delay).Truncate(time.Second)
			if f.update(ctx, p, "move-date/"+g.Group, porting.SignalCarrierResponse,
				porting.CarrierResponse{Group: g.Group, Accepted: true, PortDate: &date}, nil) == nil {
				f.mu.Lock()
				p.moved[g.Group] = true
				f.mu.Unlock()
			}
		case porting.StateCancelRequested:
			// The carrier confirms the cancellation (international: it holds the request).
			settled = false
			_ = f.update(ctx, p, "confirm-cancel/"+g.Group, porting.SignalCarrierResponse,
				porting.CarrierResponse{Group: g.Group, Accepted: true}, nil)
		case porting.StateValidating, porting.StateCheckingPortability:
			settled = false
		}
	}
	if !p.cancel {
		return settled
	}
	// The cancel goes once every group is provisioned: the numbers are then released.
	f.mu.Lock()
	cancelled := !p.cancelAt.IsZero()
	f.mu.Unlock()
	if cancelled {
		return false // until the port ends (international: after the carrier confirmed)
	}
	for _, g := range st.Groups {
		if g.State != porting.StateProvisioned {
			return false
		}
	}
	select {
	case <-f.cancelGate:
	case <-ctx.Done():
		return false
	}
	f.mu.Lock()
	p.cancelAt = time.Now()
	f.mu.Unlock()
	f.cancelSent <- time.Now()
	go f.sendCancel(ctx, p)
	return false
}

// holdsLifted reports whether ports held for a scenario's moment (portPlan.hold, farDate) may go on.
func (f *fleet) holdsLifted() bool {
	if f.switched == nil {
		return true
	}
	select {
	case <-f.switched:
		return true
	default:
		return false
	}
}

// sendCancel sends the cancel update until the workflow took it. The update's answer waits for the
// release (or the carrier's confirmation), so it runs beside the driver's polling.
func (f *fleet) sendCancel(ctx context.Context, p *portPlan) {
	for ctx.Err() == nil {
		err := f.update(ctx, p, "cancel", porting.SignalCancel, porting.Cancel{Reason: "customer stays", By: "reliability"}, nil)
		if err == nil {
			return
		}
		var app *temporal.ApplicationError
		if errors.As(err, &app) && strings.Contains(app.Error(), "already being cancelled") {
			return // an earlier attempt took
		}
		if st, err := f.status(ctx, p.workflowID); err == nil && (st.State.IsEnd() || st.State == porting.StateCancelRequested) {
			return
		}
		retryPause(ctx)
	}
}

// startPort starts the port's workflow (a retry finds it started) and waits for its validation.
func (f *fleet) startPort(ctx context.Context, p *portPlan) error {
	workflowType := map[string]string{
		porting.KindPortIn: porting.WorkflowPortIn, porting.KindInternationalPortIn: porting.WorkflowInternationalPortIn,
		porting.KindPortOut: porting.WorkflowPortOut,
	}[p.kind]
	for {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := f.c.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
			ID: p.workflowID, TaskQueue: porting.TaskQueue,
			WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			WorkflowExecutionErrorWhenAlreadyStarted: true,
		}, workflowType, p.input)
		cancel()
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err == nil || errors.As(err, &started) {
			break
		}
		p.transient.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: start: %w", p.workflowID, err)
		}
		retryPause(ctx)
	}
	for {
		var v porting.ValidationOutcome
		err := f.update(ctx, p, porting.UpdateAwaitValidation, porting.UpdateAwaitValidation, nil, &v)
		if err == nil {
			if !v.Accepted {
				return fmt.Errorf("%s: refused at validation (%s): %s", p.workflowID, v.State, v.Reason)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: await-validation: %w", p.workflowID, err)
		}
		retryPause(ctx)
	}
}

// retryPause spaces the retries of a call that failed (no worker or server to answer).
func retryPause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(pollEvery):
	}
}

// update sends one update and waits for its outcome, decoded into out (nil: ignored). Every step
// has a stable update ID, so a retry after a lost answer (worker or server gone) is the same update;
// a refusal (the workflow's own answer, an *temporal.ApplicationError) moves the step to a new ID for
// the next try.
func (f *fleet) update(ctx context.Context, p *portPlan, step, name string, arg, out any) error {
	f.mu.Lock()
	id := fmt.Sprintf("%s#%d", step, p.attempts[step])
	f.mu.Unlock()
	uctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID: p.workflowID, UpdateID: id, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	if arg != nil {
		opts.Args = []any{arg}
	}
	h, err := f.c.UpdateWorkflow(uctx, opts)
	if err == nil {
		err = h.Get(uctx, out)
	}
	var app *temporal.ApplicationError
	switch {
	case err == nil:
	case errors.As(err, &app):
		f.mu.Lock()
		p.attempts[step]++
		f.mu.Unlock()
		p.refusals.Add(1)
	default:
		p.transient.Add(1)
	}
	return err
}

// status queries the port's status; it fails while no worker answers.
func (f *fleet) status(ctx context.Context, workflowID string) (porting.Status, error) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := f.c.QueryWorkflow(qctx, workflowID, "", porting.QueryStatus)
	if err != nil {
		return porting.Status{}, err
	}
	var st porting.Status
	err = v.Get(&st)
	return st, err
}

// awaitResult waits for the workflow's result (across server restarts).
func (f *fleet) awaitResult(ctx context.Context, p *portPlan) error {
	for {
		err := f.c.GetWorkflow(ctx, p.workflowID, "").Get(ctx, &p.result)
		if err == nil {
			return nil
		}
		p.transient.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: waiting for the result: %w", p.workflowID, err)
		}
		retryPause(ctx)
	}
}

// releasesAfter is the earliest port-out release time after t, if any is known.
func (f *fleet) releasesAfter(t time.Time) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best time.Time
	for _, r := range f.releases {
		if r.After(t) && (best.IsZero() || r.Before(best)) {
			best = r
		}
	}
	return best, !best.IsZero()
}
