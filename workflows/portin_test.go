package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// Start: Monday 2026-11-23 09:00 New York (Thanksgiving is Thursday 26).
var monday = ny(2026, 11, 23, 9, 0)

func TestPortInHappyPathProvisionsOneBusinessDayBeforePortDate(t *testing.T) {
	h := newHarness(t, monday)
	portDate := ny(2026, 12, 7, 9, 0) // Monday
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, portDate))
	scheduled := h.statusAt(ny(2026, 11, 30, 12, 0))
	provisioned := h.statusAt(ny(2026, 12, 5, 12, 0))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	for _, n := range res.Numbers {
		require.Equal(t, porting.StateCompleted, n.State)
	}
	requireAt(t, ny(2026, 11, 23, 10, 0), h.callsOf("SubmitLOA")[0])
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 1)
	requireAt(t, ny(2026, 12, 4, 9, 0), provision[0]) // Friday before the Monday port date
	require.Equal(t, "Main IVR", provision[0].input.(activities.NumbersInput).ContactFlow)
	requireAt(t, portDate, h.callsOf("ActivateNumbers")[0])
	requireAt(t, portDate, h.callsOf("VerifyTestCall")[0])
	finish := h.callsOf("FinishPortRequest")
	require.Len(t, finish, 1)
	require.Equal(t, porting.StateCompleted, finish[0].input.(activities.FinishInput).State)

	require.Equal(t, porting.StateScheduled, scheduled.State)
	require.Equal(t, "provisioning", scheduled.NextDeadlineKind)
	require.True(t, ny(2026, 12, 4, 9, 0).Equal(*scheduled.NextDeadline))
	require.Equal(t, "America/New_York", scheduled.TimeZone)
	require.Equal(t, porting.StateProvisioned, provisioned.State)
	require.True(t, portDate.Equal(*provisioned.Groups[0].PortDate))

	// Notifications: LOA request, schedule, completion; none twice.
	require.Len(t, h.notifications("loa_requested"), 1)
	require.Len(t, h.notifications("port_scheduled"), 1)
	require.Len(t, h.notifications("completed"), 1)
	require.Empty(t, h.notifications("loa_reminder"))
}

func TestPortInTwoRejectionRoundsThenAcceptance(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, reject(acmeDID, "name does not match"))
	rejected := h.statusAt(ny(2026, 11, 24, 11, 0))
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, reject(acmeDID, "account number wrong"))
	h.signal(ny(2026, 12, 1, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 9, 8, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	submits := h.callsOf("SubmitLOA")
	require.Len(t, submits, 3)
	for i, c := range submits {
		require.Equal(t, i+1, c.input.(activities.SubmitLOAInput).Version)
	}
	requireAt(t, ny(2026, 12, 1, 10, 0), submits[2])
	requireAt(t, ny(2026, 12, 8, 8, 0), h.callsOf("ProvisionNumbers")[0])
	requireAt(t, ny(2026, 12, 9, 8, 0), h.callsOf("ActivateNumbers")[0])
	require.Len(t, h.notifications("loa_rejected"), 2)
	require.Equal(t, porting.StateLOARejected, rejected.State)
	require.Equal(t, 1, rejected.Groups[0].Rounds)
	require.Contains(t, rejected.Groups[0].LastReason, "name does not match")
	final := h.status()
	require.Equal(t, 3, final.Groups[0].LOAVersion)
	require.Equal(t, 2, final.Groups[0].Rounds)
}

func TestPortInEscalatesWhenCarrierIsSilent(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 12, 9, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 16, 9, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	esc := h.notifications("carrier_escalation")
	require.Len(t, esc, 2)
	// 5 business days after Mon 23 Nov 10:00, skipping Thanksgiving: Tue 1 Dec; then Tue 8 Dec.
	requireAt(t, ny(2026, 12, 1, 10, 0), esc[0])
	requireAt(t, ny(2026, 12, 8, 10, 0), esc[1])
	require.Equal(t, activities.RecipientOperations, esc[0].input.(activities.Notification).Recipient)
}

func TestPortInCancelAfterProvisioningReleasesNumbers(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	cancel := h.update(ny(2026, 12, 4, 15, 0), porting.SignalCancel, porting.Cancel{Reason: "customer changed plans", By: "support:jo"})

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCancelled, res.State)
	require.Contains(t, res.Reason, "customer changed plans")
	release := h.callsOf("ReleaseNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 4, 15, 0), release[0])
	require.Len(t, release[0].input.(activities.NumbersInput).Numbers, 2)
	require.Len(t, h.callsOf("SubmitCarrierCancel"), 1)
	require.Empty(t, h.callsOf("ActivateNumbers"))
	require.Equal(t, porting.StateCancelled, h.callsOf("FinishPortRequest")[0].input.(activities.FinishInput).State)
	require.True(t, cancel.done)
	require.NoError(t, cancel.rejected)
	require.Contains(t, cancel.result, "cancelled")
}

func TestPortInPortDateLessThanABusinessDayAwayProvisionsAtOnce(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	acceptedAt := ny(2026, 11, 30, 15, 0)
	h.signal(acceptedAt, porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 1, 10, 0)))

	h.run(portInRequest())

	requireAt(t, acceptedAt, h.callsOf("ProvisionNumbers")[0])
	requireAt(t, ny(2026, 12, 1, 10, 0), h.callsOf("ActivateNumbers")[0])
}

func TestPortInRescheduleWhileScheduledAndWhileProvisioned(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	// While scheduled: moved a week later.
	moved := h.update(ny(2026, 12, 1, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 14, 9, 0)))
	// While provisioned (Fri 11 Dec after 09:00): moved to Wednesday.
	h.signal(ny(2026, 12, 11, 12, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 16, 11, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.NoError(t, moved.rejected)
	require.Contains(t, moved.result, "2026-12-14T09:00:00-05:00")
	// Provisioned on Fri 11 Dec for Mon 14; moved to Wed 16 (provisioning Tue 15 11:00, more than a
	// business day away): released at once and provisioned again a business day before the new date.
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 2)
	requireAt(t, ny(2026, 12, 11, 9, 0), provision[0])
	requireAt(t, ny(2026, 12, 15, 11, 0), provision[1])
	require.Equal(t, 2, provision[1].input.(activities.NumbersInput).Round)
	release := h.callsOf("ReleaseNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 11, 12, 0), release[0])
	requireAt(t, ny(2026, 12, 16, 11, 0), h.callsOf("ActivateNumbers")[0])
	require.Len(t, h.notifications("port_scheduled"), 3)
}

func TestPortInRescheduleByADayKeepsTheNumbersProvisioned(t *testing.T) {
	h := newHarness(t, monday)
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	// Provisioned Fri 4 Dec 09:00; moved from Mon 7 to Tue 8 (provisioning Mon 7 09:00, within a
	// business day): the numbers stay provisioned.
	h.signal(ny(2026, 12, 4, 12, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 8, 9, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, h.callsOf("ProvisionNumbers"), 1)
	require.Empty(t, h.callsOf("ReleaseNumbers"))
	requireAt(t, ny(2026, 12, 8, 9, 0), h.callsOf("ActivateNumbers")[0])
}

func TestPortInPartialPortability(t *testing.T) {
	h := newHarness(t, monday)
	h.notPortable["+14155550101"] = "number is disconnected at the current carrier"
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, porting.NumberStatus{E164: "+14155550100", State: porting.StateCompleted, Group: acmeDID}, res.Numbers[0])
	require.Equal(t, porting.StateNotPortable, res.Numbers[1].State)
	require.Contains(t, res.Numbers[1].Reason, "disconnected")
	provisioned := h.callsOf("ProvisionNumbers")[0].input.(activities.NumbersInput).Numbers
	require.Len(t, provisioned, 1)
	require.Equal(t, []string{"+14155550100"}, h.callsOf("SubmitLOA")[0].input.(activities.SubmitLOAInput).Numbers)
	require.Len(t, h.notifications("not_portable"), 1)
}

func TestPortInNoneportableEndsTheRequest(t *testing.T) {
	h := newHarness(t, monday)
	h.notPortable["+14155550100"] = "premium-rate"
	h.notPortable["+14155550101"] = "premium-rate"
	res := h.run(portInRequest())
	require.Equal(t, porting.StateNotPortable, res.State)
	require.Empty(t, h.callsOf("SubmitLOA"))
	require.Equal(t, porting.StateNotPortable, h.callsOf("FinishPortRequest")[0].input.(activities.FinishInput).State)
}

func TestPortInRefusedByTheDatabase(t *testing.T) {
	h := newHarness(t, monday)
	h.recordErr = nonRetryable("numbers[0].e164: +14155550100 is already in an active port (port-in-req-0)", activities.ErrNumberAlreadyPorting)
	outcome := &porting.ValidationOutcome{}
	h.at(monday, func() {
		h.env.UpdateWorkflow(porting.UpdateAwaitValidation, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(error) {},
			OnComplete: func(v interface{}, err error) { *outcome = v.(porting.ValidationOutcome) },
		})
	})
	res := h.run(portInRequest())
	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "already in an active port")
	require.False(t, outcome.Accepted)
	require.Contains(t, outcome.Reason, "numbers[0].e164")
	require.Empty(t, h.callsOf("CheckPortability"))
	require.Empty(t, h.callsOf("FinishPortRequest"), "a refused request was never recorded")
}

func TestPortInInvalidRequestFailsWithoutTouchingTheDatabase(t *testing.T) {
	h := newHarness(t, monday)
	req := portInRequest()
	req.InstanceARN = "arn:aws:connect:ap-northeast-1:123456789012:instance/x"
	res := h.run(req)
	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "instance_arn: porting is not supported")
	require.Empty(t, h.callsOf("RecordPortIn"))
}

func TestPortInLOARemindersThenExpiry(t *testing.T) {
	h := newHarness(t, monday)
	res := h.run(portInRequest())

	require.Equal(t, porting.StateCancelled, res.State)
	reminders := h.notifications("loa_reminder")
	// Every 3 business days from Mon 23 Nov 09:00 (Thanksgiving skipped) until the 30-day expiry.
	want := []time.Time{
		ny(2026, 11, 27, 9, 0), ny(2026, 12, 2, 9, 0), ny(2026, 12, 7, 9, 0), ny(2026, 12, 10, 9, 0),
		ny(2026, 12, 15, 9, 0), ny(2026, 12, 18, 9, 0),
	}
	require.Len(t, reminders, len(want))
	for i, w := range want {
		requireAt(t, w, reminders[i])
	}
	expired := h.notifications("loa_expired")
	require.Len(t, expired, 1)
	requireAt(t, ny(2026, 12, 23, 9, 0), expired[0])
	require.Empty(t, h.callsOf("SubmitCarrierCancel"), "nothing reached the carrier")
}

func TestPortInSignalsTheStateCannotTakeAreRecordedAndIgnored(t *testing.T) {
	h := newHarness(t, monday)
	// A carrier answer before any LOA: signal ignored, update refused.
	h.signal(ny(2026, 11, 23, 9, 30), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	refused := h.update(ny(2026, 11, 23, 9, 31), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	unknown := h.update(ny(2026, 11, 23, 9, 32), porting.SignalSubmitLOA, loa("Other Co/did"))
	h.signal(ny(2026, 11, 23, 9, 33), porting.SignalSubmitLOA, map[string]any{"group": 42})
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	// The same LOA delivered twice: the second is a duplicate while the first is with the carrier.
	h.signal(ny(2026, 11, 23, 10, 1), porting.SignalSubmitLOA, loa(acmeDID))
	invalid := h.update(ny(2026, 11, 23, 10, 2), porting.SignalSubmitLOA, porting.SubmitLOA{Group: acmeDID})
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	lateLOA := h.update(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))

	res := h.run(portInRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, h.callsOf("SubmitLOA"), 1)
	require.ErrorContains(t, refused.rejected, "group Acme Telecom/did is awaiting_loa, not awaiting the carrier")
	require.ErrorContains(t, unknown.rejected, `group "Other Co/did" is not part of request req-1; its groups are: Acme Telecom/did`)
	require.ErrorContains(t, invalid.rejected, "loa.authorized_name: is required")
	require.ErrorContains(t, lateLOA.rejected, "group Acme Telecom/did is scheduled, not awaiting an LOA")

	notes := historyNotes(h.status())
	require.Contains(t, notes, "ignored carrier-response signal: group Acme Telecom/did is awaiting_loa, not awaiting the carrier")
	require.Contains(t, notes, "ignored submit-loa signal: payload is not a valid submit-loa payload")
	require.Contains(t, notes, "ignored submit-loa signal: group Acme Telecom/did is awaiting_carrier, not awaiting an LOA")
}

func TestPortInTwoGroupsProgressIndependently(t *testing.T) {
	h := newHarness(t, monday)
	req := portInRequest(
		porting.PortNumber{E164: "+14155550100", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
		porting.PortNumber{E164: "+18005550100", Type: porting.NumberTypeTollFree, Carrier: "Acme Telecom"},
	)
	tollFree := "Acme Telecom/toll_free"
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	mixed := h.statusAt(ny(2026, 11, 24, 12, 0))
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(tollFree))
	h.signal(ny(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, accept(tollFree, ny(2026, 12, 14, 9, 0)))

	res := h.run(req)

	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, mixed.Groups, 2)
	require.Equal(t, porting.StateScheduled, mixed.Groups[0].State)
	require.Equal(t, porting.StateAwaitingLOA, mixed.Groups[1].State)
	require.Equal(t, porting.StateAwaitingLOA, mixed.State, "the request is as far as its least advanced group")
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 2)
	requireAt(t, ny(2026, 12, 4, 9, 0), provision[0])
	requireAt(t, ny(2026, 12, 11, 9, 0), provision[1])
}

func TestPortInFailedVerificationFailsTheGroup(t *testing.T) {
	h := newHarness(t, monday)
	h.verifyFail = "contact flow Main IVR did not answer"
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	res := h.run(portInRequest())
	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "did not answer")
	// Three test calls, 30 minutes apart; the numbers are live and stay so, on purpose.
	verify := h.callsOf("VerifyTestCall")
	require.Len(t, verify, 3)
	requireAt(t, ny(2026, 12, 7, 9, 0), verify[0])
	requireAt(t, ny(2026, 12, 7, 10, 0), verify[2])
	require.Empty(t, h.callsOf("ReleaseNumbers"), "ported numbers are not taken off the instance")
	require.Empty(t, h.carrierCancels(), "the carrier has ported them: nothing to cancel")
	require.Len(t, h.notificationsTo("verification_failed", activities.RecipientCustomer), 1)
	ops := h.notificationsTo("port_failed", activities.RecipientOperations)
	require.Len(t, ops, 1)
	require.Contains(t, ops[0].input.(activities.Notification).Body, "live on instance")
	require.Len(t, h.notificationsTo("port_failed", activities.RecipientCustomer), 1)
}

func TestPortInVerificationAnsweredOnASecondCallCompletes(t *testing.T) {
	h := newHarness(t, monday)
	h.verifyFail, h.verifyFailures = "contact flow Main IVR is not published", 1
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	res := h.run(portInRequest())
	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, h.callsOf("VerifyTestCall"), 2)
	requireAt(t, ny(2026, 12, 7, 9, 30), h.callsOf("VerifyTestCall")[1])
	require.Len(t, h.notificationsTo("verification_failed", activities.RecipientCustomer), 1)
}

func TestPortInCancelBeforeLOAAndAfterSubmission(t *testing.T) {
	t.Run("before any LOA: nothing to tell the carrier", func(t *testing.T) {
		h := newHarness(t, monday)
		h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "wrong numbers", By: "customer"})
		res := h.run(portInRequest())
		require.Equal(t, porting.StateCancelled, res.State)
		require.Empty(t, h.callsOf("SubmitCarrierCancel"))
		require.Empty(t, h.callsOf("ReleaseNumbers"))
	})
	t.Run("while the carrier has the LOA: the carrier is told", func(t *testing.T) {
		h := newHarness(t, monday)
		h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "wrong numbers", By: "customer"})
		res := h.run(portInRequest())
		require.Equal(t, porting.StateCancelled, res.State)
		c := h.callsOf("SubmitCarrierCancel")
		require.Len(t, c, 1)
		requireAt(t, ny(2026, 11, 24, 10, 0), c[0])
		require.Empty(t, h.callsOf("ReleaseNumbers"))
	})
	t.Run("cancelling the workflow in Temporal compensates too", func(t *testing.T) {
		h := newHarness(t, monday)
		h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
		h.at(ny(2026, 12, 5, 10, 0), func() { h.env.CancelWorkflow() })
		res := h.run(portInRequest())
		require.Equal(t, porting.StateCancelled, res.State)
		require.Len(t, h.callsOf("ReleaseNumbers"), 1)
		require.True(t, strings.Contains(res.Reason, "temporal"))
	})
}

func TestPortInCancelRefusals(t *testing.T) {
	w := &port{req: portInRequest(), state: porting.StateCompleted}
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}), "request req-1 is completed; there is nothing to cancel")

	w = &port{req: portInRequest(), state: porting.StateActivating, groups: []*group{
		{name: acmeDID, state: porting.StateActivating},
		{name: "Acme Telecom/toll_free", state: porting.StateCompleted},
	}}
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}),
		"request req-1 can no longer be cancelled: Acme Telecom/did is activating, Acme Telecom/toll_free is completed")

	w.groups[1].state = porting.StateProvisioned
	require.NoError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}), "an open group before activation can still be cancelled")
	require.EqualError(t, w.validateCancel(porting.Cancel{By: "b"}), "reason: is required")

	w.cancel = &porting.Cancel{Reason: "dup", By: "jo"}
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}), "request req-1 is already being cancelled (by jo: dup)")
}
