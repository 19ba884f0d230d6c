package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// Canadian numbers are counted on Canada's holidays (issue 12): Victoria Day is Mon 18 May 2026.

var toronto = mustLoad("America/Toronto")

func tor(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, toronto)
}

const canadaARN = "arn:aws:connect:ca-central-1:123456789012:instance/11111111-2222-3333-4444-555555555555"

// canadianPortIn is a port-in of a Toronto (416) number on a ca-central-1 instance.
func canadianPortIn() porting.PortInRequest {
	req := portInRequest(porting.PortNumber{E164: "+14165550123", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"})
	req.InstanceARN = canadaARN
	return req
}

// runCanadianPortIn takes the port from a Monday-before LOA to a Tue 19 May 09:00 port date.
func runCanadianPortIn(t *testing.T, h *harness, req porting.PortInRequest) porting.PortResult {
	t.Helper()
	h.signal(tor(2026, 5, 11, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	h.signal(tor(2026, 5, 12, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, tor(2026, 5, 19, 9, 0)))
	return h.run(req)
}

func TestPortInOfACanadianNumberSkipsVictoriaDay(t *testing.T) {
	h := newHarness(t, tor(2026, 5, 11, 9, 0))
	scheduled := h.statusAt(tor(2026, 5, 13, 12, 0))
	res := runCanadianPortIn(t, h, canadianPortIn())

	require.Equal(t, porting.StateCompleted, res.State)
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 1)
	// Tue 19 May 09:00 minus one business day: Fri 15 May (Mon 18 May is Victoria Day).
	requireAt(t, tor(2026, 5, 15, 9, 0), provision[0])
	requireAt(t, tor(2026, 5, 19, 9, 0), h.callsOf("ActivateNumbers")[0])
	require.Equal(t, "America/Toronto", scheduled.TimeZone)
	require.Equal(t, "provisioning", scheduled.NextDeadlineKind)
	require.True(t, tor(2026, 5, 15, 9, 0).Equal(*scheduled.NextDeadline), "next deadline %s", scheduled.NextDeadline)
}

// A port started before failure-paths keeps the US calendar it started with: Victoria Day is a
// business day there (replay safety: the old path computes what it always did).
func TestPortInOfACanadianNumberBeforeFailurePathsKeepsTheUSCalendar(t *testing.T) {
	t.Setenv("PORTING_TEST_OLD_PATHS", "") // this test picks its version itself
	h := newHarness(t, tor(2026, 5, 11, 9, 0))
	h.env.OnGetVersion(changeFailurePaths, workflow.DefaultVersion, latestVersion).Return(workflow.DefaultVersion)
	res := runCanadianPortIn(t, h, canadianPortIn())

	require.Equal(t, porting.StateCompleted, res.State)
	requireAt(t, tor(2026, 5, 18, 9, 0), h.callsOf("ProvisionNumbers")[0])
}

func TestPortInMixingUSAndCanadianNumbersIsRefused(t *testing.T) {
	h := newHarness(t, tor(2026, 5, 11, 9, 0))
	req := canadianPortIn()
	req.Numbers = append([]porting.PortNumber{{E164: "+14155550100", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"}}, req.Numbers...)
	res := h.run(req)

	require.Equal(t, porting.StateFailed, res.State)
	require.Contains(t, res.Reason, "numbers[1].e164: +14165550123 is a CA number but numbers[0].e164 (+14155550100) is a US number")
	require.Contains(t, res.Reason, "a request's numbers must be of one country's calendar (US or CA)")
	require.Empty(t, h.callsOf("RecordPortIn"), "refused before the database is touched")
}

// A port-out of a Canadian number waits for the winning carrier in Canada's business days.
func TestPortOutOfACanadianNumberSkipsVictoriaDay(t *testing.T) {
	h := newPortOutHarness(t, tor(2026, 5, 15, 9, 0))
	req := portOutRequest()
	req.InstanceARN = canadaARN
	req.Numbers = []string{"+14165550123"}
	req.Deadlines = &porting.PortOutDeadlines{WinningCarrierBusinessDays: 1}
	waiting := h.statusAt(tor(2026, 5, 15, 12, 0))
	res := h.run(req)

	require.Equal(t, porting.StateExpired, res.State)
	require.Equal(t, "America/Toronto", waiting.TimeZone)
	// Fri 15 May 09:00 + 1 business day: Tue 19 May (the US calendar would give Mon 18 May).
	requireAt(t, tor(2026, 5, 19, 9, 0), h.callsOf("FinishPortRequest")[0])
}
