package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

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
	sent := w.sendCarrierCancel(ctx, g, w.cancelNote())
	if !sent {
		// Ports started before versionFailurePaths sent one cancellation per group, ever.
		w.note(ctx, porting.StateCancelRequested, fmt.Sprintf("%s: cancellation sent to %s; the port goes on until the carrier confirms it", g.name, g.carrier))
	} else {
		w.note(ctx, porting.StateCancelRequested, fmt.Sprintf("%s: cancellation #%d sent to %s; the port goes on until the carrier confirms it", g.name, g.cancelRounds, g.carrier))
	}
	w.refreshState(ctx)
	w.notify(ctx, activities.Notification{
		Key: roundKey(fmt.Sprintf("cancel-requested/%s/%d", g.name, g.loaVersion), g.cancelRounds), Kind: "cancel_requested", Recipient: activities.RecipientCustomer,
		Subject: "Cancellation requested from " + g.carrier,
		Body:    fmt.Sprintf("%s has the port request, so cancelling it is a request to the carrier. We will tell you when it answers.", g.carrier),
	})
	return false, nil
}

// applyCancelAnswer takes the carrier's answer to a cancellation: accepted (without a date) means
// the cancellation took; a refusal means the port goes ahead; accepted with a date moves the port
// date and the cancellation still awaits its answer.
func (w *port) applyCancelAnswer(ctx workflow.Context, g *group, r porting.CarrierResponse) {
	if w.v >= versionFailurePaths && r.Accepted && r.PortDate != nil {
		w.acceptPortDate(ctx, g, r)
		return
	}
	g.cancelRequested = false
	if r.Accepted {
		g.cancelConfirmed = true // confirmed: nothing more to tell the carrier
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
		Key: roundKey(fmt.Sprintf("cancel-refused/%s/%d", g.name, g.loaVersion), g.cancelRounds), Kind: "cancel_refused", Recipient: activities.RecipientCustomer,
		Subject: g.carrier + " refused the cancellation",
		Body:    fmt.Sprintf("%s refused to cancel the port (%s); it goes ahead as scheduled.", g.carrier, reason),
	})
}

// cancelGroup stops a group: numbers already added to the instance are released again (and the
// limit increase reversed), and a carrier that has the request is told to cancel it.
func (w *port) cancelGroup(ctx workflow.Context, g *group) error {
	reason := w.cancelNote()
	if w.v < versionFailurePaths {
		if g.state == porting.StateProvisioned {
			if err := w.releaseFromInstance(ctx, g, reason); err != nil {
				return err
			}
		}
	} else if g.onInstance {
		if err := w.releaseFromInstance(ctx, g, reason); err != nil {
			return err
		}
	}
	if g.submitted && !g.cancelConfirmed {
		w.sendCarrierCancel(ctx, g, reason)
	}
	g.lastReason = reason
	w.setGroupState(ctx, g, porting.StateCancelled, g.name+": "+reason)
	return nil
}

// releaseFromInstance releases what this port put on the instance for the group and reverses its
// limit increase (ReleaseNumbers is idempotent and only touches this port's rows).
func (w *port) releaseFromInstance(ctx workflow.Context, g *group, reason string) error {
	err := workflow.ExecuteActivity(withDBActivity(ctx, "release "+g.name), acts.ReleaseNumbers, w.numbersInput(g, reason)).Get(ctx, nil)
	if err != nil {
		return plainError(err)
	}
	g.onInstance = false
	w.note(ctx, g.visibleState(), fmt.Sprintf("%s: %d provisioned number(s) released", g.name, len(g.numbers)))
	return nil
}

// roundKey adds a round to a notification key from the second round on (the first keeps the key
// it always had).
func roundKey(key string, round int) string {
	if round <= 1 {
		return key
	}
	return fmt.Sprintf("%s/r%d", key, round)
}

// sendCarrierCancel puts a new cancellation round in the carrier outbox. A port started before
// versionFailurePaths sends at most one per group (it reports false when it did not send).
func (w *port) sendCarrierCancel(ctx workflow.Context, g *group, reason string) bool {
	if w.v < versionFailurePaths && g.cancelRounds > 0 {
		return false
	}
	g.cancelRounds++
	round := g.cancelRounds
	if w.v < versionFailurePaths {
		round = 0
	}
	err := workflow.ExecuteActivity(withDBActivity(ctx, "cancel at carrier "+g.name), acts.SubmitCarrierCancel, activities.CarrierCancelInput{
		WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, Numbers: e164s(g.numbers), Reason: reason, Round: round,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("carrier cancellation not queued", "group", g.name, "error", err)
	}
	return w.v >= versionFailurePaths
}

// failGroup ends a group that cannot complete and leaves it in a state the customer can be told:
// numbers this port put on the instance are released and the limit increase reversed (unless the
// failure keeps them live on purpose: the carrier has already ported them), a carrier that holds the
// request is told to cancel it, and the customer and operations hear what happened to the numbers.
func (w *port) failGroup(ctx workflow.Context, g *group, cause error, live bool) {
	reason := cause.Error()
	g.lastReason = reason
	var done []string
	where := "they stay with " + g.carrier
	switch {
	case live:
		where = fmt.Sprintf("they are live on instance %s on purpose (the carrier has ported them), mapped to %q", w.req.InstanceARN, w.req.ContactFlow)
		done = append(done, "numbers kept live")
	case g.onInstance:
		if err := w.releaseFromInstance(ctx, g, "port failed: "+reason); err != nil {
			where = "releasing them failed (" + err.Error() + "); operations must release them"
		} else {
			done = append(done, "numbers released from the instance, limit increase reversed")
		}
	}
	if !live && carrierHolds(g) && !g.cancelConfirmed {
		w.sendCarrierCancel(ctx, g, "we cannot complete the port: "+reason)
		done = append(done, g.carrier+" told to cancel")
	}
	if g.state == porting.StateActivating && !live {
		where = fmt.Sprintf("the carrier has probably ported them, but they are not live on the instance; operations must claim them now "+
			"(starter number claim --instance %s --e164 …)", w.req.InstanceARN)
	}
	note := "failed: " + reason
	if len(done) > 0 {
		note += "; " + strings.Join(done, "; ")
	}
	w.setGroupState(ctx, g, porting.StateFailed, note)
	w.notify(ctx, activities.Notification{
		Key: "failed/" + g.name, Kind: "port_failed", Recipient: activities.RecipientOperations,
		Subject: "Port-in group " + g.name + " failed", Body: fmt.Sprintf("%s. Numbers %v: %s.", reason, e164s(g.numbers), where),
	})
	w.notify(ctx, activities.Notification{
		Key: "failed-customer/" + g.name, Kind: "port_failed", Recipient: activities.RecipientCustomer,
		Subject: "Your port of " + g.name + " could not be completed",
		Body:    fmt.Sprintf("We could not complete the port of %v: %s. The numbers: %s.", e164s(g.numbers), reason, where),
	})
}
