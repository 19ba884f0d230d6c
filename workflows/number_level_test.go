package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// Number-level porting (issue 12, DESIGN §8): per-number answers and split groups, supplemental
// changes (request-port-date, remove-numbers), the port date rule, the CSR pre-check. Simulated
// times are New York (us-east-1); the harness starts Monday 23 Nov 2026 09:00 (Thanksgiving Thu 26).

func threeNumbers() porting.PortInRequest {
	return portInRequest(
		porting.PortNumber{E164: "+14155550100", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
		porting.PortNumber{E164: "+14155550101", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
		porting.PortNumber{E164: "+14155550102", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
	)
}

const acmeDID2 = acmeDID + "#2"

func numberStatus(t *testing.T, s porting.Status, e164 string) porting.NumberStatus {
	t.Helper()
	for _, n := range s.Numbers {
		if n.E164 == e164 {
			return n
		}
	}
	t.Fatalf("%s not in status", e164)
	return porting.NumberStatus{}
}

func groupStatus(t *testing.T, s porting.Status, name string) porting.GroupStatus {
	t.Helper()
	for _, g := range s.Groups {
		if g.Group == name {
			return g
		}
	}
	t.Fatalf("group %s not in status: %+v", name, s.Groups)
	return porting.GroupStatus{}
}

func numbersOf(c call) []string {
	switch in := c.input.(type) {
	case activities.NumbersInput:
		return e164s(in.Numbers)
	case activities.DetachInput:
		return e164s(in.Numbers)
	case activities.SubmitLOAInput:
		return in.Numbers
	}
	return nil
}

func groupOf(c call) string {
	switch in := c.input.(type) {
	case activities.NumbersInput:
		return in.Group
	case activities.SubmitLOAInput:
		return in.Group
	}
	return ""
}

// A carrier accepts a 3-number group but rejects one number alone: that number leaves as group
// "Acme Telecom/did#2" in loa_rejected with its reason, gets its own corrected LOA and its own date;
// both parts are provisioned a business day before their own dates and complete.
func TestPerNumberRejectionSplitsTheGroupAndBothPartsCompleteOnTheirOwnDates(t *testing.T) {
	h := newHarness(t, monday)
	firstDate, secondDate := ny(2026, 12, 7, 9, 0), ny(2026, 12, 9, 10, 0) // Mon, Wed
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	partial := accept(acmeDID, firstDate)
	partial.Numbers = []porting.NumberAnswer{
		{E164: "+14155550100", Accepted: true},
		{E164: "+14155550102", Accepted: false, ReasonCode: "ADDRESS_MISMATCH", Reason: "service address differs for this line"},
	}
	answer := h.update(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, partial)
	split := h.statusAt(ny(2026, 11, 25, 16, 0))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalSubmitLOA, loa(acmeDID2))
	h.signal(ny(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, accept(acmeDID2, secondDate))

	res := h.run(threeNumbers())

	require.True(t, answer.done)
	require.NoError(t, answer.err)
	require.Contains(t, answer.result, "scheduled")

	// While split: the request is as far as its least advanced group; the rejected number shows its own
	// reason and code, the new group where it came from.
	require.Equal(t, porting.StateLOARejected, split.State)
	orig, part := groupStatus(t, *split, acmeDID), groupStatus(t, *split, acmeDID2)
	require.Equal(t, porting.StateScheduled, orig.State)
	require.Equal(t, 2, orig.Numbers)
	require.True(t, firstDate.Equal(*orig.PortDate))
	require.Equal(t, porting.StateLOARejected, part.State)
	require.Equal(t, acmeDID, part.SplitFrom)
	require.Equal(t, 1, part.Numbers)
	require.Equal(t, porting.ReasonAddressMismatch, part.LastReasonCode)
	require.Contains(t, part.CustomerAction, "service address")
	n102 := numberStatus(t, *split, "+14155550102")
	require.Equal(t, acmeDID2, n102.Group)
	require.Equal(t, porting.StateLOARejected, n102.State)
	require.Equal(t, porting.ReasonAddressMismatch, n102.ReasonCode)
	require.Contains(t, n102.Reason, "service address differs")
	require.Equal(t, porting.StateScheduled, numberStatus(t, *split, "+14155550101").State)

	// Postgres is told where the numbers went, at the answer.
	splits := h.callsOf("SplitNumbers")
	require.Len(t, splits, 1)
	requireAt(t, ny(2026, 11, 25, 15, 0), splits[0])
	require.Equal(t, acmeDID2, splits[0].input.(activities.DetachInput).To)
	require.Equal(t, []string{"+14155550102"}, numbersOf(splits[0]))

	// Each part: its own LOA, its own provisioning a business day before its own date.
	submits := h.callsOf("SubmitLOA")
	require.Len(t, submits, 2)
	require.Equal(t, acmeDID2, groupOf(submits[1]))
	require.Equal(t, 1, submits[1].input.(activities.SubmitLOAInput).Version)
	require.Equal(t, []string{"+14155550102"}, numbersOf(submits[1]))
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 2)
	requireAt(t, ny(2026, 12, 4, 9, 0), provision[0])
	require.Equal(t, []string{"+14155550100", "+14155550101"}, numbersOf(provision[0]))
	requireAt(t, ny(2026, 12, 8, 10, 0), provision[1])
	require.Equal(t, []string{"+14155550102"}, numbersOf(provision[1]))
	activate := h.callsOf("ActivateNumbers")
	require.Len(t, activate, 2)
	requireAt(t, firstDate, activate[0])
	requireAt(t, secondDate, activate[1])

	require.Equal(t, porting.StateCompleted, res.State)
	for _, n := range res.Numbers {
		require.Equal(t, porting.StateCompleted, n.State, n.E164)
	}
	require.Equal(t, []string{"+14155550100", "+14155550101", "+14155550102"}, h.onInstance())

	// The customer is told which number was rejected, why and what to do; asked once for the
	// original group's LOA (the split group's request is that message).
	rejected := h.notifications("numbers_rejected")
	require.Len(t, rejected, 1)
	body := notification(rejected[0]).Body
	require.Contains(t, body, "+14155550102")
	require.Contains(t, body, "ADDRESS_MISMATCH")
	require.Contains(t, body, "service address on your latest bill")
	require.Contains(t, body, acmeDID2)
	require.Len(t, h.notifications("loa_requested"), 1)
	require.Len(t, h.notifications("port_scheduled"), 2)
}

// A second split of the same group counts on (#3), and per-number answers that do not fit the group
// are refused with the field named.
func TestPerNumberAnswersThatDoNotFitAreRefused(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	portDate := ny(2026, 12, 7, 9, 0)
	stranger := accept(acmeDID, portDate)
	stranger.Numbers = []porting.NumberAnswer{{E164: "+14155550999", Accepted: false, ReasonCode: "NOT_PORTABLE"}}
	all := accept(acmeDID, portDate)
	all.Numbers = []porting.NumberAnswer{
		{E164: "+14155550100", Reason: "x"}, {E164: "+14155550101", Reason: "x"}, {E164: "+14155550102", Reason: "x"},
	}
	first := accept(acmeDID, portDate)
	first.Numbers = []porting.NumberAnswer{{E164: "+14155550101", ReasonCode: "BTN_MISMATCH"}}
	again := accept(acmeDID, portDate)
	again.Numbers = []porting.NumberAnswer{{E164: "+14155550102", ReasonCode: "PIN_INVALID"}}
	notHere := h.update(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, stranger)
	everyone := h.update(ny(2026, 11, 24, 10, 1), porting.SignalCarrierResponse, all)
	h.update(ny(2026, 11, 24, 11, 0), porting.SignalCarrierResponse, first)
	wrongGroup := h.update(ny(2026, 11, 24, 12, 0), porting.SignalCarrierResponse, func() porting.CarrierResponse {
		r := accept(acmeDID, portDate)
		r.Numbers = []porting.NumberAnswer{{E164: "+14155550101", ReasonCode: "OTHER"}}
		return r
	}())
	h.update(ny(2026, 11, 24, 13, 0), porting.SignalCarrierResponse, again)
	after := h.statusAt(ny(2026, 11, 24, 14, 0))
	h.at(ny(2026, 11, 24, 15, 0), func() { h.env.CancelWorkflow() })

	h.run(threeNumbers())

	require.ErrorContains(t, notHere.rejected, "numbers[0]: +14155550999 is not part of request req-1")
	require.ErrorContains(t, everyone.rejected, "every number of group Acme Telecom/did is rejected")
	require.ErrorContains(t, wrongGroup.rejected, "numbers[0]: +14155550101 is in group Acme Telecom/did#2, not Acme Telecom/did")
	require.Equal(t, acmeDID+"#3", numberStatus(t, *after, "+14155550102").Group)
	require.Equal(t, porting.ReasonPINInvalid, numberStatus(t, *after, "+14155550102").ReasonCode)
	require.Equal(t, 1, groupStatus(t, *after, acmeDID).Numbers)
}

// request-port-date: inside the cut-off (2 business days before the current date) it is refused; one
// outside it goes to the carrier as a supp, and the date moves only when the carrier accepts it.
func TestRequestPortDateMovesTheDateOnlyAfterTheCarrierAccepts(t *testing.T) {
	h := newHarness(t, monday)
	oldDate, newDate := ny(2026, 12, 7, 9, 0), ny(2026, 12, 14, 9, 0)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, oldDate))
	asked := h.update(ny(2026, 12, 1, 10, 0), porting.SignalRequestPortDate, porting.RequestPortDate{Group: acmeDID, PortDate: newDate, By: "Ada Admin"})
	pending := h.statusAt(ny(2026, 12, 1, 11, 0))
	h.signal(ny(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, newDate))
	moved := h.statusAt(ny(2026, 12, 2, 11, 0))
	late := h.update(ny(2026, 12, 10, 10, 0), porting.SignalRequestPortDate, porting.RequestPortDate{Group: acmeDID, PortDate: ny(2026, 12, 21, 9, 0), By: "Ada Admin"})

	res := h.run(portInRequest())

	require.NoError(t, asked.err)
	require.Nil(t, asked.rejected)
	require.Contains(t, asked.result, "stands until it answers")
	// Until the carrier answers, the old date stands: provisioning still waits for Fri 4 Dec.
	g := groupStatus(t, *pending, acmeDID)
	require.True(t, oldDate.Equal(*g.PortDate))
	require.True(t, newDate.Equal(*g.RequestedPortDate))
	require.Equal(t, "provisioning", g.NextDeadlineKind)
	require.True(t, ny(2026, 12, 4, 9, 0).Equal(*g.NextDeadline))
	supps := h.supps()
	require.Len(t, supps, 1)
	requireAt(t, ny(2026, 12, 1, 10, 0), supps[0])
	supp := supps[0].input.(activities.SuppInput)
	require.Equal(t, activities.SuppPortDate, supp.Change)
	require.Equal(t, 1, supp.Round)
	require.True(t, newDate.Equal(*supp.PortDate))
	require.Equal(t, []string{"+14155550100", "+14155550101"}, supp.Numbers)

	// Accepted: the date moved, the request for it is answered.
	g = groupStatus(t, *moved, acmeDID)
	require.True(t, newDate.Equal(*g.PortDate))
	require.Nil(t, g.RequestedPortDate)
	require.True(t, ny(2026, 12, 11, 9, 0).Equal(*g.NextDeadline))
	requireAt(t, ny(2026, 12, 11, 9, 0), h.callsOf("ProvisionNumbers")[0])
	requireAt(t, newDate, h.callsOf("ActivateNumbers")[0])
	require.Equal(t, porting.StateCompleted, res.State)

	// Inside the cut-off of the new date (Thu 10 Dec 09:00): refused, naming the rule.
	require.ErrorContains(t, late.rejected, "at least 2 business days before it (by 2026-12-10T09:00:00-05:00)")
	require.Len(t, h.supps(), 1)
	require.Len(t, h.notifications("port_date_change_requested"), 1)
	require.Len(t, h.notifications("port_scheduled"), 2)
}

// A carrier that rejects the asked-for date leaves the current one: no withdrawal, no new LOA.
func TestRequestPortDateRefusedByTheCarrierKeepsTheDate(t *testing.T) {
	h := newHarness(t, monday)
	oldDate := ny(2026, 12, 7, 9, 0)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, oldDate))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalRequestPortDate, porting.RequestPortDate{Group: acmeDID, PortDate: ny(2026, 12, 16, 9, 0), By: "Ada Admin"})
	refusal := h.update(ny(2026, 12, 1, 10, 0), porting.SignalCarrierResponse, reject(acmeDID, "no capacity that week"))
	after := h.statusAt(ny(2026, 12, 1, 11, 0))

	res := h.run(portInRequest())

	require.NoError(t, refusal.err)
	g := groupStatus(t, *after, acmeDID)
	require.Equal(t, porting.StateScheduled, g.State)
	require.True(t, oldDate.Equal(*g.PortDate))
	require.Nil(t, g.RequestedPortDate)
	requireAt(t, ny(2026, 12, 4, 9, 0), h.callsOf("ProvisionNumbers")[0])
	requireAt(t, oldDate, h.callsOf("ActivateNumbers")[0])
	require.Equal(t, porting.StateCompleted, res.State)
	refused := h.notifications("port_date_change_refused")
	require.Len(t, refused, 1)
	require.Contains(t, notification(refused[0]).Body, "no capacity that week")
	require.Empty(t, h.notifications("port_date_withdrawn"))
	require.Empty(t, h.notifications("loa_rejected"))
	require.Len(t, h.callsOf("SubmitLOA"), 1)
}

// What request-port-date refuses, each with why (the update validator; nothing reaches the carrier).
func TestRequestPortDateRefusals(t *testing.T) {
	oldDate := ny(2026, 12, 7, 9, 0)
	for _, tc := range []struct {
		name string
		at   time.Time
		date time.Time
		want string
	}{
		{"no date yet", ny(2026, 11, 24, 9, 0), ny(2026, 12, 14, 9, 0), "has no port date yet"},
		{"inside the cut-off", ny(2026, 12, 3, 9, 30), ny(2026, 12, 14, 9, 0), "at least 2 business days before it"},
		{"too soon for the carrier", ny(2026, 11, 30, 9, 0), ny(2026, 12, 1, 12, 0), "less than 2 business days away"},
		{"a Saturday", ny(2026, 11, 30, 9, 0), ny(2026, 12, 12, 10, 0), "Sat 12 Dec 2026 is not a business day in US"},
		{"Christmas", ny(2026, 11, 30, 9, 0), ny(2026, 12, 25, 10, 0), "Fri 25 Dec 2026 is not a business day in US"},
		{"before opening", ny(2026, 11, 30, 9, 0), ny(2026, 12, 14, 7, 0), "outside business hours; the port date rule business_hours"},
		{"the same date", ny(2026, 11, 30, 9, 0), oldDate, "is already the port date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday)
			h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
			h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, oldDate))
			r := h.update(tc.at, porting.SignalRequestPortDate, porting.RequestPortDate{Group: acmeDID, PortDate: tc.date, By: "Ada Admin"})
			h.run(portInRequest())
			require.ErrorContains(t, r.rejected, tc.want)
			require.Empty(t, h.supps())
			requireAt(t, oldDate, h.callsOf("ActivateNumbers")[0])
		})
	}
}

// Removing a provisioned number: released from the instance at once (with its share of the limit),
// the carrier told by a supp, the customer told; the others port on their date.
func TestRemovingAProvisionedNumberReleasesIt(t *testing.T) {
	h := newHarness(t, monday)
	portDate := ny(2026, 12, 7, 9, 0)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, portDate))
	var provisioned []string
	h.at(ny(2026, 12, 4, 12, 0), func() { provisioned = h.onInstance() })
	removed := h.update(ny(2026, 12, 5, 10, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{
		Numbers: []string{"+14155550101"}, Reason: "the customer keeps it with Acme", By: "ops"})
	after := h.statusAt(ny(2026, 12, 5, 11, 0))

	res := h.run(threeNumbers())

	require.NoError(t, removed.err)
	require.Contains(t, removed.result, "1 released from the instance")
	require.Equal(t, []string{"+14155550100", "+14155550101", "+14155550102"}, provisioned)
	rm := h.callsOf("RemoveNumbers")
	require.Len(t, rm, 1)
	requireAt(t, ny(2026, 12, 5, 10, 0), rm[0])
	require.Equal(t, []string{"+14155550101"}, numbersOf(rm[0]))
	supps := h.supps()
	require.Len(t, supps, 1)
	supp := supps[0].input.(activities.SuppInput)
	require.Equal(t, activities.SuppRemoveNumbers, supp.Change)
	require.Equal(t, []string{"+14155550101"}, supp.Removed)
	require.Equal(t, []string{"+14155550100", "+14155550102"}, supp.Numbers)

	n := numberStatus(t, *after, "+14155550101")
	require.Equal(t, porting.StateCancelled, n.State)
	require.Contains(t, n.Reason, "removed by ops: the customer keeps it with Acme")
	require.Equal(t, 2, groupStatus(t, *after, acmeDID).Numbers)
	require.Equal(t, porting.StateProvisioned, after.State)

	activate := h.callsOf("ActivateNumbers")
	require.Len(t, activate, 1)
	requireAt(t, portDate, activate[0])
	require.Equal(t, []string{"+14155550100", "+14155550102"}, numbersOf(activate[0]))
	require.Equal(t, []string{"+14155550100", "+14155550102"}, h.onInstance())
	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, porting.StateCancelled, numberStatus(t, porting.Status{Numbers: res.Numbers}, "+14155550101").State)
	notices := h.notifications("numbers_removed")
	require.Len(t, notices, 1)
	require.Contains(t, notification(notices[0]).Body, "+14155550101")
	require.Contains(t, notification(notices[0]).Body, "released")
	require.Empty(t, h.carrierCancels())
}

// Removing every number left is a cancellation (the carrier told to cancel); removing the numbers of
// one whole group cancels that group only, and the others go on.
func TestRemovingNumbersOfAWholeGroupAndOfTheWholeRequest(t *testing.T) {
	tf := porting.PortNumber{E164: "+18005550100", Type: porting.NumberTypeTollFree, Carrier: "Acme Telecom"}
	req := portInRequest(porting.PortNumber{E164: "+14155550100", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"}, tf)
	acmeTF := "Acme Telecom/toll_free"

	t.Run("one whole group", func(t *testing.T) {
		h := newHarness(t, monday)
		portDate := ny(2026, 12, 7, 9, 0)
		for _, g := range []string{acmeDID, acmeTF} {
			h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(g))
			h.signal(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, accept(g, portDate))
		}
		r := h.update(ny(2026, 11, 30, 10, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{tf.E164}, Reason: "keeps the toll-free number", By: "ops"})
		res := h.run(req)
		require.NoError(t, r.err)
		require.Contains(t, r.result, "Acme Telecom told to cancel")
		cancels := h.carrierCancels()
		require.Len(t, cancels, 1)
		require.Equal(t, acmeTF, cancels[0].input.(activities.CarrierCancelInput).Group)
		requireAt(t, ny(2026, 11, 30, 10, 0), cancels[0])
		require.Empty(t, h.supps())
		require.Equal(t, porting.StateCompleted, res.State)
		require.Equal(t, []string{"+14155550100"}, h.onInstance())
	})
	t.Run("every number", func(t *testing.T) {
		h := newHarness(t, monday)
		h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		r := h.update(ny(2026, 11, 24, 10, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550100", tf.E164}, Reason: "staying with Acme", By: "ops"})
		res := h.run(req)
		require.NoError(t, r.err)
		require.Contains(t, r.result, "every remaining number removed, so the request is cancelled")
		require.Equal(t, porting.StateCancelled, res.State)
		require.Contains(t, res.Reason, "every remaining number removed: staying with Acme")
		require.Len(t, h.carrierCancels(), 1) // the DID group was submitted; the toll-free one never was
		require.Empty(t, h.callsOf("RemoveNumbers"))
	})
	t.Run("refusals", func(t *testing.T) {
		h := newHarness(t, monday)
		h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 11, 30, 9, 0)))
		stranger := h.update(ny(2026, 11, 24, 11, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550999"}, Reason: "x", By: "ops"})
		live := h.update(ny(2026, 11, 30, 9, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550100"}, Reason: "x", By: "ops"})
		noBy := h.update(ny(2026, 11, 24, 11, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550100"}, Reason: "x"})
		h.at(ny(2026, 11, 24, 12, 0), func() {
			h.env.SignalWorkflow(porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{tf.E164}, Reason: "x", By: "ops"})
		})
		res := h.run(req)
		require.Equal(t, porting.StateCompleted, res.State)
		require.ErrorContains(t, stranger.rejected, "numbers[0]: +14155550999 is not part of request req-1")
		require.ErrorContains(t, noBy.rejected, "by: is required")
		// At the port date the DID group activates: removal comes too late (or its number is done).
		require.Error(t, live.rejected)
		require.Regexp(t, `goes live now|is completed|\+14155550100 is (activating|verifying|completed)`, live.rejected.Error())
		require.Len(t, h.callsOf("RemoveNumbers"), 1)
	})
}

// The port date rule (DESIGN §8): under business_hours (the default) a carrier date on a weekend, a
// holiday or outside 08:00–20:00 is refused with the rule named; a signal with one is recorded as
// ignored; under "any" (demos, tests) it is taken.
func TestCarrierPortDateRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		date time.Time
		want string
	}{
		{"Saturday", ny(2026, 12, 5, 10, 0), "port_date: Sat 5 Dec 2026 is not a business day in US; the port date rule business_hours allows a business day of the US calendar, 08:00–20:00 America/New_York"},
		{"Christmas", ny(2026, 12, 25, 10, 0), "Fri 25 Dec 2026 is not a business day in US"},
		{"at night", ny(2026, 12, 7, 21, 0), "Mon 7 Dec 2026 21:00 EST is outside business hours"},
		{"at dawn", ny(2026, 12, 7, 7, 59), "outside business hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday)
			h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
			upd := h.update(ny(2026, 11, 25, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, tc.date))
			h.signal(ny(2026, 11, 25, 11, 0), porting.SignalCarrierResponse, accept(acmeDID, tc.date))
			st := h.statusAt(ny(2026, 11, 25, 12, 0))
			h.at(ny(2026, 11, 25, 13, 0), func() { h.env.CancelWorkflow() })
			h.run(portInRequest())
			require.ErrorContains(t, upd.rejected, tc.want)
			require.Equal(t, porting.StateAwaitingCarrier, st.State)
			require.Contains(t, historyNotes(*st), "ignored carrier-response signal: port_date: ")
		})
	}
	t.Run("the edges of business hours and the any rule", func(t *testing.T) {
		for _, date := range []time.Time{ny(2026, 12, 7, 8, 0), ny(2026, 12, 7, 20, 0)} {
			h := newHarness(t, monday)
			h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
			upd := h.update(ny(2026, 11, 25, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, date))
			res := h.run(portInRequest())
			require.NoError(t, upd.err)
			require.Nil(t, upd.rejected)
			require.Equal(t, porting.StateCompleted, res.State)
		}
		h := newHarness(t, monday)
		req := portInRequest()
		req.Deadlines = &porting.Deadlines{PortDateRule: porting.PortDateAny}
		h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		upd := h.update(ny(2026, 11, 25, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 5, 23, 30)))
		res := h.run(req)
		require.Nil(t, upd.rejected)
		require.Equal(t, porting.StateCompleted, res.State)
		requireAt(t, ny(2026, 12, 5, 23, 30), h.callsOf("ActivateNumbers")[0])
	})
}

// The CSR pre-check: an LOA whose service address differs from the losing carrier's record never
// reaches the carrier outbox (the customer is told which field, never a value); the same LOA with
// override_csr is sent; an LOA that matches once normalised is sent without a word.
func TestCSRMismatchIsNotSentAndOverrideSendsIt(t *testing.T) {
	h := newHarness(t, monday)
	h.csr["+14155550100"] = porting.CustomerServiceRecord{Carrier: "acme telecom", E164: "+14155550100",
		Name: "Ada Admin", Address: "9 Elm St, Oakland CA", AccountNumberHash: porting.HashAccountNumber("ACCT-123456")}
	stopped := h.update(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	after := h.statusAt(ny(2026, 11, 23, 11, 0))
	override := loa(acmeDID)
	override.OverrideCSR = true
	sent := h.update(ny(2026, 11, 24, 10, 0), porting.SignalSubmitLOA, override)
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))

	res := h.run(portInRequest())

	require.Nil(t, stopped.rejected)
	require.ErrorContains(t, stopped.err, "LOA not sent to Acme Telecom: it does not match the customer service record (address)")
	require.Equal(t, porting.StateLOARejected, after.State)
	g := groupStatus(t, *after, acmeDID)
	require.Equal(t, porting.ReasonCSRMismatch, g.LastReasonCode)
	require.Equal(t, 0, g.LOAVersion)
	require.Contains(t, g.CustomerAction, "customer service record")
	mismatch := h.notifications("csr_mismatch")
	require.Len(t, mismatch, 1)
	body := notification(mismatch[0]).Body
	require.Contains(t, body, "address")
	require.Contains(t, body, "+14155550100")
	require.Contains(t, body, "override_csr")
	for _, secret := range []string{"4321", "ACCT-123456", "9 Elm St", "1 Main St"} {
		require.NotContains(t, body, secret)
		require.NotContains(t, historyNotes(*after), secret)
	}

	require.NoError(t, sent.err)
	require.Contains(t, sent.result, "LOA v1 submitted")
	submits := h.callsOf("SubmitLOA")
	require.Len(t, submits, 1) // only the override reached the carrier
	requireAt(t, ny(2026, 11, 24, 10, 0), submits[0])
	require.Len(t, h.callsOf("SubmitLOA kept back"), 1)
	require.True(t, submits[0].input.(activities.SubmitLOAInput).OverrideCSR)
	require.Equal(t, porting.StateCompleted, res.State)
}

func TestCSRMatchAfterNormalisationIsSent(t *testing.T) {
	h := newHarness(t, monday)
	h.csr["+14155550101"] = porting.CustomerServiceRecord{Carrier: "Acme Telecom", E164: "+14155550101",
		Name: "EXAMPLE CORP", Address: "1  main st,  san francisco ca", AccountNumberHash: porting.HashAccountNumber("acct 123456")}
	sent := h.update(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	after := h.statusAt(ny(2026, 11, 23, 11, 0))
	h.at(ny(2026, 11, 23, 12, 0), func() { h.env.CancelWorkflow() })
	h.run(portInRequest())
	require.NoError(t, sent.err)
	require.Equal(t, porting.StateAwaitingCarrier, after.State)
	require.Len(t, h.callsOf("SubmitLOA"), 1)
	require.Empty(t, h.notifications("csr_mismatch"))
	require.True(t, strings.Contains(historyNotes(*after), "matches Acme Telecom's customer service record(s) of 1 number(s)"))
}

// An international port splits like a port-in ("main#2"); numbers cannot be removed before the
// portability check is done, and removing the only number of the group the carrier holds is a
// cancellation it must confirm.
func TestIntlSplitAndRemovals(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	early := h.update(uk(2026, 11, 23, 10, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+442079460001"}, Reason: "x", By: "bea"})
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 24, 11, 0), porting.SignalSubmitLOA, intlLOA())
	portDate := uk(2026, 12, 14, 9, 0)
	partial := accept(porting.IntlGroup, portDate)
	partial.Numbers = []porting.NumberAnswer{{E164: "+442079460001", ReasonCode: "NOT_PORTABLE", Reason: "number ranged to another operator"}}
	h.update(uk(2026, 12, 3, 10, 0), porting.SignalCarrierResponse, partial)
	split := h.statusAt(uk(2026, 12, 3, 10, 30))
	held := h.update(uk(2026, 12, 3, 11, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+442079460000"}, Reason: "x", By: "bea"})
	gone := h.update(uk(2026, 12, 3, 12, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+442079460001"}, Reason: "not portable anyway", By: "bea"})
	after := h.statusAt(uk(2026, 12, 3, 13, 0))

	res := h.runIntl(gbRequest(start))

	require.ErrorContains(t, early.rejected, "numbers can be removed once the portability check is done")
	require.ErrorContains(t, held.rejected, "removing every number of group main is a cancellation Albion Telecom must confirm")
	require.NoError(t, gone.err)
	g := groupStatus(t, *after, porting.IntlGroup+"#2")
	require.Equal(t, porting.StateCancelled, g.State)
	require.Equal(t, porting.ReasonNotPortable, numberStatus(t, *split, "+442079460001").ReasonCode)
	require.Equal(t, porting.StateLOARejected, groupStatus(t, *split, porting.IntlGroup+"#2").State)
	require.Equal(t, porting.StateCancelled, numberStatus(t, *after, "+442079460001").State)
	require.Empty(t, h.carrierCancels(), "the carrier rejected the split number: nothing to cancel there")
	require.Equal(t, porting.StateCompleted, res.State)
	require.Contains(t, res.Reason, "partly completed")
	activate := h.callsOf("ActivateNumbers")
	require.Len(t, activate, 1)
	require.Equal(t, []string{"+442079460000"}, numbersOf(activate[0]))
}
