//go:build reliability

package e2e

// Reliability tests (make test-reliability): ports driven through the dev server, a worker running
// as its own process and Postgres, while the worker is SIGKILLed, Postgres refuses connections or
// the Temporal server restarts. Afterwards every port must have reached its expected end, and every
// number, audit row and notification must be in the database exactly once.
//
// Random choices (kill moments, downtimes, port dates) come from a seeded generator; the seed is
// logged and RELIABILITY_SEED=<seed> repeats them.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// between is a random duration in [lo, hi) from the fleet's seeded generator.
func (f *fleet) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(f.rng.Int64N(int64(hi-lo)))
}

// pause lets a chosen random duration pass (the moment of a kill, a downtime): it waits for no
// condition.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// killRecord is one SIGKILL of the worker.
type killRecord struct {
	target   string // what the moment was chosen for
	hit      bool   // the target was there (else the kill fell back to a random moment)
	at       time.Duration
	snap     snapshot
	downtime time.Duration
	restart  time.Duration
}

// killMoment waits for the moment of the next kill: a random delay, or the moment a ProvisionNumbers
// is mid-flight, a port-out's release time has just come, or a cancel (which releases provisioned
// numbers) has just been sent. It reports whether the target was found.
func (f *fleet) killMoment(ctx context.Context, target string) bool {
	switch target {
	case "provisioning":
		// Attempts a kill interrupted resume after their heartbeat timeout (a minute): this can wait.
		if !f.awaitProvisioning(ctx, 2*time.Minute) {
			return false
		}
		// A short pause: a group's provisioning (one number a batch) can end within 300 ms, and the
		// cluster's CI run once found every group done by the snapshot after the stop.
		pause(ctx, f.between(0, 50*time.Millisecond))
		return true
	case "release-out":
		var at time.Time
		if !poll(ctx, time.Minute, 100*time.Millisecond, func() bool {
			var found bool
			at, found = f.releasesAfter(time.Now().Add(300 * time.Millisecond))
			return found
		}) {
			return false
		}
		// Within 100 ms of the release time: the release and the port's end take a few round trips.
		pause(ctx, time.Until(at)+f.between(0, 100*time.Millisecond))
		return true
	case "release-cancel":
		f.cancelGate <- struct{}{}
		select {
		case <-f.cancelSent:
		case <-time.After(90 * time.Second):
			return false
		case <-ctx.Done():
			return false
		}
		pause(ctx, f.between(10*time.Millisecond, 120*time.Millisecond))
		return true
	default:
		pause(ctx, f.between(2*time.Second, 7*time.Second))
		return true
	}
}

// TestReliabilityWorkerCrash runs 52 ports of every kind while the worker is SIGKILLed 12 times —
// at random moments, while numbers are being provisioned, and right when numbers are being
// released (port-out release times, cancels after provisioning) — and restarted each time.
func TestReliabilityWorkerCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	seed := relSeed(t)
	t.Logf("seed %d (RELIABILITY_SEED=%d repeats the random choices)", seed, seed)
	began := time.Now()

	f := newFleet(ctx, t, seed, fleetOptions{batchSize: 1, gateCancel: true})
	f.plan(ctx, fleetSpec{
		portIn: 14, portInTwo: 6, portInCancel: 6, intl: 10, intlCancel: 2, portOut: 14,
		minDelay: 15 * time.Second, maxDelay: 90 * time.Second,
	})
	require.GreaterOrEqual(t, len(f.plans), 50)
	t.Logf("fleet: %s; provisioning: 1 number per instance-API request at %d requests/s per instance", f.kinds(), 2)
	done := f.run(ctx)
	start := time.Now()

	targets := []string{"random", "provisioning", "release-cancel", "random", "release-out", "provisioning",
		"random", "release-cancel", "release-out", "random", "release-out", "provisioning", "random", "release-cancel"}
	var kills []killRecord
	for i, target := range targets {
		// Some cancels go at random moments too, not only right before a kill.
		if i%3 == 0 && target != "release-cancel" {
			select {
			case f.cancelGate <- struct{}{}:
			default:
			}
		}
		k := killRecord{target: target}
		k.hit = f.killMoment(ctx, target)
		var err error
		k.snap, err = f.snapshot(ctx)
		require.NoError(t, err)
		k.at = time.Since(start)
		f.worker.kill()
		k.downtime = f.between(200*time.Millisecond, 2500*time.Millisecond)
		pause(ctx, k.downtime)
		k.restart = f.worker.start(ctx, f.c)
		kills = append(kills, k)
		hit := ""
		if !k.hit {
			hit = " (target not found: a random moment)"
		}
		t.Logf("kill %2d at +%5.1fs, %s%s: %s; down %s, back polling after %s", i+1, k.at.Seconds(), target, hit,
			k.snap, k.downtime.Round(time.Millisecond), k.restart.Round(time.Millisecond))
		require.NoError(t, ctx.Err())
	}
	close(f.cancelGate) // the cancels not sent yet go now
	killPhase := time.Since(start)

	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("ports still running when the test's time ran out (seed %d)", seed)
	}
	t.Logf("all %d ports ended %s after the first start (kill phase %s)", len(f.plans), time.Since(start).Round(time.Second), killPhase.Round(time.Second))

	var duringProvisioning, duringRelease, releaseBeforeCommit int
	for _, k := range kills {
		if k.snap.provisioningGroups > 0 {
			duringProvisioning++
		}
		if k.snap.releasesDue > 0 {
			duringRelease++
			if k.snap.releasesDue > k.snap.releasesCommitted {
				releaseBeforeCommit++
			}
		}
	}
	liveProvisioning := 0
	for _, k := range kills {
		if k.target == "provisioning" && k.hit {
			liveProvisioning++
		}
	}
	t.Logf("kills: %d SIGKILLs (worker started %d times); %d while a group's provisioning was started and unfinished "+
		"(%d of them while numbers were being added, within 300 ms of one), %d with a release due and its port not finished "+
		"(%d of them before the release committed)",
		len(kills), f.worker.starts, duringProvisioning, liveProvisioning, duringRelease, releaseBeforeCommit)
	assert.GreaterOrEqual(t, len(kills), 10)
	assert.Positive(t, liveProvisioning, "no kill happened while numbers were being provisioned")
	assert.Positive(t, duringRelease, "no kill happened during a release")

	f.verify(ctx)
	hist := f.historyStats(ctx)
	t.Logf("history: %s", hist)
	t.Logf("%s", f.driverStats())
	t.Logf("runtime %s (seed %d)", time.Since(began).Round(time.Second), seed)
}

// TestReliabilityPostgresOutage cuts the worker off Postgres while ports are provisioning: its
// connections are terminated and the database refuses new ones for 12 s. Activities fail, retry
// with backoff and complete once Postgres is back; nothing is lost or doubled.
func TestReliabilityPostgresOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	seed := relSeed(t)
	t.Logf("seed %d (RELIABILITY_SEED=%d repeats the random choices)", seed, seed)
	began := time.Now()
	const outage = 12 * time.Second

	f := newFleet(ctx, t, seed, fleetOptions{batchSize: 1})
	f.plan(ctx, fleetSpec{
		portIn: 6, portInTwo: 2, portInCancel: 2, intl: 3, portOut: 4,
		minDelay: 10 * time.Second, maxDelay: 40 * time.Second,
	})
	t.Logf("fleet: %s", f.kinds())
	done := f.run(ctx)

	require.True(t, f.awaitProvisioning(ctx, 2*time.Minute), "no provisioning started")
	snap, err := f.snapshot(ctx)
	require.NoError(t, err)
	t.Logf("outage begins: %s", snap)

	admin := pgAdmin(t)
	db := pq.QuoteIdentifier(f.dbName)
	allow := func() error {
		actx, acancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer acancel()
		_, err := admin.ExecContext(actx, "ALTER DATABASE "+db+" WITH ALLOW_CONNECTIONS true")
		return err
	}
	t.Cleanup(func() { _ = allow() }) // whatever happens, the database is usable again for its drop
	outageStart := time.Now()
	_, err = admin.ExecContext(ctx, "ALTER DATABASE "+db+" WITH ALLOW_CONNECTIONS false")
	require.NoError(t, err)
	var terminated int
	require.NoError(t, admin.QueryRowContext(ctx, `
		SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) t`,
		f.dbName).Scan(&terminated))

	// The database refuses every new connection for the whole outage.
	refused := 0
	refusedNow := func() {
		err := pingNew(ctx, f.dbURL)
		var pqErr *pq.Error
		require.Error(t, err, "Postgres accepted a connection during the outage")
		require.True(t, errors.As(err, &pqErr) && pqErr.Code == "55000", "unexpected connection error during the outage: %v", err)
		refused++
	}
	for time.Since(outageStart) < outage {
		refusedNow()
		pause(ctx, min(2*time.Second, outage-time.Since(outageStart)))
	}
	refusedNow()
	require.NoError(t, allow())
	outageTook := time.Since(outageStart)
	require.True(t, f.worker.alive(), "the worker exited during the outage")
	f.db.SetMaxIdleConns(0) // drop the test's own pooled connections the outage killed
	f.db.SetMaxIdleConns(2)
	t.Logf("outage: %s (connections terminated: %d; %d new connections refused with 55000 meanwhile)",
		outageTook.Round(100*time.Millisecond), terminated, refused)
	assert.GreaterOrEqual(t, outageTook, 10*time.Second)
	assert.Positive(t, terminated, "the worker had no connection to terminate")

	back := time.Now()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("ports still running when the test's time ran out (seed %d)", seed)
	}
	t.Logf("all %d ports ended %s after Postgres came back", len(f.plans), time.Since(back).Round(time.Second))

	f.verify(ctx)
	hist := f.historyStats(ctx)
	t.Logf("history: %s", hist)
	t.Logf("%s", f.driverStats())
	assert.Positive(t, hist.retriedTotal(), "no activity was retried: the outage hit nothing")
	t.Logf("runtime %s (seed %d)", time.Since(began).Round(time.Second), seed)
}

// TestReliabilityTemporalRestart stops Temporal twice — while ports are provisioning, and right when
// a port-out's release time has come (its timer fires and the release runs) — and starts it again on
// the same port: the dev server (which keeps its state in a database file) or, under make
// test-cluster, the cluster's server killed -9 (CLUSTER_KILL_SERVICES: only those services). The
// worker keeps running and reconnects by itself; every port completes.
func TestReliabilityTemporalRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	seed := relSeed(t)
	t.Logf("seed %d (RELIABILITY_SEED=%d repeats the random choices)", seed, seed)
	began := time.Now()

	f := newFleet(ctx, t, seed, fleetOptions{dbFile: true, batchSize: 1})
	f.plan(ctx, fleetSpec{
		portIn: 6, portInTwo: 2, portInCancel: 2, intl: 3, portOut: 6,
		minDelay: 10 * time.Second, maxDelay: 50 * time.Second,
	})
	t.Logf("fleet: %s; %s", f.kinds(), f.server.describe())
	done := f.run(ctx)

	var outages []outageRecord
	for _, target := range []string{"provisioning", "release-out"} {
		if target == "provisioning" {
			// Port-out release times are set (durable timers) before the server goes.
			require.Eventually(t, func() bool { _, ok := f.releasesAfter(time.Now().Add(10 * time.Second)); return ok },
				time.Minute, 100*time.Millisecond, "no port-out release scheduled")
		}
		outages = append(outages, f.restartTemporal(ctx, target))
	}

	back := time.Now()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("ports still running when the test's time ran out (seed %d)", seed)
	}
	t.Logf("all %d ports ended %s after the server came back", len(f.plans), time.Since(back).Round(time.Second))

	var provisioning, releasing int
	for _, o := range outages {
		if o.hit && o.snap.provisioningGroups > 0 {
			provisioning++
		}
		if o.hit && o.snap.releasesDue > 0 {
			releasing++
		}
	}
	t.Logf("temporal restarts: %d (%d while numbers were being provisioned, %d with a release due and its port unfinished)",
		len(outages), provisioning, releasing)
	assert.Positive(t, provisioning, "no restart while numbers were being provisioned")
	assert.Positive(t, releasing, "no restart while a release ran")

	f.verify(ctx)
	t.Logf("history: %s", f.historyStats(ctx))
	t.Logf("%s", f.driverStats())
	t.Logf("runtime %s (seed %d)", time.Since(began).Round(time.Second), seed)
}

// outageRecord is one stop and start of Temporal.
type outageRecord struct {
	target                               string
	hit                                  bool
	snap                                 snapshot
	stopTook, down, startTook, reconnect time.Duration
}

// restartTemporal stops Temporal at the target's moment (killMoment), keeps it down 2–5 s, starts
// it again and waits for the worker — the same process — to poll again.
func (f *fleet) restartTemporal(ctx context.Context, target string) outageRecord {
	t := f.t
	t.Helper()
	o := outageRecord{target: target}
	o.hit = f.killMoment(ctx, target)
	var err error
	o.snap, err = f.snapshot(ctx)
	require.NoError(t, err)
	pid := f.worker.pid()

	stopAt := time.Now()
	require.NoError(t, f.server.stop())
	o.stopTook = time.Since(stopAt)
	o.down = f.between(2*time.Second, 5*time.Second)
	pause(ctx, o.down)
	startAt := time.Now()
	require.NoError(t, f.server.start(ctx))
	o.startTook = time.Since(startAt)
	// The test's client (the drivers' too) is the one from before the restart: it reconnects by itself.

	// The worker survives the outage and polls the new server by itself.
	require.True(t, f.worker.alive(), "the worker exited while Temporal was down")
	f.worker.awaitReconnect(ctx, f.c)
	o.reconnect = time.Since(startAt)
	assert.Equal(t, pid, f.worker.pid())
	hit := ""
	if !o.hit {
		hit = " (target not found: a random moment)"
	}
	t.Logf("temporal stopped at %s%s: %s; stop took %s, down %s, start took %s (unavailable %s in all); the worker polled again %s after the start began",
		target, hit, o.snap, o.stopTook.Round(time.Millisecond), o.down.Round(time.Millisecond), o.startTook.Round(time.Millisecond),
		time.Since(stopAt).Round(time.Millisecond), o.reconnect.Round(time.Millisecond))
	return o
}

// pingNew opens a new connection to dbURL (never a pooled one) and pings it.
func pingNew(ctx context.Context, dbURL string) error {
	c, err := pq.NewConnector(dbURL)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := c.Connect(pctx)
	if err != nil {
		return err
	}
	return conn.Close()
}
