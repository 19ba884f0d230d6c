package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// TestRecordHistories runs real ports against the dev server, a worker in this process and
// Postgres, and writes their histories to workflows/testdata, where the replay tests read them.
// Run it after a deliberate, versioned change to the workflows: RECORD_HISTORIES=1 go test -run TestRecordHistories ./e2e/
func TestRecordHistories(t *testing.T) {
	if os.Getenv("RECORD_HISTORIES") == "" {
		t.Skip("set RECORD_HISTORIES=1 to record the replay histories")
	}
	ctx, c, db := startRecordingWorker(t)
	root := moduleRoot(t)

	us := "arn:aws:connect:us-east-1:123456789012:instance/replay-us"
	gb := "arn:aws:connect:eu-west-2:123456789012:instance/replay-gb"
	for _, arn := range []string{us, gb} {
		_, err := store.AddInstance(ctx, db, store.Instance{ARN: arn})
		require.NoError(t, err)
	}
	require.NoError(t, store.AddContactFlow(ctx, db, us, "Main IVR", true))
	require.NoError(t, store.AddContactFlow(ctx, db, gb, "UK Support", true))

	r := recorder{t: t, ctx: ctx, c: c, dir: filepath.Join(root, "workflows", "testdata")}
	soon := func(d time.Duration) *time.Time { v := time.Now().Add(d).Truncate(time.Second); return &v }
	loaFor := func(group string) porting.SubmitLOA {
		return porting.SubmitLOA{Group: group, LOA: porting.LOA{AuthorizedName: "Ada", Address: "1 Main St", SignedAt: time.Now().Truncate(time.Second), DocumentRef: "loa.pdf"}}
	}
	portIn := func(id string, numbers ...string) porting.PortInRequest {
		req := porting.PortInRequest{RequestID: id, InstanceARN: us, ContactFlow: "Main IVR",
			AuthorizedContact: porting.Contact{Name: "Ada", Email: "ada@example.com"},
			Deadlines:         &porting.Deadlines{PortDateRule: porting.PortDateAny}}
		for _, n := range numbers {
			req.Numbers = append(req.Numbers, porting.PortNumber{E164: n, Type: porting.NumberTypeDID, Carrier: "Acme Telecom"})
		}
		return req
	}
	const g = "Acme Telecom/did"

	r.record("portin-happy", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-1"), portIn("replay-1", "+14155550100", "+14155550101"),
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(4 * time.Second)}, porting.StateAwaitingCarrier, false, nil},
	)
	r.record("portin-rejected-once", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-1r"), portIn("replay-1r", "+14155550102", "+14155550103"),
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Reason: "name mismatch"}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateLOARejected, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(4 * time.Second)}, porting.StateAwaitingCarrier, false, nil},
	)
	r.record("portin-rejections-reschedule", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-2"), portIn("replay-2", "+14155550110"),
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Reason: "name mismatch"}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateLOARejected, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(time.Hour)}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(5 * time.Second)}, porting.StateProvisioned, false, nil},
	)
	r.record("portin-cancel-after-provisioning", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-3"), portIn("replay-3", "+14155550120"),
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(2 * time.Hour)}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalCancel, porting.Cancel{Reason: "customer changed plans", By: "support"}, porting.StateProvisioned, false, nil},
	)
	intl := porting.InternationalPortInRequest{
		RequestID: "replay-4", InstanceARN: gb, ContactFlow: "UK Support", Country: "GB",
		Numbers: []porting.IntlNumber{{E164: "+442079460100", Type: porting.IntlTypeLocal}},
		Carrier: "Albion Telecom", CarrierAccountNumber: "ACC-1", PIN: "1234", InvoiceRef: "inv.pdf",
		PreferredWindow:   porting.Window{Start: time.Now().Add(time.Hour).Truncate(time.Second), End: time.Now().Add(72 * time.Hour).Truncate(time.Second)},
		AuthorizedContact: porting.Contact{Name: "Bea", Email: "bea@example.co.uk"},
		Deadlines:         &porting.IntlDeadlines{Deadlines: porting.Deadlines{PortDateRule: porting.PortDateAny}},
	}
	r.record("intl-cost-approval", porting.WorkflowInternationalPortIn, porting.IntlPortInWorkflowID("replay-4"), intl,
		step{porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true, Cost: &porting.Cost{Amount: porting.MustDecimal("50.00"), Currency: "GBP"}}, porting.StateAwaitingPortability, false, nil},
		step{porting.SignalApproveCost, porting.ApproveCost{Approved: true, By: "bea"}, porting.StateAwaitingCostApproval, false, nil},
		step{porting.SignalSubmitLOA, loaFor(porting.IntlGroup), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true, PortDate: soon(4 * time.Second)}, porting.StateAwaitingCarrier, false, nil},
	)
	intl.RequestID = "replay-5"
	intl.Numbers = []porting.IntlNumber{{E164: "+442079460101", Type: porting.IntlTypeLocal}}
	r.record("intl-cancel-confirmed", porting.WorkflowInternationalPortIn, porting.IntlPortInWorkflowID("replay-5"), intl,
		step{porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true}, porting.StateAwaitingPortability, false, nil},
		step{porting.SignalSubmitLOA, loaFor(porting.IntlGroup), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCancel, porting.Cancel{Reason: "changed our mind", By: "bea"}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true}, porting.StateCancelRequested, false, nil},
	)

	// The failure and change paths (workflows versionFailurePaths).
	flow := func(published bool) func() {
		return func() { require.NoError(t, store.AddContactFlow(ctx, db, us, "Main IVR", published)) }
	}
	blocked := portIn("replay-6", "+14155550130")
	blocked.Deadlines = &porting.Deadlines{ProvisioningRetrySeconds: 1, PortDateRule: porting.PortDateAny}
	r.record("portin-flow-blocked-then-published", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-6"), blocked,
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(6 * time.Second)}, porting.StateAwaitingCarrier, false, flow(false)},
		step{"", nil, porting.StateProvisioning, false, func() {
			// Published again once a try was refused and the next one waits.
			require.Eventually(t, func() bool {
				v, err := c.QueryWorkflow(ctx, porting.PortInWorkflowID("replay-6"), "", porting.QueryStatus)
				var st porting.Status
				return err == nil && v.Get(&st) == nil && len(st.Groups) == 1 && st.Groups[0].NextDeadlineKind == "provisioning_retry"
			}, 30*time.Second, 50*time.Millisecond)
			flow(true)()
		}},
	)
	r.record("portin-withdrawn-then-accepted", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-7"), portIn("replay-7", "+14155550131"),
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(2 * time.Hour)}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, ReasonCode: "FOC_EXPIRED", Reason: "FOC withdrawn"}, porting.StateProvisioned, false, nil},
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateLOARejected, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(5 * time.Second)}, porting.StateAwaitingCarrier, false, nil},
	)
	intl.RequestID = "replay-8"
	intl.Numbers = []porting.IntlNumber{{E164: "+442079460102", Type: porting.IntlTypeLocal}}
	r.record("intl-cancel-rounds", porting.WorkflowInternationalPortIn, porting.IntlPortInWorkflowID("replay-8"), intl,
		step{porting.SignalPortabilityResult, porting.PortabilityResult{Portable: true}, porting.StateAwaitingPortability, false, nil},
		step{porting.SignalSubmitLOA, loaFor(porting.IntlGroup), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true, PortDate: soon(3 * time.Hour)}, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalCancel, porting.Cancel{Reason: "changed our mind", By: "bea"}, porting.StateProvisioned, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Reason: "committed"}, porting.StateCancelRequested, false, nil},
		step{porting.SignalCancel, porting.Cancel{Reason: "really cancel", By: "bea"}, porting.StateProvisioned, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true, PortDate: soon(4 * time.Hour)}, porting.StateCancelRequested, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: porting.IntlGroup, Accepted: true}, porting.StateCancelRequested, false, nil},
	)

	// Number-level porting (workflows versionNumberLevel): a split order, a supp answered with the
	// carrier's own date, a removed number; an LOA kept back by the CSR pre-check, then overridden.
	splitPort := portIn("replay-9", "+14155550150", "+14155550151", "+14155550152")
	partial := porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(10 * 24 * time.Hour),
		Numbers: []porting.NumberAnswer{{E164: "+14155550152", ReasonCode: "ADDRESS_MISMATCH", Reason: "differs for this line"}}}
	r.record("portin-split-supp-remove", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-9"), splitPort,
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, false, nil},
		step{porting.SignalCarrierResponse, partial, porting.StateAwaitingCarrier, false, nil},
		step{porting.SignalRequestPortDate, porting.RequestPortDate{Group: g, PortDate: *soon(14 * 24 * time.Hour), By: "ada"}, porting.StateLOARejected, false, nil},
		step{porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550151"}, Reason: "kept", By: "ada"}, porting.StateLOARejected, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(8 * time.Second)}, porting.StateLOARejected, false, nil},
		step{porting.SignalSubmitLOA, loaFor(g + "#2"), porting.StateLOARejected, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g + "#2", Accepted: true, PortDate: soon(6 * time.Second)}, porting.StateAwaitingCarrier, false, nil},
	)
	require.NoError(t, store.AddCustomerServiceRecord(ctx, db, store.CSRInput{Carrier: "Acme Telecom", E164: "+14155550153", Name: "Ada", Address: "2 Other St"}))
	override := loaFor(g)
	override.OverrideCSR = true
	r.record("portin-csr-mismatch-override", porting.WorkflowPortIn, porting.PortInWorkflowID("replay-10"), portIn("replay-10", "+14155550153"),
		step{porting.SignalSubmitLOA, loaFor(g), porting.StateAwaitingLOA, true, nil},
		step{porting.SignalSubmitLOA, override, porting.StateLOARejected, false, nil},
		step{porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: soon(5 * time.Second)}, porting.StateAwaitingCarrier, false, nil},
	)

	// A bulk request (workflows versionBulk): 120 numbers, two orders (Acme Telecom/did~1 of 100,
	// ~2 of 20), each driven by its own updates; the request's history and its first order's.
	var bulkNumbers []string
	for i := 0; i < 120; i++ {
		bulkNumbers = append(bulkNumbers, fmt.Sprintf("+1415%07d", 4000000+i))
	}
	bulkID := porting.PortInWorkflowID("replay-11")
	order := func(k int) string { return porting.OrderWorkflowID(bulkID, k) }
	r.record("portin-bulk", porting.WorkflowPortIn, bulkID, portIn("replay-11", bulkNumbers...),
		step{"", nil, porting.StateAwaitingLOA, false, r.updateTo(order(1), porting.SignalSubmitLOA, loaFor(g+"~1"))},
		step{"", nil, porting.StateAwaitingLOA, false, r.updateTo(order(2), porting.SignalSubmitLOA, loaFor(g+"~2"))},
		step{"", nil, porting.StateAwaitingCarrier, false, r.updateTo(order(1), porting.SignalCarrierResponse,
			porting.CarrierResponse{Group: g + "~1", Accepted: true, PortDate: soon(5 * time.Second)})},
		step{"", nil, porting.StateAwaitingCarrier, false, r.updateTo(order(2), porting.SignalCarrierResponse,
			porting.CarrierResponse{Group: g + "~2", Accepted: true, PortDate: soon(6 * time.Second)})},
	)
	r.save("portin-bulk-order-1", order(1), "")

	out := "arn:aws:connect:us-east-1:123456789012:instance/replay-out"
	_, err := store.AddInstance(ctx, db, store.Instance{ARN: out, OwnerName: outOwner, Address: outAddress, BillingContact: outBilling})
	require.NoError(t, err)
	for _, n := range []string{outNumber1, outNumber2, outNumber3} {
		require.NoError(t, store.ClaimNumber(ctx, db, out, n, "did", ""))
	}
	wrongOwner := carrierRequest(time.Now().Add(time.Hour), outNumber1, outNumber2)
	wrongOwner.OwnerName = "Doe Holdings, LLC"
	r.record("portout-mismatch-then-release", porting.WorkflowPortOut, porting.PortOutWorkflowID("replay-out-1"),
		portOutRequest("replay-out-1", out, outNumber1, outNumber2),
		step{porting.SignalWinningCarrierRequest, wrongOwner, porting.StateAwaitingWinningCarrier, true, nil},
		step{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(6*time.Second), outNumber1, outNumber2), porting.StateRejectedMismatch, false, nil},
	)
	r.record("portout-reschedule-cancel", porting.WorkflowPortOut, porting.PortOutWorkflowID("replay-out-2"),
		portOutRequest("replay-out-2", out, outNumber3),
		step{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(time.Hour), outNumber3), porting.StateAwaitingWinningCarrier, false, nil},
		step{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(2*time.Hour), outNumber3), porting.StateApproved, false, nil},
		step{porting.SignalCancel, porting.Cancel{Reason: "customer stays", By: "support"}, porting.StateApproved, false, nil},
	)
	// Port-out protection (workflows versionPortOutProtection): three wrong passcodes freeze the
	// port-out, operations unfreeze it, the right passcode is approved and the numbers released.
	protected := "arn:aws:connect:us-east-1:123456789012:instance/replay-protected"
	_, err = store.AddInstance(ctx, db, store.Instance{ARN: protected, OwnerName: outOwner, Address: outAddress, BillingContact: outBilling,
		PortOutPasscode: "Zq7pass9"})
	require.NoError(t, err)
	require.NoError(t, store.ClaimNumber(ctx, db, protected, "+12125550195", "did", ""))
	withPasscode := func(p string, in time.Duration) porting.WinningCarrierRequest {
		r := carrierRequest(time.Now().Add(in), "+12125550195")
		r.Passcode = p
		return r
	}
	r.record("portout-frozen-unfrozen", porting.WorkflowPortOut, porting.PortOutWorkflowID("replay-out-4"),
		portOutRequest("replay-out-4", protected, "+12125550195"),
		step{porting.SignalWinningCarrierRequest, withPasscode("Wr0ng1", time.Hour), porting.StateAwaitingWinningCarrier, true, nil},
		step{porting.SignalWinningCarrierRequest, withPasscode("", time.Hour), porting.StateRejectedMismatch, true, nil},
		step{porting.SignalWinningCarrierRequest, withPasscode("Wr0ng3", time.Hour), porting.StateRejectedMismatch, true, nil},
		step{porting.SignalUnfreeze, porting.Unfreeze{By: "ops", Reason: "owner confirmed"}, porting.StateFrozen, false, nil},
		step{"", nil, porting.StateRejectedMismatch, false, func() { // the release time counted from now
			r.updateTo(porting.PortOutWorkflowID("replay-out-4"), porting.SignalWinningCarrierRequest, withPasscode("Zq7pass9", 6*time.Second))()
		}},
	)

	kept, leaving := "+12125550190", "+12125550191"
	for _, n := range []string{kept, leaving} {
		require.NoError(t, store.ClaimNumber(ctx, db, out, n, "did", ""))
	}
	r.record("portout-remove-then-release", porting.WorkflowPortOut, porting.PortOutWorkflowID("replay-out-3"),
		portOutRequest("replay-out-3", out, kept, leaving),
		step{porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{kept}, Reason: "customer keeps it", By: "support"}, porting.StateAwaitingWinningCarrier, false, nil},
		step{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(6*time.Second), leaving), porting.StateAwaitingWinningCarrier, false, nil},
	)
}

// step is an update to send once the workflow is in state `when`.
type step struct {
	name    string
	payload any
	when    porting.State
	wantErr bool   // the workflow refuses it (a port-out mismatch is the update's error)
	do      func() // run first (a change in Postgres); a step with no name only runs it
}

type recorder struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	dir string
}

// record starts a workflow, drives it with updates, waits for it to close and writes its history.
func (r recorder) record(name, workflowType, id string, input any, steps ...step) {
	t := r.t
	run, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: id, TaskQueue: porting.TaskQueue}, workflowType, input)
	require.NoError(t, err)
	for _, s := range steps {
		require.Eventually(t, func() bool {
			v, err := r.c.QueryWorkflow(r.ctx, id, "", porting.QueryStatus)
			if err != nil {
				return false
			}
			var st porting.Status
			return v.Get(&st) == nil && st.State == s.when
		}, time.Minute, 100*time.Millisecond, "%s: waiting for %s before %s", name, s.when, s.name)
		if s.do != nil {
			s.do()
		}
		if s.name == "" {
			continue
		}
		h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: s.name, Args: []any{s.payload}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err, "%s: %s", name, s.name)
		if err := h.Get(r.ctx, nil); s.wantErr {
			require.Error(t, err, "%s: %s", name, s.name)
		} else {
			require.NoError(t, err, "%s: %s", name, s.name)
		}
	}
	var res porting.PortResult
	require.NoError(t, run.Get(r.ctx, &res), name)
	r.save(name, id, run.GetRunID())
}

// updateTo is a step's action that sends an update to another workflow (a bulk request's order)
// and waits for its result.
func (r recorder) updateTo(workflowID, name string, payload any) func() {
	return func() {
		// The request awaits its LOAs as soon as it has started its orders; an order that has not
		// taken its first workflow task yet refuses the update (as the starter's callers retry it).
		var err error
		require.Eventually(r.t, func() bool {
			var h client.WorkflowUpdateHandle
			if h, err = r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{
				WorkflowID: workflowID, UpdateName: name, Args: []any{payload}, WaitForStage: client.WorkflowUpdateStageCompleted,
			}); err == nil {
				err = h.Get(r.ctx, nil)
			}
			return err == nil || !strings.Contains(err.Error(), "its LOA groups exist once the portability check is done")
		}, time.Minute, 100*time.Millisecond)
		require.NoError(r.t, err, "%s: %s", workflowID, name)
	}
}

// save writes a closed workflow's history to the fixture directory as name.json.
func (r recorder) save(name, id, runID string) {
	t := r.t
	var res porting.PortResult
	require.NoError(t, r.c.GetWorkflow(r.ctx, id, runID).Get(r.ctx, &res), name)
	events := []*history.HistoryEvent{}
	it := r.c.GetWorkflowHistory(r.ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&history.History{Events: events})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(r.dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(r.dir, name+".json"), b, 0o644))
	t.Logf("%s: %s, %d events, %d bytes", name, res.State, len(events), len(b))
}
