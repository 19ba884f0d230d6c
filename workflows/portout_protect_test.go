package workflows

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// Port-out protection (issue 14, DESIGN §8). The port-out tests start Monday 23 Nov 2026 09:00 New York.

func withPasscode(p string) porting.WinningCarrierRequest {
	r := winningRequest(ny(2026, 12, 4, 14, 0))
	r.Passcode = p
	return r
}

// Two wrong passcodes, then the right one: each wrong one is PASSCODE_INVALID and nothing else; the
// right one is verified and approved; the customer heard of the first request at once.
func TestPortOutWrongPasscodeTwiceThenRight(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.passcode = "7731"
	wrongNameToo := withPasscode("9q9q")
	wrongNameToo.OwnerName = "Someone Else"
	first := h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, wrongNameToo)
	second := h.update(ny(2026, 11, 24, 11, 0), porting.SignalWinningCarrierRequest, withPasscode(""))
	afterTwo := h.statusAt(ny(2026, 11, 24, 12, 0))
	right := h.update(ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, withPasscode("7731"))

	res := h.run(portOutRequest())

	require.ErrorContains(t, first.err, "request #1 rejected: PASSCODE_INVALID")
	require.NotContains(t, first.err.Error(), "owner_name", "a passcode failure says nothing about the records")
	require.ErrorContains(t, second.err, "request #2 rejected: PASSCODE_INVALID")
	require.NoError(t, right.err)
	require.Contains(t, right.result, "approved")
	require.Equal(t, porting.StateRejectedMismatch, afterTwo.State)
	require.Equal(t, porting.ReasonPasscodeInvalid, afterTwo.Groups[0].LastReasonCode)
	require.Equal(t, porting.StateCompleted, res.State)
	requireAt(t, ny(2026, 12, 4, 14, 0), h.callsOf("ReleasePortOutNumbers")[0])

	told := h.notifications("port_out_requested")
	require.Len(t, told, 1, "the customer is told once, at the first request")
	requireAt(t, ny(2026, 11, 24, 10, 0), told[0])
	require.Equal(t, activities.RecipientCustomer, notification(told[0]).Recipient)
	require.Contains(t, notification(told[0]).Body, "Beta Wireless")
	require.Contains(t, notification(told[0]).Body, "cancel")
	refused := h.notifications("passcode_invalid")
	require.Len(t, refused, 2)
	for _, c := range refused {
		n := notification(c)
		require.Equal(t, activities.RecipientCarrier, n.Recipient)
		require.NotContains(t, n.Body, "owner")
		require.NotContains(t, n.Body, "9q9q")
	}
	require.Empty(t, h.notifications("ownership_mismatch"))
	for _, e := range h.status().History {
		require.NotContains(t, e.Note, "7731")
		require.NotContains(t, e.Note, "9q9q")
	}
}

// Three wrong passcodes freeze the port-out: requests are refused, nothing is released at the
// approved time, operations and the customer are told with the attempts; unfreeze lets it go on
// (the approved release follows at once: its time has passed).
func TestPortOutFrozenAfterThreeWrongPasscodesUntilUnfreeze(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.passcode = "7731"
	h.update(ny(2026, 11, 24, 9, 30), porting.SignalWinningCarrierRequest, withPasscode("7731")) // approved for Fri 4 Dec 14:00
	for _, at := range []int{10, 11, 12} {
		h.update(ny(2026, 11, 24, at, 0), porting.SignalWinningCarrierRequest, withPasscode("0000"))
	}
	frozen := h.statusAt(ny(2026, 11, 24, 13, 0))
	refused := h.update(ny(2026, 11, 24, 14, 0), porting.SignalWinningCarrierRequest, withPasscode("7731"))
	stillFrozen := h.statusAt(ny(2026, 12, 7, 9, 0)) // past the approved release time
	early := h.update(ny(2026, 11, 24, 14, 30), porting.SignalUnfreeze, porting.Unfreeze{By: "ops"})
	unfrozen := h.update(ny(2026, 12, 7, 10, 0), porting.SignalUnfreeze, porting.Unfreeze{By: "ops:kim", Reason: "the owner confirmed the port by phone"})

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateFrozen, frozen.State)
	require.Contains(t, historyNotes(*frozen), "frozen after 3 wrong passcodes")
	require.ErrorContains(t, refused.rejected, "is frozen after 3 wrong passcodes")
	require.Equal(t, porting.StateFrozen, stillFrozen.State, "nothing released while frozen")
	require.ErrorContains(t, early.rejected, "reason: is required")
	require.NoError(t, unfrozen.err)
	require.Contains(t, unfrozen.result, "unfrozen by ops:kim")
	require.Equal(t, porting.StateCompleted, res.State)
	release := h.callsOf("ReleasePortOutNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 7, 10, 0), release[0])

	ops := h.notificationsTo("port_out_frozen", activities.RecipientOperations)
	require.Len(t, ops, 1)
	body := notification(ops[0]).Body
	require.Contains(t, body, "request #2 from Beta Wireless")
	require.Contains(t, body, "request #4 from Beta Wireless")
	require.NotContains(t, body, "0000")
	require.Len(t, h.notificationsTo("port_out_frozen", activities.RecipientCustomer), 1)
}

// The customer who did not ask for the port-out objects by cancelling before the release: nothing
// is released; the winning carrier is told.
func TestPortOutCustomerObjectsByCancel(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 4, 14, 0)))
	cancel := h.update(ny(2026, 11, 24, 18, 0), porting.SignalCancel, porting.Cancel{Reason: "we did not ask for this", By: "customer"})

	res := h.run(portOutRequest())

	require.NoError(t, cancel.err)
	require.Equal(t, porting.StateCancelled, res.State)
	require.Empty(t, h.callsOf("ReleasePortOutNumbers"))
	told := h.notifications("port_out_requested")
	require.Len(t, told, 1)
	require.True(t, strings.Contains(notification(told[0]).Body, "stop it now"))
	require.Len(t, h.notificationsTo("port_out_cancelled", activities.RecipientCarrier), 1)
}
