package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// Reason codes (DESIGN §8): a rejection's code is read through the catalogue; the status group shows
// the catalogue code and what the customer should do, the customer's notification says it too, and
// both are cleared once the carrier accepts.

func rejectWith(group, code, reason string) porting.CarrierResponse {
	r := reject(group, reason)
	r.ReasonCode = code
	return r
}

func TestRejectionShowsTheReasonCodeAndTheCustomerAction(t *testing.T) {
	h := newHarness(t, monday)
	action := "Check the service address on your latest bill from Acme Telecom and send an LOA with exactly that address."
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, rejectWith(acmeDID, "ADDRESS_MISMATCH", "service address differs"))
	rejected := h.statusAt(ny(2026, 11, 24, 11, 0))
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	resubmitted := h.statusAt(ny(2026, 11, 25, 11, 0))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 8, 0)))
	scheduled := h.statusAt(ny(2026, 11, 30, 11, 0))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	g := rejected.Groups[0]
	require.Equal(t, porting.StateLOARejected, g.State)
	require.Equal(t, porting.ReasonAddressMismatch, g.LastReasonCode)
	require.Equal(t, action, g.CustomerAction)
	require.Equal(t, "ADDRESS_MISMATCH: service address differs", g.LastReason)

	sent := h.notifications("loa_rejected")
	require.Len(t, sent, 1)
	n := sent[0].input.(activities.Notification)
	require.Equal(t, "loa-rejected/Acme Telecom/did/1", n.Key, "the notification's key is unchanged")
	require.Equal(t, activities.RecipientCustomer, n.Recipient)
	require.Contains(t, n.Body, "ADDRESS_MISMATCH: service address differs")
	require.Contains(t, n.Body, action)

	// The corrected LOA is with the carrier: the last rejection still explains the round.
	require.Equal(t, porting.StateAwaitingCarrier, resubmitted.Groups[0].State)
	require.Equal(t, porting.ReasonAddressMismatch, resubmitted.Groups[0].LastReasonCode)

	// Accepted: cleared.
	g = scheduled.Groups[0]
	require.Equal(t, porting.StateScheduled, g.State)
	require.Empty(t, g.LastReason)
	require.Empty(t, g.LastReasonCode)
	require.Empty(t, g.CustomerAction)
	require.Equal(t, 1, g.Rounds)
}

func TestUnknownReasonCodeIsOtherWithTheCarriersText(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, reject(acmeDID, "foo")) // code "6P"
	rejected := h.statusAt(ny(2026, 11, 24, 11, 0))
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 8, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	g := rejected.Groups[0]
	require.Equal(t, porting.ReasonOther, g.LastReasonCode)
	require.Equal(t, "6P: foo", g.LastReason, "the carrier's own code and text are kept")
	require.Equal(t, porting.LookupReason("6P").Action("Acme Telecom"), g.CustomerAction)
	n := h.notifications("loa_rejected")[0].input.(activities.Notification)
	require.Contains(t, n.Body, "Acme Telecom rejected the LOA: 6P: foo.")
	require.Contains(t, n.Body, g.CustomerAction)
}

func TestAliasedReasonCodeIsTheCatalogueCode(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, rejectWith(acmeDID, "name_mismatch", "authorized name does not match"))
	rejected := h.statusAt(ny(2026, 11, 24, 11, 0))
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 8, 0)))

	h.run(portInRequest())

	require.Equal(t, porting.ReasonLOANameMismatch, rejected.Groups[0].LastReasonCode)
	require.Equal(t, "name_mismatch: authorized name does not match", rejected.Groups[0].LastReason)
}

func TestWithdrawnPortDateShowsTheReasonCodeAndTheAction(t *testing.T) {
	h := scheduledPort(t)
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, rejectWith(acmeDID, "FOC_EXPIRED", "FOC lapsed"))
	withdrawn := h.statusAt(ny(2026, 11, 30, 11, 0))
	h.signal(ny(2026, 12, 1, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 8, 0)))
	scheduled := h.statusAt(ny(2026, 12, 2, 11, 0))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	g := withdrawn.Groups[0]
	require.Equal(t, porting.StateLOARejected, g.State)
	require.Equal(t, porting.ReasonFOCExpired, g.LastReasonCode)
	action := porting.LookupReason("FOC_EXPIRED").Action("Acme Telecom")
	require.Equal(t, action, g.CustomerAction)
	sent := h.notifications("port_date_withdrawn")
	require.Len(t, sent, 1)
	n := sent[0].input.(activities.Notification)
	require.Equal(t, "port-date-withdrawn/Acme Telecom/did/2", n.Key, "the notification's key is unchanged")
	require.Contains(t, n.Body, "FOC_EXPIRED: FOC lapsed")
	require.Contains(t, n.Body, action)
	require.Empty(t, scheduled.Groups[0].LastReasonCode)
	require.Empty(t, scheduled.Groups[0].CustomerAction)
}

// A later reason that is not the carrier's (here the LOA expiry) replaces the code and the action.
func TestReasonCodeGoesWithItsReason(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, rejectWith(acmeDID, "PIN_INVALID", "wrong PIN"))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCancelled, res.State)
	g := h.status().Groups[0]
	require.Contains(t, g.LastReason, "no LOA received")
	require.Empty(t, g.LastReasonCode)
	require.Empty(t, g.CustomerAction)
}

func TestPortOutMismatchShowsTheReasonCode(t *testing.T) {
	h := newPortOutHarness(t, monday)
	releaseAt := ny(2026, 12, 4, 14, 0)
	wrong := winningRequest(releaseAt)
	wrong.Address = "2 Other St"
	h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, wrong)
	rejected := h.statusAt(ny(2026, 11, 24, 11, 0))
	h.update(ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(releaseAt))
	approved := h.statusAt(ny(2026, 11, 25, 11, 0))

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	g := rejected.Groups[0]
	require.Equal(t, "mismatched: address", g.LastReason)
	require.Equal(t, porting.ReasonAddressMismatch, g.LastReasonCode)
	require.Contains(t, g.CustomerAction, "Beta Wireless must send a corrected request whose details (address) match")
	require.NotContains(t, g.CustomerAction, recordAddress, "never the value on record")
	require.Empty(t, approved.Groups[0].LastReasonCode)
	require.Empty(t, approved.Groups[0].CustomerAction)
}

// A port that continues as new while waiting for the corrected LOA keeps the code and the action.
func TestReasonCodeIsCarriedOverByContinueAsNew(t *testing.T) {
	first := newHarness(t, monday)
	first.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	first.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, rejectWith(acmeDID, "BTN_MISMATCH", "BTN differs"))
	suggestContinueAsNew(first, ny(2026, 11, 24, 12, 0))
	next := continued[porting.PortInRequest](t, first, porting.WorkflowPortIn, portInRequest())

	second := newHarness(t, ny(2026, 11, 24, 12, 0))
	second.env.SetContinuedExecutionRunID("run-1")
	resumed := second.statusAt(ny(2026, 11, 24, 13, 0))
	second.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	second.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 8, 0)))
	res := second.run(next)

	require.Equal(t, porting.StateCompleted, res.State)
	g := resumed.Groups[0]
	require.Equal(t, porting.StateLOARejected, g.State)
	require.Equal(t, porting.ReasonBTNMismatch, g.LastReasonCode)
	require.Equal(t, porting.LookupReason("BTN_MISMATCH").Action("Acme Telecom"), g.CustomerAction)
	require.Empty(t, second.status().Groups[0].LastReasonCode)
}
