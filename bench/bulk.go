package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/portstatus"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/simulator"
	"github.com/contactcenter/numberporting/store"
)

// Item 7 (issue 13): one bulk request of 20,000 numbers, on a dev server, database and worker of its
// own. 10 carriers × both number types = 20 LOA groups of 1,000 numbers, so 200 PortOrder workflows
// of 100; port_date_rule any. It is started as `starter port-in` starts it (start, then
// await-validation) and driven by the carrier simulator in this process: the customer's LOA for
// every order, the carrier's acceptance CarrierDelay after the LOA reached it with a port date
// -bulk-port-ahead later (far enough that every order is provisioned before the first activates),
// then activation and the test call, until the request is completed. Rows: the start (validation and
// recording of 20,000 numbers), the request's history and the largest order's, provisioning against
// the instance API's rate-limit floor, the status's latency as the starter reads it (first page, all
// pages; the status query while the orders run, the result once completed — and, for reference, the
// query of the completed request, which a worker answers by replaying its history), the wall time.
// The start, provisioning and status rows have targets (issue 17, target 3).

const (
	bulkCarriers = 10
	bulkTypes    = 2 // did, toll_free
)

// Item 7's targets (issue 17, target 3): the request validated and recorded within 2 s of the start
// call; provisioning within 1.1× the instance API's rate-limit floor; its status (first page, every
// page; while the orders run and once completed) within 300 ms.
const (
	bulkStartTarget     = 2 * time.Second
	bulkProvisionTarget = 1.1
	bulkStatusTarget    = 300 * time.Millisecond
)

// bulkOptions are item 7's knobs (flags -bulk-*).
type bulkOptions struct {
	numbers   int           // numbers of the request
	portAhead time.Duration // the carrier's port date this far after its acceptance
	timeout   time.Duration // the whole run
	every     time.Duration // a status sample this often while the orders run
	endProbes int           // status samples once completed
}

var (
	tollFreeMu   sync.Mutex
	tollFreeNext int
)

// nextTollFree returns n fresh toll-free numbers (+1800, then +1888; never the same twice in one
// process).
func nextTollFree(n int) []string {
	tollFreeMu.Lock()
	defer tollFreeMu.Unlock()
	out := make([]string, n)
	for i := range out {
		k := tollFreeNext
		tollFreeNext++
		prefix := []string{"800", "888", "877", "866"}[(k/8_000_000)%4]
		out[i] = fmt.Sprintf("+1%s%07d", prefix, 2_000_000+k%8_000_000)
	}
	return out
}

// bulkPortIn is the item's request: numbers split evenly into bulkCarriers × bulkTypes groups,
// "Carrier 01/did" … "Carrier 10/did", then "Carrier 01/toll_free" … "Carrier 10/toll_free", each a
// contiguous run of the request.
func bulkPortIn(id, arn string, numbers int) porting.PortInRequest {
	req := portInRequest(id, arn, nil, 1)
	groups := bulkCarriers * bulkTypes
	per := (numbers + groups - 1) / groups
	did, tf := nextNumbers(numbers/2), nextTollFree(numbers-numbers/2)
	for i := 0; i < numbers; i++ {
		g := i / per
		n := porting.PortNumber{Carrier: fmt.Sprintf("Carrier %02d", g%bulkCarriers+1), Type: porting.NumberTypeDID}
		if g >= bulkCarriers {
			n.Type = porting.NumberTypeTollFree
		}
		if n.Type == porting.NumberTypeDID && len(did) > 0 {
			n.E164, did = did[0], did[1:]
		} else {
			n.E164, tf = tf[0], tf[1:]
			n.Type = porting.NumberTypeTollFree
		}
		req.Numbers = append(req.Numbers, n)
	}
	return req
}

// acceptWatch is the simulator's Temporal (with the bench's race guard) that notes when the carrier's
// acceptances were sent.
type acceptWatch struct {
	raceGuard
	mu          sync.Mutex
	first, last time.Time
	accepted    int
}

func (w *acceptWatch) Update(ctx context.Context, workflowID, name string, arg any) (string, error) {
	sent := time.Now()
	out, err := w.raceGuard.Update(ctx, workflowID, name, arg)
	if r, ok := arg.(porting.CarrierResponse); ok && err == nil && name == porting.SignalCarrierResponse && r.Accepted {
		w.mu.Lock()
		if w.first.IsZero() || sent.Before(w.first) {
			w.first = sent
		}
		if sent.After(w.last) {
			w.last = sent
		}
		w.accepted++
		w.mu.Unlock()
	}
	return out, err
}

func (w *acceptWatch) window() (first, last time.Time, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first, w.last, w.accepted
}

// statusSample is one sweep of the request's status as `starter status` reads it (package
// portstatus: the status query of the running request, the result of the completed one): the first
// page alone (no argument: up to porting.DefaultStatusNumbers numbers), then the whole sweep
// following numbers_next.
type statusSample struct {
	at          time.Time
	first, all  time.Duration
	pages       int
	numbers     int
	state       porting.State
	source      portstatus.Source // where the status came from
	firstJSON   int               // bytes of the first page's status as JSON
	orders      map[porting.State]int
	numberState map[porting.State]int
}

// sweepStatus reads every page of the request's status, timing the first page and the whole.
func (e *env) sweepStatus(ctx context.Context, id string) (statusSample, porting.Status, error) {
	s := statusSample{at: time.Now(), orders: map[porting.State]int{}, numberState: map[porting.State]int{}}
	r := portstatus.New(e.client, id)
	t0 := time.Now()
	raw, err := r.Page(ctx, nil)
	if err != nil {
		return s, porting.Status{}, fmt.Errorf("status of %s: %w", id, err)
	}
	var st porting.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return s, st, fmt.Errorf("status of %s: %w", id, err)
	}
	s.first = time.Since(t0)
	s.firstJSON, s.source = len(raw), r.Source()
	s.state, s.pages = st.State, 1
	for _, g := range st.Groups {
		s.orders[g.State]++
	}
	count := func(p porting.Status) {
		s.numbers += len(p.Numbers)
		for _, n := range p.Numbers {
			s.numberState[n.State]++
		}
	}
	count(st)
	for next := st.NumbersNext; next > 0; {
		raw, err := r.Page(ctx, &porting.StatusPage{Offset: next})
		if err != nil {
			return s, st, fmt.Errorf("status of %s: %w", id, err)
		}
		var p porting.Status
		if err := json.Unmarshal(raw, &p); err != nil {
			return s, st, fmt.Errorf("status of %s: %w", id, err)
		}
		s.pages++
		count(p)
		next = p.NumbersNext
	}
	s.all = time.Since(t0)
	return s, st, nil
}

// replayedStatus times the status query itself of a closed request, which a worker answers by
// replaying its history: the first page, then every page following numbers_next.
func (e *env) replayedStatus(ctx context.Context, id string) (first, all time.Duration, err error) {
	query := func(page *porting.StatusPage) (porting.Status, error) {
		var args []any
		if page != nil {
			args = append(args, *page)
		}
		v, err := e.client.QueryWorkflow(ctx, id, "", porting.QueryStatus, args...)
		if err != nil {
			return porting.Status{}, err
		}
		var st porting.Status
		return st, v.Get(&st)
	}
	t0 := time.Now()
	st, err := query(nil)
	if err != nil {
		return 0, 0, err
	}
	first = time.Since(t0)
	for next := st.NumbersNext; next > 0; {
		p, err := query(&porting.StatusPage{Offset: next})
		if err != nil {
			return 0, 0, err
		}
		next = p.NumbersNext
	}
	return first, time.Since(t0), nil
}

// starterStatus runs `starter status --workflow id --numbers` (built from ./starter) runs times and
// returns each run's wall time in milliseconds: the whole command, from process start to exit.
func (e *env) starterStatus(ctx context.Context, id string, runs int) ([]float64, error) {
	bin := filepath.Join(e.dir, "starter")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./starter")
	build.Dir = e.root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./starter: %v\n%s", err, out)
	}
	var ms []float64
	for i := 0; i < runs; i++ {
		cmd := exec.CommandContext(ctx, bin, "status", "--workflow", id, "--numbers")
		cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+e.address, "TEMPORAL_NAMESPACE="+e.namespace, "PORTING_PAYLOAD_KEY="+e.key)
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("starter status --workflow %s: %v: %s", id, err, stderr.String())
		}
		ms = append(ms, time.Since(t0).Seconds()*1000)
	}
	return ms, nil
}

func stateCounts(m map[porting.State]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[porting.State(k)])
	}
	return strings.Join(parts, " ")
}

func millis(samples []statusSample, f func(statusSample) time.Duration) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = f(s).Seconds() * 1000
	}
	return out
}

// pgPeak is what the Postgres monitor saw during the run: the most client connections at once (the
// server's, the run database's, the bench's own pool, those of the run database waiting for a lock)
// and how often it could not look (no connection to be had).
type pgPeak struct {
	server, db, bench, lockWait int
	at                          time.Time
	maxConnections              int
	refused                     int
}

// watchPostgres samples pg_stat_activity every interval until stop is called. The worker's
// connections are the database's less the bench's own pool (this process: driver, simulator).
func (e *env) watchPostgres(ctx context.Context, every time.Duration) (stop func() pgPeak) {
	var (
		mu   sync.Mutex
		peak pgPeak
	)
	_ = e.db.GetContext(ctx, &peak.maxConnections, `SELECT setting::int FROM pg_settings WHERE name = 'max_connections'`)
	name := dbName(e.dbURL)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var c struct {
				Server   int `db:"server"`
				DB       int `db:"db"`
				LockWait int `db:"lock_wait"`
			}
			err := e.db.GetContext(wctx, &c, `SELECT count(*) AS server, count(*) FILTER (WHERE datname = $1) AS db,
				count(*) FILTER (WHERE datname = $1 AND wait_event_type = 'Lock') AS lock_wait
				FROM pg_stat_activity WHERE backend_type = 'client backend'`, name)
			bench := e.db.Stats().OpenConnections
			mu.Lock()
			switch {
			case wctx.Err() != nil:
			case err != nil:
				peak.refused++
			default:
				if c.DB > peak.db {
					peak.db, peak.bench, peak.at = c.DB, bench, time.Now()
				}
				peak.server, peak.lockWait = max(peak.server, c.Server), max(peak.lockWait, c.LockWait)
			}
			mu.Unlock()
			select {
			case <-wctx.Done():
				return
			case <-time.After(every):
			}
		}
	}()
	return func() pgPeak {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// logErrors counts the worker log's ERROR lines and those of them that say Postgres refused a
// connection (SQLSTATE 53300, too_many_connections), with the first and last time of the latter.
func logErrors(path string) (errs, tooMany int, first, last string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `"level":"ERROR"`) {
			continue
		}
		errs++
		if strings.Contains(line, "53300") {
			tooMany++
			var j struct {
				Time string `json:"time"`
			}
			if json.Unmarshal([]byte(line), &j) == nil {
				if first == "" {
					first = j.Time
				}
				last = j.Time
			}
		}
	}
	return errs, tooMany, first, last
}

// bytesByType sums the proto size of a history's events by event type, largest first.
func bytesByType(h *historypb.History) string {
	by := map[string]int{}
	for _, ev := range h.Events {
		by[strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_")] += proto.Size(ev)
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return by[keys[i]] > by[keys[j]] })
	parts := make([]string, 0, 5)
	for _, k := range keys[:min(5, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %.0f KB", k, float64(by[k])/1024))
	}
	return strings.Join(parts, ", ")
}

// Item 7.
func itemBulk(ctx context.Context, rep *report, o options) error {
	b := o.bulk
	orders := 0
	per := (b.numbers + bulkCarriers*bulkTypes - 1) / (bulkCarriers * bulkTypes)
	for g := 0; g < bulkCarriers*bulkTypes; g++ {
		size := min(per, max(0, b.numbers-g*per))
		orders += (size + porting.OrderSize - 1) / porting.OrderSize
	}
	logf("item 7: a fresh dev server, database and worker; one request of %d numbers (%d groups, %d orders), port date %v after the carrier's acceptance",
		b.numbers, bulkCarriers*bulkTypes, orders, b.portAhead)
	e, err := newEnv(ctx, o.temporalCLI)
	if err != nil {
		return err
	}
	defer e.close()
	procs, err := e.startWorkers(ctx, 1, porting.TaskQueue, e.workerBin, nil)
	if err != nil {
		return err
	}
	defer stopAll(procs)
	arns, err := addInstances(ctx, e.db, "bulk", 1, 1000)
	if err != nil {
		return err
	}
	arn := arns[0]
	req := bulkPortIn(fmt.Sprintf("BULK-%d", b.numbers), arn, b.numbers)
	id := porting.PortInWorkflowID(req.RequestID)

	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()

	// The carrier simulator, as the load items run it, with a watch on its acceptances.
	cfg := simulator.DefaultConfig()
	cfg.AcceptAfter, cfg.PortIn = o.carrierDelay, b.portAhead
	cfg.SubmitLOAs, cfg.CustomerAfter, cfg.PortOuts = true, 0, false
	cfg.Batch = max(2*orders, 200)
	var logw io.Writer = io.Discard
	simLog := filepath.Join(e.dir, "simulator.log")
	if f, err := os.OpenFile(simLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		defer f.Close()
		logw = f
	}
	watch := &acceptWatch{raceGuard: raceGuard{simulator.Client{C: e.client, Namespace: e.namespace}, e}}
	sim := &simulator.Simulator{Config: cfg, DB: e.db, Temporal: watch, Log: slog.New(slog.NewTextHandler(logw, nil))}
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan struct{})
	go func() { defer close(simDone); _ = sim.Run(simCtx, 500*time.Millisecond) }()
	defer func() { stopSim(); <-simDone }()

	stopWatch := e.watchPostgres(ctx, 250*time.Millisecond)
	cpu0 := e.sampleCPU(ctx, procs)
	t0 := time.Now()
	run, err := e.start(ctx, loadSpec{TaskQueue: porting.TaskQueue, WorkflowType: porting.WorkflowPortIn}, id, req)
	if err != nil {
		return fmt.Errorf("bulk request %s: %w", id, err)
	}
	startTime := time.Since(t0)
	logf("  %s validated and recorded: await-validation answered accepted %.1f s after the start call", id, startTime.Seconds())

	// Status sweeps while the orders run (and the progress log), until the request ends.
	var (
		runningMu sync.Mutex
		running   []statusSample
	)
	sampDone := make(chan struct{})
	sampCtx, stopSamp := context.WithCancel(ctx)
	go func() {
		defer close(sampDone)
		for {
			s, _, err := e.sweepStatus(sampCtx, id)
			switch {
			case sampCtx.Err() != nil:
				return
			case err != nil:
				logf("  status sweep failed: %v", err)
			case s.state.IsEnd():
				return
			case len(s.orders) == 0 || s.state == porting.StateCheckingPortability:
				// The orders are not started yet: no sample.
				logf("  %4.0f s: request %s", time.Since(t0).Seconds(), s.state)
			default:
				runningMu.Lock()
				running = append(running, s)
				runningMu.Unlock()
				first, _, acc := watch.window()
				api, _ := store.InstanceAPIRequests(sampCtx, e.db, arn)
				since := ""
				if !first.IsZero() {
					since = fmt.Sprintf(", %.0f s after the first acceptance", time.Since(first).Seconds())
				}
				logf("  %4.0f s: request %s; orders %s; %d acceptances, %d instance-API requests%s; status first page %.0f ms, %d pages %.0f ms",
					time.Since(t0).Seconds(), s.state, stateCounts(s.orders), acc, len(api), since,
					s.first.Seconds()*1000, s.pages, s.all.Seconds()*1000)
			}
			select {
			case <-sampCtx.Done():
				return
			case <-time.After(b.every):
			}
		}
	}()

	err = completed(ctx, run)
	wall := time.Since(t0)
	stopSamp()
	<-sampDone
	cpu := e.sampleCPU(context.Background(), procs).since(cpu0)
	pg := stopWatch()
	if err != nil {
		return e.bulkStuck(id, simLog, procs, fmt.Errorf("bulk request %s after %.0f s: %w", id, wall.Seconds(), err))
	}
	logf("  %s completed %.1f s after the start call; %s", id, wall.Seconds(), cpu)
	stopSim()
	<-simDone

	// Status at the end: the request is closed, so it is read from its result (a query would be
	// answered by a worker replaying its history: once below, for reference).
	var end []statusSample
	var final porting.Status
	for i := 0; i < b.endProbes; i++ {
		s, st, err := e.sweepStatus(ctx, id)
		if err != nil {
			return fmt.Errorf("status of the completed request: %w", err)
		}
		end = append(end, s)
		final = st
	}
	replayFirst, replayAll, err := e.replayedStatus(ctx, id)
	if err != nil {
		return fmt.Errorf("status query of the completed request: %w", err)
	}
	starterRuns, err := e.starterStatus(ctx, id, 3)
	if err != nil {
		return err
	}

	// Histories: the request's and every order's (the largest by bytes named).
	h, err := e.fetchHistory(ctx, id)
	if err != nil {
		return err
	}
	reqShape := shapeOf(h)
	var (
		orderIDs      []string
		largest       historyShape
		largestID     string
		orderBytes    []float64
		orderEvents   []float64
		mostEvents    int
		mostEventsID  string
		orderNotDoneN int
	)
	for _, g := range final.Groups {
		if g.WorkflowID != "" && !slices.Contains(orderIDs, g.WorkflowID) {
			orderIDs = append(orderIDs, g.WorkflowID)
		}
		if g.State != porting.StateCompleted {
			orderNotDoneN++
		}
	}
	for _, oid := range orderIDs {
		oh, err := e.fetchHistory(ctx, oid)
		if err != nil {
			return err
		}
		s := shapeOf(oh)
		orderBytes = append(orderBytes, float64(s.Bytes))
		orderEvents = append(orderEvents, float64(s.Events))
		if s.Bytes > largest.Bytes {
			largest, largestID = s, oid
		}
		if s.Events > mostEvents {
			mostEvents, mostEventsID = s.Events, oid
		}
	}

	// Provisioning: the simulated instance API's access log.
	api, err := store.InstanceAPIRequests(ctx, e.db, arn)
	if err != nil {
		return err
	}
	firstAccept, lastAccept, accepted := watch.window()
	provisioned := 0
	for _, r := range api {
		provisioned += r.Numbers
	}
	var active int
	if err := e.db.GetContext(ctx, &active, `SELECT count(*) FROM phone_numbers WHERE instance_arn = $1 AND state = 'active'`, arn); err != nil {
		return err
	}
	if len(api) == 0 || firstAccept.IsZero() {
		return fmt.Errorf("bulk request %s completed with %d instance-API requests and %d acceptances seen", id, len(api), accepted)
	}
	lastAPI := api[len(api)-1].At
	provision := lastAPI.Sub(firstAccept)
	floor := float64(len(api)-activities.InstanceAPIBurst) / activities.InstanceAPIRate
	apiSpan := lastAPI.Sub(api[0].At)

	runMs := func(f func(statusSample) time.Duration) []float64 { return millis(running, f) }
	firstRun, allRun := runMs(func(s statusSample) time.Duration { return s.first }), runMs(func(s statusSample) time.Duration { return s.all })
	firstEnd, allEnd := millis(end, func(s statusSample) time.Duration { return s.first }), millis(end, func(s statusSample) time.Duration { return s.all })
	pages := 0
	if len(end) > 0 {
		pages = end[0].pages
	}

	nn := fmt.Sprintf("%s numbers", commas(b.numbers))
	rep.add("7", fmt.Sprintf("bulk request (%s, %d orders): start → await-validation accepted", nn, len(orderIDs)),
		fmt.Sprintf("%.1f s", startTime.Seconds()), "≤ 2 s", passIf(startTime <= bulkStartTarget), "")
	rep.add("7", "events / bytes of the request's history", fmt.Sprintf("%s / %.1f KB", commas(reqShape.Events), float64(reqShape.Bytes)/1024), "(report)", "", "")
	rep.add("7", fmt.Sprintf("events / bytes of the largest order's history (%s)", strings.TrimPrefix(largestID, id)),
		fmt.Sprintf("%d / %.1f KB", largest.Events, float64(largest.Bytes)/1024), "(report)", "", "")
	ratio := provision.Seconds() / floor
	rep.add("7", fmt.Sprintf("first carrier acceptance → all %s provisioned (floor %.1f s)", nn, floor),
		fmt.Sprintf("%.1f s (%.2f× floor)", provision.Seconds(), ratio), fmt.Sprintf("≤ %.1f× floor", bulkProvisionTarget), passIf(ratio <= bulkProvisionTarget), "")
	statusRow := func(what string, ms []float64) {
		value := "no sample"
		if len(ms) > 0 {
			value = fmt.Sprintf("%.0f ms (max %.0f)", median(ms), slices.Max(ms))
		}
		rep.add("7", fmt.Sprintf("%s (median of %d)", what, len(ms)), value, fmt.Sprintf("≤ %d ms", bulkStatusTarget.Milliseconds()),
			passIf(len(ms) > 0 && median(ms) <= float64(bulkStatusTarget.Milliseconds())), listf(ms, "%.0f")+" ms")
	}
	statusRow(fmt.Sprintf("status, first page (%s numbers), while orders run", commas(porting.DefaultStatusNumbers)), firstRun)
	statusRow(fmt.Sprintf("status, all %d page(s), while orders run", pages), allRun)
	statusRow("status, first page, completed request", firstEnd)
	statusRow(fmt.Sprintf("status, all %d page(s), completed request", pages), allEnd)
	rep.add("7", "reference: the status query of the completed request (replayed by the worker), first page / all pages",
		fmt.Sprintf("%.0f / %.0f ms", replayFirst.Seconds()*1000, replayAll.Seconds()*1000), "(report)", "", "")
	rep.add("7", "`starter status --numbers` of the completed request, the whole command (median of 3)",
		fmt.Sprintf("%.0f ms", median(starterRuns)), "(report)", "", listf(starterRuns, "%.0f")+" ms")
	errs, tooMany, tooManyFirst, tooManyLast := logErrors(procs[0].log)
	rep.add("7", fmt.Sprintf("Postgres connections to the run's database, peak (max_connections %d)", pg.maxConnections),
		fmt.Sprintf("%d (bench %d, worker %d); %d activity attempts refused", pg.db, pg.bench, pg.db-pg.bench, tooMany), "(report)", "", "")
	rep.add("7", "start call → request completed", fmt.Sprintf("%.1f s (%.1f min)", wall.Seconds(), wall.Minutes()), "(report)", "", "")

	outcome := ""
	if len(final.History) > 0 {
		outcome = final.History[len(final.History)-1].Note
	}
	rep.note("Item 7: %s in %d groups, %d orders; port date %v after each acceptance; completed in %.1f s: %s. %d numbers active on the instance; %d order(s) not completed; %s.",
		nn, bulkCarriers*bulkTypes, len(orderIDs), b.portAhead, wall.Seconds(), outcome, active, orderNotDoneN, cpu)
	rep.note("Item 7, provisioning: %d instance-API requests carrying %d numbers; %d acceptances sent over %.1f s (the simulator answers a request's outbox rows one at a time); first acceptance → first API request %.1f s; first → last API request %.1f s (%.2f× the floor (%d − %d)/%d = %.1f s).",
		len(api), provisioned, accepted, lastAccept.Sub(firstAccept).Seconds(), api[0].At.Sub(firstAccept).Seconds(), apiSpan.Seconds(), apiSpan.Seconds()/floor,
		len(api), activities.InstanceAPIBurst, activities.InstanceAPIRate, floor)
	rep.note("Item 7, histories: request %s; orders: median %.0f events, %.1f KB, most events %d (%s); largest order %s: %s",
		reqShape.detailed(), median(orderEvents), median(orderBytes)/1024, mostEvents, mostEventsID, largestID, largest.detailed())
	rep.note("Item 7, Postgres: at the peak (%.0f s after the start call) %d client connections on the server, %d to the run's database (%d of the bench's pool, the rest the worker's), at most %d of them waiting for a lock; the monitor could not connect %d time(s). Worker log: %d ERROR lines, %d of them Postgres refusing a connection (53300 too many clients) between %s and %s.",
		pg.at.Sub(t0).Seconds(), pg.server, pg.db, pg.bench, pg.lockWait, pg.refused, errs, tooMany, tooManyFirst, tooManyLast)
	rep.note("Item 7, the request's history by event type (bytes): %s", bytesByType(h))
	var firstKB []float64
	for _, s := range running {
		firstKB = append(firstKB, float64(s.firstJSON)/1024)
	}
	sources := func(samples []statusSample) string {
		by := map[portstatus.Source]int{}
		for _, s := range samples {
			by[s.source]++
		}
		parts := make([]string, 0, len(by))
		for _, src := range []portstatus.Source{portstatus.FromQuery, portstatus.FromResult, portstatus.FromReplay} {
			if by[src] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", src, by[src]))
			}
		}
		return strings.Join(parts, ", ")
	}
	rep.note("Item 7, status (read as `starter status` reads it, package portstatus): %d sweeps while the orders ran (every %v; first page %.0f KB of JSON; from %s), %d after completion (from %s; a query of the closed request is answered by replaying its history: %.0f ms the first page, %.0f ms all pages); the last sweep listed %d numbers in %d pages: %s. `starter status --numbers` (a process: dial, read, the table) took %s ms.",
		len(running), b.every, median(firstKB), sources(running), len(end), sources(end), replayFirst.Seconds()*1000, replayAll.Seconds()*1000,
		end[len(end)-1].numbers, pages, stateCounts(end[len(end)-1].numberState), listf(starterRuns, "%.0f"))
	return nil
}

// bulkStuck adds what is known of a request that did not complete in time: its status, its orders not
// completed, where the logs are (kept).
func (e *env) bulkStuck(id, simLog string, procs []*proc, cause error) error {
	_ = os.Setenv("BENCH_KEEP", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n", cause)
	s, st, err := e.sweepStatus(ctx, id)
	if err != nil {
		fmt.Fprintf(&b, "  status: %v\n", err)
	} else {
		fmt.Fprintf(&b, "  request %s; orders %s; numbers %s\n", s.state, stateCounts(s.orders), stateCounts(s.numberState))
		shown := 0
		for _, g := range st.Groups {
			if g.State != porting.StateCompleted && shown < 10 {
				fmt.Fprintf(&b, "  order %s (%s): %s\n", g.Group, g.WorkflowID, g.State)
				shown++
			}
		}
	}
	fmt.Fprintf(&b, "  logs kept in %s (simulator %s, worker %s)", e.dir, simLog, procs[0].log)
	return fmt.Errorf("%s", b.String())
}

// commas writes n with thousands separators.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
