package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// remove-numbers on a port-out: the number stays with the instance, unlocked; the winning carrier and
// the customer are told; the carrier's request must then list only the numbers left, and only those
// are released.
func TestPortOutRemoveNumbersKeepsTheNumberAndReleasesTheRest(t *testing.T) {
	h := newPortOutHarness(t, monday)
	releaseAt := ny(2026, 12, 4, 14, 0)
	removed := h.update(ny(2026, 11, 24, 9, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{
		Numbers: []string{outNumbers[1]}, Reason: "the customer keeps its support line", By: "Pat Doe"})
	after := h.statusAt(ny(2026, 11, 24, 9, 30))
	both := h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(releaseAt))
	one := winningRequest(releaseAt)
	one.Numbers = []string{outNumbers[0]}
	approved := h.update(ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, one)
	again := h.update(ny(2026, 11, 25, 11, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{
		Numbers: []string{outNumbers[1]}, Reason: "again", By: "Pat Doe"})

	res := h.run(portOutRequest())

	require.NoError(t, removed.err)
	require.Contains(t, removed.result, "+14155550101 removed by Pat Doe: the customer keeps its support line; they stay with the instance")
	rm := h.callsOf("RemoveNumbers")
	require.Len(t, rm, 1)
	requireAt(t, ny(2026, 11, 24, 9, 0), rm[0])
	in := rm[0].input.(activities.DetachInput)
	require.Equal(t, winning, in.Group)
	require.Equal(t, []string{outNumbers[1]}, e164s(in.Numbers))
	n := numberStatus(t, *after, outNumbers[1])
	require.Equal(t, porting.StateCancelled, n.State)
	require.Contains(t, n.Reason, "removed by Pat Doe")
	require.Equal(t, porting.StateAwaitingWinningCarrier, after.State)
	require.Equal(t, 1, after.Groups[0].Numbers)

	told := h.notifications("port_out_numbers_removed")
	require.Len(t, told, 1)
	require.Equal(t, activities.RecipientCarrier, notification(told[0]).Recipient)
	require.Contains(t, notification(told[0]).Body, "must list only +14155550100")
	require.Len(t, h.notificationsTo("numbers_removed", activities.RecipientCustomer), 1)

	require.ErrorContains(t, both.err, "numbers")
	require.NoError(t, approved.err)
	require.ErrorContains(t, again.rejected, "numbers[0]: +14155550101 was already removed (removed by Pat Doe")

	require.Equal(t, porting.StateCompleted, res.State)
	release := h.callsOf("ReleasePortOutNumbers")
	require.Len(t, release, 1)
	requireAt(t, releaseAt, release[0])
	require.Equal(t, []string{outNumbers[0]}, release[0].input.(activities.ReleasePortOutInput).Numbers)
	require.Equal(t, porting.StateCancelled, numberStatus(t, porting.Status{Numbers: res.Numbers}, outNumbers[1]).State)
}

// Removing every number of a port-out cancels it; once releasing, nothing can be removed.
func TestPortOutRemovingEveryNumberCancels(t *testing.T) {
	h := newPortOutHarness(t, monday)
	r := h.update(ny(2026, 11, 24, 9, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{
		Numbers: outNumbers, Reason: "changed their mind", By: "Pat Doe"})
	res := h.run(portOutRequest())
	require.NoError(t, r.err)
	require.Contains(t, r.result, "every remaining number removed, so the port-out is cancelled")
	require.Equal(t, porting.StateCancelled, res.State)
	require.Empty(t, h.callsOf("RemoveNumbers"))
	require.Empty(t, h.callsOf("ReleasePortOutNumbers"))
}

// requested_at follows the port date rule: a Sunday release is refused (update) or ignored (signal).
func TestPortOutRequestedAtFollowsThePortDateRule(t *testing.T) {
	h := newPortOutHarness(t, monday)
	sunday := ny(2026, 12, 6, 14, 0)
	refused := h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(sunday))
	h.signal(ny(2026, 11, 24, 11, 0), porting.SignalWinningCarrierRequest, winningRequest(sunday))
	st := h.statusAt(ny(2026, 11, 24, 12, 0))
	ok := h.update(ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 7, 14, 0)))

	res := h.run(portOutRequest())

	require.ErrorContains(t, refused.rejected, "requested_at: Sun 6 Dec 2026 is not a business day in US; the port date rule business_hours")
	require.Equal(t, porting.StateAwaitingWinningCarrier, st.State)
	require.Contains(t, historyNotes(*st), "ignored winning-carrier-request signal: requested_at: Sun 6 Dec 2026")
	require.NoError(t, ok.err)
	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, h.callsOf("VerifyOwnership"), 1)
}
