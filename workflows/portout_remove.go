package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// remove-numbers on a port-out (DESIGN §8), from versionNumberLevel: numbers the customer keeps
// after all. They leave the port-out before the release — unlocked, staying with the instance as
// they were — and the winning carrier is told not to include them; a later request of the carrier
// must list only the numbers left. Removing every number left is a cancellation.

// portOutRemoval is one remove-numbers request waiting for the port-out's main coroutine.
type portOutRemoval struct {
	changeOutcome
	numbers []string
	reason  string
	by      string
	cancel  bool // it removed every number left: the port-out is being cancelled
}

// removedNumber is a number removed from the port-out, for the status.
type removedNumber struct {
	E164   string `json:"e164"`
	Reason string `json:"reason"`
}

func (w *portOut) validateRemoveNumbers(in porting.RemoveNumbers) error {
	if err := porting.ValidateRemoveNumbers(in); err != nil {
		return err
	}
	switch {
	case w.v < versionNumberLevel:
		return fmt.Errorf("request %s started before remove-numbers existed; cancel it and start a new port-out without the numbers", w.req.RequestID)
	case w.state.IsEnd():
		return fmt.Errorf("request %s is %s", w.req.RequestID, w.state)
	case w.cancel != nil:
		return fmt.Errorf("request %s is being cancelled", w.req.RequestID)
	case w.state == porting.StateReleasing:
		return fmt.Errorf("request %s is releasing: the numbers are being released since %s and can no longer be removed", w.req.RequestID, w.local(w.releasingSince))
	case !w.validated || !w.validation.Accepted:
		return fmt.Errorf("request %s is %s: numbers can be removed once it is recorded", w.req.RequestID, w.state)
	}
	for i, e := range in.Numbers {
		if contains(w.req.Numbers, e) {
			continue
		}
		for _, r := range w.removed {
			if r.E164 == e {
				return fmt.Errorf("numbers[%d]: %s was already removed (%s)", i, e, r.Reason)
			}
		}
		return fmt.Errorf("numbers[%d]: %s is not part of request %s", i, e, w.req.RequestID)
	}
	if len(in.Numbers) == len(w.req.Numbers) {
		if why := w.cancelRefusal(); why != "" {
			return errors.New(why)
		}
	}
	return nil
}

// takeRemoval queues the removal for the main coroutine, or cancels the port-out when it removes
// every number left.
func (w *portOut) takeRemoval(ctx workflow.Context, in porting.RemoveNumbers) *portOutRemoval {
	r := &portOutRemoval{numbers: in.Numbers, reason: in.Reason, by: in.By}
	w.note(ctx, w.state, fmt.Sprintf("%s asked to remove %s from the port-out: %s", in.By, describeNumbers(in.Numbers), in.Reason))
	if len(in.Numbers) == len(w.req.Numbers) {
		r.cancel = true
		w.acceptCancel(ctx, porting.Cancel{Reason: "every remaining number removed: " + in.Reason, By: in.By})
		return r
	}
	w.removals = append(w.removals, r)
	return r
}

// applyRemovals drops the waiting removals' numbers: unlocked (they stay with the instance), the
// winning carrier and the customer told.
func (w *portOut) applyRemovals(ctx workflow.Context) {
	for len(w.removals) > 0 {
		r := w.removals[0]
		w.removals = w.removals[1:]
		var leaving, staying []string
		for _, e := range w.req.Numbers {
			if contains(r.numbers, e) {
				leaving = append(leaving, e)
			} else {
				staying = append(staying, e)
			}
		}
		if len(leaving) == 0 {
			r.finish("nothing left to remove")
			continue
		}
		if len(staying) == 0 {
			// Earlier removals took the rest meanwhile: this one is the cancellation.
			r.refuse(fmt.Errorf("removing %s would leave no number; cancel the port-out instead", describeNumbers(leaving)))
			continue
		}
		reason := fmt.Sprintf("removed by %s: %s", r.by, r.reason)
		numbers := make([]porting.PortNumber, len(leaving))
		for i, e := range leaving {
			numbers[i] = porting.PortNumber{E164: e}
		}
		err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("remove %d number(s) from the port-out", len(leaving))), acts.RemoveNumbers, activities.DetachInput{
			WorkflowID: w.workflowID, Group: w.req.WinningCarrier, InstanceARN: w.req.InstanceARN, Numbers: numbers, Reason: reason,
		}).Get(ctx, nil)
		if err != nil {
			r.refuse(fmt.Errorf("the numbers could not be removed: %v", plainError(err)))
			w.note(ctx, w.state, r.refused.Error())
			continue
		}
		w.req.Numbers = staying
		for _, e := range leaving {
			w.removed = append(w.removed, removedNumber{E164: e, Reason: reason})
		}
		w.removalRounds++
		summary := fmt.Sprintf("%s %s; they stay with the instance and are unlocked; %s still port(s) out to %s",
			describeNumbers(leaving), reason, describeNumbers(staying), w.req.WinningCarrier)
		w.note(ctx, w.state, summary)
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("numbers-removed/%d", w.removalRounds), Kind: "numbers_removed", Recipient: activities.RecipientCustomer,
			Subject: fmt.Sprintf("%d number(s) removed from port-out %s", len(leaving), w.req.RequestID),
			Body:    fmt.Sprintf("%s stay with your instance (%s). %s still port(s) out to %s.", describeNumbers(leaving), reason, describeNumbers(staying), w.req.WinningCarrier),
		})
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("numbers-removed-carrier/%d", w.removalRounds), Kind: "port_out_numbers_removed", Recipient: activities.RecipientCarrier,
			Subject: fmt.Sprintf("Port-out: %s no longer included", describeNumbers(leaving)),
			Body: fmt.Sprintf("The customer removed %s from the port-out; they will not be released to you. Your request must list only %s.",
				describeNumbers(leaving), strings.Join(staying, ", ")),
		})
		r.finish(summary)
	}
}
