package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// awaitProvisioningTime waits until one business day before the port date (at once when that is
// already past), following reschedules, then provisions the numbers into the instance.
func (w *port) awaitProvisioningTime(ctx workflow.Context, g *group) error {
	for {
		at := w.clock.provisioningTime(ctx, *g.portDate)
		g.nextDeadline, g.nextDeadlineKind = at, "provisioning"
		fired, err := w.awaitGroupDeadline(ctx, g, at, "provision "+g.name)
		if err != nil {
			return err
		}
		if fired {
			break
		}
		if g.state != porting.StateScheduled {
			return nil // withdrawn, cancelled or failed meanwhile
		}
	}
	if w.v < versionFailurePaths {
		return w.provisionOnce(ctx, g)
	}
	return w.provision(ctx, g)
}

// provisionOnce is provisioning as ports started before versionFailurePaths run it: one try, any
// failure fails the group.
func (w *port) provisionOnce(ctx workflow.Context, g *group) error {
	g.provisionRounds++
	g.onInstance = true
	w.setGroupState(ctx, g, porting.StateProvisioning, fmt.Sprintf("%s: adding %d number(s) to the instance", g.name, len(g.numbers)))
	started := workflow.Now(ctx)
	var res activities.ProvisionResult
	err := workflow.ExecuteActivity(withProvisioning(ctx, "provision "+g.name), acts.ProvisionNumbers, w.numbersInput(g, "")).Get(ctx, &res)
	if err != nil {
		return plainError(err)
	}
	w.provisioned(ctx, g, res, started)
	return nil
}

func (w *port) provisioned(ctx workflow.Context, g *group, res activities.ProvisionResult, started time.Time) {
	metrics.ProvisioningDuration(ctx, w.kind, workflow.Now(ctx).Sub(started))
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateProvisioned
	}
	w.setGroupState(ctx, g, porting.StateProvisioned, fmt.Sprintf("%s: %d number(s) provisioned on flow %q; phone-number limit now %d", g.name, res.Provisioned, w.req.ContactFlow, res.PhoneNumberLimit))
}

// healable reports whether a provisioning refusal may clear up by someone's hand before the port
// date: a contact flow unpublished or removed (the customer can publish it again), an instance whose
// base limit was lowered below what it holds (support can raise it). Anything else the activity
// refuses for good (the instance is gone, a number is held by another instance) is permanent;
// transient failures never reach the workflow (the activity retries them).
func healable(err error) bool {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		switch app.Type() {
		case activities.ErrContactFlowNotPublished, activities.ErrContactFlowNotFound, activities.ErrPhoneNumberLimit:
			return true
		}
		return !app.NonRetryable()
	}
	return true // timeouts and other infrastructure failures
}

// provision adds the group's numbers to the instance. A failure that can heal is reported to the
// customer and operations and tried again every ProvisioningRetrySeconds until the port date, while
// carrier answers and cancellations are still taken; a permanent failure, or the port date reached
// without the numbers, fails the group (runGroup compensates).
func (w *port) provision(ctx workflow.Context, g *group) error {
	g.provisionRounds++
	g.onInstance = true
	w.setGroupState(ctx, g, porting.StateProvisioning, fmt.Sprintf("%s: adding %d number(s) to the instance", g.name, len(g.numbers)))
	started := workflow.Now(ctx)
	retry := time.Duration(w.deadlines.ProvisioningRetrySeconds) * time.Second
	reported, blocks := "", 0
	for {
		res, err := w.runProvisioning(ctx, g, retry)
		if err == nil {
			if blocks > 0 {
				w.notify(ctx, activities.Notification{
					Key: fmt.Sprintf("provisioning-unblocked/%s/%d", g.name, g.provisionRounds), Kind: "provisioning_unblocked", Recipient: activities.RecipientOperations,
					Subject: fmt.Sprintf("Port-in %s: %s provisioned after all", w.req.RequestID, g.name),
					Body:    fmt.Sprintf("The numbers of %s are on the instance; the port goes ahead on %s.", g.name, w.localTime(*g.portDate)),
				})
			}
			w.provisioned(ctx, g, res, started)
			return nil
		}
		if !healable(err) {
			return fmt.Errorf("provisioning failed: %w", plainError(err))
		}
		err = plainError(err)
		if !workflow.Now(ctx).Before(*g.portDate) {
			return fmt.Errorf("the numbers could not be added to the instance before the port date %s: %v", w.localTime(*g.portDate), err)
		}
		if err.Error() != reported {
			reported = err.Error()
			blocks++
			w.note(ctx, g.state, fmt.Sprintf("%s: provisioning blocked: %s; tried again every %s until the port date %s", g.name, reported, retry, w.localTime(*g.portDate)))
			body := fmt.Sprintf("We could not add %v to your instance: %s. We try again every %s; if it still fails at the port date %s, "+
				"the port is stopped and %s is told to cancel it.", e164s(g.numbers), reported, retry, w.localTime(*g.portDate), g.carrier)
			w.notify(ctx, activities.Notification{
				Key: fmt.Sprintf("provisioning-blocked/%s/%d/%d", g.name, g.provisionRounds, blocks), Kind: "provisioning_blocked", Recipient: activities.RecipientCustomer,
				Subject: "Action needed before your port date: " + g.name, Body: body,
			})
			w.notify(ctx, activities.Notification{
				Key: fmt.Sprintf("provisioning-blocked-ops/%s/%d/%d", g.name, g.provisionRounds, blocks), Kind: "provisioning_blocked", Recipient: activities.RecipientOperations,
				Subject: fmt.Sprintf("Port-in %s: provisioning of %s blocked", w.req.RequestID, g.name), Body: body,
			})
		}
		retryAt := earliest(workflow.Now(ctx).Add(retry), *g.portDate)
		g.nextDeadline, g.nextDeadlineKind = retryAt, "provisioning_retry"
		if _, err := awaitUntil(ctx, retryAt, "retry provisioning "+g.name, func() bool { return g.hasAnswer() || w.cancelPending(g) || g.hasChange() }); err != nil {
			return err
		}
		switch {
		case w.cancelPending(g):
			if ended, err := w.handleCancel(ctx, g); ended || err != nil {
				return err
			}
		case g.hasChange():
			w.applyChanges(ctx, g)
		case g.hasAnswer():
			w.applyCarrierResponse(ctx, g)
		}
		if g.state != porting.StateProvisioning {
			return nil // withdrawn or cancelled meanwhile
		}
		if at := w.clock.provisioningTime(ctx, *g.portDate); at.After(workflow.Now(ctx)) {
			// The date moved: provisioning waits for its new time, and what the tries added goes.
			if err := w.releaseFromInstance(ctx, g, "port date moved to "+w.localTime(*g.portDate)); err != nil {
				return err
			}
			w.setGroupState(ctx, g, porting.StateScheduled, fmt.Sprintf("%s: port date moved to %s; provisioning waits until %s", g.name, w.localTime(*g.portDate), w.localTime(at)))
			return nil
		}
	}
}

// runProvisioning runs one provisioning activity, which retries transient failures (Postgres or the
// instance API down, a worker lost) itself for as long as they last: past the port date too, since
// the carrier ports the numbers to us then whatever we do, and telling it anything needs Postgres.
// When it has not finished after retry, operations are told that it is still trying.
func (w *port) runProvisioning(ctx workflow.Context, g *group, retry time.Duration) (activities.ProvisionResult, error) {
	if w.deferring() {
		return w.runProvisioningWithOutbox(ctx, g, retry)
	}
	f := workflow.ExecuteActivity(withProvisioning(ctx, "provision "+g.name), acts.ProvisionNumbers, w.numbersInput(g, ""))
	timerCtx, stopTimer := workflow.WithCancel(ctx)
	defer stopTimer()
	slow := workflow.NewTimerWithOptions(timerCtx, retry, workflow.TimerOptions{Summary: "provisioning of " + g.name + " still running"})
	var (
		res  activities.ProvisionResult
		err  error
		done bool
	)
	for escalated := false; !done; {
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(f, func(f workflow.Future) { err, done = f.Get(ctx, &res), true })
		if !escalated {
			sel.AddFuture(slow, func(workflow.Future) {
				escalated = true
				w.note(ctx, g.state, fmt.Sprintf("%s: provisioning still retrying after %s (Postgres or the instance API may be down); it keeps trying until the port date", g.name, retry))
				w.notify(ctx, w.slowProvisioningNotice(g, retry))
			})
		}
		sel.Select(ctx)
	}
	return res, err
}

// slowProvisioningNotice tells operations that a group's provisioning still retries after retry.
func (w *port) slowProvisioningNotice(g *group, retry time.Duration) activities.Notification {
	return activities.Notification{
		Key: fmt.Sprintf("provisioning-slow/%s/%d", g.name, g.provisionRounds), Kind: "provisioning_slow", Recipient: activities.RecipientOperations,
		Subject: fmt.Sprintf("Port-in %s: provisioning of %s still retrying", w.req.RequestID, g.name),
		Body:    fmt.Sprintf("Adding %d number(s) to %s has not finished after %s; the port date is %s.", len(g.numbers), w.req.InstanceARN, retry, w.localTime(*g.portDate)),
	}
}

// runProvisioningWithOutbox is runProvisioning for ports from versionActionCost: the activity
// queues the workflow's outbox as it starts, and tells operations itself when it still retries after
// retry, so no timer runs beside it.
func (w *port) runProvisioningWithOutbox(ctx workflow.Context, g *group, retry time.Duration) (activities.ProvisionResult, error) {
	in := w.numbersInput(g, "")
	in.Notifications = w.takeOutbox()
	in.SlowAfterSeconds = int(retry / time.Second)
	notice := w.slowProvisioningNotice(g, retry)
	notice.WorkflowID = w.workflowID
	in.SlowNotice = &notice
	var res activities.ProvisionResult
	err := workflow.ExecuteActivity(withProvisioning(ctx, "provision "+g.name), acts.ProvisionNumbers, in).Get(ctx, &res)
	if err != nil {
		w.returnOutbox(in.Notifications)
	}
	return res, err
}

// awaitPortDate waits for the port date (following reschedules), then activates and verifies.
func (w *port) awaitPortDate(ctx workflow.Context, g *group) error {
	for {
		g.nextDeadline, g.nextDeadlineKind = *g.portDate, "port_date"
		fired, err := w.awaitGroupDeadline(ctx, g, *g.portDate, "port date "+g.name)
		if err != nil {
			return err
		}
		if fired {
			break
		}
		if g.state != porting.StateProvisioned {
			return nil // released for a later date, withdrawn, cancelled or failed meanwhile
		}
	}
	g.nextDeadline = time.Time{}
	if s := g.supp; s != nil {
		// The carrier did not answer the asked-for date in time: the numbers port on the date it gave.
		g.supp = nil
		w.note(ctx, g.state, fmt.Sprintf("%s: %s never answered the request for %s; the numbers port on the standing date", g.name, g.carrier, w.localTime(s.date)))
	}
	w.setGroupState(ctx, g, porting.StateActivating, g.name+": port date reached; activating")
	if err := w.step(ctx, "activate "+g.name, acts.ActivateNumbers, w.numbersInput(g, "")).Get(ctx, nil); err != nil {
		return fmt.Errorf("activation failed: %w", plainError(err))
	}
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateActivating
	}
	w.setGroupState(ctx, g, porting.StateVerifying, g.name+": numbers live; placing a test call")
	if w.v < versionFailurePaths {
		var res activities.VerifyResult
		if err := workflow.ExecuteActivity(withDBActivity(ctx, "test call "+g.name), acts.VerifyTestCall, w.numbersInput(g, "")).Get(ctx, &res); err != nil {
			return plainError(err)
		}
		if !res.Answered {
			return fmt.Errorf("verification test call not answered by flow %q: %s", w.req.ContactFlow, res.Reason)
		}
	} else if err := w.verify(ctx, g); err != nil {
		return err
	}
	for _, n := range g.numbers {
		w.number(n.E164).state = porting.StateCompleted
	}
	w.setGroupState(ctx, g, porting.StateCompleted, fmt.Sprintf("%s: test call answered by %q; port complete", g.name, w.req.ContactFlow))
	return nil
}

// verify places the test call up to VerificationAttempts times, ProvisioningRetrySeconds apart. The
// numbers are live by now (the carrier has ported them), so a flow that does not answer is reported
// to the customer, who can fix it, and never undone: after the last attempt the group fails with its
// numbers kept live on the instance, on purpose.
func (w *port) verify(ctx workflow.Context, g *group) error {
	retry := time.Duration(w.deadlines.ProvisioningRetrySeconds) * time.Second
	for attempt := 1; ; attempt++ {
		var res activities.VerifyResult
		if err := w.step(ctx, fmt.Sprintf("test call %d of %s", attempt, g.name), acts.VerifyTestCall, w.numbersInput(g, "")).Get(ctx, &res); err != nil {
			return keepLive{fmt.Errorf("verification test call could not be placed: %w", plainError(err))}
		}
		if res.Answered {
			return nil
		}
		if attempt >= w.deadlines.VerificationAttempts {
			return keepLive{fmt.Errorf("verification test call not answered by flow %q after %d attempts: %s", w.req.ContactFlow, attempt, res.Reason)}
		}
		if attempt == 1 {
			body := fmt.Sprintf("%v are live on your instance, but the test call was not answered: %s. Please check contact flow %q; "+
				"we call again every %s (%d attempts in all).", e164s(g.numbers), res.Reason, w.req.ContactFlow, retry, w.deadlines.VerificationAttempts)
			w.notify(ctx, activities.Notification{
				Key: "verification-failed/" + g.name, Kind: "verification_failed", Recipient: activities.RecipientCustomer,
				Subject: "Your ported numbers do not answer yet: " + g.name, Body: body,
			})
			w.notify(ctx, activities.Notification{
				Key: "verification-failed-ops/" + g.name, Kind: "verification_failed", Recipient: activities.RecipientOperations,
				Subject: fmt.Sprintf("Port-in %s: test call of %s not answered", w.req.RequestID, g.name), Body: body,
			})
		}
		w.note(ctx, g.state, fmt.Sprintf("%s: test call %d not answered (%s); calling again in %s", g.name, attempt, res.Reason, retry))
		g.nextDeadline, g.nextDeadlineKind = workflow.Now(ctx).Add(retry), "verification_retry"
		if _, err := awaitUntil(ctx, g.nextDeadline, "test call again "+g.name, func() bool { return false }); err != nil {
			return err
		}
		g.nextDeadline = time.Time{}
	}
}

// awaitGroupDeadline waits for a scheduled group's deadline. It reports fired=false when a carrier
// response (a reschedule, a withdrawal, or the answer to a cancellation) or a cancel came first and
// was handled: the caller then recomputes its deadline, or stops if the group moved on.
func (w *port) awaitGroupDeadline(ctx workflow.Context, g *group, at time.Time, summary string) (fired bool, err error) {
	g.parked = true
	_, err = awaitUntil(ctx, at, summary, func() bool { return g.hasAnswer() || w.cancelPending(g) || g.hasChange() })
	g.parked = false
	switch {
	case err != nil:
		return false, err
	case w.cancelPending(g):
		_, err = w.handleCancel(ctx, g)
		return false, err
	case g.hasChange():
		w.applyChanges(ctx, g)
		return false, nil
	case g.hasAnswer():
		w.applyCarrierResponse(ctx, g)
		return false, nil
	}
	return true, nil
}
