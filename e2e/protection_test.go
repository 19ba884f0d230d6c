package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
)

// TestPortOutProtectionEndToEnd drives a port-out of an instance with a port-out passcode through
// the starter (DESIGN §8 "Port-out protection"): a locked number refuses the start; three wrong
// passcodes (each PASSCODE_INVALID, nothing else said) freeze the port-out, which then takes no
// request; operations unfreeze it; the right passcode is approved and the numbers are released. The
// customer heard of the first request at once. The passcodes are nowhere in clear: not in the raw
// history (read by the `temporal` CLI and by a client without the codec), not in the worker's log,
// not in any row of Postgres.
func TestPortOutProtectionEndToEnd(t *testing.T) {
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
		"TEMPORAL_NAMESPACE=" + srv.Namespace(),
		"DATABASE_URL=" + dbURL,
		"LOG_LEVEL=debug",
	}
	workerLog := startWorkerLogged(ctx, t, bins.worker, env, srv.Client())
	s := starter{bin: bins.starter, env: env}

	const (
		arn        = "arn:aws:connect:us-east-1:123456789012:instance/e2e-protect"
		passcode   = "Zq7pass9"
		n1, n2, n3 = "+12125550180", "+12125550181", "+12125550182"
		workflowID = "port-out-E2E-PROTECT"
	)
	wrong := []string{"Wr0ngA", "", "Wr0ngC"}
	s.ok(ctx, t, "instance", "add", "--arn", arn, "--owner-name", outOwner, "--address", outAddress, "--billing-contact", outBilling,
		"--port-out-passcode", passcode)
	r := s.run(ctx, "instance", "set", "--arn", arn, "--port-out-passcode", "abc")
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stderr, "port_out_passcode", r)
	for _, n := range []string{n1, n2, n3} {
		s.ok(ctx, t, "number", "claim", "--instance", arn, "--e164", n)
	}

	// A locked number: its port-out is refused at the start.
	s.ok(ctx, t, "number", "lock", "--e164", n3, "--by", "ops:kim", "--reason", "fraud reported")
	r = s.run(ctx, "port-out", "--file", writeJSON(t, "locked.json", portOutRequest("E2E-LOCKED", arn, n3)))
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "locked", r)
	require.Contains(t, r.stderr, n3, r)

	s.ok(ctx, t, "port-out", "--file", writeJSON(t, "protect.json", portOutRequest("E2E-PROTECT", arn, n1, n2)))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingWinningCarrier, time.Minute)
	request := func(p string) porting.WinningCarrierRequest {
		c := carrierRequest(time.Now().Add(8*time.Second), n1, n2)
		c.Passcode = p
		return c
	}
	for i, p := range wrong {
		r = s.run(ctx, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "wrong.json", request(p)))
		require.Equal(t, 3, r.code, "wrong passcode %d: %s", i+1, r)
		require.Contains(t, r.stderr, "PASSCODE_INVALID", r)
		require.NotContains(t, r.stderr, "owner_name", r)
	}
	st := s.waitState(ctx, t, workflowID, porting.StateFrozen, 30*time.Second)
	require.Contains(t, historyNotes(st), "frozen after 3 wrong passcodes")
	r = s.run(ctx, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "right.json", request(passcode)))
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "frozen", r)

	s.ok(ctx, t, "unfreeze", "--workflow", workflowID, "--by", "ops:kim", "--reason", "the owner confirmed by phone")
	s.waitState(ctx, t, workflowID, porting.StateRejectedMismatch, 30*time.Second)
	r = s.ok(ctx, t, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "right.json", request(passcode)))
	require.Contains(t, r.stdout, "approved", r)
	s.waitState(ctx, t, workflowID, porting.StateCompleted, time.Minute)

	// Postgres: the customer was told at once, operations of the freeze; every attempt audited; no
	// passcode anywhere in clear.
	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	var kinds []string
	require.NoError(t, db.SelectContext(ctx, &kinds, `SELECT kind || '/' || recipient FROM notifications WHERE workflow_id = $1 ORDER BY id`, workflowID))
	assert.Contains(t, kinds, "port_out_requested/customer")
	assert.Contains(t, kinds, "port_out_frozen/operations")
	assert.Contains(t, kinds, "port_out_frozen/customer")
	var attempts int
	require.NoError(t, db.GetContext(ctx, &attempts, `SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'port_out_passcode_checked'`, workflowID))
	assert.Equal(t, 4, attempts, "three wrong passcodes and the right one")
	secrets := []string{passcode, wrong[0], wrong[2]}
	dump := dumpDatabase(ctx, t, db)
	for _, secret := range secrets {
		assert.NotContains(t, dump, secret, "Postgres holds a passcode in clear")
	}

	// The raw history, as the `temporal` CLI shows it (no codec), and as a codec-less client reads it.
	out, err := exec.CommandContext(ctx, cli, "workflow", "show", "--address", srv.FrontendHostPort(), "--namespace", srv.Namespace(), "--workflow-id", workflowID, "--output", "json").CombinedOutput()
	require.NoError(t, err, string(out))
	require.True(t, strings.Contains(string(out), "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"), "temporal workflow show printed the history")
	for _, ev := range rawHistory(ctx, t, srv.Client(), workflowID) {
		b, err := proto.Marshal(ev)
		require.NoError(t, err)
		for _, secret := range secrets {
			require.False(t, bytes.Contains(b, []byte(secret)), "passcode in clear in event %d (%s)", ev.GetEventId(), ev.GetEventType())
		}
	}
	for _, secret := range secrets {
		assert.False(t, strings.Contains(string(out), secret), "passcode in clear in `temporal workflow show`")
	}
	logText, err := os.ReadFile(workerLog)
	require.NoError(t, err)
	for _, secret := range secrets {
		assert.NotContains(t, string(logText), secret, "passcode in the worker's log")
	}
}

// dumpDatabase is every row of every table of the database, as JSON text.
func dumpDatabase(ctx context.Context, t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var tables []string
	require.NoError(t, db.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`))
	var b strings.Builder
	for _, table := range tables {
		var rows []string
		require.NoError(t, db.SelectContext(ctx, &rows, `SELECT row_to_json(t)::text FROM "`+table+`" t`))
		b.WriteString(strings.Join(rows, "\n"))
	}
	return b.String()
}

func historyNotes(st porting.Status) string {
	var b strings.Builder
	for _, h := range st.History {
		b.WriteString(h.Note + "\n")
	}
	return b.String()
}
