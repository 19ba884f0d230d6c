package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

const (
	raceInstanceARN = "arn:aws:connect:us-east-1:123456789012:instance/e2e-race"
	raceFlow        = "Race IVR"
)

func raceRequest(requestID string, numbers ...string) porting.PortInRequest {
	req := porting.PortInRequest{
		RequestID: requestID, InstanceARN: raceInstanceARN, ContactFlow: raceFlow,
		AuthorizedContact: porting.Contact{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550199"},
		Deadlines:         &porting.Deadlines{PortDateRule: porting.PortDateAny},
	}
	for _, n := range numbers {
		req.Numbers = append(req.Numbers, porting.PortNumber{E164: n, Type: porting.NumberTypeDID, Carrier: "Acme Telecom"})
	}
	return req
}

// TestConcurrentPortInsSameNumber starts two ports for the same number at the same moment, as two
// `starter port-in` processes with different request IDs: exactly one starts (exit 0), the other is
// refused (exit 3) with a message naming the number and the port that holds it. The database
// decides — its unique index on a number's active port — not a check that both could pass: in the
// first round both requests are held inside their transactions, past every check, until both wait
// on the same insert; then they are let go together.
func TestConcurrentPortInsSameNumber(t *testing.T) {
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
	}
	startWorker(ctx, t, bins.worker, env, srv.Client())
	s := starter{bin: bins.starter, env: env}

	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = store.AddInstance(ctx, db, store.Instance{ARN: raceInstanceARN})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, db, raceInstanceARN, raceFlow, true))

	// race starts A and B at once; with held, both are stopped at the insert that locks their numbers
	// until both are there.
	race := func(t *testing.T, round int, held bool) {
		shared := fmt.Sprintf("+1415%07d", 5000000+round)
		a := raceRequest(fmt.Sprintf("RACE-%d-A", round), shared, fmt.Sprintf("+1415%07d", 5100000+round))
		b := raceRequest(fmt.Sprintf("RACE-%d-B", round), fmt.Sprintf("+1415%07d", 5200000+round), shared)
		files := []string{writeJSON(t, "a.json", a), writeJSON(t, "b.json", b)}
		ids := []string{porting.PortInWorkflowID(a.RequestID), porting.PortInWorkflowID(b.RequestID)}

		var hold *sqlx.Tx
		if held {
			// SHARE conflicts with the ROW EXCLUSIVE lock an INSERT takes and with nothing a SELECT takes:
			// both RecordPortIn transactions run every check, then wait at the insert.
			hold, err = db.BeginTxx(ctx, nil)
			require.NoError(t, err)
			defer func() { _ = hold.Rollback() }()
			_, err = hold.ExecContext(ctx, `LOCK TABLE port_request_numbers IN SHARE MODE`)
			require.NoError(t, err)
		}

		results := make([]result, 2)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				results[i] = s.run(ctx, "port-in", "--file", files[i])
			}()
		}
		close(gate)

		if held {
			require.Eventually(t, func() bool {
				var waiting int
				err := db.GetContext(ctx, &waiting, `
					SELECT count(*) FROM pg_locks WHERE relation = 'port_request_numbers'::regclass AND NOT granted`)
				return err == nil && waiting == 2
			}, time.Minute, 50*time.Millisecond, "both port requests should be waiting at the insert")
			require.NoError(t, hold.Commit())
		}
		wg.Wait()

		winner, loser := 0, 1
		if results[0].code != 0 {
			winner, loser = 1, 0
		}
		require.Equal(t, 0, results[winner].code, "one port starts:\n%s\n%s", results[0], results[1])
		require.Equal(t, 3, results[loser].code, "the other is refused:\n%s\n%s", results[0], results[1])
		assert.Equal(t, ids[winner], strings.TrimSpace(results[winner].stdout))
		assert.Contains(t, results[loser].stderr, shared+" is already in an active port ("+ids[winner]+")", results[loser])

		// The database holds exactly the winner's lock on the number; the loser recorded nothing.
		var holders []string
		require.NoError(t, db.SelectContext(ctx, &holders, `SELECT workflow_id FROM port_request_numbers WHERE e164 = $1 AND active`, shared))
		assert.Equal(t, []string{ids[winner]}, holders)
		var loserRows int
		require.NoError(t, db.GetContext(ctx, &loserRows, `SELECT count(*) FROM port_requests WHERE workflow_id = $1`, ids[loser]))
		assert.Zero(t, loserRows, "the refused port left no request behind")

		st, err := s.status(ctx, ids[loser])
		require.NoError(t, err)
		assert.Equal(t, porting.StateFailed, st.State)
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st, err := s.status(ctx, ids[winner])
			require.NoError(c, err)
			require.Equal(c, porting.StateAwaitingLOA, st.State)
		}, 30*time.Second, 200*time.Millisecond)
		t.Logf("round %d (held=%v): %s started, %s refused: %s", round, held, ids[winner], ids[loser], strings.TrimSpace(results[loser].stderr))
	}

	t.Run("both past the checks", func(t *testing.T) { race(t, 1, true) })
	for round := 2; round <= 4; round++ {
		t.Run(fmt.Sprintf("free race %d", round), func(t *testing.T) { race(t, round, false) })
	}
}
