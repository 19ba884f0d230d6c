package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/contactcenter/numberporting/porting"
)

// memoryTargetMB is item 5's target (issue 17): the worker's RSS with o.open (20,000) ports open.
const memoryTargetMB = 200

// Item 5: the worker's resident memory with o.open ports awaiting their LOA, then what its workflow
// cache is worth: status queries and submit-loa updates timed on ports it still holds and on ports
// it evicted (replayed from their history), alternately.
func itemMemory(ctx context.Context, rep *report, e *env, o options) error {
	metricsAddr, err := freeHostPort()
	if err != nil {
		return err
	}
	procs, err := e.startWorkers(ctx, 1, porting.TaskQueue, e.workerBin, nil, "GODEBUG=gctrace=1", "METRICS_ADDR="+metricsAddr)
	if err != nil {
		return err
	}
	defer stopAll(procs)
	arns, err := addInstances(ctx, e.db, "mem", 500, 1000)
	if err != nil {
		return err
	}
	pid := procs[0].pid()
	rss0, _ := rssKB(pid)
	cpu0 := cpuTime(pid)
	// RSS as the ports open: it grows with the ports the workflow cache holds, then levels off.
	// Read when the count of open ports first passes each of these.
	var steps []string
	next := 0
	checkpoints := []int{500, 1000, 1500, 2000, 3000, 5000, 10000, 15000, 20000, 30000, 50000}
	d, err := e.openPorts(ctx, "mem", arns, o.open, 200, func(open int) {
		if next < len(checkpoints) && open >= checkpoints[next] {
			for next < len(checkpoints) && open >= checkpoints[next] {
				next++
			}
			if kb, err := rssKB(pid); err == nil {
				steps = append(steps, fmt.Sprintf("%s: %.0f", thousands(open), decimalMB(kb)))
			}
		}
	})
	if err != nil {
		return err
	}
	time.Sleep(5 * time.Second)
	rss, err := rssKB(pid)
	if err != nil {
		return err
	}
	hwm, _ := statusKB(pid, "VmHWM:")
	cpu := cpuTime(pid) - cpu0
	mb := decimalMB(rss)
	rep.add("5", fmt.Sprintf("worker RSS with %s open ports awaiting their LOA", thousands(o.open)), fmt.Sprintf("%.0f MB", mb),
		fmt.Sprintf("≤ %d MB", memoryTargetMB), passIf(mb <= memoryTargetMB), "")
	rep.note("Item 5: %d ports opened in %.0f s (%.1f/s), the worker's CPU %.1f ms per port; worker RSS %.0f MB at start, %.0f MB with them open, peak %.0f MB (VmHWM; MB = 10^6 bytes); "+
		"RSS in MB by ports open: %s; worker settings: %s; Go runtime at its last GC: %s; %s",
		o.open, d.Seconds(), float64(o.open)/d.Seconds(), cpu.Seconds()*1000/float64(o.open), decimalMB(rss0), mb, decimalMB(hwm), strings.Join(steps, ", "),
		workerMemorySettings(procs[0].log), lastGC(procs[0].log), goMemory(ctx, "http://"+metricsAddr+"/metrics"))
	if o.cacheProbes > 0 {
		return cacheTrade(ctx, rep, e, o, pid, "http://"+metricsAddr+"/metrics", "mem")
	}
	return nil
}

// cacheTrade times the status query and the submit-loa update on ports in the worker's workflow
// cache (among the last opened, each brought into the cache just before) and on ports it evicted
// (the first opened; queries do not bring a port into the cache), o.cacheProbes of each, cached and evicted alternately so that the machine's load falls on
// both alike. Each probe is checked against the worker's sticky cache counters: a cached port's
// first task hits the cache and nothing misses; an evicted port's misses it (a task that arrives
// with the whole history, because the server stopped sending the port's tasks to this worker's
// sticky queue, neither hits nor misses: it replays too). A submit-loa update completes once the LOA
// reached the carrier outbox (an activity, then a workflow task), so its time includes those.
func cacheTrade(ctx context.Context, rep *report, e *env, o options, pid int, metricsURL, tag string) error {
	k, n := o.cacheProbes, o.open
	if 4*k > n {
		return fmt.Errorf("-cache-probes %d needs at least %d open ports", k, 4*k)
	}
	id := func(i int) string { return porting.PortInWorkflowID(fmt.Sprintf("%s-%d", tag, i)) }
	group := porting.GroupName(benchCarrier, porting.NumberTypeDID)
	// The counters reach /metrics within the tally report interval (1 s).
	counters := func() (hits, misses float64, err error) {
		if err := sleep(ctx, 1200*time.Millisecond); err != nil {
			return 0, 0, err
		}
		if hits, err = scrapeSum(ctx, metricsURL, "temporal_sticky_cache_hit_total"); err != nil {
			return 0, 0, err
		}
		misses, err = scrapeSum(ctx, metricsURL, "temporal_sticky_cache_miss_total")
		return hits, misses, err
	}
	timed := func(f func() error) (float64, error) {
		t := time.Now()
		err := f()
		return float64(time.Since(t).Microseconds()) / 1000, err
	}
	query := func(wf string) func() error {
		return func() error { _, err := e.status(ctx, wf); return err }
	}
	submit := func(wf string) func() error {
		return func() error { return e.update(ctx, wf, porting.SignalSubmitLOA, benchLOA(group), nil) }
	}
	type probe struct {
		name   string
		wf     string
		f      func(string) func() error
		cached bool
		ms     *[]float64
		cpu    *time.Duration // the worker's, over the probes of its kind
	}
	var cachedQ, evictedQ, cachedU, evictedU []float64
	var cpuCQ, cpuEQ, cpuCU, cpuEU time.Duration
	unexpected := 0
	// The last ports' last tasks (a notification after awaiting_loa) may still be under way: wait
	// until the counters stand still, so that each probe's count is its own.
	hits0, misses0, err := counters()
	for quiet := time.Now().Add(time.Minute); err == nil && time.Now().Before(quiet); {
		var h, m float64
		if h, m, err = counters(); err == nil && h == hits0 && m == misses0 {
			break
		}
		hits0, misses0 = h, m
	}
	if err != nil {
		return err
	}
	for i := 0; i < k; i++ {
		// The cached port: one of the last opened, and certainly in the cache: the worker has just
		// handled a task of it, an LOA for a group it does not have, which the update's validator
		// refuses (a refused update leaves nothing in the history). Its query first: the update
		// moves the port on.
		cached := id(n - 1 - i)
		if err := e.update(ctx, cached, porting.SignalSubmitLOA, benchLOA(warmUpGroup), nil); err == nil {
			return fmt.Errorf("%s: an LOA for group %q was accepted", cached, warmUpGroup)
		}
		if hits0, misses0, err = counters(); err != nil {
			return err
		}
		for _, p := range []probe{
			{"status query, cached", cached, query, true, &cachedQ, &cpuCQ},
			{"status query, evicted", id(i), query, false, &evictedQ, &cpuEQ},
			{"submit-loa, cached", cached, submit, true, &cachedU, &cpuCU},
			{"submit-loa, evicted", id(k + i), submit, false, &evictedU, &cpuEU},
		} {
			cpu0 := cpuTime(pid)
			ms, err := timed(p.f(p.wf))
			*p.cpu += cpuTime(pid) - cpu0
			if err != nil {
				return fmt.Errorf("%s (%s): %w", p.name, p.wf, err)
			}
			hits, misses, err := counters()
			if err != nil {
				return err
			}
			if fromCache := misses == misses0 && hits > hits0; fromCache != p.cached {
				unexpected++
				logf("item 5: %s %s: %v cache hits, %v misses", p.name, p.wf, hits-hits0, misses-misses0)
			}
			hits0, misses0 = hits, misses
			*p.ms = append(*p.ms, ms)
		}
	}
	size, _ := scrapeSum(ctx, metricsURL, "temporal_sticky_cache_size")
	row := func(what string, xs []float64) {
		rep.add("5", fmt.Sprintf("%s (median of %d)", what, len(xs)), fmt.Sprintf("%.1f ms", median(xs)), "(report)", "", listf(xs, "%.1f"))
	}
	row("status query, port in the worker's cache", cachedQ)
	row("status query, port evicted from the cache (replayed)", evictedQ)
	row("submit-loa update, port in the worker's cache", cachedU)
	row("submit-loa update, port evicted from the cache (replayed)", evictedU)
	rep.note("Item 5, cache trade: %d probes of each kind on ports %s-%d… (cached: the last opened, each after a refused update brought it in) and %s-0… (evicted, the first opened); "+
		"%d probe(s) were not served as expected by the worker's cache (temporal_sticky_cache_hit_total, _miss_total); workflows in the cache afterwards: %.0f; "+
		"the worker's CPU per probe (its total over the probes, from /proc, in 10 ms ticks): status query %.1f ms cached, %.1f ms evicted; submit-loa %.1f ms cached, %.1f ms evicted",
		k, tag, n-1, tag, unexpected, size, perProbe(cpuCQ, k), perProbe(cpuEQ, k), perProbe(cpuCU, k), perProbe(cpuEU, k))
	return nil
}

func perProbe(d time.Duration, k int) float64 { return d.Seconds() * 1000 / float64(k) }

// goMemory summarizes the worker's Go runtime memory from its /metrics (the Go collector's gauges).
func goMemory(ctx context.Context, url string) string {
	var parts []string
	for _, m := range []struct{ name, what string }{
		{"go_memstats_heap_inuse_bytes", "heap in use"},
		{"go_memstats_stack_inuse_bytes", "stacks"},
		{"go_memstats_heap_idle_bytes", "heap idle"},
		{"go_memstats_heap_released_bytes", "of which released"},
		{"go_memstats_sys_bytes", "total from the OS"},
	} {
		v, err := scrapeSum(ctx, url, m.name)
		if err != nil {
			return "Go memory: ?"
		}
		parts = append(parts, fmt.Sprintf("%s %.0f MB", m.what, v/1e6))
	}
	g, _ := scrapeSum(ctx, url, "go_goroutines")
	return fmt.Sprintf("Go memory: %s; %.0f goroutines", strings.Join(parts, ", "), g)
}

// warmUpGroup is a group no port of the bench has.
var warmUpGroup = porting.GroupName("Warm-up Telecom", porting.NumberTypeDID)

// scrapeSum reads a Prometheus text endpoint and adds up every sample of the metric name.
func scrapeSum(ctx context.Context, url, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	sum, found := 0.0, false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %w", url, line, err)
		}
		sum, found = sum+v, true
	}
	if !found {
		return 0, nil // a counter appears once it was first incremented
	}
	return sum, nil
}

// decimalMB converts KiB (what /proc calls kB) to MB of 10^6 bytes.
func decimalMB(kib int64) float64 { return float64(kib) * 1024 / 1e6 }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// workerMemorySettings is what the worker logged of its memory settings at start (worker/main.go's
// "memory settings" line).
func workerMemorySettings(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != "memory settings" {
			continue
		}
		var parts []string
		for _, k := range []string{"workflow_cache_size", "memory_limit", "gogc"} {
			if v, ok := line[k]; ok {
				parts = append(parts, fmt.Sprintf("%s=%v", k, v))
			}
		}
		return strings.Join(parts, " ")
	}
	return "? (no memory settings line in the worker's log)"
}

var gcLine = regexp.MustCompile(`^gc (\d+) @[0-9.]+s (\d+)%: .*?(\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (\d+) MB stacks`)

// lastGC summarizes the worker's last gctrace line: the heap after the GC, its goal, the stacks,
// the collections so far and the share of the process's CPU they took since it started.
func lastGC(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return "?"
	}
	defer f.Close()
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := gcLine.FindStringSubmatch(sc.Text()); m != nil {
			last = fmt.Sprintf("live heap %s MB, heap goal %s MB, goroutine stacks %s MB (scanned); %s collections, %s%% of its CPU", m[5], m[6], m[7], m[1], m[2])
		}
	}
	if last == "" {
		return "?"
	}
	return last
}

// openPorts starts n PortIn requests (2 numbers each, one per instance of arns, round robin) and
// waits until every one of them awaits its LOA (the PortState search attribute), i.e. the worker
// holds n open ports that wait for the outside world. At most inflight starts are in flight.
// progress, when not nil, is called with the count of ports awaiting their LOA each time it is
// read (every second, from the first start on).
func (e *env) openPorts(ctx context.Context, tag string, arns []string, n, inflight int, progress func(open int)) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	query := fmt.Sprintf(`WorkflowType = %q AND ExecutionStatus = "Running" AND PortState = %q AND WorkflowId STARTS_WITH %q`,
		porting.WorkflowPortIn, porting.StateAwaitingLOA, porting.PortInWorkflowID(tag+"-"))
	allOpen := make(chan struct{})
	go func() {
		for {
			resp, err := e.client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: e.namespace, Query: query})
			if err == nil {
				if progress != nil {
					progress(int(resp.GetCount()))
				}
				if resp.GetCount() >= int64(n) {
					close(allOpen)
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	sem := make(chan struct{}, inflight)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i := 0; i < n; i++ {
		req := portInRequest(fmt.Sprintf("%s-%d", tag, i), arns[i%len(arns)], nextNumbers(2), 1)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := e.client.ExecuteWorkflow(ctx, startOptions(porting.PortInWorkflowID(req.RequestID), porting.TaskQueue, req), porting.WorkflowPortIn, req)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	select {
	case <-allOpen:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
