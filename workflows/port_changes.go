package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// Changes a customer makes to a port-in after submission (DESIGN §8 "Supplemental changes"), from
// versionNumberLevel: another port date (request-port-date, port_supp.go) and numbers dropped from
// the request (remove-numbers, port_remove.go). Like carrier answers, a change is handed to its group
// and applied by the group's coroutine at its next wait, so it never races a provisioning or a
// submission in flight; the update that delivered it answers once it was applied.

// ErrChangeRefused is the error type of a request-port-date or remove-numbers update that no longer
// fitted its group when its turn came (the starter reports it with exit 3).
const ErrChangeRefused = "ChangeRefused"

// calendarCheck runs a check that reads the business calendar (holiday data a library upgrade may
// change).
type calendarCheck func(ctx workflow.Context, check func() error) error

// checkNow runs the check at once: an update's validator, which is not run again on replay.
func checkNow(_ workflow.Context, check func() error) error { return check() }

// recordCheck runs the check once and records its verdict in a side effect: a signal's handler runs
// again on replay, and what it decided then must not change with the holiday data.
func recordCheck(ctx workflow.Context, check func() error) error {
	var problem string
	if err := workflow.SideEffect(ctx, func(workflow.Context) interface{} {
		if err := check(); err != nil {
			return err.Error()
		}
		return ""
	}).Get(&problem); err != nil {
		return err
	}
	if problem != "" {
		return errors.New(problem)
	}
	return nil
}

// signalCheck is the calendar check of a signal handler in a port of version v: recorded from
// versionNumberLevel (before, no signal's handling read the calendar).
func signalCheck(v workflow.Version) calendarCheck {
	if v < versionNumberLevel {
		return checkNow
	}
	return recordCheck
}

// hasChange reports customer changes waiting for the group.
func (g *group) hasChange() bool { return len(g.removals) > 0 || g.pendingSupp != nil }

// applyChanges applies the group's waiting changes in arrival order: removals first (they may end
// the group), then a port date to ask the carrier for.
func (w *port) applyChanges(ctx workflow.Context, g *group) {
	for len(g.removals) > 0 && !g.state.IsEnd() {
		r := g.removals[0]
		g.removals = g.removals[1:]
		w.applyRemoval(ctx, g, r)
	}
	if g.pendingSupp != nil && !g.state.IsEnd() {
		w.sendSupp(ctx, g)
	}
}

// refuseChangesAfterEnd answers the changes still waiting for a group that has ended.
func (w *port) refuseChangesAfterEnd(g *group) {
	for _, r := range g.removals {
		r.refused, r.done = fmt.Errorf("group %s is %s; its numbers can no longer be removed", g.name, g.state), true
	}
	g.removals = nil
	if s := g.pendingSupp; s != nil {
		s.refused, s.done = fmt.Errorf("group %s is %s; its port date can no longer be changed", g.name, g.state), true
		g.pendingSupp = nil
	}
}

// setupChanges registers request-port-date and remove-numbers, each a signal and a validated update.
func (w *port) setupChanges(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalRequestPortDate,
		func(ctx workflow.Context, in porting.RequestPortDate) (string, error) {
			g := w.findGroup(in.Group)
			s := w.takeSupp(ctx, g, in)
			_ = workflow.Await(ctx, func() bool { return s.done || g.done })
			return s.result(g)
		}, workflow.UpdateHandlerOptions{
			Validator: func(ctx workflow.Context, in porting.RequestPortDate) error {
				return w.validateRequestPortDate(ctx, in, checkNow)
			},
			Description: "The customer asks the carrier for another port date for one group: {group, port_date, by}; the current date stands until the carrier answers",
		}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalRemoveNumbers,
		func(ctx workflow.Context, in porting.RemoveNumbers) (string, error) {
			req := w.takeRemoval(ctx, in)
			if req.cancel {
				if err := workflow.Await(ctx, func() bool { return w.state.IsEnd() || w.state == porting.StateCancelRequested }); err != nil {
					return "", err
				}
				return fmt.Sprintf("every remaining number removed, so the request is cancelled: request %s: %s", w.state, w.reason), nil
			}
			_ = workflow.Await(ctx, req.settled)
			return req.result()
		}, workflow.UpdateHandlerOptions{
			Validator:   func(ctx workflow.Context, in porting.RemoveNumbers) error { return w.validateRemoveNumbers(in) },
			Description: "Drop numbers from the request before activation: {numbers, reason, by}; provisioned ones are released, the carrier told; removing every number cancels",
		}); err != nil {
		return err
	}
	listen(ctx, w, porting.SignalRequestPortDate, func(ctx workflow.Context, in porting.RequestPortDate) error {
		if w.ordered() {
			return w.forwardSignal(ctx, porting.SignalRequestPortDate, in.Group, in)
		}
		if err := w.validateRequestPortDate(ctx, in, signalCheck(w.v)); err != nil {
			return err
		}
		w.takeSupp(ctx, w.findGroup(in.Group), in)
		return nil
	})
	listen(ctx, w, porting.SignalRemoveNumbers, func(ctx workflow.Context, in porting.RemoveNumbers) error {
		if w.ordered() && porting.ValidateRemoveNumbers(in) == nil && len(in.Numbers) < w.openNumbers() {
			return w.forwardRemoval(ctx, in)
		}
		if err := w.validateRemoveNumbers(in); err != nil {
			return err
		}
		w.takeRemoval(ctx, in)
		return nil
	})
	return nil
}

// changeOutcome is how a change that waited for its group ended, for the update that delivered it.
type changeOutcome struct {
	done    bool
	outcome string
	refused error
}

func (c *changeOutcome) finish(outcome string) { c.done, c.outcome = true, outcome }
func (c *changeOutcome) refuse(err error)      { c.done, c.refused = true, err }

// resultOf is the update's answer: the outcome, or the refusal as an error of type ErrChangeRefused.
func (c *changeOutcome) resultOf(g *group, what string) (string, error) {
	switch {
	case c.refused != nil:
		return "", temporal.NewApplicationError(c.refused.Error(), ErrChangeRefused)
	case !c.done:
		return "", temporal.NewApplicationError(fmt.Sprintf("group %s is %s before the %s was applied", g.name, g.state, what), ErrChangeRefused)
	}
	return c.outcome, nil
}

// describeNumbers lists numbers for people.
func describeNumbers(numbers []string) string { return strings.Join(numbers, ", ") }
