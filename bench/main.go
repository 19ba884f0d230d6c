// Command bench measures the number-porting system and prints one table (issue 7; `make bench`).
//
// Everything runs on this machine in one run: the Go benchmarks of the workflows in the
// time-skipping environment; then the Temporal dev server (bin/temporal), a fresh Postgres database
// on DATABASE_URL's server and the worker binary built from ./worker, driven by the carrier
// simulator (package simulator, playing the customer and the carriers); a baseline workflow
// of the same shape doing no work on a worker process of its own (this binary, -baseline-worker).
// Timings are medians of -runs runs; every row says its target and PASS or FAIL.
//
//	bench [-runs 3] [-n 500] [-open 20000] [-items timeskip,history,provision,load,memory,bulk,actions]
//	bench -engine cluster -items load   # items 2 and 6 on the running Temporal server on Postgres
//	bench -items 8                      # billable actions per port from workflows/testdata, no server
//
// -items also takes the README's item numbers: 1 timeskip, 2 and 6 load, 3 history, 4 provision,
// 5 memory, 7 bulk (one request of 20,000 numbers, on a dev server, database and worker of its own),
// 8 actions (Temporal Cloud billable actions per port shape, from the recorded histories).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/contactcenter/numberporting/porting"
)

type options struct {
	temporalCLI  string
	runs         int
	n            int
	open         int
	items        map[string]bool
	carrierDelay time.Duration
	portAhead    time.Duration
	verbose      bool
	bulk         bulkOptions
	// actionQueries: item 8 adds this many queries per port (queries are billable, not in history).
	actionQueries int
	// cacheProbes: item 5 times this many status queries and submit-loa updates on cached ports and
	// as many on evicted ones.
	cacheProbes int
}

// itemNumbers are the README's item numbers, accepted by -items.
var itemNumbers = map[string]string{"1": "timeskip", "2": "load", "3": "history", "4": "provision", "5": "memory", "6": "load", "7": "bulk", "8": "actions"}

func main() {
	var (
		o          options
		items      string
		baselineW  bool
		probe      bool
		profOpen   int
		profDir    string
		tryN       int
		tryWorkers int
	)
	flag.StringVar(&o.temporalCLI, "temporal", "", "the Temporal CLI (dev server); default $TEMPORAL_CLI, else <module>/bin/temporal")
	flag.IntVar(&o.runs, "runs", 3, "runs of each timing (the table shows the median)")
	flag.IntVar(&o.n, "n", 500, "concurrent PortIn requests of the throughput load")
	flag.IntVar(&o.open, "open", 20000, "item 5: open ports of the memory measurement")
	flag.IntVar(&o.cacheProbes, "cache-probes", 20, "item 5: status queries and submit-loa updates timed on ports in the worker's cache, and as many on evicted ones (0: none)")
	flag.StringVar(&items, "items", "timeskip,history,provision,load,memory,bulk,actions", "what to measure (comma-separated names or item numbers 1-8)")
	flag.DurationVar(&o.carrierDelay, "carrier-delay", time.Second, "the simulated carrier answers this long after the LOA reached it")
	flag.DurationVar(&o.portAhead, "port-ahead", 5*time.Second, "the carrier's port date this far after its answer")
	flag.IntVar(&o.bulk.numbers, "bulk-numbers", porting.MaxNumbersPerRequest, "item 7: numbers of the bulk request (20 groups)")
	flag.DurationVar(&o.bulk.portAhead, "bulk-port-ahead", 4*time.Minute, "item 7: the carrier's port date this far after its acceptance (every order must be provisioned before the first activates)")
	flag.DurationVar(&o.bulk.timeout, "bulk-timeout", 20*time.Minute, "item 7: the whole run")
	flag.DurationVar(&o.bulk.every, "bulk-status-every", 15*time.Second, "item 7: a status sweep this often while the orders run")
	flag.IntVar(&o.bulk.endProbes, "bulk-status-end", 5, "item 7: status sweeps of the completed request")
	flag.IntVar(&o.actionQueries, "actions-queries", 0, "item 8: status queries per port the driver makes (billable, not in history), added to each count")
	flag.BoolVar(&o.verbose, "v", false, "print each run as it ends")
	flag.StringVar(&engine.kind, "engine", engineDev, "where items 2 and 6 run: dev (a dev server per run) or cluster (the running scripts/cluster.sh cluster; -items load only)")
	flag.StringVar(&engine.address, "cluster-address", "", "-engine cluster: the frontend; default $TEMPORAL_ADDRESS, else 127.0.0.1:7233")
	flag.StringVar(&engine.runDir, "cluster-run-dir", "", "-engine cluster: scripts/cluster.sh's run directory (its PID files, for CPU); default $CLUSTER_RUN_DIR, else <module>/bin/cluster/run")
	flag.BoolVar(&baselineW, "baseline-worker", false, "run the baseline workflow's worker (a subprocess of the bench)")
	flag.BoolVar(&probe, "probe", false, "run one PortIn and print its history event by event")
	flag.IntVar(&profOpen, "profile-open", 0, "open N ports on an in-process worker and write CPU, heap and goroutine profiles to -profile-dir")
	flag.StringVar(&profDir, "profile-dir", "bench-profiles", "where -profile-open writes its profiles")
	flag.IntVar(&tryN, "try", 0, "diagnosis: run N PortIn and N baseline ports once, with CPU per process (BENCH_PERF=dir: perf record the server and the worker)")
	flag.IntVar(&tryWorkers, "workers", 1, "worker processes for -try")
	flag.Parse()
	o.items = map[string]bool{}
	for _, it := range strings.Split(items, ",") {
		it = strings.TrimSpace(it)
		if name, ok := itemNumbers[it]; ok {
			it = name
		}
		o.items[it] = true
	}
	switch engine.kind {
	case engineDev:
	case engineCluster:
		for it := range o.items {
			if it != "load" {
				fatal(fmt.Errorf("-engine cluster measures items 2 and 6 (-items load), not %q", it))
			}
		}
		if engine.address == "" {
			engine.address = os.Getenv("TEMPORAL_ADDRESS")
		}
		if engine.address == "" {
			engine.address = "127.0.0.1:7233"
		}
		if engine.runDir == "" {
			engine.runDir = os.Getenv("CLUSTER_RUN_DIR")
		}
		if engine.runDir == "" {
			root, err := moduleRoot()
			fatal(err)
			engine.runDir = filepath.Join(root, "bin", "cluster", "run")
		}
	default:
		fatal(fmt.Errorf("-engine %q: want dev or cluster", engine.kind))
	}
	if baselineW {
		fatal(runBaselineWorker())
		return
	}
	if o.temporalCLI == "" {
		o.temporalCLI = os.Getenv("TEMPORAL_CLI")
	}
	if o.temporalCLI == "" {
		root, err := moduleRoot()
		fatal(err)
		o.temporalCLI = filepath.Join(root, "bin", "temporal")
	}
	// Ctrl-C or SIGTERM stops the run and still stops its processes and drops its databases.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case probe:
		fatal(withEnv(ctx, o, func(e *env) error { return probeRun(ctx, e, o) }))
	case profOpen > 0:
		fatal(withEnv(ctx, o, func(e *env) error { return profileOpen(ctx, e, profOpen, profDir) }))
	case tryN > 0:
		fatal(withEnv(ctx, o, func(e *env) error { return tryRun(ctx, e, o, tryN, tryWorkers) }))
	default:
		fatal(runAll(ctx, o))
	}
}

func withEnv(ctx context.Context, o options, fn func(*env) error) error {
	e, err := newEnv(ctx, o.temporalCLI)
	if err != nil {
		return err
	}
	defer e.close()
	return fn(e)
}

// fatal exits on an error; callers' deferred cleanups have run (the ones below main's own frame).
func fatal(err error) {
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
