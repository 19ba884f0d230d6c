package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/portstatus"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
)

// TestBulkRequestEndToEnd starts a 2,000-number port-in across 4 carriers and both number types
// through the starter and lets the carrier simulator (playing the carriers and the customer) drive
// it to completed: 8 LOA groups of 250 numbers, handled by 24 order workflows of at most 100. The
// number at position 1,500 is found by the Temporal CLI's visibility query (what the UI runs) and by
// `starter list --number`; RequestId lists the request and its orders; `status` lists all 2,000
// numbers; every number ends active on the instance; the instance API saw no more than 2 requests/s
// (burst 5).
func TestBulkRequestEndToEnd(t *testing.T) {
	ctx, s, srv := startSystemServer(t, 6*time.Minute)
	const (
		arn        = "arn:aws:connect:us-east-1:123456789012:instance/e2e-bulk"
		requestID  = "E2E-BULK"
		workflowID = "port-in-" + requestID
		total      = 2000
	)
	s.ok(ctx, t, "instance", "add", "--arn", arn, "--owner-name", "Bulk Holdings", "--address", "1 Bulk Way, Springfield",
		"--billing-contact", "billing@bulk.example", "--phone-number-limit", "10")
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", publishedFlow)

	req := porting.PortInRequest{
		RequestID: requestID, InstanceARN: arn, ContactFlow: publishedFlow,
		AuthorizedContact: porting.Contact{Name: "Ada Lovelace", Email: "ada@example.com"},
		Deadlines:         &porting.Deadlines{PortDateRule: porting.PortDateAny},
	}
	carriers := []string{"Acme Telecom", "Beta Wireless", "Gamma Networks", "Delta Voice"}
	for i := 0; i < total; i++ {
		// 8 groups of 250: carrier i%4, DIDs for the first half, toll-free for the second.
		n := porting.PortNumber{E164: fmt.Sprintf("+1415%07d", 3000000+i), Type: porting.NumberTypeDID, Carrier: carriers[i%4]}
		if i >= total/2 {
			n.E164, n.Type = fmt.Sprintf("+1800%07d", 3000000+i), porting.NumberTypeTollFree
		}
		req.Numbers = append(req.Numbers, n)
	}
	started := time.Now()
	r := s.ok(ctx, t, "port-in", "--file", writeJSON(t, "bulk.json", req))
	require.Equal(t, workflowID, strings.TrimSpace(r.stdout))
	t.Logf("2,000-number request validated and started in %s", time.Since(started).Round(time.Millisecond))

	// Updates addressed to a group go to its orders and answer with their validators: an LOA for a
	// group reaches each of its orders (exit 0, each order's answer); a carrier answer to an order
	// still awaiting its LOA is that order's refusal (exit 3, its own words); a group the request has
	// not is the request's refusal (exit 3). A removed number leaves the order that holds it.
	s.waitState(ctx, t, workflowID, porting.StateAwaitingLOA, time.Minute)
	r = s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", "Acme Telecom/did", "--file", writeJSON(t, "bulk-loa.json", loa("bulk.pdf")))
	for k := 1; k <= 3; k++ {
		assert.Contains(t, r.stdout, fmt.Sprintf("group Acme Telecom/did~%d: LOA v1 submitted to Acme Telecom", k), r)
	}
	r = s.run(ctx, "carrier-response", "--workflow", workflowID, "--group", "Beta Wireless/did~1", "--accept",
		"--port-date", time.Now().Add(time.Hour).Format(time.RFC3339))
	assert.Equal(t, 3, r.code, r)
	assert.Contains(t, r.stderr, "group Beta Wireless/did~1 is awaiting_loa, not awaiting the carrier", r)
	r = s.run(ctx, "submit-loa", "--workflow", workflowID, "--group", "Omega Telecom/did", "--file", writeJSON(t, "bulk-loa2.json", loa("x.pdf")))
	assert.Equal(t, 3, r.code, r)
	assert.Contains(t, r.stderr, `group "Omega Telecom/did" is not part of request E2E-BULK`, r)
	removed := req.Numbers[total-1].E164
	r = s.ok(ctx, t, "remove-numbers", "--workflow", workflowID, "--number", removed, "--reason", "kept by the customer", "--by", "e2e")
	assert.Contains(t, r.stdout, "removed by e2e: kept by the customer", r)

	// A second worker process: the instance API's limit must hold for both together.
	startWorker(ctx, t, filepath.Join(filepath.Dir(s.bin), "worker"), s.env, srv.Client())
	simLog := startSimulator(t, s, "--accept-after", "1s", "--port-in", "20s", "--customer-after", "0s", "--submit-loas", "--poll", "500ms")

	var final porting.Status
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, err := s.status(ctx, workflowID)
		require.NoError(c, err)
		require.False(c, st.State.IsEnd() && st.State != porting.StateCompleted, "ended %s: %+v", st.State, st.History)
		require.Equal(c, porting.StateCompleted, st.State)
		final = st
	}, 4*time.Minute, 2*time.Second, "the bulk request completes through the simulator (log: %s)", simLog)
	t.Logf("completed %s after the start", time.Since(started).Round(time.Second))

	// status lists every number, each completed, in its order.
	require.Len(t, final.Numbers, total)
	require.Equal(t, 24, final.Orders)
	for _, n := range final.Numbers {
		if n.E164 == removed {
			require.Equal(t, porting.StateCancelled, n.State, n.E164)
			continue
		}
		require.Equal(t, porting.StateCompleted, n.State, n.E164)
	}
	at1500 := req.Numbers[1500].E164
	assert.Equal(t, at1500, final.Numbers[1500].E164)
	orderOf1500 := ""
	for _, g := range final.Groups {
		if g.Group == final.Numbers[1500].Group {
			orderOf1500 = g.WorkflowID
		}
	}
	require.NotEmpty(t, orderOf1500)

	// Found by the visibility query an operator types in the UI, and by the starter.
	cli := temporalCLI(t, moduleRoot(t))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		out, err := exec.CommandContext(ctx, cli, "workflow", "list", "--address", srv.FrontendHostPort(), "--namespace", srv.Namespace(),
			"--query", fmt.Sprintf(`PhoneNumbers = "%s"`, at1500), "--output", "json").CombinedOutput()
		require.NoError(c, err, string(out))
		var rows []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
		}
		require.NoError(c, json.Unmarshal(out, &rows), string(out))
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.Execution.WorkflowID)
		}
		require.Equal(c, []string{orderOf1500}, ids)
	}, 30*time.Second, time.Second)
	list := s.ok(ctx, t, "list", "--number", at1500)
	assert.Contains(t, list.stdout, orderOf1500)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		out, err := exec.CommandContext(ctx, cli, "workflow", "list", "--address", srv.FrontendHostPort(), "--namespace", srv.Namespace(),
			"--query", fmt.Sprintf(`RequestId = "%s"`, requestID), "--output", "json").CombinedOutput()
		require.NoError(c, err, string(out))
		var rows []json.RawMessage
		require.NoError(c, json.Unmarshal(out, &rows), string(out))
		require.Len(c, rows, 25, "the request and its 24 orders")
	}, 30*time.Second, time.Second)

	// The completed request's status, read from its result, is what its status query answers.
	assertStatusFromResultIsTheQuerys(ctx, t, s, srv, workflowID, total)

	// The table view counts the numbers per state; --numbers lists them all.
	table := s.ok(ctx, t, "status", "--workflow", workflowID).stdout
	assert.Contains(t, table, "NUMBERS (2000; --numbers lists them)")
	assert.Contains(t, table, "ORDER WORKFLOW")
	all := s.ok(ctx, t, "status", "--workflow", workflowID, "--numbers").stdout
	assert.Contains(t, all, at1500)

	// On the instance: all 2,000 active; the limit raised by 2,000 over its base.
	db, err := sqlx.Open("postgres", envValue(s.env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	var active, limit int
	require.NoError(t, db.GetContext(ctx, &active, `SELECT count(*) FROM phone_numbers WHERE instance_arn = $1 AND state = 'active'`, arn))
	require.NoError(t, db.GetContext(ctx, &limit, `SELECT phone_number_limit FROM instances WHERE arn = $1`, arn))
	assert.Equal(t, total-1, active, "all but the removed number")
	assert.Equal(t, 10+total-1, limit)
	var locked int
	require.NoError(t, db.GetContext(ctx, &locked, `SELECT count(*) FROM port_request_numbers WHERE workflow_id = $1 AND active`, workflowID))
	assert.Zero(t, locked, "every number unlocked at the end")
	assertInstanceAPIRate(ctx, t, db, arn)
}

// assertStatusFromResultIsTheQuerys checks, on a completed request, that the status read from its
// result (what the starter prints: no worker replays the request's history) is the status query's
// answer — a worker replaying the history — to the byte, page by page with numbers_next, and as a
// whole in `status --json`.
func assertStatusFromResultIsTheQuerys(ctx context.Context, t *testing.T, s starter, srv *temporalServer, workflowID string, numbers int) {
	t.Helper()
	c, err := temporalconn.Dial(ctx, temporalconn.Config{Address: srv.FrontendHostPort(), Namespace: srv.Namespace(), PayloadKey: payloadKey()},
		quietLogger(), 30*time.Second)
	require.NoError(t, err)
	defer c.Close()
	query := func(page *porting.StatusPage) json.RawMessage {
		var args []any
		if page != nil {
			args = append(args, page)
		}
		v, err := c.QueryWorkflow(ctx, workflowID, "", porting.QueryStatus, args...)
		require.NoError(t, err)
		var raw json.RawMessage
		require.NoError(t, v.Get(&raw))
		return raw
	}
	r := portstatus.New(c, workflowID)
	third := numbers / 3
	for _, page := range []*porting.StatusPage{nil, {Limit: third}, {Offset: third, Limit: third}, {Offset: 2 * third, Limit: third}, {Offset: numbers - 1}, {Offset: numbers + 5}} {
		fromResult, err := r.Page(ctx, page)
		require.NoError(t, err)
		require.Equal(t, portstatus.FromResult, r.Source(), "a completed request's status comes from its result")
		require.Equal(t, string(query(page)), string(fromResult), "page %+v", page)
	}
	// Followed page by page as the starter does, from each.
	var queried porting.Status
	for next, first := 0, true; first || next > 0; first = false {
		var page porting.Status
		require.NoError(t, json.Unmarshal(query(&porting.StatusPage{Offset: next, Limit: third}), &page))
		if first {
			queried = page
		} else {
			queried.Numbers = append(queried.Numbers, page.Numbers...)
		}
		next = page.NumbersNext
	}
	queried.NumbersTotal, queried.NumbersOffset, queried.NumbersNext = 0, 0, 0
	require.Len(t, queried.Numbers, numbers)
	whole, err := portstatus.New(c, workflowID).All(ctx)
	require.NoError(t, err)
	want, err := json.MarshalIndent(queried, "", "  ")
	require.NoError(t, err)
	got, err := json.MarshalIndent(whole, "", "  ")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the whole status read from the result")
	out := s.ok(ctx, t, "status", "--workflow", workflowID, "--json").stdout
	require.Equal(t, string(want)+"\n", out, "status --json of the completed request")
}

// assertInstanceAPIRate checks the simulated instance API's access log: over any stretch of time,
// at most 5 + 2/s of requests (the token bucket, across every worker).
func assertInstanceAPIRate(ctx context.Context, t *testing.T, db *sqlx.DB, arn string) {
	t.Helper()
	var at []time.Time
	require.NoError(t, db.SelectContext(ctx, &at, `SELECT at FROM instance_api_requests WHERE instance_arn = $1 ORDER BY at`, arn))
	require.NotEmpty(t, at)
	worst := 0.0
	for i := range at {
		for j := i; j < len(at); j++ {
			excess := float64(j-i+1) - 2*at[j].Sub(at[i]).Seconds()
			worst = max(worst, excess)
		}
	}
	t.Logf("instance API: %d requests in %s; the worst stretch held %.2f requests above 2/s (burst 5)",
		len(at), at[len(at)-1].Sub(at[0]).Round(time.Millisecond), worst)
	assert.LessOrEqual(t, worst, 5.25)
}
