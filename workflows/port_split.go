package workflows

import (
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// Per-number carrier answers and split orders (DESIGN §8), from versionNumberLevel. A carrier that
// accepts a group with a port date but rejects some of its numbers (a number on another account, a
// service address that differs for one line) splits the order: the rejected numbers leave the group
// as a new group "<group>#<n>" in loa_rejected, with their reason, needing their own corrected LOA,
// while the rest keep the date. A rejection of the whole group may give reasons number by number too.

// numberAnswersRefusal says why a response's per-number answers do not fit the group, or nil.
func (w *port) numberAnswersRefusal(g *group, in porting.CarrierResponse) error {
	if len(in.Numbers) == 0 {
		return nil
	}
	if w.v < versionNumberLevel {
		return fmt.Errorf("numbers: request %s started before per-number answers existed; answer for the whole group", w.req.RequestID)
	}
	for i, n := range in.Numbers {
		if g.has(n.E164) {
			continue
		}
		if where := w.number(n.E164).group; where != "" {
			return fmt.Errorf("numbers[%d]: %s is in group %s, not %s", i, n.E164, where, g.name)
		}
		return fmt.Errorf("numbers[%d]: %s is not part of request %s", i, n.E164, w.req.RequestID)
	}
	if in.Accepted && len(in.Rejected()) == len(g.numbers) {
		return fmt.Errorf("numbers: every number of group %s is rejected; reject the group (accepted false) with the reasons instead", g.name)
	}
	return nil
}

func (g *group) has(e164 string) bool {
	for _, n := range g.numbers {
		if n.E164 == e164 {
			return true
		}
	}
	return false
}

// recordNumberAnswers keeps each rejected number's own reason and catalogue code (status).
func (w *port) recordNumberAnswers(answers []porting.NumberAnswer) {
	for _, a := range answers {
		if a.Accepted {
			continue
		}
		ns := w.number(a.E164)
		ns.reason = joinReason(a.ReasonCode, a.Reason)
		ns.reasonCode = porting.ReasonFor(a.ReasonCode, a.Reason).Code
	}
}

// describeNumberAnswers tells the customer, number by number, why each was rejected and what to do.
func describeNumberAnswers(answers []porting.NumberAnswer, carrier string) string {
	var parts []string
	for _, a := range answers {
		if a.Accepted {
			continue
		}
		reason := porting.ReasonFor(a.ReasonCode, a.Reason)
		parts = append(parts, fmt.Sprintf("%s: %s (what to do: %s)", a.E164, joinReason(a.ReasonCode, a.Reason), reason.Action(carrier)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Number by number: " + strings.Join(parts, "; ") + "."
}

// nextSplitName is the name of the next split of g: "<base>#<n>", n one more than the highest split
// of the same base so far (2 for the first).
func (w *port) nextSplitName(name string) string {
	base := porting.BaseGroupName(name)
	n := 2
	for _, o := range w.groups {
		if o.name == base || porting.BaseGroupName(o.name) != base {
			continue
		}
		if k, err := strconv.Atoi(o.name[len(base)+1:]); err == nil && k >= n {
			n = k + 1
		}
	}
	return porting.SplitGroupName(base, n)
}

// splitGroup moves the numbers the carrier rejected alone into a new group in loa_rejected (its own
// coroutine, LOA versions and port date), records where they are in Postgres (released from the
// instance if this port had put them there) and tells the customer which numbers need a corrected
// LOA and why.
func (w *port) splitGroup(ctx workflow.Context, g *group, rejected []porting.NumberAnswer) {
	name := w.nextSplitName(g.name)
	var moving, staying []porting.PortNumber
	for _, n := range g.numbers {
		if isRejected(rejected, n.E164) {
			moving = append(moving, n)
		} else {
			staying = append(staying, n)
		}
	}
	first := rejected[0]
	reason := joinReason(first.ReasonCode, first.Reason)
	var res activities.DetachResult
	err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("split %d number(s) of %s into %s", len(moving), g.name, name)), acts.SplitNumbers,
		activities.DetachInput{WorkflowID: w.workflowID, Group: g.name, InstanceARN: w.req.InstanceARN, Numbers: moving, To: name, Reason: reason}).Get(ctx, &res)
	if err != nil {
		// Only a bug gets here (the activity retries everything else): the numbers stay in the group,
		// and operations must sort them out with the carrier.
		w.note(ctx, g.visibleState(), fmt.Sprintf("%s: %s rejected %s alone, but the split failed (%v); they stay in the group", g.name, g.carrier, describeNumbers(e164s(moving)), plainError(err)))
		w.notify(ctx, activities.Notification{
			Key: "split-failed/" + name, Kind: "split_failed", Recipient: activities.RecipientOperations,
			Subject: fmt.Sprintf("Port-in %s: split of %s failed", w.req.RequestID, g.name),
			Body:    fmt.Sprintf("%s rejected %s alone (%s), but they could not be moved to their own group: %v.", g.carrier, describeNumbers(e164s(moving)), reason, plainError(err)),
		})
		return
	}
	g.numbers = staying
	ng := &group{name: name, carrier: g.carrier, numberType: g.numberType, numbers: moving, state: porting.StateLOARejected, splitFrom: g.name, rounds: 1}
	ng.setRejection(porting.CarrierResponse{ReasonCode: first.ReasonCode, Reason: first.Reason}, reason)
	ng.askForLOA(workflow.Now(ctx))
	for _, n := range moving {
		ns := w.number(n.E164)
		ns.group, ns.state = name, porting.StateLOARejected
	}
	w.recordNumberAnswers(rejected)
	w.groups = append(w.groups, ng)
	released := ""
	if res.Released > 0 {
		released = fmt.Sprintf("; %d of them released from the instance", res.Released)
	}
	w.note(ctx, porting.StateLOARejected, fmt.Sprintf("%s: %s accepted %d number(s) but rejected %s alone; they leave as group %s, which needs its own corrected LOA%s",
		g.name, g.carrier, len(staying), describeNumbers(e164s(moving)), name, released))
	w.notify(ctx, activities.Notification{
		Key: "numbers-rejected/" + name, Kind: "numbers_rejected", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("%d number(s) rejected by %s: a new LOA is needed for %s", len(moving), g.carrier, name),
		Body: fmt.Sprintf("%s accepted the port of %s but rejected %s. %s Send a corrected LOA for group %q; the other numbers keep their port date.",
			g.carrier, describeNumbers(e164s(staying)), describeNumbers(e164s(moving)), describeNumberAnswers(rejected, g.carrier), name),
	})
	workflow.Go(ctx, func(ctx workflow.Context) { w.runGroup(ctx, ng) })
	w.refreshState(ctx)
}

func isRejected(answers []porting.NumberAnswer, e164 string) bool {
	for _, a := range answers {
		if a.E164 == e164 && !a.Accepted {
			return true
		}
	}
	return false
}
