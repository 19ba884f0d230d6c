package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// The port-out tests start on Monday 2026-11-23 09:00 New York (`monday`; Thanksgiving is Thursday 26).

func TestPortOutMismatchOnOwnerNameThenCorrectedRequestReleasesAtTheRequestedTime(t *testing.T) {
	h := newPortOutHarness(t, monday)
	releaseAt := ny(2026, 12, 4, 14, 0) // Friday
	wrong := winningRequest(releaseAt)
	wrong.OwnerName = "Doe Holdings, LLC"
	first := h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, wrong)
	rejected := h.statusAt(ny(2026, 11, 24, 11, 0))
	second := h.update(ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(releaseAt))
	approved := h.statusAt(ny(2026, 12, 3, 12, 0))

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.Contains(t, res.Reason, "2 number(s) released to Beta Wireless at 2026-12-04T14:00:00-05:00")
	for _, n := range res.Numbers {
		require.Equal(t, porting.StateCompleted, n.State)
	}

	// Recorded and locked at the start; the customer told to start with the winning carrier.
	requireAt(t, monday, h.callsOf("RecordPortOut")[0])
	started := h.notifications("port_out_started")
	require.Len(t, started, 1)
	requireAt(t, monday, started[0])
	require.Equal(t, activities.RecipientCustomer, notification(started[0]).Recipient)

	// Round 1: owner_name only; the carrier learns the field's name, never the value on record.
	require.ErrorContains(t, first.err, "request #1 rejected: these details do not match the ownership records held for the instance: owner_name; send a corrected request")
	require.Equal(t, porting.StateRejectedMismatch, rejected.State)
	require.Equal(t, "mismatched: owner_name", rejected.Groups[0].LastReason)
	require.Equal(t, 1, rejected.Groups[0].Rounds)
	require.Equal(t, "winning_carrier_expiry", rejected.NextDeadlineKind)
	mismatch := h.notifications("ownership_mismatch")
	require.Len(t, mismatch, 1)
	requireAt(t, ny(2026, 11, 24, 10, 0), mismatch[0])
	n := notification(mismatch[0])
	require.Equal(t, activities.RecipientCarrier, n.Recipient)
	require.Contains(t, n.Body, "Mismatched fields: owner_name.")
	for _, stored := range []string{recordOwner, recordAddress, recordBilling, "billing_contact", "address"} {
		require.NotContains(t, n.Body+n.Subject, stored)
	}

	// Round 2: approved; released exactly at the requested time, then finished (numbers unlocked).
	require.NoError(t, second.err)
	require.Equal(t, "request #2 approved: the numbers are released to Beta Wireless at 2026-12-04T14:00:00-05:00", second.result)
	verify := h.callsOf("VerifyOwnership")
	require.Len(t, verify, 2)
	requireAt(t, ny(2026, 11, 24, 10, 0), verify[0])
	requireAt(t, ny(2026, 11, 25, 10, 0), verify[1])
	require.Equal(t, 2, verify[1].input.(activities.VerifyOwnershipInput).Round)
	require.Equal(t, porting.StateApproved, approved.State)
	require.True(t, releaseAt.Equal(*approved.NextDeadline))
	require.Equal(t, "release", approved.NextDeadlineKind)
	require.True(t, releaseAt.Equal(*approved.Groups[0].PortDate))
	require.Equal(t, 2, approved.Groups[0].LOAVersion)

	release := h.callsOf("ReleasePortOutNumbers")
	require.Len(t, release, 1)
	requireAt(t, releaseAt, release[0])
	require.Equal(t, outNumbers, release[0].input.(activities.ReleasePortOutInput).Numbers)
	finish := h.callsOf("FinishPortRequest")
	require.Len(t, finish, 1)
	requireAt(t, releaseAt, finish[0])
	require.Equal(t, porting.StateCompleted, finish[0].input.(activities.FinishInput).State)

	require.Len(t, h.notifications("port_out_approved"), 2) // customer and carrier
	require.Len(t, h.notifications("port_out_released"), 1)
	require.Len(t, h.notifications("completed"), 1)

	// Search attributes: found by kind, carrier, numbers and release date.
	require.Equal(t, porting.KindPortOut, h.lastKeyword(porting.SearchPortKind))
	require.Equal(t, string(porting.StateCompleted), h.lastKeyword(porting.SearchPortState))
	require.Equal(t, portOutRequest().InstanceARN, h.lastKeyword(porting.SearchInstanceArn))
	require.Equal(t, []string{winning}, h.firstKeywordList(porting.SearchCarrier))
	require.Equal(t, outNumbers, h.firstKeywordList(porting.SearchPhoneNumbers))
	dates := h.portDates()
	require.Len(t, dates, 1)
	require.True(t, releaseAt.Equal(dates[0]))

	final := h.status()
	require.Equal(t, "America/New_York", final.TimeZone)
	require.Equal(t, porting.KindPortOut, final.Kind)
	notes := historyNotes(final)
	require.Contains(t, notes, "Beta Wireless's request #1 rejected: mismatched owner_name")
	require.NotContains(t, notes, recordOwner, "stored values never reach the workflow history")
}

func TestPortOutExpiresAfter30BusinessDaysWithoutACarrierRequest(t *testing.T) {
	h := newPortOutHarness(t, monday)
	waiting := h.statusAt(ny(2026, 12, 1, 12, 0))
	res := h.run(portOutRequest())

	require.Equal(t, porting.StateExpired, res.State)
	require.Contains(t, res.Reason, "no request from Beta Wireless within 30 business days")
	// 30 business days after Mon 23 Nov 09:00, skipping Thanksgiving, Christmas and New Year's Day.
	expiry := ny(2027, 1, 7, 9, 0)
	require.True(t, expiry.Equal(*waiting.NextDeadline), "next deadline %s", waiting.NextDeadline)
	require.Equal(t, "winning_carrier_expiry", waiting.NextDeadlineKind)
	require.Equal(t, porting.StateAwaitingWinningCarrier, waiting.State)

	finish := h.callsOf("FinishPortRequest")
	require.Len(t, finish, 1)
	requireAt(t, expiry, finish[0])
	require.Equal(t, porting.StateExpired, finish[0].input.(activities.FinishInput).State, "finishing unlocks the numbers")
	expired := h.notifications("expired")
	require.Len(t, expired, 1)
	requireAt(t, expiry, expired[0])
	require.Equal(t, activities.RecipientCustomer, notification(expired[0]).Recipient)
	require.Empty(t, h.callsOf("VerifyOwnership"))
	require.Empty(t, h.callsOf("ReleasePortOutNumbers"))
	require.Empty(t, h.notifications("port_out_cancelled"), "no carrier request: nothing to tell the carrier")
}

func TestPortOutExpiryRestartsFromARejectedRequest(t *testing.T) {
	h := newPortOutHarness(t, monday)
	wrong := winningRequest(ny(2026, 12, 4, 14, 0))
	wrong.Address = "1 Main Street, New York, NY 10001"
	h.signal(ny(2026, 12, 1, 10, 0), porting.SignalWinningCarrierRequest, wrong)

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateExpired, res.State)
	require.Contains(t, res.Reason, "no corrected request from Beta Wireless within 30 business days of the last rejection")
	requireAt(t, ny(2027, 1, 14, 10, 0), h.callsOf("FinishPortRequest")[0]) // 30 business days after the rejection
	require.Empty(t, h.callsOf("ReleasePortOutNumbers"))
}

func TestPortOutRescheduleWhileApproved(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 4, 14, 0)))
	// A matching request while approved moves the release.
	moved := h.update(ny(2026, 12, 1, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 8, 10, 0)))
	// A request that no longer matches is rejected on its own: the approved release stands.
	wrong := winningRequest(ny(2026, 12, 3, 10, 0))
	wrong.BillingContact = "accounts@doe.example"
	refused := h.update(ny(2026, 12, 2, 10, 0), porting.SignalWinningCarrierRequest, wrong)
	after := h.statusAt(ny(2026, 12, 2, 11, 0))

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.NoError(t, moved.err)
	require.Contains(t, moved.result, "request #2 approved: the numbers are released to Beta Wireless at 2026-12-08T10:00:00-05:00")
	require.ErrorContains(t, refused.err, "request #3 rejected: these details do not match the ownership records held for the instance: billing_contact; "+
		"the approved release at 2026-12-08T10:00:00-05:00 stands")
	require.Equal(t, porting.StateApproved, after.State)
	require.True(t, ny(2026, 12, 8, 10, 0).Equal(*after.NextDeadline))
	require.Equal(t, 1, after.Groups[0].Rounds)

	release := h.callsOf("ReleasePortOutNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 8, 10, 0), release[0])
	require.Len(t, h.notifications("port_out_rescheduled"), 2) // customer and carrier
	mismatch := h.notifications("ownership_mismatch")
	require.Len(t, mismatch, 1)
	require.Contains(t, notification(mismatch[0]).Body, "Mismatched fields: billing_contact.")
	dates := h.portDates()
	require.Len(t, dates, 2)
	require.True(t, ny(2026, 12, 4, 14, 0).Equal(dates[0]))
	require.True(t, ny(2026, 12, 8, 10, 0).Equal(dates[1]))
	require.Contains(t, historyNotes(h.status()), "release moved from 2026-12-04T14:00:00-05:00 to 2026-12-08T10:00:00-05:00")
}

func TestPortOutCancelBeforeRelease(t *testing.T) {
	t.Run("while approved: unlocked, the carrier is told", func(t *testing.T) {
		h := newPortOutHarness(t, monday)
		h.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 4, 14, 0)))
		cancel := h.update(ny(2026, 12, 2, 15, 0), porting.SignalCancel, porting.Cancel{Reason: "customer stays", By: "support:jo"})

		res := h.run(portOutRequest())

		require.Equal(t, porting.StateCancelled, res.State)
		require.Contains(t, res.Reason, "cancelled by support:jo: customer stays")
		require.NoError(t, cancel.rejected)
		require.Contains(t, cancel.result, "cancelled")
		require.Empty(t, h.callsOf("ReleasePortOutNumbers"))
		finish := h.callsOf("FinishPortRequest")
		require.Len(t, finish, 1)
		requireAt(t, ny(2026, 12, 2, 15, 0), finish[0])
		require.Equal(t, porting.StateCancelled, finish[0].input.(activities.FinishInput).State)
		told := h.notifications("port_out_cancelled")
		require.Len(t, told, 1)
		require.Equal(t, activities.RecipientCarrier, notification(told[0]).Recipient)
		require.Len(t, h.notifications("cancelled"), 1)
	})
	t.Run("while awaiting the carrier (signal): unlocked", func(t *testing.T) {
		h := newPortOutHarness(t, monday)
		h.signal(ny(2026, 11, 25, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "wrong numbers", By: "customer"})
		res := h.run(portOutRequest())
		require.Equal(t, porting.StateCancelled, res.State)
		requireAt(t, ny(2026, 11, 25, 10, 0), h.callsOf("FinishPortRequest")[0])
		require.Empty(t, h.notifications("port_out_cancelled"), "the carrier never sent a request")
	})
	t.Run("cancelling the workflow in Temporal compensates too", func(t *testing.T) {
		h := newPortOutHarness(t, monday)
		h.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 4, 14, 0)))
		h.at(ny(2026, 12, 1, 10, 0), func() { h.env.CancelWorkflow() })
		res := h.run(portOutRequest())
		require.Equal(t, porting.StateCancelled, res.State)
		require.Contains(t, res.Reason, "cancelled by temporal")
		require.Empty(t, h.callsOf("ReleasePortOutNumbers"))
		finish := h.callsOf("FinishPortRequest")
		require.Len(t, finish, 1)
		requireAt(t, ny(2026, 12, 1, 10, 0), finish[0])
		require.Equal(t, porting.StateCancelled, finish[0].input.(activities.FinishInput).State)
		require.Len(t, h.notifications("port_out_cancelled"), 1)
	})
}

func TestPortOutCancelOnceReleasingIsRefused(t *testing.T) {
	h := newPortOutHarness(t, monday)
	releaseAt := ny(2026, 12, 4, 14, 0)
	h.releaseFailures = 1 // the release is retried one second later: the port is releasing meanwhile
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(releaseAt))
	during := releaseAt.Add(500 * time.Millisecond)
	cancel := h.update(during, porting.SignalCancel, porting.Cancel{Reason: "changed my mind", By: "customer"})
	h.signal(during, porting.SignalCancel, porting.Cancel{Reason: "changed my mind", By: "customer"})
	late := h.update(during, porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 9, 10, 0)))
	h.at(during, func() { h.env.CancelWorkflow() })

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateCompleted, res.State, "a release in progress is not stopped")
	want := "request out-1 can no longer be cancelled: the numbers are being released (since 2026-12-04T14:00:00-05:00); a released number cannot be claimed again"
	require.EqualError(t, cancel.rejected, want)
	require.ErrorContains(t, late.rejected, "request out-1 is releasing: the numbers are being released since 2026-12-04T14:00:00-05:00")
	notes := historyNotes(h.status())
	require.Contains(t, notes, "ignored cancel signal: "+want)
	require.Contains(t, notes, "ignored the cancellation of the workflow in Temporal")
	release := h.callsOf("ReleasePortOutNumbers")
	require.Len(t, release, 2)
	requireAt(t, releaseAt, release[0])
	requireAt(t, releaseAt.Add(time.Second), release[1])
	require.Equal(t, porting.StateCompleted, h.callsOf("FinishPortRequest")[0].input.(activities.FinishInput).State)

	// After the release: refused with the time of the release.
	w := &portOut{req: portOutRequest(), state: porting.StateCompleted, releasedAt: releaseAt.Add(time.Second), clock: h.portOutClock(t)}
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}),
		"request out-1 can no longer be cancelled: numbers were released at 2026-12-04T14:00:01-05:00; a released number cannot be claimed again")
}

func TestPortOutCancelRefusals(t *testing.T) {
	w := &portOut{req: portOutRequest(), state: porting.StateExpired}
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}), "request out-1 is expired; there is nothing to cancel")
	w = &portOut{req: portOutRequest(), state: porting.StateApproved}
	require.NoError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}))
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r"}), "by: is required: who asked for the cancellation")
	w.cancel = &porting.Cancel{Reason: "dup", By: "jo"}
	require.EqualError(t, w.validateCancel(porting.Cancel{Reason: "r", By: "b"}), "request out-1 is already being cancelled (by jo: dup)")
}

func TestPortOutSignalsTheStateCannotTakeAreRecordedAndIgnored(t *testing.T) {
	h := newPortOutHarness(t, monday)
	past := winningRequest(ny(2026, 11, 20, 10, 0))
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalWinningCarrierRequest, past)
	pastUpdate := h.update(ny(2026, 11, 23, 10, 1), porting.SignalWinningCarrierRequest, past)
	other := winningRequest(ny(2026, 12, 4, 14, 0))
	other.Carrier = "Gamma Tel"
	otherCarrier := h.update(ny(2026, 11, 23, 10, 2), porting.SignalWinningCarrierRequest, other)
	h.signal(ny(2026, 11, 23, 10, 3), porting.SignalWinningCarrierRequest, map[string]any{"numbers": 42})
	incomplete := winningRequest(ny(2026, 12, 4, 14, 0))
	incomplete.OwnerName, incomplete.LOARef = "", ""
	missing := h.update(ny(2026, 11, 23, 10, 4), porting.SignalWinningCarrierRequest, incomplete)
	h.signal(ny(2026, 11, 23, 10, 5), porting.SignalCancel, porting.Cancel{By: "customer"})
	// The carrier's name is matched ignoring case; the ownership details exactly.
	casual := winningRequest(ny(2026, 12, 4, 14, 0))
	casual.Carrier = "beta wireless"
	ok := h.update(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, casual)

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateCompleted, res.State)
	require.ErrorContains(t, pastUpdate.rejected, "requested_at: must be in the future, got 2026-11-20T10:00:00-05:00")
	require.EqualError(t, otherCarrier.rejected, `carrier "Gamma Tel" is not the winning carrier of request out-1 (Beta Wireless)`)
	require.ErrorContains(t, missing.rejected, "owner_name: is required")
	require.ErrorContains(t, missing.rejected, "loa_ref: is required")
	require.NoError(t, ok.err)
	verify := h.callsOf("VerifyOwnership")
	require.Len(t, verify, 1, "only the acceptable request is verified")
	require.Equal(t, 1, verify[0].input.(activities.VerifyOwnershipInput).Round)
	requireAt(t, ny(2026, 12, 4, 14, 0), h.callsOf("ReleasePortOutNumbers")[0])

	notes := historyNotes(h.status())
	require.Contains(t, notes, "ignored winning-carrier-request signal: requested_at: must be in the future")
	require.Contains(t, notes, "ignored winning-carrier-request signal: payload is not a valid winning-carrier-request payload")
	require.Contains(t, notes, "ignored cancel signal: reason: is required")
}

func TestPortOutRefusedByTheDatabase(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.recordOutErr = nonRetryable("numbers[1]: +14155550101 is not held by instance arn:aws:connect:us-east-1:123456789012:instance/x", activities.ErrNumberNotHeld)
	outcome := h.awaitValidation()

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateFailed, res.State)
	require.False(t, outcome.Accepted)
	require.Equal(t, "numbers[1]: +14155550101 is not held by instance arn:aws:connect:us-east-1:123456789012:instance/x", outcome.Reason)
	require.Empty(t, h.callsOf("FinishPortRequest"), "a refused request was never recorded: nothing to unlock")
	require.Empty(t, h.callsOf("Notify"))
	require.Empty(t, h.status().Groups)
}

func TestPortOutWithoutInstanceARNFailsWithoutTouchingTheDatabase(t *testing.T) {
	h := newPortOutHarness(t, monday)
	req := portOutRequest()
	req.InstanceARN = ""
	outcome := h.awaitValidation()
	res := h.run(req)
	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "instance_arn: is required: a port-out cannot be processed without the instance ARN")
	require.False(t, outcome.Accepted)
	require.Empty(t, h.callsOf("RecordPortOut"))
	require.Empty(t, h.callsOf("FinishPortRequest"))
}

func TestPortOutAcceptedValidation(t *testing.T) {
	h := newPortOutHarness(t, monday)
	outcome := h.awaitValidation()
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "test", By: "t"})
	h.run(portOutRequest())
	require.Equal(t, porting.ValidationOutcome{Accepted: true, State: porting.StateAwaitingWinningCarrier}, *outcome)
}

func TestPortOutFailedReleaseFailsAndUnlocks(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.releaseErr = nonRetryable("numbers[0]: +14155550100 is not an active number of instance x; nothing was released", activities.ErrNumberNotActive)
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 4, 14, 0)))

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "release failed: numbers[0]: +14155550100 is not an active number")
	require.Len(t, h.notificationsTo("port_failed", activities.RecipientOperations), 1)
	// The customer and the winning carrier that sent the request are told where the numbers are.
	customer := h.notificationsTo("port_failed", activities.RecipientCustomer)
	require.Len(t, customer, 1)
	require.Contains(t, notification(customer[0]).Body, "the numbers stay with the instance")
	carrier := h.notificationsTo("port_out_failed", activities.RecipientCarrier)
	require.Len(t, carrier, 1)
	finish := h.callsOf("FinishPortRequest")
	require.Len(t, finish, 1)
	requireAt(t, ny(2026, 12, 4, 14, 0), finish[0])
	require.Equal(t, porting.StateFailed, finish[0].input.(activities.FinishInput).State)
}

func TestPortOutMissingOwnershipRecordsAlertOperations(t *testing.T) {
	h := newPortOutHarness(t, monday)
	h.missingRecords = []string{porting.OwnershipBillingContact}
	wrong := winningRequest(ny(2026, 12, 4, 14, 0))
	wrong.BillingContact = "someone@doe.example"
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, wrong)
	h.signal(ny(2026, 11, 25, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "records first", By: "ops"})

	res := h.run(portOutRequest())

	require.Equal(t, porting.StateCancelled, res.State)
	alert := h.notifications("ownership_records_missing")
	require.Len(t, alert, 1)
	require.Equal(t, activities.RecipientOperations, notification(alert[0]).Recipient)
	require.Contains(t, notification(alert[0]).Body, "has no billing_contact on record")
}

func TestPortOutNonUSNumbersCountInTheirCountry(t *testing.T) {
	h := newPortOutHarness(t, monday)
	req := portOutRequest()
	req.InstanceARN = "arn:aws:connect:eu-west-2:123456789012:instance/london-1"
	req.Numbers = []string{"+442079460000"}
	waiting := h.statusAt(ny(2026, 11, 24, 12, 0))
	res := h.run(req)
	require.Equal(t, porting.StateExpired, res.State)
	require.Equal(t, "Europe/London", waiting.TimeZone)
	// Mon 23 Nov 14:00 London + 30 business days (GB: Christmas, Boxing Day (observed Mon 28), New Year's Day).
	london := mustLoad("Europe/London")
	requireAt(t, time.Date(2027, 1, 7, 14, 0, 0, 0, london), h.callsOf("FinishPortRequest")[0])
}

// portOutClock is the US calendar in New York, for validator tests on a bare portOut.
func (h *outHarness) portOutClock(t *testing.T) businessClock {
	t.Helper()
	cal, err := porting.PortOutCalendar(portOutRequest())
	require.NoError(t, err)
	return businessClock{cal: cal}
}
