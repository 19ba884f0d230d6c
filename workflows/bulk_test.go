package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// bulkRequest is a port-in of acme Acme Telecom DIDs and beta Beta Wireless DIDs (numbers
// +1415 2xx xxxx, in request order: Acme's first).
func bulkPortIn(acme, beta int) porting.PortInRequest {
	var numbers []porting.PortNumber
	for i := 0; i < acme+beta; i++ {
		carrier := "Acme Telecom"
		if i >= acme {
			carrier = "Beta Wireless"
		}
		numbers = append(numbers, porting.PortNumber{E164: fmt.Sprintf("+1415%07d", 2000000+i), Type: porting.NumberTypeDID, Carrier: carrier})
	}
	return portInRequest(numbers...)
}

const parentID = "default-test-workflow-id"

func orderID(k int) string { return porting.OrderWorkflowID(parentID, k) }

// updateOrder sends an update to an order workflow at a simulated instant.
func (h *harness) updateOrder(when time.Time, k int, name string, payload any) *updateResult {
	r := &updateResult{}
	h.at(when, func() {
		id := fmt.Sprintf("%s/%d/%d", name, k, when.Unix()) // the test environment takes one update per ID
		err := h.env.UpdateWorkflowByID(orderID(k), name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.rejected = err; r.done = true },
			OnComplete: func(v interface{}, err error) {
				r.done, r.err = true, err
				if s, ok := v.(string); ok {
					r.result = s
				}
			},
		}, payload)
		if err != nil {
			r.rejected, r.done = err, true
		}
	})
	return r
}

func (h *harness) orderStatus(k int) porting.Status {
	h.t.Helper()
	v, err := h.env.QueryWorkflowByID(orderID(k), porting.QueryStatus)
	require.NoError(h.t, err)
	var s porting.Status
	require.NoError(h.t, v.Get(&s))
	return s
}

// A request of 230 numbers is handled by three orders: Acme Telecom/did~1 (100 numbers) and ~2
// (50), Beta Wireless/did (80). Each gets its LOA and its own carrier answer and date, provisions a
// business day before it, and completes; the request shows every number, its groups with the order
// workflows handling them, its state as the least advanced order's, and ends when all have.
func TestBulkRequestRunsItsOrdersToCompletion(t *testing.T) {
	h := newHarness(t, monday)
	req := bulkPortIn(150, 80)
	acme, beta := "Acme Telecom/did", "Beta Wireless/did"
	var loaUpdates []*updateResult
	for k, g := range []string{acme + "~1", acme + "~2", beta} {
		loaUpdates = append(loaUpdates, h.updateOrder(ny(2026, 11, 23, 10, 0), k+1, porting.SignalSubmitLOA, loa(g)))
	}
	d1, d2, d3 := ny(2026, 12, 7, 9, 0), ny(2026, 12, 8, 9, 0), ny(2026, 12, 9, 9, 0)
	a1 := h.updateOrder(ny(2026, 11, 25, 10, 0), 1, porting.SignalCarrierResponse, accept(acme+"~1", d1))
	h.updateOrder(ny(2026, 11, 25, 10, 0), 2, porting.SignalCarrierResponse, accept(acme+"~2", d2))
	refusedAtRequest := h.update(ny(2026, 11, 25, 11, 0), porting.SignalCarrierResponse, accept(beta, d3))
	var during, order3 porting.Status
	h.at(ny(2026, 11, 30, 12, 0), func() {
		during = h.status()
		order3 = h.orderStatus(3)
	})
	h.updateOrder(ny(2026, 12, 1, 10, 0), 3, porting.SignalCarrierResponse, accept(beta, d3))
	removed := req.Numbers[149].E164 // the last of Acme Telecom/did~2
	h.updateOrder(ny(2026, 12, 1, 10, 30), 2, porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{removed}, Reason: "kept", By: "ops"})
	var paged porting.Status
	h.at(ny(2026, 12, 1, 11, 0), func() {
		v, err := h.env.QueryWorkflow(porting.QueryStatus, &porting.StatusPage{Offset: 200, Limit: 100})
		require.NoError(t, err)
		require.NoError(t, v.Get(&paged))
	})

	res := h.run(req)

	for _, u := range loaUpdates {
		require.NoError(t, u.err)
		require.Nil(t, u.rejected)
		require.Contains(t, u.result, "LOA v1 submitted")
	}
	require.NoError(t, a1.err)
	require.Nil(t, a1.rejected)
	require.ErrorContains(t, refusedAtRequest.rejected, "group Beta Wireless/did of bulk request req-1 is handled by order workflow(s) "+orderID(3))

	// While the orders run: their groups, the order workflows, the request as its least advanced.
	require.Equal(t, 3, during.Orders)
	require.Equal(t, porting.StateAwaitingCarrier, during.State, "Beta's order still awaits its carrier: %s", historyNotes(during))
	groups := map[string]porting.GroupStatus{}
	for _, g := range during.Groups {
		groups[g.Group] = g
	}
	require.Equal(t, porting.StateScheduled, groups[acme+"~1"].State)
	require.Equal(t, orderID(1), groups[acme+"~1"].WorkflowID)
	require.Equal(t, acme, groups[acme+"~1"].OrderOf)
	require.Equal(t, 100, groups[acme+"~1"].Numbers)
	require.Equal(t, 50, groups[acme+"~2"].Numbers)
	require.Equal(t, porting.StateAwaitingCarrier, groups[beta].State)
	require.Len(t, during.Numbers, 230)
	require.Equal(t, acme+"~2", during.Numbers[120].Group)
	require.Equal(t, porting.StateScheduled, during.Numbers[120].State)
	require.Equal(t, porting.StateAwaitingCarrier, during.Numbers[200].State)
	require.Equal(t, parentID, order3.RequestWorkflowID)
	require.Len(t, order3.Numbers, 80)

	// A page of the numbers.
	require.Len(t, paged.Numbers, 30)
	require.Equal(t, 230, paged.NumbersTotal)
	require.Equal(t, 200, paged.NumbersOffset)
	require.Zero(t, paged.NumbersNext)

	// Each order on its own date, a business day before it; numbers as their orders ended them.
	provision := h.callsOf("ProvisionNumbers")
	require.Len(t, provision, 3)
	at := map[string]time.Time{}
	for _, c := range provision {
		in := c.input.(activities.NumbersInput)
		require.Equal(t, parentID, in.WorkflowID, "orders work on the request's rows")
		at[in.Group] = c.at
	}
	require.True(t, ny(2026, 12, 4, 9, 0).Equal(at[acme+"~1"]))
	require.True(t, ny(2026, 12, 7, 9, 0).Equal(at[acme+"~2"]))
	require.True(t, ny(2026, 12, 8, 9, 0).Equal(at[beta]))
	require.Equal(t, porting.StateCompleted, res.State)
	require.Contains(t, res.Reason, "229 number(s) ported and verified in 3 order(s)")
	require.Len(t, res.Numbers, 230)
	for _, n := range res.Numbers {
		if n.E164 == removed {
			require.Equal(t, porting.StateCancelled, n.State, "removed from its order")
			require.Contains(t, n.Reason, "removed by ops: kept")
			continue
		}
		require.Equal(t, porting.StateCompleted, n.State, n.E164)
	}
	finish := h.callsOf("FinishPortRequest")
	require.Len(t, finish, 1, "the request, not its orders, ends the rows")
	// One LOA request per group, whatever its orders.
	require.Len(t, h.notifications("loa_requested"), 2)
}

// A cancellation of a bulk request reaches every open order; each compensates; the request ends
// cancelled once they have.
func TestBulkRequestCancelReachesEveryOrder(t *testing.T) {
	h := newHarness(t, monday)
	h.updateOrder(ny(2026, 11, 23, 10, 0), 1, porting.SignalSubmitLOA, loa("Acme Telecom/did~1"))
	h.updateOrder(ny(2026, 11, 24, 10, 0), 1, porting.SignalCarrierResponse, accept("Acme Telecom/did~1", ny(2026, 11, 30, 9, 0)))
	cancel := h.update(ny(2026, 11, 27, 12, 0), porting.SignalCancel, porting.Cancel{Reason: "customer changed their mind", By: "ops"})

	res := h.run(bulkPortIn(150, 0))

	require.NoError(t, cancel.err)
	require.Equal(t, porting.StateCancelled, res.State)
	require.Len(t, h.callsOf("ReleaseNumbers"), 1, "the provisioned order released its numbers")
	require.Len(t, h.carrierCancels(), 1, "the carrier that had the order is told")
	require.Empty(t, h.onInstance())
	require.Len(t, h.callsOf("FinishPortRequest"), 1)
}

// An international bulk request: the partner carriers' answer and the cost approval are the
// request's; its numbers then go to orders main~1 and main~2, whose LOAs carry the request's account
// details, and which complete on the UK calendar.
func TestIntlBulkRequest(t *testing.T) {
	start := uk(2026, 11, 23, 9, 0)
	h := newIntlHarness(t, start)
	req := gbRequest(start)
	req.Numbers = nil
	for i := 0; i < 150; i++ {
		req.Numbers = append(req.Numbers, porting.IntlNumber{E164: fmt.Sprintf("+44207946%04d", i), Type: porting.IntlTypeLocal})
	}
	h.signal(uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, portableWithCost(150))
	h.update(uk(2026, 11, 25, 10, 0), porting.SignalApproveCost, porting.ApproveCost{Approved: true, By: "bea"})
	portDate := uk(2026, 12, 14, 9, 0)
	for k := 1; k <= 2; k++ {
		g := fmt.Sprintf("%s~%d", porting.IntlGroup, k)
		l := intlLOA()
		l.Group = g
		h.updateOrder(uk(2026, 11, 26, 10, 0), k, porting.SignalSubmitLOA, l)
		h.updateOrder(uk(2026, 12, 3, 10, 0), k, porting.SignalCarrierResponse, accept(g, portDate))
	}

	res := h.runIntl(req)

	require.Equal(t, porting.StateCompleted, res.State)
	require.Len(t, res.Numbers, 150)
	submits := h.callsOf("SubmitLOA")
	require.Len(t, submits, 2)
	for _, c := range submits {
		in := c.input.(activities.SubmitLOAInput)
		require.Equal(t, "ACC-99887766", in.LOA.AccountNumber, "the request's account details go with each order's LOA")
		require.Equal(t, parentID, in.WorkflowID)
	}
	for _, c := range h.callsOf("ProvisionNumbers") {
		requireAt(t, uk(2026, 12, 11, 9, 0), c)
	}
	require.Len(t, h.callsOf("RecordCostDecision"), 1, "the cost is the request's, approved once")
}
