package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

var london = mustLoad("Europe/London")

func uk(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, london)
}

// newIntlHarness is the port-in harness with the international activities recorded too.
func newIntlHarness(t *testing.T, start time.Time) *harness {
	h := newHarness(t, start)
	h.env.OnActivity(acts.RequestPortabilityCheck, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PortabilityCheckInput) (activities.SubmissionReceipt, error) {
			h.record("RequestPortabilityCheck", in)
			return activities.SubmissionReceipt{SubmissionID: 1}, nil
		})
	h.env.OnActivity(acts.RecordPortabilityResult, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordPortabilityInput) error {
			h.record("RecordPortabilityResult", in)
			return nil
		})
	h.env.OnActivity(acts.RecordCostDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CostDecisionInput) error {
			h.record("RecordCostDecision", in)
			return nil
		})
	return h
}

func (h *harness) runIntl(req porting.InternationalPortInRequest) porting.PortResult {
	h.t.Helper()
	h.env.ExecuteWorkflow(porting.WorkflowInternationalPortIn, req)
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var res porting.PortResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	h.requireFinalStatus(res)
	return res
}

func gbRequest(start time.Time) porting.InternationalPortInRequest {
	return porting.InternationalPortInRequest{
		RequestID:   "intl-1",
		InstanceARN: "arn:aws:connect:eu-west-2:123456789012:instance/22222222-3333-4444-5555-666666666666",
		ContactFlow: "UK Support",
		Country:     "GB",
		Numbers: []porting.IntlNumber{
			{E164: "020 7946 0000", Type: porting.IntlTypeLocal},
			{E164: "+442079460001", Type: porting.IntlTypeLocal},
		},
		Carrier:              "Albion Telecom",
		CarrierAccountNumber: "ACC-99887766",
		PIN:                  "2468",
		InvoiceRef:           "s3://invoices/intl-1-redacted.pdf",
		PreferredWindow:      porting.Window{Start: start.AddDate(0, 0, 14), End: start.AddDate(0, 0, 28)},
		AuthorizedContact:    porting.Contact{Name: "Bea Boss", Email: "bea@example.co.uk"},
	}
}

func intlLOA() porting.SubmitLOA {
	return porting.SubmitLOA{Group: porting.IntlGroup, LOA: porting.LOA{
		AuthorizedName: "Bea Boss", Address: "1 Baker St, London", SignedAt: uk(2026, 11, 20, 12, 0), DocumentRef: "s3://loas/intl-1.pdf",
	}}
}

func portableWithCost(amount int64) porting.PortabilityResult {
	return porting.PortabilityResult{Portable: true, Cost: &porting.Cost{Amount: porting.NewDecimal(amount, 0), Currency: "GBP"}}
}

func TestIntlCostApprovalThenAcceptanceProvisionsPreviousUKBusinessDay(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	awaitingPortability := h.statusAt(uk(2026, 11, 23, 12, 0))
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, portableWithCost(150))
	awaitingCost := h.statusAt(uk(2026, 11, 24, 11, 0))
	approved := h.update(uk(2026, 11, 25, 10, 0), porting.SignalApproveCost, porting.ApproveCost{Approved: true, By: "bea@example.co.uk"})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	portDate := uk(2026, 12, 14, 9, 0) // Monday, inside the preferred window
	h.signal(uk(2026, 12, 3, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, portDate))

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, "+442079460000", res.Numbers[0].E164, "numbers are normalized to E.164")
	require.Equal(t, porting.StateAwaitingPortability, awaitingPortability.State)
	require.Equal(t, porting.StateAwaitingPortability, awaitingPortability.Numbers[0].State)
	require.Equal(t, "portability_escalation", awaitingPortability.NextDeadlineKind)
	require.Equal(t, "Europe/London", awaitingPortability.TimeZone)
	require.Equal(t, porting.StateAwaitingCostApproval, awaitingCost.State)
	require.NoError(t, approved.rejected)
	require.Contains(t, approved.result, "awaiting_loa")

	requireAt(t, start, h.callsOf("RequestPortabilityCheck")[0])
	decision := h.callsOf("RecordCostDecision")
	require.Len(t, decision, 1)
	require.True(t, decision[0].input.(activities.CostDecisionInput).Approved)
	submit := h.callsOf("SubmitLOA")
	require.Len(t, submit, 1)
	loa := submit[0].input.(activities.SubmitLOAInput)
	require.Equal(t, porting.IntlGroup, loa.Group)
	require.Equal(t, "ACC-99887766", loa.LOA.AccountNumber, "the request's account details go with the documents")
	require.Equal(t, "2468", loa.LOA.PIN)
	requireAt(t, uk(2026, 12, 11, 9, 0), h.callsOf("ProvisionNumbers")[0]) // Friday before
	requireAt(t, portDate, h.callsOf("ActivateNumbers")[0])
	require.Empty(t, h.notifications("port_date_outside_window"))
	require.Len(t, h.notifications("cost_approval_requested"), 1)
}

func TestIntlProvisioningSkipsUKBankHolidays(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	// Tuesday 29 Dec: Mon 28 (Boxing Day substitute) and Fri 25 (Christmas) are bank holidays.
	h.signal(uk(2026, 12, 3, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 29, 9, 0)))
	req := gbRequest(start)
	req.PreferredWindow = porting.Window{Start: start.AddDate(0, 0, 20), End: start.AddDate(0, 0, 60)}

	res := h.runIntl(req)

	require.Equal(t, porting.StateCompleted, res.State)
	require.Empty(t, h.callsOf("RecordCostDecision"), "no cost, no approval step")
	requireAt(t, uk(2026, 12, 24, 9, 0), h.callsOf("ProvisionNumbers")[0])
}

func TestIntlPortabilityEscalationSpansBankHolidays(t *testing.T) {
	start := uk(2026, 12, 23, 10, 0) // Wednesday before Christmas
	h := newIntlHarness(t, start)
	h.signal(uk(2027, 1, 6, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: false})
	req := gbRequest(start)

	res := h.runIntl(req)

	require.Equal(t, porting.StateNotPortable, res.State)
	esc := h.notifications("portability_escalation")
	require.Len(t, esc, 1)
	// Thu 24, (Fri 25 and Mon 28 bank holidays), Tue 29, Wed 30, Thu 31, (Fri 1 Jan), Mon 4 Jan.
	requireAt(t, uk(2027, 1, 4, 10, 0), esc[0])
	require.Equal(t, activities.RecipientOperations, esc[0].input.(activities.Notification).Recipient)
	require.Empty(t, h.callsOf("SubmitLOA"))
}

func TestIntlCostDeclinedCancelsBeforeAnyCarrierSubmission(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, portableWithCost(900))
	h.signal(uk(2026, 11, 26, 10, 0), porting.SignalApproveCost, porting.ApproveCost{Approved: false, By: "bea@example.co.uk"})

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCancelled, res.State)
	require.Contains(t, res.Reason, "declined by bea@example.co.uk")
	require.Empty(t, h.callsOf("SubmitLOA"))
	require.Empty(t, h.callsOf("SubmitCarrierCancel"))
	require.False(t, h.callsOf("RecordCostDecision")[0].input.(activities.CostDecisionInput).Approved)
}

func TestIntlCostApprovalRemindersThenExpiry(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 23, 10, 0), porting.SignalPortabilityResult, portableWithCost(10))
	res := h.runIntl(gbRequest(start))
	require.Equal(t, porting.StateCancelled, res.State)
	require.Contains(t, res.Reason, "not approved within 30 days")
	reminders := h.notifications("cost_approval_reminder")
	require.NotEmpty(t, reminders)
	requireAt(t, uk(2026, 11, 26, 10, 0), reminders[0]) // 3 UK business days (no Thanksgiving in England)
}

func TestIntlCancelAfterSubmissionWaitsForTheCarrier(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	h.signal(uk(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 14, 9, 0)))
	cancel := h.update(uk(2026, 12, 11, 12, 0), porting.SignalCancel, porting.Cancel{Reason: "moving provider", By: "bea"})
	requested := h.statusAt(uk(2026, 12, 11, 13, 0))
	h.signal(uk(2026, 12, 11, 15, 0), porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true})

	res := h.runIntl(gbRequest(start))

	require.NoError(t, cancel.rejected)
	require.Contains(t, cancel.result, "cancel_requested")
	require.Equal(t, porting.StateCancelRequested, requested.State)
	require.Equal(t, porting.StateCancelRequested, requested.Groups[0].State)
	require.Equal(t, porting.StateCancelled, res.State)
	requireAt(t, uk(2026, 12, 11, 12, 0), h.callsOf("SubmitCarrierCancel")[0])
	require.Len(t, h.callsOf("SubmitCarrierCancel"), 1)
	release := h.callsOf("ReleaseNumbers")
	require.Len(t, release, 1, "the numbers provisioned on Friday 09:00 are released")
	requireAt(t, uk(2026, 12, 11, 15, 0), release[0])
	require.Empty(t, h.callsOf("ActivateNumbers"))
}

func TestIntlCarrierRefusesCancelAndThePortGoesAhead(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	h.signal(uk(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 14, 9, 0)))
	h.signal(uk(2026, 12, 1, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "second thoughts", By: "bea"})
	h.signal(uk(2026, 12, 2, 10, 0), porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: false, Reason: "port already committed"})

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, h.notifications("cancel_refused"), 1)
	requireAt(t, uk(2026, 12, 14, 9, 0), h.callsOf("ActivateNumbers")[0])
	require.Contains(t, historyNotes(h.status()), "refused the cancellation (port already committed)")
}

func TestIntlPortGoesAheadWhileCancelIsPending(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	h.signal(uk(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 14, 9, 0)))
	h.signal(uk(2026, 12, 10, 10, 0), porting.SignalCancel, porting.Cancel{Reason: "second thoughts", By: "bea"})

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCompleted, res.State, "a carrier that ports anyway completes the port")
	requireAt(t, uk(2026, 12, 11, 9, 0), h.callsOf("ProvisionNumbers")[0])
	requireAt(t, uk(2026, 12, 14, 9, 0), h.callsOf("ActivateNumbers")[0])
}

func TestIntlCancelBeforeCarrierIsImmediate(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, portableWithCost(20))
	cancel := h.update(uk(2026, 11, 24, 12, 0), porting.SignalCancel, porting.Cancel{Reason: "too expensive", By: "bea"})

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCancelled, res.State)
	require.Contains(t, cancel.result, "cancelled")
	require.Empty(t, h.callsOf("SubmitCarrierCancel"))
}

func TestIntlPartialPortabilityAndDateOutsideWindow(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true,
		Numbers: []porting.NumberPortability{{E164: "+442079460001", Portable: false, Reason: "number ceased"}}})
	h.signal(uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
	late := uk(2027, 1, 12, 9, 0) // after the preferred window's end
	h.signal(uk(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, late))

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, porting.StateCompleted, res.Numbers[0].State)
	require.Equal(t, porting.StateNotPortable, res.Numbers[1].State)
	require.Equal(t, "number ceased", res.Numbers[1].Reason)
	require.Len(t, h.callsOf("ProvisionNumbers")[0].input.(activities.NumbersInput).Numbers, 1)
	outside := h.notifications("port_date_outside_window")
	require.Len(t, outside, 1)
	requireAt(t, uk(2026, 11, 30, 10, 0), outside[0])
	requireAt(t, late, h.callsOf("ActivateNumbers")[0])
}

func TestIntlAcceptanceReminderAndEscalation(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	h.signal(uk(2026, 11, 23, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})
	h.signal(uk(2026, 11, 23, 11, 0), porting.SignalSubmitLOA, intlLOA())
	h.signal(uk(2026, 12, 16, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 21, 9, 0)))

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateCompleted, res.State)
	reminder := h.notifications("acceptance_reminder")
	require.Len(t, reminder, 1)
	requireAt(t, uk(2026, 11, 30, 11, 0), reminder[0]) // 5 UK business days
	require.Equal(t, activities.RecipientCarrier, reminder[0].input.(activities.Notification).Recipient)
	escalation := h.notifications("acceptance_escalation")
	require.Len(t, escalation, 1)
	requireAt(t, uk(2026, 12, 14, 11, 0), escalation[0]) // 15 UK business days
}

func TestIntlSignalsTheStateCannotTake(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	early := h.update(uk(2026, 11, 23, 9, 30), porting.SignalApproveCost, porting.ApproveCost{Approved: true, By: "bea"})
	stranger := h.update(uk(2026, 11, 23, 9, 31), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true,
		Numbers: []porting.NumberPortability{{E164: "+441234567890", Portable: true}}})
	h.signal(uk(2026, 11, 23, 10, 0), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: false})
	h.signal(uk(2026, 11, 23, 10, 1), porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true})

	res := h.runIntl(gbRequest(start))

	require.Equal(t, porting.StateNotPortable, res.State)
	require.ErrorContains(t, early.rejected, "request intl-1 is awaiting_portability, not awaiting a cost approval")
	require.ErrorContains(t, stranger.rejected, "numbers[0].e164: +441234567890 is not part of request intl-1")
}

func TestIntlInvalidRequestFailsWithoutTouchingTheDatabase(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	req := gbRequest(start)
	req.Numbers[0].E164 = "+14155550100"
	res := h.runIntl(req)
	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "numbers[0].e164")
	require.Empty(t, h.callsOf("RecordPortIn"))
}
