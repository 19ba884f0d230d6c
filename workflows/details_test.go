package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"

	"github.com/contactcenter/numberporting/porting"
)

// currentDetails reads the workflow's current details as the UI and `temporal workflow describe` do:
// through the metadata query.
func (h *harness) currentDetails() string {
	h.t.Helper()
	v, err := h.env.QueryWorkflow("__temporal_workflow_metadata")
	require.NoError(h.t, err)
	var md sdkpb.WorkflowMetadata
	require.NoError(h.t, v.Get(&md))
	return md.GetCurrentDetails()
}

func (h *harness) currentDetailsAt(when time.Time) *string {
	s := new(string)
	h.at(when, func() { *s = h.currentDetails() })
	return s
}

// The current details follow the port: its state, each group with its port date and next deadline,
// the carrier's last reason with its code and what the customer must do, the last event; all times in
// the port's zone.
func TestCurrentDetailsTellThePortsStory(t *testing.T) {
	h := newHarness(t, monday)
	portDate := ny(2026, 12, 7, 9, 0)
	waitingForLOA := h.currentDetailsAt(ny(2026, 11, 23, 9, 30))
	h.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	rejected := porting.CarrierResponse{Group: acmeDID, ReasonCode: "PIN_MISMATCH", Reason: "PIN does not match"}
	h.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, rejected)
	afterRejection := h.currentDetailsAt(ny(2026, 11, 24, 11, 0))
	h.signal(ny(2026, 11, 24, 12, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, portDate))
	scheduled := h.currentDetailsAt(ny(2026, 11, 30, 12, 0))

	res := h.run(portInRequest())
	require.Equal(t, porting.StateCompleted, res.State)

	require.Contains(t, *waitingForLOA, "**Port-in req-1: awaiting_loa**")
	require.Contains(t, *waitingForLOA, "2 numbers from Acme Telecom to `"+portInRequest().InstanceARN+"` (times in America/New_York)")
	require.Contains(t, *waitingForLOA, "- **"+acmeDID+"**: 2 numbers, `awaiting_loa`")
	require.Contains(t, *waitingForLOA, "**Next deadline:** loa_reminder, ")

	require.Contains(t, *afterRejection, "`loa_rejected`, LOA v1, 1 rejection")
	require.Contains(t, *afterRejection, "  - last reason: PIN_MISMATCH: PIN does not match (`PIN_INVALID`)")
	require.Contains(t, *afterRejection, "  - customer action: Ask Acme Telecom for the account's port-out PIN")

	require.Contains(t, *scheduled, "**Port-in req-1: scheduled**")
	require.Contains(t, *scheduled, "port date Mon 7 Dec 2026 09:00 EST")
	require.Contains(t, *scheduled, "**Next deadline:** provisioning, Fri 4 Dec 2026 09:00 EST")
	require.NotContains(t, *scheduled, "customer action")

	t.Logf("after the rejection:\n%s\nscheduled:\n%s", *afterRejection, *scheduled)
	final := h.currentDetails()
	require.True(t, strings.HasPrefix(final, "**Port-in req-1: completed**"), final)
	require.Contains(t, final, "**Outcome:** 2 number(s) ported and verified")
	require.NotContains(t, final, "Next deadline")
}
