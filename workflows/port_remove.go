package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// remove-numbers (DESIGN §8): numbers dropped from an open request before activation. Each group
// applies its part: the numbers leave the port (unlocked for other ports at once), those this port
// put on the instance are released with their share of the limit increase, and a carrier that holds
// the request is told (a supp; a cancellation when the group has no number left). Removing every
// number left in the request is a cancellation.

// removeRequest is one remove-numbers request, in parts per group.
type removeRequest struct {
	numbers []string
	reason  string
	by      string
	cancel  bool // it removed every number left: the request is being cancelled
	parts   []*removal
}

// removal is the part of a remove-numbers request one group applies.
type removal struct {
	changeOutcome
	req     *removeRequest
	numbers []string
}

// settled reports whether every part was applied or refused.
func (r *removeRequest) settled() bool {
	for _, p := range r.parts {
		if !p.done {
			return false
		}
	}
	return true
}

// result combines the parts' outcomes; a refused part is the update's error (the other parts were
// applied, and the error says so).
func (r *removeRequest) result() (string, error) {
	var done, refused []string
	for _, p := range r.parts {
		if p.refused != nil {
			refused = append(refused, p.refused.Error())
		} else {
			done = append(done, p.outcome)
		}
	}
	if len(refused) > 0 {
		msg := strings.Join(refused, "; ")
		if len(done) > 0 {
			msg += " (applied: " + strings.Join(done, "; ") + ")"
		}
		return "", temporal.NewApplicationError(msg, ErrChangeRefused)
	}
	return strings.Join(done, "; "), nil
}

// openNumbers counts the request's numbers that have not ended (not removed, ported, not portable…).
func (w *port) openNumbers() int {
	n := 0
	if w.ordered() {
		for _, ns := range w.bulkNumberStatuses() {
			if !ns.State.IsEnd() {
				n++
			}
		}
		return n
	}
	for _, ns := range w.numbers {
		if !ns.state.IsEnd() {
			n++
		}
	}
	return n
}

// validateRemoveNumbers says why the numbers cannot be removed now, or nil.
func (w *port) validateRemoveNumbers(in porting.RemoveNumbers) error {
	if err := porting.ValidateRemoveNumbers(in); err != nil {
		return err
	}
	switch {
	case w.v < versionNumberLevel:
		return fmt.Errorf("request %s started before remove-numbers existed; cancel it and start a new request without the numbers", w.req.RequestID)
	case w.state.IsEnd():
		return fmt.Errorf("request %s is %s", w.req.RequestID, w.state)
	case w.cancel != nil:
		return fmt.Errorf("request %s is being cancelled", w.req.RequestID)
	case w.ordered():
		return w.bulkRemovalRefusal(in)
	case len(w.groups) == 0:
		return fmt.Errorf("request %s is %s: numbers can be removed once the portability check is done and its LOA groups exist", w.req.RequestID, w.state)
	}
	emptied := map[string]int{}
	for i, e := range in.Numbers {
		ns := w.findNumber(e)
		if ns == nil {
			return fmt.Errorf("numbers[%d]: %s is not part of request %s", i, e, w.req.RequestID)
		}
		if ns.state.IsEnd() {
			why := string(ns.state)
			if ns.reason != "" {
				why += ": " + ns.reason
			}
			return fmt.Errorf("numbers[%d]: %s is %s", i, e, why)
		}
		g := w.findGroup(ns.group)
		switch {
		case g == nil:
			return fmt.Errorf("numbers[%d]: %s has no LOA group yet", i, e)
		case g.state == porting.StateActivating || g.state == porting.StateVerifying:
			return fmt.Errorf("numbers[%d]: %s is %s: it goes live now and can no longer be removed", i, e, g.state)
		case g.cancelRequested:
			return fmt.Errorf("numbers[%d]: %s: group %s is being cancelled", i, e, g.name)
		}
		emptied[g.name]++
	}
	if len(in.Numbers) == w.openNumbers() {
		if why := w.cancelRefusal(); why != "" {
			return errors.New(why)
		}
		return nil // every number left: a cancellation
	}
	// A carrier that must confirm a cancellation (international) cannot be told to drop a whole group
	// it holds by a supp: that is a cancellation of the request.
	for _, g := range w.groups {
		if w.rules.confirmCancelAtCarrier && carrierHolds(g) && emptied[g.name] > 0 && emptied[g.name] == len(g.numbers) {
			return fmt.Errorf("numbers: removing every number of group %s is a cancellation %s must confirm; cancel the request, or keep a number in the group", g.name, g.carrier)
		}
	}
	return nil
}

// takeRemoval hands each group its part of the removal, or cancels the request when it removes every
// number left.
func (w *port) takeRemoval(ctx workflow.Context, in porting.RemoveNumbers) *removeRequest {
	req := &removeRequest{numbers: in.Numbers, reason: in.Reason, by: in.By}
	w.note(ctx, w.state, fmt.Sprintf("%s asked to remove %s: %s", in.By, describeNumbers(in.Numbers), in.Reason))
	if len(in.Numbers) == w.openNumbers() {
		req.cancel = true
		w.acceptCancel(ctx, porting.Cancel{Reason: "every remaining number removed: " + in.Reason, By: in.By})
		return req
	}
	for _, g := range w.groups {
		var mine []string
		for _, e := range in.Numbers {
			if w.number(e).group == g.name {
				mine = append(mine, e)
			}
		}
		if len(mine) > 0 {
			w.queueRemoval(g, req, mine)
		}
	}
	return req
}

func (w *port) queueRemoval(g *group, req *removeRequest, numbers []string) {
	r := &removal{req: req, numbers: numbers}
	req.parts = append(req.parts, r)
	g.removals = append(g.removals, r)
}

// applyRemoval drops the group's part: the numbers leave the port (released from the instance when
// this port put them there, unlocked), the carrier is told when it holds the request, the customer is
// told; a group left without numbers is cancelled. A number that left for a split group meanwhile is
// handed to that group.
func (w *port) applyRemoval(ctx workflow.Context, g *group, r *removal) {
	var leaving, staying []porting.PortNumber
	for _, n := range g.numbers {
		if contains(r.numbers, n.E164) {
			leaving = append(leaving, n)
		} else {
			staying = append(staying, n)
		}
	}
	for _, e := range r.numbers {
		if other := w.findGroup(w.number(e).group); other != nil && other != g && !other.state.IsEnd() {
			w.queueRemoval(other, r.req, []string{e})
		}
	}
	if len(leaving) == 0 {
		r.finish(fmt.Sprintf("group %s: nothing left to remove", g.name))
		return
	}
	reason := fmt.Sprintf("removed by %s: %s", r.req.by, r.req.reason)
	var res activities.DetachResult
	err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("remove %d number(s) from %s", len(leaving), g.name)), acts.RemoveNumbers, activities.DetachInput{
		WorkflowID: w.workflowID, Group: g.name, InstanceARN: w.req.InstanceARN, Numbers: leaving, Reason: reason,
	}).Get(ctx, &res)
	if err != nil {
		r.refuse(fmt.Errorf("group %s: the numbers could not be removed: %v", g.name, plainError(err)))
		w.note(ctx, g.visibleState(), r.refused.Error())
		return
	}
	removed := e164s(leaving)
	for _, e := range removed {
		ns := w.number(e)
		ns.state, ns.reason, ns.reasonCode = porting.StateCancelled, reason, ""
	}
	g.numbers = staying
	g.removalRounds++
	var done []string
	if res.Released > 0 {
		done = append(done, fmt.Sprintf("%d released from the instance (phone-number limit now %d)", res.Released, res.PhoneNumberLimit))
	}
	if len(staying) == 0 {
		g.onInstance = false
		if carrierHolds(g) && !g.cancelConfirmed {
			w.sendCarrierCancel(ctx, g, reason)
			done = append(done, g.carrier+" told to cancel")
		}
	} else if carrierHolds(g) {
		g.supps++
		err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("supp #%d of %s: remove numbers", g.supps, g.name)), acts.SubmitSupp, activities.SuppInput{
			WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, Round: g.supps, Change: activities.SuppRemoveNumbers,
			Numbers: e164s(staying), Removed: removed, By: r.req.by, Reason: r.req.reason,
		}).Get(ctx, nil)
		if err != nil {
			workflow.GetLogger(ctx).Error("supp removing numbers not queued", "group", g.name, "error", err)
			done = append(done, fmt.Sprintf("telling %s failed (%v); operations must tell it", g.carrier, plainError(err)))
		} else {
			done = append(done, fmt.Sprintf("%s told (supp #%d)", g.carrier, g.supps))
		}
	}
	summary := fmt.Sprintf("%s: %s %s", g.name, describeNumbers(removed), reason)
	if len(done) > 0 {
		summary += "; " + strings.Join(done, "; ")
	}
	body := fmt.Sprintf("%s no longer port(s) with this request (%s).", describeNumbers(removed), reason)
	if len(staying) == 0 {
		g.lastReason = "every number " + reason
		w.setGroupState(ctx, g, porting.StateCancelled, summary+"; no number left, the group is cancelled")
		body += fmt.Sprintf(" No number is left in %s, so that part of the request is closed.", g.name)
	} else {
		w.note(ctx, g.visibleState(), summary)
		body += fmt.Sprintf(" %s still port(s) as planned.", describeNumbers(e164s(staying)))
	}
	if res.Released > 0 {
		body += fmt.Sprintf(" %d of them had been added to your instance and were released.", res.Released)
	}
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("numbers-removed/%s/%d", g.name, g.removalRounds), Kind: "numbers_removed", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("%d number(s) removed from port request %s", len(removed), w.req.RequestID), Body: body,
	})
	r.finish(summary)
}
