package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

// TestUnpublishedFlowAfterAcceptance drives two ports through the starter whose contact flows are
// unpublished after the request was recorded and before provisioning. Provisioning is blocked and
// tried again every 2 s (deadlines.provisioning_retry_seconds); the customer and operations are
// told. One flow stays unpublished: at the port date the port fails, the carrier is told to cancel,
// nothing is left on the instance and the limit is back. The other is published again before the
// date: that port completes.
func TestUnpublishedFlowAfterAcceptance(t *testing.T) {
	ctx, s := startSystem(t, 4*time.Minute)
	const (
		arn       = "arn:aws:connect:us-east-1:123456789012:instance/e2e-fail"
		stuckFlow = "Stuck IVR"
		fixedFlow = "Fixed IVR"
	)
	s.ok(ctx, t, "instance", "add", "--arn", arn)
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", stuckFlow)
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", fixedFlow)

	type port struct {
		id, workflowID, flow string
		numbers              []string
	}
	ports := []port{
		{id: "E2E-STUCK", workflowID: "port-in-E2E-STUCK", flow: stuckFlow, numbers: []string{"+14155550140", "+14155550141"}},
		{id: "E2E-FIXED", workflowID: "port-in-E2E-FIXED", flow: fixedFlow, numbers: []string{"+14155550142"}},
	}
	portDate := time.Now().Add(30 * time.Second).Truncate(time.Second)
	for _, p := range ports {
		req := portInRequest(p.id, p.flow, p.numbers...)
		req.InstanceARN = arn
		req.Deadlines = &porting.Deadlines{ProvisioningRetrySeconds: 2, PortDateRule: porting.PortDateAny}
		s.ok(ctx, t, "port-in", "--file", writeJSON(t, p.id+".json", req))
		s.waitState(ctx, t, p.workflowID, porting.StateAwaitingLOA, time.Minute)
		s.ok(ctx, t, "submit-loa", "--workflow", p.workflowID, "--group", group, "--file", writeJSON(t, p.id+"-loa.json", loa(p.id+".pdf")))
		s.waitState(ctx, t, p.workflowID, porting.StateAwaitingCarrier, 30*time.Second)
		// The flow is unpublished after the request was recorded, before provisioning.
		s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", p.flow, "--unpublished")
		s.ok(ctx, t, "carrier-response", "--workflow", p.workflowID, "--group", group, "--accept", "--port-date", portDate.Format(time.RFC3339))
	}

	// Both are blocked in provisioning, retrying; the customer and operations were told.
	for _, p := range ports {
		st := s.waitState(ctx, t, p.workflowID, porting.StateProvisioning, 20*time.Second)
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st, err := s.status(ctx, p.workflowID)
			require.NoError(c, err)
			require.Equal(c, "provisioning_retry", st.Groups[0].NextDeadlineKind)
		}, 20*time.Second, 300*time.Millisecond, "history: %+v", st.History)
	}
	s.ok(ctx, t, "flow", "publish", "--instance", arn, "--name", fixedFlow)

	stuck := s.waitState(ctx, t, ports[0].workflowID, porting.StateFailed, time.Minute)
	assert.Contains(t, stuck.Groups[0].LastReason, "before the port date")
	s.waitState(ctx, t, ports[1].workflowID, porting.StateCompleted, time.Minute)

	// What happened to the numbers, as the starter shows them: the fixed port's number is active,
	// the stuck port's numbers are nowhere on the instance.
	r := s.ok(ctx, t, "numbers", "--instance", arn, "--json")
	var nums []struct {
		E164  string `json:"e164"`
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &nums), r.stdout)
	live := map[string]string{}
	for _, n := range nums {
		if n.State != "released" {
			live[n.E164] = n.State
		}
	}
	assert.Equal(t, map[string]string{"+14155550142": "active"}, live, r.stdout)

	// Postgres: the limit carries only the completed port's increase; the carrier was told to cancel
	// the stuck port (once) and nothing of the fixed one; customer and operations were told.
	db, err := sqlx.Open("postgres", envValue(s.env, "DATABASE_URL"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	count := func(ctx context.Context, query string, args ...any) int {
		var n int
		require.NoError(t, db.GetContext(ctx, &n, query, args...))
		return n
	}
	var limit int
	require.NoError(t, db.GetContext(ctx, &limit, `SELECT phone_number_limit FROM instances WHERE arn = $1`, arn))
	assert.Equal(t, 10+1, limit)
	assert.Equal(t, 1, count(ctx, `SELECT count(*) FROM carrier_submissions WHERE workflow_id = $1 AND kind = 'cancel'`, ports[0].workflowID))
	assert.Zero(t, count(ctx, `SELECT count(*) FROM carrier_submissions WHERE workflow_id = $1 AND kind = 'cancel'`, ports[1].workflowID))
	for _, p := range ports {
		for _, to := range []string{"customer", "operations"} {
			assert.Equal(t, 1, count(ctx, `SELECT count(*) FROM notifications WHERE workflow_id = $1 AND kind = 'provisioning_blocked' AND recipient = $2`, p.workflowID, to),
				"%s: provisioning_blocked to %s", p.id, to)
		}
	}
	for _, to := range []string{"customer", "operations"} {
		assert.Equal(t, 1, count(ctx, `SELECT count(*) FROM notifications WHERE workflow_id = $1 AND kind = 'port_failed' AND recipient = $2`, ports[0].workflowID, to),
			"port_failed to %s", to)
	}
	assert.Zero(t, count(ctx, `SELECT count(*) FROM notifications WHERE workflow_id = $1 AND kind = 'port_failed'`, ports[1].workflowID))
	assert.Zero(t, count(ctx, `SELECT count(*) FROM port_request_numbers WHERE active`), "every number is unlocked")
}
