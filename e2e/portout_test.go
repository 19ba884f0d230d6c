package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/workflows"
)

const (
	outInstanceARN = "arn:aws:connect:us-east-1:123456789012:instance/e2e-out-0001"
	outOwner       = "Doe Holdings LLC"
	outAddress     = "1 Main St, New York, NY 10001"
	outBilling     = "billing@doe.example"
	outCarrier     = "Beta Wireless"
	outNumber1     = "+12125550100"
	outNumber2     = "+12125550101"
	outNumber3     = "+12125550102"
	notOwned       = "+12125550199"
)

func portOutRequest(requestID, arn string, numbers ...string) porting.PortOutRequest {
	return porting.PortOutRequest{
		RequestID: requestID, InstanceARN: arn, Numbers: numbers, WinningCarrier: outCarrier,
		CustomerContact: porting.Contact{Name: "Pat Doe", Email: "pat@doe.example"},
	}
}

func carrierRequest(requestedAt time.Time, numbers ...string) porting.WinningCarrierRequest {
	return porting.WinningCarrierRequest{
		Carrier: outCarrier, OwnerName: outOwner, Address: outAddress, BillingContact: outBilling,
		Numbers: numbers, LOARef: "s3://beta/loa-7781.pdf", RequestedAt: requestedAt.Truncate(time.Second),
	}
}

func TestPortOutEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	root := moduleRoot(t)
	cli := temporalCLI(t, root)
	bins := buildBinaries(ctx, t, root)
	dbURL := pgtest.NewURL(t)
	srv := startDevServer(ctx, t, cli)
	env := []string{
		"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=default",
		"DATABASE_URL=" + dbURL,
	}
	startWorker(ctx, t, bins.worker, env, srv.Client())
	s := starter{bin: bins.starter, env: env}

	waitState := func(t *testing.T, workflowID string, want porting.State, within time.Duration) porting.Status {
		t.Helper()
		var last porting.Status
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st, err := s.status(ctx, workflowID)
			require.NoError(c, err)
			require.Equal(c, want, st.State, "history: %+v", st.History)
			last = st
		}, within, 300*time.Millisecond, "waiting for %s to reach %s", workflowID, want)
		return last
	}
	numberStates := func(t *testing.T) map[string]string {
		t.Helper()
		r := s.ok(ctx, t, "numbers", "--instance", outInstanceARN, "--json")
		var nums []struct {
			E164  string `json:"e164"`
			State string `json:"state"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &nums), r.stdout)
		out := map[string]string{}
		for _, n := range nums {
			out[n.E164] = n.State
		}
		return out
	}

	// The instance with its ownership records, and three numbers it holds.
	s.ok(ctx, t, "instance", "add", "--arn", outInstanceARN,
		"--owner-name", outOwner, "--address", outAddress, "--billing-contact", outBilling)
	for _, n := range []string{outNumber1, outNumber2, outNumber3} {
		s.ok(ctx, t, "number", "claim", "--instance", outInstanceARN, "--e164", n)
	}

	t.Run("bad input is exit 2 or 3 and locks nothing", func(t *testing.T) {
		r := s.run(ctx, "port-out", "--file", writeJSON(t, "no-arn.json", portOutRequest("E2E-OUT-NOARN", "", outNumber3)))
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "instance_arn: is required: a port-out cannot be processed without the instance ARN", r)

		r = s.run(ctx, "port-out", "--file", writeJSON(t, "not-owned.json", portOutRequest("E2E-OUT-NOTOWNED", outInstanceARN, outNumber3, notOwned)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "numbers[1]: "+notOwned+" is not held by instance "+outInstanceARN, r)

		// Nothing was locked: the owned number of the refused request can port out now, and be cancelled.
		r = s.ok(ctx, t, "port-out", "--file", writeJSON(t, "out-3.json", portOutRequest("E2E-OUT-3", outInstanceARN, outNumber3)))
		require.Equal(t, "port-out-E2E-OUT-3", strings.TrimSpace(r.stdout))
		waitState(t, "port-out-E2E-OUT-3", porting.StateAwaitingWinningCarrier, 30*time.Second)
		r = s.ok(ctx, t, "cancel", "--workflow", "port-out-E2E-OUT-3", "--reason", "customer stays", "--by", "e2e")
		assert.Contains(t, r.stdout, "cancelled", r)
		waitState(t, "port-out-E2E-OUT-3", porting.StateCancelled, 30*time.Second)
		assert.Equal(t, "active", numberStates(t)[outNumber3], "a cancelled port-out leaves the number with the instance")
	})

	t.Run("port-out lifecycle", func(t *testing.T) {
		const workflowID = "port-out-E2E-OUT-1"
		r := s.ok(ctx, t, "port-out", "--file", writeJSON(t, "out-1.json", portOutRequest("E2E-OUT-1", outInstanceARN, outNumber1, outNumber2)))
		require.Equal(t, workflowID, strings.TrimSpace(r.stdout))
		st := waitState(t, workflowID, porting.StateAwaitingWinningCarrier, 30*time.Second)
		require.Equal(t, porting.KindPortOut, st.Kind)
		require.Len(t, st.Numbers, 2)
		require.Equal(t, "winning_carrier_expiry", st.NextDeadlineKind)

		// Refused while E2E-OUT-1 holds the numbers.
		r = s.run(ctx, "port-out", "--file", writeJSON(t, "out-2.json", portOutRequest("E2E-OUT-2", outInstanceARN, outNumber2)))
		assert.Equal(t, 3, r.code, "a number already porting out: %s", r)
		assert.Contains(t, r.stderr, "numbers[0]: "+outNumber2+" is already in an active port ("+workflowID+")", r)
		r = s.run(ctx, "port-out", "--file", writeJSON(t, "out-1-again.json", portOutRequest("E2E-OUT-1", outInstanceARN, outNumber1, outNumber2)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "already open", r)

		// The winning carrier's first request spells the owner's name differently.
		wrong := carrierRequest(time.Now().Add(time.Hour), outNumber2, outNumber1)
		wrong.OwnerName = "Doe Holdings, LLC"
		r = s.run(ctx, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "wcr-1.json", wrong))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "do not match the ownership records held for the instance: owner_name;", r)
		assert.NotContains(t, r.stderr, outOwner, "never the stored value: %s", r)
		st = waitState(t, workflowID, porting.StateRejectedMismatch, 30*time.Second)
		require.Len(t, st.Groups, 1)
		assert.Equal(t, "mismatched: owner_name", st.Groups[0].LastReason)
		assert.Equal(t, 1, st.Groups[0].Rounds)

		other := carrierRequest(time.Now().Add(time.Hour), outNumber1, outNumber2)
		other.Carrier = "Gamma Tel"
		r = s.run(ctx, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "wcr-other.json", other))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, `carrier "Gamma Tel" is not the winning carrier`, r)

		// The corrected request, for release a few seconds from now.
		releaseAt := time.Now().Add(8 * time.Second)
		r = s.ok(ctx, t, "winning-carrier-request", "--workflow", workflowID, "--file",
			writeJSON(t, "wcr-2.json", carrierRequest(releaseAt, outNumber1, outNumber2)))
		assert.Contains(t, r.stdout, "request #2 approved: the numbers are released to Beta Wireless at", r)
		st, err := s.status(ctx, workflowID)
		require.NoError(t, err)
		if st.State == porting.StateApproved {
			require.NotNil(t, st.Groups[0].PortDate)
			assert.True(t, releaseAt.Truncate(time.Second).Equal(*st.Groups[0].PortDate), "port date %s", st.Groups[0].PortDate)
		}
		assert.Equal(t, "active", numberStates(t)[outNumber1], "not released before the agreed time")

		st = waitState(t, workflowID, porting.StateCompleted, time.Minute)
		released := st.History[len(st.History)-1].At
		assert.False(t, released.Before(releaseAt.Truncate(time.Second)), "released at %s, before the agreed %s", released, releaseAt)
		states := numberStates(t)
		assert.Equal(t, "released", states[outNumber1])
		assert.Equal(t, "released", states[outNumber2])
		assert.Equal(t, "active", states[outNumber3])

		// A released number cannot port out again: the instance no longer owns it.
		r = s.run(ctx, "port-out", "--file", writeJSON(t, "out-4.json", portOutRequest("E2E-OUT-4", outInstanceARN, outNumber1)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "numbers[0]: "+outNumber1+" was released from instance "+outInstanceARN, r)

		// After the release there is nothing to cancel.
		r = s.run(ctx, "cancel", "--workflow", workflowID, "--reason", "too late", "--by", "e2e")
		assert.Equal(t, 3, r.code, r)

		// An operator finds the port-out by its kind and by any of its numbers.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			r := s.run(ctx, "list", "--kind", porting.KindPortOut, "--number", outNumber2)
			require.Equal(c, 0, r.code, r)
			require.Contains(c, r.stdout, workflowID)
		}, 30*time.Second, 500*time.Millisecond)
	})
}

// TestRecordPortOutHistories records PortOut histories into workflows/testdata, where
// TestReplayRecordedHistories replays them against today's code. Run it after a deliberate,
// versioned change to PortOut: RECORD_HISTORIES=1 go test -run TestRecordPortOutHistories ./e2e/
func TestRecordPortOutHistories(t *testing.T) {
	if os.Getenv("RECORD_HISTORIES") == "" {
		t.Skip("set RECORD_HISTORIES=1 to record the replay histories")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := moduleRoot(t)
	srv := startDevServer(ctx, t, temporalCLI(t, root))
	db := pgtest.New(t)
	c := srv.Client()

	w := worker.New(c, porting.TaskQueue, worker.Options{})
	workflows.Register(w)
	w.RegisterActivity(&activities.Activities{DB: db})
	require.NoError(t, w.Start())
	defer w.Stop()

	arn := "arn:aws:connect:us-east-1:123456789012:instance/replay-out"
	_, err := activities.AddInstance(ctx, db, activities.Instance{ARN: arn, OwnerName: outOwner, Address: outAddress, BillingContact: outBilling})
	require.NoError(t, err)
	for _, n := range []string{outNumber1, outNumber2, outNumber3} {
		require.NoError(t, activities.ClaimNumber(ctx, db, arn, n, "did", ""))
	}
	wrongOwner := carrierRequest(time.Now().Add(time.Hour), outNumber1, outNumber2)
	wrongOwner.OwnerName = "Doe Holdings, LLC"

	recordPortOut(ctx, t, c, filepath.Join(root, "workflows", "testdata"), "portout-mismatch-then-release",
		portOutRequest("replay-out-1", arn, outNumber1, outNumber2),
		outStep{porting.SignalWinningCarrierRequest, wrongOwner, porting.StateAwaitingWinningCarrier, true},
		outStep{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(6*time.Second), outNumber1, outNumber2), porting.StateRejectedMismatch, false},
	)
	recordPortOut(ctx, t, c, filepath.Join(root, "workflows", "testdata"), "portout-reschedule-cancel",
		portOutRequest("replay-out-2", arn, outNumber3),
		outStep{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(time.Hour), outNumber3), porting.StateAwaitingWinningCarrier, false},
		outStep{porting.SignalWinningCarrierRequest, carrierRequest(time.Now().Add(2*time.Hour), outNumber3), porting.StateApproved, false},
		outStep{porting.SignalCancel, porting.Cancel{Reason: "customer stays", By: "support"}, porting.StateApproved, false},
	)
}

// outStep is an update to send once the port-out is in state when; wantErr: the workflow refuses it
// (a mismatch is the update's error).
type outStep struct {
	name    string
	payload any
	when    porting.State
	wantErr bool
}

// recordPortOut starts a PortOut, drives it with updates, waits for it to close and writes its history.
func recordPortOut(ctx context.Context, t *testing.T, c client.Client, dir, name string, req porting.PortOutRequest, steps ...outStep) {
	t.Helper()
	id := porting.PortOutWorkflowID(req.RequestID)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: porting.TaskQueue}, porting.WorkflowPortOut, req)
	require.NoError(t, err)
	for _, s := range steps {
		require.Eventually(t, func() bool {
			v, err := c.QueryWorkflow(ctx, id, "", porting.QueryStatus)
			if err != nil {
				return false
			}
			var st porting.Status
			return v.Get(&st) == nil && st.State == s.when
		}, time.Minute, 100*time.Millisecond, "%s: waiting for %s before %s", name, s.when, s.name)
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: s.name, Args: []any{s.payload}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err, "%s: %s", name, s.name)
		if err := h.Get(ctx, nil); s.wantErr {
			require.Error(t, err, "%s: %s", name, s.name)
		} else {
			require.NoError(t, err, "%s: %s", name, s.name)
		}
	}
	var res porting.PortResult
	require.NoError(t, run.Get(ctx, &res), name)

	events := []*history.HistoryEvent{}
	it := c.GetWorkflowHistory(ctx, id, run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&history.History{Events: events})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644))
	t.Logf("%s: %s, %d events, %d bytes", name, res.State, len(events), len(b))
}
