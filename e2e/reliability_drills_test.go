//go:build reliability

package e2e

// Drills of make test-cluster beyond the worker and Temporal restarts: Postgres restarted under
// Temporal and the product at once, and one of two workers killed again and again.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReliabilityPostgresRestart stops the Postgres server itself (pg_ctlcluster stop -m fast: every
// connection dropped, Temporal's on the cluster and the product's alike) while ports provision, keeps
// it down a few seconds and starts it again. Temporal and the worker reconnect by themselves; every
// port completes. It restarts the machine's Postgres, so it runs only when PORTING_PG_RESTART is set
// (make test-cluster sets it): to "1" (pg_ctlcluster on the one cluster under /etc/postgresql) or
// to "<version> <cluster>".
func TestReliabilityPostgresRestart(t *testing.T) {
	which := os.Getenv("PORTING_PG_RESTART")
	if which == "" {
		t.Skip("restarts the machine's Postgres: set PORTING_PG_RESTART=1 (make test-cluster does)")
	}
	ctl := postgresCtl(t, which)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	seed := relSeed(t)
	t.Logf("seed %d (RELIABILITY_SEED=%d repeats the random choices)", seed, seed)
	began := time.Now()

	f := newFleet(ctx, t, seed, fleetOptions{batchSize: 1})
	f.plan(ctx, fleetSpec{
		portIn: 6, portInTwo: 2, portInCancel: 2, intl: 3, portOut: 4,
		minDelay: 10 * time.Second, maxDelay: 40 * time.Second,
	})
	t.Logf("fleet: %s; %s", f.kinds(), f.server.describe())
	done := f.run(ctx)

	require.True(t, f.awaitProvisioning(ctx, 2*time.Minute), "no provisioning started")
	snap, err := f.snapshot(ctx)
	require.NoError(t, err)
	pid := f.worker.pid()
	t.Logf("stopping Postgres: %s", snap)
	stopAt := time.Now()
	t.Cleanup(func() { _ = ctl("start") }) // whatever happens, Postgres runs again after the test
	require.NoError(t, ctl("stop", "-m", "fast"))
	down := f.between(3*time.Second, 8*time.Second)
	require.Error(t, pingNew(ctx, f.dbURL), "Postgres still answers after the stop")
	pause(ctx, down)
	require.NoError(t, ctl("start"))
	require.Eventually(t, func() bool { return pingNew(ctx, f.dbURL) == nil }, time.Minute, 200*time.Millisecond)
	unavailable := time.Since(stopAt)
	f.db.SetMaxIdleConns(0) // drop the test's own pooled connections the restart killed
	f.db.SetMaxIdleConns(2)

	// Temporal answers again (the cluster's server reconnects to its databases by itself).
	var temporalBack time.Duration
	require.Eventually(t, func() bool {
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		defer qcancel()
		_, err := f.c.DescribeWorkflowExecution(qctx, f.plans[0].workflowID, "")
		return err == nil
	}, 3*time.Minute, 500*time.Millisecond, "Temporal does not answer after the Postgres restart")
	temporalBack = time.Since(stopAt)
	require.True(t, f.worker.alive(), "the worker exited during the Postgres restart")
	assert.Equal(t, pid, f.worker.pid())
	t.Logf("postgres restart: down %s (unavailable %s in all); Temporal answering %s after the stop; worker alive, same process",
		down.Round(time.Millisecond), unavailable.Round(time.Millisecond), temporalBack.Round(time.Millisecond))

	back := time.Now()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("ports still running when the test's time ran out (seed %d)", seed)
	}
	t.Logf("all %d ports ended %s after Postgres came back", len(f.plans), time.Since(back).Round(time.Second))
	f.verify(ctx)
	t.Logf("history: %s", f.historyStats(ctx))
	t.Logf("%s", f.driverStats())
	t.Logf("runtime %s (seed %d)", time.Since(began).Round(time.Second), seed)
}

// postgresCtl runs pg_ctlcluster on the Postgres cluster PORTING_PG_RESTART names.
func postgresCtl(t *testing.T, which string) func(action string, args ...string) error {
	t.Helper()
	version, cluster := "", "main"
	if fields := strings.Fields(which); len(fields) == 2 {
		version, cluster = fields[0], fields[1]
	} else {
		dirs, _ := filepath.Glob("/etc/postgresql/*")
		if len(dirs) != 1 {
			t.Fatalf("PORTING_PG_RESTART=%q: want \"<version> <cluster>\" when /etc/postgresql holds %d versions", which, len(dirs))
		}
		version = filepath.Base(dirs[0])
	}
	return func(action string, args ...string) error {
		cmd := exec.Command("pg_ctlcluster", append([]string{"--skip-systemctl-redirect", version, cluster, action}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("pg_ctlcluster %s %s %s: %v\n%s", version, cluster, action, err, out)
		}
		return err
	}
}

// TestReliabilityTwoWorkers runs the fleet on two worker processes and SIGKILLs one of them up to
// ten times while ports run — while numbers are provisioned, at port-out release times, at random —
// restarting it each time; the other runs throughout and takes the work. Every port completes, each
// number counted once.
func TestReliabilityTwoWorkers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	seed := relSeed(t)
	t.Logf("seed %d (RELIABILITY_SEED=%d repeats the random choices)", seed, seed)
	began := time.Now()

	f := newFleet(ctx, t, seed, fleetOptions{batchSize: 1, workers: 2})
	f.plan(ctx, fleetSpec{
		portIn: 8, portInTwo: 4, portInCancel: 4, intl: 6, intlCancel: 2, portOut: 8,
		minDelay: 15 * time.Second, maxDelay: 100 * time.Second,
	})
	steady := f.others[0]
	steadyPID := steady.pid()
	t.Logf("fleet: %s; two workers (pids %d and %d); %s", f.kinds(), f.worker.pid(), steadyPID, f.server.describe())
	done := f.run(ctx)
	start := time.Now()

	// Random kills between the targeted ones: a target can wait up to two minutes for its moment
	// (a provisioning to interrupt), and the ports must not all end before the sixth kill.
	targets := []string{"random", "provisioning", "random", "random", "release-out", "random",
		"random", "provisioning", "random", "release-out", "random", "random"}
	var duringProvisioning, duringRelease, kills int
kills:
	for i, target := range targets {
		select {
		case <-done:
			break kills // nothing left to interrupt
		default:
		}
		hit := f.killMoment(ctx, target)
		snap, err := f.snapshot(ctx)
		require.NoError(t, err)
		f.worker.kill()
		kills++
		if snap.provisioningGroups > 0 {
			duringProvisioning++
		}
		if snap.releasesDue > 0 {
			duringRelease++
		}
		downtime := f.between(500*time.Millisecond, 4*time.Second)
		pause(ctx, downtime)
		restart := f.worker.start(ctx, f.c)
		t.Logf("kill %2d at +%5.1fs, %s (found: %v): %s; down %s, back polling after %s", i+1, time.Since(start).Seconds(), target, hit,
			snap, downtime.Round(time.Millisecond), restart.Round(time.Millisecond))
		require.True(t, steady.alive(), "the other worker died")
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("ports still running when the test's time ran out (seed %d)", seed)
	}
	t.Logf("all %d ports ended %s after the first start", len(f.plans), time.Since(start).Round(time.Second))
	t.Logf("two workers: %d SIGKILLs of one (started %d times), %d while a group's provisioning was unfinished, %d with a release due; the other ran throughout (pid %d)",
		kills, f.worker.starts, duringProvisioning, duringRelease, steadyPID)
	assert.Equal(t, steadyPID, steady.pid(), "the steady worker was restarted")
	assert.GreaterOrEqual(t, kills, 6)
	assert.Positive(t, duringProvisioning, "no kill while provisioning")

	f.verify(ctx)
	t.Logf("history: %s", f.historyStats(ctx))
	t.Logf("%s", f.driverStats())
	t.Logf("runtime %s (seed %d)", time.Since(began).Round(time.Second), seed)
}
