package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/porting"
)

// row is one line of the table.
type row struct {
	item, what, value, target string
	result                    string // PASS, FAIL or "" (reported, no target)
	runs                      string // the individual runs, for the notes
}

type report struct {
	rows  []row
	notes []string
}

func (r *report) add(item, what, value, target, result, runs string) {
	r.rows = append(r.rows, row{item, what, value, target, result, runs})
}

func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func passIf(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func listf(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, ", ")
}

func runAll(ctx context.Context, o options) error {
	began := time.Now()
	rep := &report{}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	load := loadAverage()

	if o.items["actions"] {
		logf("item 8: billable actions per port, from workflows/testdata")
		if err := itemActions(rep, root, o); err != nil {
			return err
		}
	}
	if o.items["timeskip"] {
		logf("item 1: go test -bench Lifecycle -count %d ./workflows", o.runs)
		if err := itemTimeSkip(ctx, rep, root, o); err != nil {
			return err
		}
	}
	if o.items["history"] || o.items["provision"] || o.items["load"] || o.items["memory"] {
		if err := sharedEnvItems(ctx, rep, o); err != nil {
			return err
		}
	}
	if o.items["bulk"] {
		if err := itemBulk(ctx, rep, o); err != nil {
			return err
		}
	}
	printReport(rep, o, began, host, load)
	return nil
}

// sharedEnvItems runs items 2-6 on one dev server, database and worker binary.
func sharedEnvItems(ctx context.Context, rep *report, o options) error {
	logf("starting the engine (%s), a fresh database and the worker", engine.describe())
	e, err := newEnv(ctx, o.temporalCLI)
	if err != nil {
		return err
	}
	defer e.close()
	if o.items["provision"] {
		logf("item 4: provisioning 10,000 numbers vs one multi-row INSERT, %d runs", o.runs)
		if err := itemProvision(ctx, rep, e, o); err != nil {
			return err
		}
	}
	if o.items["history"] {
		logf("item 3: history of the happy path and of a bulk request (1,000 numbers, 10 groups)")
		if err := itemHistory(ctx, rep, e, o); err != nil {
			return err
		}
	}
	if o.items["load"] {
		if err := itemLoad(ctx, rep, e, o); err != nil {
			return err
		}
	}
	if o.items["memory"] {
		logf("item 5: worker RSS with %d open ports", o.open)
		if err := itemMemory(ctx, rep, e, o); err != nil {
			return err
		}
	}
	return nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Item 1.
func itemTimeSkip(ctx context.Context, rep *report, root string, o options) error {
	res, _, err := runGoBench(ctx, root, o.runs)
	if err != nil {
		return err
	}
	bare := median(res["BenchmarkBareLifecycle"]) / 1e6
	for _, b := range []struct {
		name, what string
		targetMS   float64 // issue 17: ≤ 2 ms for PortIn; the others keep the first wave's ≤ 5 ms
	}{
		{"BenchmarkPortInLifecycle", "PortIn lifecycle, 1 LOA rejection round, 21 simulated days", 2},
		{"BenchmarkInternationalPortInLifecycle", "InternationalPortIn lifecycle with cost approval, 21 days", 5},
		{"BenchmarkPortOutLifecycle", "PortOut lifecycle with 1 mismatch round, 11 days", 5},
	} {
		runs := res[b.name]
		if len(runs) == 0 {
			return fmt.Errorf("no result for %s", b.name)
		}
		ms := median(runs) / 1e6
		ms1 := make([]float64, len(runs))
		for i, v := range runs {
			ms1[i] = v / 1e6
		}
		rep.add("1", b.what, fmt.Sprintf("%.2f ms/op (%.1f× bare)", ms, ms/bare), fmt.Sprintf("≤ %g ms", b.targetMS), passIf(ms <= b.targetMS), listf(ms1, "%.2f"))
	}
	rep.add("1", "reference: bare workflow, 3 activities over 34 simulated days", fmt.Sprintf("%.2f ms/op", bare), "", "",
		listf(res["BenchmarkBareLifecycle"], "%.0f ns"))
	return nil
}

// Item 4.
func itemProvision(ctx context.Context, rep *report, e *env, o options) error {
	var act, ins, ratio []float64
	for r := 0; r < o.runs; r++ {
		res, err := e.provisionOnce(ctx, r)
		if err != nil {
			return err
		}
		if o.verbose {
			logf("  provisioning run %d: activity %v, INSERT %v", r+1, res.Activity, res.Insert)
		}
		act = append(act, res.Activity.Seconds()*1000)
		ins = append(ins, res.Insert.Seconds()*1000)
		ratio = append(ratio, res.ratio())
	}
	rep.add("4", "ProvisionNumbers, 10,000 numbers into one instance", fmt.Sprintf("%.0f ms", median(act)), "", "", listf(act, "%.0f"))
	rep.add("4", "baseline: one multi-row INSERT of the same 10,000 rows", fmt.Sprintf("%.0f ms", median(ins)), "", "", listf(ins, "%.0f"))
	m := median(ratio)
	rep.add("4", "ratio activity / INSERT", fmt.Sprintf("%.2f×", m), "≤ 1.5×", passIf(m <= 1.5), listf(ratio, "%.2f"))
	rep.note("Item 4: %d numbers per instance-API request (%d batches: the burst of the fresh instance's token bucket, so it never waits; with the default %d per request the instance API's 2 requests/s make 10,000 numbers take ≥ 47.5 s by design). Each side on a fresh database.",
		provisionBatch, provisionNumbers/provisionBatch, 100)
	return nil
}

// bulkNumbers is item 3's bulk request: 1,000 numbers, the measured row (requests may now hold up to
// porting.MaxNumbersPerRequest, 20,000).
const bulkNumbers = 1000

// Item 3.
func itemHistory(ctx context.Context, rep *report, e *env, o options) error {
	shape, elapsed, err := e.historyOf(ctx, o, "hist-happy", 2, 1)
	if err != nil {
		return fmt.Errorf("happy path: %w", err)
	}
	rep.add("3", "events per history, happy path (2 numbers, 1 group)", fmt.Sprint(shape.Events), "≤ 120", passIf(shape.Events <= 120), "")
	rep.add("3", "bytes per history, happy path", fmt.Sprintf("%.1f KB", float64(shape.Bytes)/1024), "", "", "")
	rep.add("3", "billable actions per happy-path port-in (this history; item 8's rules)", fmt.Sprint(shape.Actions.Total), "≤ 20", passIf(shape.Actions.Total <= 20), "")
	rep.note("Item 3, happy path (completed in %.1f s): %s", elapsed.Seconds(), shape.detailed())

	// The bulk request, first as the starter starts it on a server with default limits.
	bulk := bulkNumbers
	req := portInRequest("hist-bulk-default", instanceARN("hist", 0), nextNumbers(bulk), 10)
	_, startErr := e.client.ExecuteWorkflow(ctx, startOptions(porting.PortInWorkflowID(req.RequestID), porting.TaskQueue, req), porting.WorkflowPortIn, req)
	be := e
	if startErr != nil {
		rep.add("3", "bulk request (1,000 numbers) starts on a server with default limits", "no", "(finding)", "FAIL", "")
		rep.note("Item 3, bulk request on default limits: the start is refused: %v. The PhoneNumbers search attribute (set by the starter at start and by the workflow's upsertIdentity) holds every number: about 15 bytes each, so more than ~130 numbers exceed the server's 2 KB per value (frontend.searchAttributesSizeOfValueLimit; Temporal Cloud has the same kind of limit). The history below is measured on a second dev server with that limit raised to 64 KB.", startErr)
		logf("  bulk request refused on default limits; measuring it on a second dev server with a raised search-attribute limit")
		be, err = newEnv(ctx, o.temporalCLI, "--dynamic-config-value", "frontend.searchAttributesSizeOfValueLimit=65536")
		if err != nil {
			return err
		}
		defer be.close()
	} else {
		_ = e.client.TerminateWorkflow(ctx, porting.PortInWorkflowID(req.RequestID), "", "bench: start check only")
	}
	shape, elapsed, err = be.historyOf(ctx, o, "hist-bulk", bulk, 10)
	if err != nil {
		return fmt.Errorf("bulk request: %w", err)
	}
	rep.add("3", "events per history, bulk request (1,000 numbers, 10 groups)", fmt.Sprint(shape.Events), "≤ 2,000", passIf(shape.Events <= 2000), "")
	rep.add("3", "bytes per history, bulk request", fmt.Sprintf("%.1f KB", float64(shape.Bytes)/1024), "≤ 2 MB", passIf(shape.Bytes <= 2<<20), "")
	rep.note("Item 3, bulk request (completed in %.1f s): %s", elapsed.Seconds(), shape.detailed())
	return nil
}

// historyOf runs one port of numbers numbers in groups groups to completed (carrier simulator,
// one worker) and returns its history's shape.
func (e *env) historyOf(ctx context.Context, o options, id string, numbers, groups int) (historyShape, time.Duration, error) {
	procs, err := e.startWorkers(ctx, 1, porting.TaskQueue, e.workerBin, nil)
	if err != nil {
		return historyShape{}, 0, err
	}
	defer stopAll(procs)
	arns, err := addInstances(ctx, e.db, id, 1, 2*bulkNumbers)
	if err != nil {
		return historyShape{}, 0, err
	}
	spec := loadSpec{Tag: id, WorkflowType: porting.WorkflowPortIn, TaskQueue: porting.TaskQueue, Simulator: true,
		Requests:     []porting.PortInRequest{portInRequest(id, arns[0], nextNumbers(numbers), groups)},
		CarrierDelay: o.carrierDelay, PortAhead: o.portAhead}
	res, err := e.runLoad(ctx, spec)
	if err != nil {
		return historyShape{}, 0, err
	}
	h, err := e.fetchHistory(ctx, res.WorkflowID)
	if err != nil {
		return historyShape{}, 0, err
	}
	return shapeOf(h), res.Elapsed, nil
}

// loadRun is one load run's outcome.
type loadRun struct {
	res loadResult
	cpu cpuSample
}

// Items 2 and 6.
func itemLoad(ctx context.Context, rep *report, e *env, o options) error {
	arns, err := addInstances(ctx, e.db, "load", o.n, 1000)
	if err != nil {
		return err
	}
	type variant struct {
		key, kind string
		workers   int
	}
	variants := []variant{
		{"portin1", porting.WorkflowPortIn, 1},
		{"baseline", baselineWorkflow, 1},
		{"portin2", porting.WorkflowPortIn, 2},
	}
	runs := map[string][]loadRun{}
	var shapes = map[string]historyShape{}
	for r := 0; r < o.runs; r++ {
		for _, v := range variants {
			logf("items 2/6: run %d/%d, %s: %d ports, %d worker(s)", r+1, o.runs, v.key, o.n, v.workers)
			spec := loadSpec{Tag: fmt.Sprintf("%s-%d", v.key, r), WorkflowType: v.kind, Simulator: true,
				CarrierDelay: o.carrierDelay, PortAhead: o.portAhead}
			for i := 0; i < o.n; i++ {
				spec.Requests = append(spec.Requests, portInRequest(fmt.Sprintf("%s-%d-%d", v.key, r, i), arns[i], nextNumbers(2), 1))
			}
			procs, err := e.startFor(ctx, v.kind, v.workers, &spec)
			if err != nil {
				return err
			}
			before := e.sampleCPU(ctx, procs)
			res, err := e.runLoad(ctx, spec)
			cpu := e.sampleCPU(ctx, procs).since(before)
			stopAll(procs)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", v.key, r+1, err)
			}
			logf("  %.2f ports/s (%.1f s; latency p50 %.1f s, p95 %.1f s); %s", res.Rate, res.Elapsed.Seconds(), res.P50.Seconds(), res.P95.Seconds(), cpu)
			if o.verbose {
				// What held up the run's last port (workflow tasks timed out, retries): stalls show here.
				if h, err := e.fetchHistory(ctx, res.Slowest); err == nil {
					logf("  slowest port %s (%.1f s): %s", res.Slowest, res.SlowestIn.Seconds(), shapeOf(h).detailed())
				}
			}
			runs[v.key] = append(runs[v.key], loadRun{res, cpu})
			if _, ok := shapes[v.key]; !ok {
				h, err := e.fetchHistory(ctx, res.WorkflowID)
				if err != nil {
					return err
				}
				shapes[v.key] = shapeOf(h)
			}
		}
	}
	rates := func(key string) []float64 {
		var out []float64
		for _, lr := range runs[key] {
			out = append(out, lr.res.Rate)
		}
		return out
	}
	ratios := func(a, b string) []float64 {
		var out []float64
		for i := range runs[a] {
			out = append(out, runs[a][i].res.Rate/runs[b][i].res.Rate)
		}
		return out
	}
	p1, bl, p2 := rates("portin1"), rates("baseline"), rates("portin2")
	rep.add("2", fmt.Sprintf("PortIn completed per second, N = %d, 1 worker", o.n), fmt.Sprintf("%.2f /s", median(p1)), "", "", listf(p1, "%.2f"))
	rep.add("2", "baseline (same activities, timers, updates; no work) per second", fmt.Sprintf("%.2f /s", median(bl)), "", "", listf(bl, "%.2f"))
	r1 := ratios("portin1", "baseline")
	rep.add("2", "ratio PortIn / baseline", fmt.Sprintf("%.2f", median(r1)), "≥ 1.0", passIf(median(r1) >= 1.0), listf(r1, "%.2f"))
	cpuPerPort := func(key string) []float64 {
		var out []float64
		for _, lr := range runs[key] {
			out = append(out, (lr.cpu.Server+lr.cpu.Workers).Seconds()/float64(o.n)*1000)
		}
		return out
	}
	cp, cb := median(cpuPerPort("portin1")), median(cpuPerPort("baseline"))
	rep.add("2", "CPU per port, Temporal server + worker: baseline / PortIn", fmt.Sprintf("%.2f (%.0f / %.0f ms)", cb/cp, cb, cp), "", "",
		"PortIn "+listf(cpuPerPort("portin1"), "%.0f")+" ms; baseline "+listf(cpuPerPort("baseline"), "%.0f")+" ms")
	rep.add("6", fmt.Sprintf("PortIn completed per second, N = %d, 2 workers", o.n), fmt.Sprintf("%.2f /s", median(p2)), "", "", listf(p2, "%.2f"))
	r2 := ratios("portin2", "portin1")
	rep.add("6", "ratio 2 workers / 1 worker", fmt.Sprintf("%.2f", median(r2)), "(report)", "", listf(r2, "%.2f"))

	for _, v := range variants {
		var srv, wrk, bench []float64
		for _, lr := range runs[v.key] {
			srv = append(srv, lr.cpu.Server.Seconds()/float64(o.n)*1000)
			wrk = append(wrk, lr.cpu.Workers.Seconds()/float64(o.n)*1000)
			bench = append(bench, lr.cpu.Bench.Seconds()/float64(o.n)*1000)
		}
		rep.note("Items 2/6, %s: CPU per port (median): Temporal server %.0f ms, worker process(es) %.0f ms, bench (driver + carrier simulator) %.0f ms; history: %s",
			v.key, median(srv), median(wrk), median(bench), shapes[v.key])
	}
	// The baseline keeps the first wave's PortIn shape (issue 17: the ratio shows what the design
	// saves); PortIn itself now runs fewer activities (versionActionCost).
	if a, b := shapes["portin1"], shapes["baseline"]; b.activityCount() != baselineActivities || b.Timers != baselineTimers || b.updateCount() != baselineUpdates {
		rep.note("WARNING: the baseline's shape (%d activities, %d timers, %d updates) is not the first wave's PortIn (%d, %d, %d)",
			b.activityCount(), b.Timers, b.updateCount(), baselineActivities, baselineTimers, baselineUpdates)
	} else {
		rep.note("Items 2/6: the baseline runs the first wave's PortIn shape (%d activities, %d timers, %d updates); PortIn runs %d, %d, %d",
			baselineActivities, baselineTimers, baselineUpdates, a.activityCount(), a.Timers, a.updateCount())
	}
	return nil
}

func printReport(rep *report, o options, began time.Time, host, load string) {
	w := [5]int{4, 7, 5, 6, 6} // at least the headers
	for _, r := range rep.rows {
		w[1] = max(w[1], len([]rune(r.what)))
		w[2] = max(w[2], len([]rune(r.value)))
		w[3] = max(w[3], len([]rune(r.target)))
	}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len([]rune(s)))) }
	line := func(a, b, c, d, e string) {
		fmt.Printf("| %s | %s | %s | %s | %s |\n", pad(a, w[0]), pad(b, w[1]), pad(c, w[2]), pad(d, w[3]), pad(e, w[4]))
	}
	fmt.Printf("\nmake bench — %s, %d CPUs (%s), load average at start %s; median of %d runs; %.1f min; engine: %s\n\n",
		time.Now().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), host, load, o.runs, time.Since(began).Minutes(), engine.describe())
	line("item", "measure", "value", "target", "result")
	fmt.Printf("|%s|%s|%s|%s|%s|\n", strings.Repeat("-", w[0]+2), strings.Repeat("-", w[1]+2), strings.Repeat("-", w[2]+2), strings.Repeat("-", w[3]+2), strings.Repeat("-", w[4]+2))
	for _, r := range rep.rows {
		line(r.item, r.what, r.value, r.target, r.result)
	}
	fmt.Println()
	for _, r := range rep.rows {
		if r.runs != "" {
			fmt.Printf("runs, %s: %s\n", r.what, r.runs)
		}
	}
	for _, n := range rep.notes {
		fmt.Println(n)
	}
}
