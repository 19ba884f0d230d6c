package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// continued runs the workflow until it continues as new and returns the next run's input.
func continued[T any](t *testing.T, h *harness, workflowType string, input any) T {
	t.Helper()
	h.env.ExecuteWorkflow(workflowType, input)
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "want continue-as-new, got %v", h.env.GetWorkflowError())
	require.Equal(t, workflowType, can.WorkflowType.Name)
	var next T
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return next
}

// suggestContinueAsNew makes the server's suggestion true at when, and wakes the workflow with a
// signal it ignores (as the next workflow task would).
func suggestContinueAsNew(h *harness, when time.Time) {
	h.at(when, func() {
		h.env.SetContinueAsNewSuggested(true)
		h.env.SignalWorkflow(porting.SignalCarrierResponse, porting.CarrierResponse{Group: "no such group", Reason: "wake up"})
	})
}

func TestLongPortInContinuesAsNewAndGoesOnWhereItWas(t *testing.T) {
	first := newHarness(t, monday)
	first.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	suggestContinueAsNew(first, ny(2026, 12, 2, 12, 0)) // after the first escalation (Tue 1 Dec 10:00)

	next := continued[porting.PortInRequest](t, first, porting.WorkflowPortIn, portInRequest())
	require.NotEmpty(t, next.Resume)
	require.Len(t, first.notifications("carrier_escalation"), 1)
	require.Empty(t, first.callsOf("FinishPortRequest"), "the port goes on: nothing is finished or unlocked")

	second := newHarness(t, ny(2026, 12, 2, 12, 0))
	second.env.SetContinuedExecutionRunID("run-1")
	second.signal(ny(2026, 12, 9, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 16, 9, 0)))
	res := second.run(next)

	require.Equal(t, porting.StateCompleted, res.State)
	require.Empty(t, second.notifications("loa_requested"), "nothing already said is said again")
	esc := second.notifications("carrier_escalation")
	require.Len(t, esc, 1, "the chase goes on where it was: the second escalation only")
	requireAt(t, ny(2026, 12, 8, 10, 0), esc[0])
	require.Equal(t, "carrier_escalation/Acme Telecom/did/1/2", notification(esc[0]).Key)
	requireAt(t, ny(2026, 12, 15, 9, 0), second.callsOf("ProvisionNumbers")[0])
	require.Empty(t, second.callsOf("RecordPortIn"), "the request was recorded by the first run")
	s := second.status()
	notes := historyNotes(s)
	require.Contains(t, notes, "LOA v1 submitted to Acme Telecom", "the history carries over")
	require.Contains(t, notes, "continued as run 2 of this port")
	require.Equal(t, 1, s.Groups[0].LOAVersion)
}

func TestAClientCannotResumeAPort(t *testing.T) {
	h := newHarness(t, monday)
	req := portInRequest()
	req.Resume = []byte(`{"state":"completed"}`)
	res := h.run(req)
	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "resume: is set by the workflow itself")
	require.Empty(t, h.callsOf("RecordPortIn"))
}

func TestLongPortOutContinuesAsNewAndReleasesOnTime(t *testing.T) {
	first := newPortOutHarness(t, monday)
	first.signal(ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(ny(2026, 12, 4, 14, 0)))
	first.at(ny(2026, 11, 25, 12, 0), func() {
		first.env.SetContinueAsNewSuggested(true)
		first.env.SignalWorkflow(porting.SignalCancel, porting.Cancel{}) // ignored: wakes the workflow
	})
	next := continued[porting.PortOutRequest](t, first.harness, porting.WorkflowPortOut, portOutRequest())
	require.Empty(t, first.callsOf("ReleasePortOutNumbers"))

	second := newPortOutHarness(t, ny(2026, 11, 25, 12, 0))
	second.env.SetContinuedExecutionRunID("run-1")
	res := second.run(next)

	require.Equal(t, porting.StateCompleted, res.State)
	release := second.callsOf("ReleasePortOutNumbers")
	require.Len(t, release, 1)
	requireAt(t, ny(2026, 12, 4, 14, 0), release[0])
	require.Empty(t, second.callsOf("RecordPortOut"))
	require.Empty(t, second.notificationsTo("port_out_started", activities.RecipientCustomer))
}

// A port with a split group, a removed number and a port date asked of the carrier continues as new
// with all of it: the split group keeps its reason and LOA wait, the removed number stays removed,
// and the carrier's answer to the asked-for date moves the date in the new run.
func TestNumberLevelStateCarriesOverContinueAsNew(t *testing.T) {
	first := newHarness(t, monday)
	first.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	partial := accept(acmeDID, ny(2026, 12, 7, 9, 0))
	partial.Numbers = []porting.NumberAnswer{{E164: "+14155550102", ReasonCode: "BTN_MISMATCH", Reason: "BTN differs"}}
	first.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, partial)
	first.signal(ny(2026, 11, 24, 11, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550101"}, Reason: "kept", By: "ops"})
	first.signal(ny(2026, 11, 25, 10, 0), porting.SignalRequestPortDate, porting.RequestPortDate{Group: acmeDID, PortDate: ny(2026, 12, 10, 9, 0), By: "Ada Admin"})
	suggestContinueAsNew(first, ny(2026, 11, 25, 12, 0))
	next := continued[porting.PortInRequest](t, first, porting.WorkflowPortIn, threeNumbers())

	second := newHarness(t, ny(2026, 11, 25, 12, 0))
	second.env.SetContinuedExecutionRunID("run-1")
	carried := second.statusAt(ny(2026, 11, 25, 12, 1))
	second.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 10, 9, 0)))
	second.signal(ny(2026, 11, 30, 11, 0), porting.SignalSubmitLOA, loa(acmeDID2))
	second.signal(ny(2026, 12, 1, 10, 0), porting.SignalCarrierResponse, accept(acmeDID2, ny(2026, 12, 8, 9, 0)))
	res := second.run(next)

	split := groupStatus(t, *carried, acmeDID2)
	require.Equal(t, acmeDID, split.SplitFrom)
	require.Equal(t, porting.ReasonBTNMismatch, split.LastReasonCode)
	require.Equal(t, porting.ReasonBTNMismatch, numberStatus(t, *carried, "+14155550102").ReasonCode)
	require.Equal(t, porting.StateCancelled, numberStatus(t, *carried, "+14155550101").State)
	require.True(t, ny(2026, 12, 10, 9, 0).Equal(*groupStatus(t, *carried, acmeDID).RequestedPortDate))

	require.Equal(t, porting.StateCompleted, res.State)
	provision := second.callsOf("ProvisionNumbers")
	require.Len(t, provision, 2)
	requireAt(t, ny(2026, 12, 7, 9, 0), provision[0]) // the split group, for Tue 8 Dec
	require.Equal(t, []string{"+14155550102"}, numbersOf(provision[0]))
	requireAt(t, ny(2026, 12, 9, 9, 0), provision[1]) // the asked-for date, accepted in the new run
	require.Equal(t, []string{"+14155550100"}, numbersOf(provision[1]))
	require.Empty(t, second.notifications("numbers_rejected"), "nothing already said is said again")
	require.Empty(t, second.callsOf("SubmitSupp"))
	require.Len(t, first.supps(), 2, "the removal's supp and the date's")
}
