package workflows

// Failure and change paths (issue 10): every end other than completed compensates, no answer is
// lost or taken for another, every wait ends. Each test failed on the workflows before
// versionFailurePaths; the outbox mocks keep one row per key, as Postgres does.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// scheduledPort is the common start: LOA Mon 23 Nov, accepted Tue 24 Nov for Mon 7 Dec 09:00
// (provisioning Fri 4 Dec 09:00).
func scheduledPort(t *testing.T) *harness {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	return h
}

var flowUnpublished = nonRetryable(`contact_flow: contact flow "Main IVR" of instance x is not published; numbers can only be mapped to a published flow`,
	activities.ErrContactFlowNotPublished)

// Class 1: the flow is unpublished between acceptance and provisioning. Provisioning is tried every
// 30 minutes from Fri 09:00 until the port date; then the group fails: what was provisioned is
// released (with the limit), the carrier is told to cancel, customer and operations are told.
func TestProvisioningBlockedUntilThePortDateFailsAndCompensates(t *testing.T) {
	h := scheduledPort(t)
	h.provisionErr = func(int) error { return flowUnpublished }
	blocked := h.statusAt(ny(2026, 12, 5, 12, 0))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "could not be added to the instance before the port date 2026-12-07T09:00:00-05:00")
	tries := h.callsOf("ProvisionNumbers")
	requireAt(t, ny(2026, 12, 4, 9, 0), tries[0])
	requireAt(t, ny(2026, 12, 4, 9, 30), tries[1])
	requireAt(t, ny(2026, 12, 7, 9, 0), tries[len(tries)-1])
	require.Len(t, tries, 3*48+1, "every 30 minutes for three days, and once at the port date")
	require.Equal(t, porting.StateProvisioning, blocked.State)
	require.Equal(t, "provisioning_retry", blocked.Groups[0].NextDeadlineKind)

	// The numbers: released (with the limit increase), the carrier told, everyone told once.
	release := h.callsOf("ReleaseNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 7, 9, 0), release[0])
	cancels := h.carrierCancels()
	require.Len(t, cancels, 1, "the carrier holds the request: it is told to cancel")
	requireAt(t, ny(2026, 12, 7, 9, 0), cancels[0])
	require.Contains(t, cancels[0].input.(activities.CarrierCancelInput).Reason, "we cannot complete the port")
	require.Len(t, h.notificationsTo("provisioning_blocked", activities.RecipientCustomer), 1, "one notice per distinct reason, not one per try")
	require.Len(t, h.notificationsTo("provisioning_blocked", activities.RecipientOperations), 1)
	requireAt(t, ny(2026, 12, 4, 9, 0), h.notificationsTo("provisioning_blocked", activities.RecipientCustomer)[0])
	require.Contains(t, notification(h.notificationsTo("port_failed", activities.RecipientCustomer)[0]).Body, "they stay with Acme Telecom")
	require.Len(t, h.notificationsTo("port_failed", activities.RecipientOperations), 1)
	require.Empty(t, h.callsOf("ActivateNumbers"))
	for _, n := range res.Numbers {
		require.Equal(t, porting.StateFailed, n.State)
		require.Contains(t, n.Reason, "before the port date")
	}
	require.Equal(t, porting.StateFailed, h.callsOf("FinishPortRequest")[0].input.(activities.FinishInput).State)
}

func TestProvisioningUnblockedBeforeThePortDateCompletes(t *testing.T) {
	h := scheduledPort(t)
	h.provisionErr = func(n int) error {
		if n <= 3 {
			return flowUnpublished
		}
		return nil
	}
	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	tries := h.callsOf("ProvisionNumbers")
	require.Len(t, tries, 4)
	requireAt(t, ny(2026, 12, 4, 10, 30), tries[3])
	require.Empty(t, h.callsOf("ReleaseNumbers"))
	require.Empty(t, h.carrierCancels())
	require.Len(t, h.notifications("provisioning_unblocked"), 1)
	requireAt(t, ny(2026, 12, 7, 9, 0), h.callsOf("ActivateNumbers")[0])
}

func TestPermanentProvisioningFailureFailsAtOnceAndCompensates(t *testing.T) {
	h := scheduledPort(t)
	h.provisionErr = func(int) error {
		return nonRetryable("numbers[1].e164: +14155550101 is already held by instance other", activities.ErrNumberAlreadyInInstance)
	}
	res := h.run(portInRequest())

	require.Equal(t, porting.StateFailed, res.State)
	require.Len(t, h.callsOf("ProvisionNumbers"), 1)
	release := h.callsOf("ReleaseNumbers")
	require.Len(t, release, 1, "numbers a partial run added are released")
	requireAt(t, ny(2026, 12, 4, 9, 0), release[0])
	require.Len(t, h.carrierCancels(), 1)
	requireAt(t, ny(2026, 12, 4, 9, 0), h.carrierCancels()[0])
	require.Len(t, h.notificationsTo("port_failed", activities.RecipientCustomer), 1)
}

func TestActivationFailureReleasesAndTellsOperationsToClaim(t *testing.T) {
	h := scheduledPort(t)
	h.activateErr = nonRetryable("numbers[0].e164: +14155550100 is not provisioned on instance x", activities.ErrNumberNotProvisioned)
	res := h.run(portInRequest())

	require.Equal(t, porting.StateFailed, res.State)
	require.Len(t, h.callsOf("ReleaseNumbers"), 1)
	require.Empty(t, h.carrierCancels(), "the port date has passed: the carrier has ported")
	ops := h.notificationsTo("port_failed", activities.RecipientOperations)
	require.Len(t, ops, 1)
	require.Contains(t, notification(ops[0]).Body, "starter number claim")
}

// intlCancelPending is an international port scheduled for Mon 14 Dec 09:00 London whose customer
// asks to cancel on Tue 1 Dec 10:00: the carrier holds the request and must confirm.
func intlCancelPending(t *testing.T, start time.Time) *harness {
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	h.signal(uk(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 14, 9, 0)))
	h.signal(uk(2026, 12, 1, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "second thoughts", By: "bea"})
	return h
}

// Class 2: after the carrier refused a cancellation, a second cancel is a new round: its own outbox
// row and notifications, and the update's answer is true.
func TestSecondCancelRoundIsSentToTheCarrier(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := intlCancelPending(t, start)
	h.signal(uk(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Reason: "committed"})
	second := h.update(uk(2026, 12, 3, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "really cancel", By: "bea"})
	h.signal(uk(2026, 12, 3, 15, 0), porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true})

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCancelled, res.State)
	require.NoError(t, second.rejected)
	require.Contains(t, second.result, "cancellation sent to the carrier")
	cancels := h.carrierCancels()
	require.Len(t, cancels, 2, "each round is a row of its own in the carrier outbox")
	requireAt(t, uk(2026, 12, 1, 10, 0), cancels[0])
	requireAt(t, uk(2026, 12, 3, 10, 0), cancels[1])
	require.Equal(t, 2, cancels[1].input.(activities.CarrierCancelInput).Round)
	require.Len(t, h.notifications("cancel_requested"), 2)
	require.Empty(t, h.callsOf("ProvisionNumbers"))
}

// Class 3: while a cancellation is pending, an acceptance with a date moves the port date; it does
// not cancel the port. Only an acceptance without a date confirms the cancellation.
func TestCarrierMovingTheDateWhileACancelIsPendingIsARescheduleNotAConfirmation(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := intlCancelPending(t, start)
	moved := h.update(uk(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 16, 9, 0)))
	pending := h.statusAt(uk(2026, 12, 2, 11, 0))

	res := h.runIntl(gbRequest(start))

	require.NoError(t, moved.rejected)
	require.Contains(t, moved.result, "cancel_requested; port date 2026-12-16T09:00:00Z")
	require.Equal(t, porting.StateCancelRequested, pending.State)
	require.True(t, uk(2026, 12, 16, 9, 0).Equal(*pending.Groups[0].PortDate))
	require.Equal(t, porting.StateCompleted, res.State, "the carrier never confirmed: it ported on the new date")
	requireAt(t, uk(2026, 12, 15, 9, 0), h.callsOf("ProvisionNumbers")[0])
	requireAt(t, uk(2026, 12, 16, 9, 0), h.callsOf("ActivateNumbers")[0])
	require.Empty(t, h.callsOf("ReleaseNumbers"))
}

// Class 4: two carrier answers in one workflow task: both are applied, in order (the corrected date
// wins); two LOAs in one task: the later one is submitted. The history says which.
func TestTwoAnswersInOneWorkflowTaskAreBothTaken(t *testing.T) {
	h := newHarness(t, monday)
	h.at(ny(2026, 11, 23, 10, 0), func() {
		first := loa(acmeDID)
		first.LOA.AuthorizedName = "Ada Typo"
		h.env.SignalWorkflow(porting.SignalSubmitLOA, first)
		h.env.SignalWorkflow(porting.SignalSubmitLOA, loa(acmeDID))
	})
	h.at(ny(2026, 11, 24, 10, 0), func() {
		h.env.SignalWorkflow(porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
		h.env.SignalWorkflow(porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 8, 9, 0)))
	})

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	// The first LOA was on its way to the carrier when the second arrived: the second follows as v2.
	submits := h.callsOf("SubmitLOA")
	require.Len(t, submits, 2)
	require.Equal(t, 2, submits[1].input.(activities.SubmitLOAInput).Version)
	require.Equal(t, "Ada Admin", submits[1].input.(activities.SubmitLOAInput).LOA.AuthorizedName, "the later LOA supersedes")
	requireAt(t, ny(2026, 11, 23, 10, 0), submits[1])
	requireAt(t, ny(2026, 12, 7, 9, 0), h.callsOf("ProvisionNumbers")[0]) // the corrected date of the second answer
	requireAt(t, ny(2026, 12, 8, 9, 0), h.callsOf("ActivateNumbers")[0])
	notes := historyNotes(h.status())
	require.Contains(t, notes, "a later LOA arrived while v1 was being submitted; it is submitted as v2 and supersedes v1")
	require.Contains(t, notes, "port date moved to 2026-12-08T09:00:00-05:00")
	require.NotContains(t, notes, "already being processed")
}

// Class 5: a carrier withdrawing its FOC while provisioned: the numbers are released and the group
// goes back to loa_rejected; the repeated acceptance of the same date changes nothing.
func TestWithdrawnPortDateReleasesAndAsksForANewLOA(t *testing.T) {
	h := scheduledPort(t)
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	withdrawn := h.update(ny(2026, 12, 4, 12, 0), porting.SignalCarrierResponse, reject(acmeDID, "FOC withdrawn: CSR mismatch"))
	rejected := h.statusAt(ny(2026, 12, 4, 13, 0))
	h.signal(ny(2026, 12, 8, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 12, 9, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 16, 9, 0)))

	res := h.run(portInRequest())

	require.NoError(t, withdrawn.rejected)
	require.Contains(t, withdrawn.result, "rejected")
	require.Equal(t, porting.StateLOARejected, rejected.State)
	require.Nil(t, rejected.Groups[0].PortDate)
	require.Contains(t, rejected.Groups[0].LastReason, "the carrier withdrew the port date: 6P: FOC withdrawn")
	release := h.callsOf("ReleaseNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 4, 12, 0), release[0])
	require.Len(t, h.notifications("port_date_withdrawn"), 1)
	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, h.callsOf("SubmitLOA"), 2)
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 2)
	requireAt(t, ny(2026, 12, 15, 9, 0), provision[1])
	require.Len(t, h.notifications("port_scheduled"), 2, "the repeated acceptance of 25 Nov told nobody anything")
	require.Contains(t, historyNotes(h.status()), "confirmed the port date 2026-12-07T09:00:00-05:00 again; nothing changes")
}

func TestWithdrawnPortDateWhileScheduledReleasesNothing(t *testing.T) {
	h := scheduledPort(t)
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, reject(acmeDID, "FOC withdrawn"))
	res := h.run(portInRequest())
	require.Equal(t, porting.StateCancelled, res.State, "no corrected LOA came: the group expired")
	require.Empty(t, h.callsOf("ProvisionNumbers"))
	require.Empty(t, h.callsOf("ReleaseNumbers"))
	require.Len(t, h.notifications("port_date_withdrawn"), 1)
}

// Class 7: a carrier that never answers: after 30 business days the group expires, the carrier is
// told to cancel, customer and operations are told; the escalations before are capped by it.
func TestSilentCarrierExpiresTheGroup(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCancelled, res.State)
	require.Contains(t, res.Reason, "did not answer LOA v1 within 30 business days")
	esc := h.notifications("carrier_escalation")
	require.Len(t, esc, 5, "every 5 business days until the expiry")
	// 30 business days after Mon 23 Nov 10:00, skipping Thanksgiving, Christmas and New Year's Day.
	expiry := ny(2027, 1, 7, 10, 0)
	cancels := h.carrierCancels()
	require.Len(t, cancels, 1)
	requireAt(t, expiry, cancels[0])
	require.Len(t, h.notificationsTo("carrier_expired", activities.RecipientCustomer), 1)
	require.Len(t, h.notificationsTo("carrier_expired", activities.RecipientOperations), 1)
	requireAt(t, expiry, h.callsOf("FinishPortRequest")[0])
}

func TestIgnoredSignalsAreCountedNotListedWithoutBound(t *testing.T) {
	h := newHarness(t, monday)
	h.at(ny(2026, 11, 23, 9, 30), func() {
		for i := 0; i < 60; i++ {
			h.env.SignalWorkflow(porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
		}
	})
	h.at(ny(2026, 11, 23, 10, 0), func() { h.env.CancelWorkflow() })
	h.run(portInRequest())
	s := h.status()
	require.Equal(t, 60, s.Ignored)
	ignored := 0
	for _, e := range s.History {
		if strings.HasPrefix(e.Note, "ignored carrier-response signal") {
			ignored++
		}
	}
	require.Equal(t, maxIgnoredNotes, ignored)
	require.Contains(t, historyNotes(s), fmt.Sprintf("more than %d signals ignored", maxIgnoredNotes))
}

func TestIntlPortabilityCheckExpiresInsteadOfEscalatingForever(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	res := h.runIntl(gbRequest(start))
	require.Equal(t, porting.StateCancelled, res.State)
	require.Contains(t, res.Reason, "did not answer the portability check within 20 business days")
	require.Len(t, h.notifications("portability_escalation"), 3, "at 5, 10 and 15 business days")
	require.Len(t, h.notifications("portability_expired"), 1)
	// 20 UK business days after Mon 23 Nov 09:00.
	requireAt(t, uk(2026, 12, 21, 9, 0), h.notifications("portability_expired")[0])
	require.Empty(t, h.carrierCancels(), "nothing was ever sent to a carrier")
}

// Notification dates are in the port's time zone: an expiry at 23:30 New York time is that day,
// not the next day in UTC.
func TestReminderDatesAreInThePortsTimeZone(t *testing.T) {
	h := newHarness(t, ny(2026, 11, 23, 23, 30))
	h.run(portInRequest())
	reminders := h.notifications("loa_reminder")
	require.NotEmpty(t, reminders)
	require.Contains(t, notification(reminders[0]).Body, "expires on Wed 23 Dec 2026")
}

// Class 9: carriers spelled differently are one carrier and one LOA group.
func TestCarrierSpellingsFormOneGroup(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	res := h.run(portInRequest(
		porting.PortNumber{E164: "+14155550100", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
		porting.PortNumber{E164: "+14155550101", Type: porting.NumberTypeDID, Carrier: "acme  telecom "},
	))
	require.Equal(t, porting.StateCompleted, res.State)
	submits := h.callsOf("SubmitLOA")
	require.Len(t, submits, 1, "one carrier, one LOA")
	require.Equal(t, []string{"+14155550100", "+14155550101"}, submits[0].input.(activities.SubmitLOAInput).Numbers)
	require.Equal(t, "Acme Telecom", h.callsOf("RecordPortIn")[0].input.(activities.RecordPortInInput).Request.Numbers[1].Carrier)
}

// Class 4, the other way round: an acceptance queued behind the rejection of the same LOA answered
// an LOA the carrier no longer holds; it is refused, never taken for the next version.
func TestAnAnswerQueuedBehindARejectionIsNotTakenForTheNextLOA(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, reject(acmeDID, "name does not match"))
	stale := h.update(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	waiting := h.statusAt(ny(2026, 11, 26, 10, 0))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 9, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	// Refused by the validator when the rejection was already applied, or when its turn came if it
	// was queued behind the rejection: either way with the reason, and never applied.
	refusal := stale.rejected
	if refusal == nil {
		refusal = stale.err
	}
	require.ErrorContains(t, refusal, "group Acme Telecom/did is loa_rejected, not awaiting the carrier")
	require.Equal(t, porting.StateAwaitingCarrier, waiting.State, "LOA v2 awaits its own answer")
	requireAt(t, ny(2026, 12, 9, 9, 0), h.callsOf("ActivateNumbers")[0])
}
