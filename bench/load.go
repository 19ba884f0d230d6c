package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/simulator"
)

// The load driver plays the starter, the customer and the losing carrier of each port, directly
// through the Temporal client: start + await-validation (as `starter port-in` does), submit-loa for
// every group once the port awaits it, then — CarrierDelay after the LOA reached the carrier — the
// carrier's acceptance with a port date PortAhead later, and the wait for the result. The baseline
// workflow takes exactly the same calls (see baseline.go), so the two runs differ only in what the
// workflow does.

// loadSpec is one load run.
type loadSpec struct {
	Tag          string // unique per run: workflow IDs
	WorkflowType string // porting.WorkflowPortIn or baselineWorkflow
	TaskQueue    string
	Requests     []porting.PortInRequest
	CarrierDelay time.Duration // carrier's answer after the LOA reached it
	PortAhead    time.Duration // port date after the carrier's answer
	RetryDelay   time.Duration // before a submit-loa refused because the port does not await it yet
	// Simulator: the carrier simulator (package simulator, in this process) plays the customer
	// and the carrier of PortIn; the baseline is answered by the bench's mirror of its calls (a status
	// query before each update). Without it the bench answers directly (direct driver).
	Simulator bool
	Poll      time.Duration // the simulator's pass interval (and the mirror's poll)
	Timeout   time.Duration // the whole run (default 5 minutes)
	// StopAt stops each port after this step ("awaiting_carrier": LOAs submitted, no carrier answer),
	// leaving it open; "" runs it to completed.
	StopAt string
}

// loadResult is what a run measured.
type loadResult struct {
	N          int
	Elapsed    time.Duration // first start to last completion
	Rate       float64       // completed per second
	P50, P95   time.Duration // per-port latency, start to completion
	Refusals   int64         // submit-loa refused because the port was still checking portability
	WorkflowID string        // one of the ports (for its history)
	Slowest    string        // the port that completed last
	SlowestIn  time.Duration // its latency
}

var errRefusedTooOften = errors.New("submit-loa refused too often")

func (e *env) runLoad(ctx context.Context, spec loadSpec) (loadResult, error) {
	n := len(spec.Requests)
	var (
		refusals  atomic.Int64
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, n)
		firstErr  error
		lastEnd   time.Time
		slowest   string
		slowestIn time.Duration
	)
	if spec.RetryDelay == 0 {
		spec.RetryDelay = 100 * time.Millisecond
	}
	if spec.Poll == 0 {
		spec.Poll = 250 * time.Millisecond
	}
	timeout := spec.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	simDone := make(chan struct{})
	if spec.Simulator && spec.WorkflowType == porting.WorkflowPortIn {
		cfg := simulator.DefaultConfig()
		cfg.AcceptAfter, cfg.PortIn = spec.CarrierDelay, spec.PortAhead
		cfg.SubmitLOAs, cfg.CustomerAfter, cfg.PortOuts = true, 0, false
		cfg.Concurrency, cfg.Batch = max(n, 8), max(2*n, 200)
		var logw io.Writer = io.Discard
		if f, err := os.OpenFile(filepath.Join(e.dir, "simulator.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
			defer f.Close()
			logw = f
		}
		sim := &simulator.Simulator{Config: cfg, DB: e.db, Temporal: raceGuard{simulator.Client{C: e.client, Namespace: e.namespace}, e},
			Log: slog.New(slog.NewTextHandler(logw, nil))}
		simCtx, stopSim := context.WithCancel(ctx)
		defer func() { stopSim(); <-simDone }()
		go func() { defer close(simDone); _ = sim.Run(simCtx, spec.Poll) }()
	} else {
		close(simDone)
	}
	start := time.Now()
	for i, req := range spec.Requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			var err error
			switch {
			case spec.Simulator && spec.WorkflowType == porting.WorkflowPortIn:
				err = e.onePortSimulated(ctx, spec, workflowID(spec, req), req)
			case spec.Simulator:
				err = e.onePortMirror(ctx, spec, workflowID(spec, req), req)
			default:
				err = e.onePort(ctx, spec, workflowID(spec, req), req, &refusals)
			}
			end := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if ctx.Err() != nil && firstErr == nil {
					err = fmt.Errorf("%w (the run's %v ran out; is a port stuck? see its status)", err, timeout)
				}
				if firstErr == nil {
					firstErr = fmt.Errorf("port %d (%s): %w", i, workflowID(spec, req), err)
					cancel()
				}
				return
			}
			latencies = append(latencies, end.Sub(t0))
			if end.After(lastEnd) {
				lastEnd, slowest, slowestIn = end, workflowID(spec, req), end.Sub(t0)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	slices.Sort(latencies)
	res := loadResult{
		N: n, Elapsed: lastEnd.Sub(start), Refusals: refusals.Load(),
		P50: latencies[n/2], P95: latencies[n*95/100],
		WorkflowID: workflowID(spec, spec.Requests[0]), Slowest: slowest, SlowestIn: slowestIn,
	}
	res.Rate = float64(n) / res.Elapsed.Seconds()
	return res, nil
}

func workflowID(spec loadSpec, req porting.PortInRequest) string {
	if spec.WorkflowType == porting.WorkflowPortIn {
		return porting.PortInWorkflowID(req.RequestID)
	}
	return "bench-baseline-" + req.RequestID
}

// startOptions are the starter's: ID policies and the search attributes an operator finds a port by.
func startOptions(id, taskQueue string, req porting.PortInRequest) client.StartWorkflowOptions {
	var carriers, numbers []string
	for _, n := range req.Numbers {
		if !slices.Contains(carriers, n.Carrier) {
			carriers = append(carriers, n.Carrier)
		}
		numbers = append(numbers, n.E164)
	}
	return client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                taskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			porting.SearchPortKind.ValueSet(porting.KindPortIn),
			porting.SearchPortState.ValueSet(string(porting.StateValidating)),
			porting.SearchInstanceArn.ValueSet(req.InstanceARN),
			porting.SearchCarrier.ValueSet(carriers),
			porting.SearchPhoneNumbers.ValueSet(porting.IndexedNumbers(numbers)),
			porting.SearchRequestId.ValueSet(req.RequestID),
		),
	}
}

func (e *env) onePort(ctx context.Context, spec loadSpec, id string, req porting.PortInRequest, refusals *atomic.Int64) error {
	run, err := e.client.ExecuteWorkflow(ctx, startOptions(id, spec.TaskQueue, req), spec.WorkflowType, req)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	var outcome porting.ValidationOutcome
	if err := e.update(ctx, id, porting.UpdateAwaitValidation, nil, &outcome); err != nil {
		return err
	}
	if !outcome.Accepted {
		return fmt.Errorf("request refused: %s %s", outcome.State, outcome.Reason)
	}
	for _, g := range groups(req) {
		for attempt := 0; ; attempt++ {
			err := e.update(ctx, id, porting.SignalSubmitLOA, benchLOA(g), nil)
			if err == nil {
				break
			}
			if !notYetAwaitingLOA(err) {
				return err
			}
			refusals.Add(1)
			if attempt > 3000 {
				return errRefusedTooOften
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(spec.RetryDelay):
			}
		}
	}
	if spec.StopAt == string(porting.StateAwaitingCarrier) {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(spec.CarrierDelay):
	}
	for _, g := range groups(req) {
		portDate := time.Now().Add(spec.PortAhead).Truncate(time.Second).Add(time.Second)
		if err := e.update(ctx, id, porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: &portDate}, nil); err != nil {
			return err
		}
	}
	var res porting.PortResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	if res.State != porting.StateCompleted {
		return fmt.Errorf("ended %s: %s", res.State, res.Reason)
	}
	return nil
}

// start starts a port as `starter port-in` does: the start, then the await-validation update.
func (e *env) start(ctx context.Context, spec loadSpec, id string, req porting.PortInRequest) (client.WorkflowRun, error) {
	run, err := e.client.ExecuteWorkflow(ctx, startOptions(id, spec.TaskQueue, req), spec.WorkflowType, req)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	var outcome porting.ValidationOutcome
	if err := e.update(ctx, id, porting.UpdateAwaitValidation, nil, &outcome); err != nil {
		return nil, err
	}
	if !outcome.Accepted {
		return nil, fmt.Errorf("request refused: %s %s", outcome.State, outcome.Reason)
	}
	return run, nil
}

func completed(ctx context.Context, run client.WorkflowRun) error {
	var res porting.PortResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	if res.State != porting.StateCompleted {
		return fmt.Errorf("ended %s: %s", res.State, res.Reason)
	}
	return nil
}

// onePortSimulated starts a port and waits for its result; the carrier simulator does the rest.
func (e *env) onePortSimulated(ctx context.Context, spec loadSpec, id string, req porting.PortInRequest) error {
	run, err := e.start(ctx, spec, id, req)
	if err != nil {
		return err
	}
	return completed(ctx, run)
}

// onePortMirror answers the baseline as the carrier simulator answers a PortIn: it reads the
// status until the port awaits its LOA (the simulator's pass: a list, then a status query), sends
// the LOA, and CarrierDelay after the LOA reached the carrier reads the status again and sends the
// acceptance with a port date PortAhead later.
func (e *env) onePortMirror(ctx context.Context, spec loadSpec, id string, req porting.PortInRequest) error {
	run, err := e.start(ctx, spec, id, req)
	if err != nil {
		return err
	}
	for {
		st, err := e.status(ctx, id)
		if err != nil {
			return err
		}
		if st.State == porting.StateAwaitingLOA {
			break
		}
		if err := sleep(ctx, spec.Poll); err != nil {
			return err
		}
	}
	for _, g := range groups(req) {
		if err := e.update(ctx, id, porting.SignalSubmitLOA, benchLOA(g), nil); err != nil {
			return err
		}
	}
	if err := sleep(ctx, spec.CarrierDelay); err != nil {
		return err
	}
	if _, err := e.status(ctx, id); err != nil {
		return err
	}
	for _, g := range groups(req) {
		portDate := time.Now().Add(spec.PortAhead).Truncate(time.Second)
		if err := e.update(ctx, id, porting.SignalCarrierResponse, porting.CarrierResponse{Group: g, Accepted: true, PortDate: &portDate}, nil); err != nil {
			return err
		}
	}
	return completed(ctx, run)
}

func (e *env) status(ctx context.Context, id string) (porting.Status, error) {
	v, err := e.client.QueryWorkflow(ctx, id, "", porting.QueryStatus)
	if err != nil {
		return porting.Status{}, fmt.Errorf("status of %s: %w", id, err)
	}
	var st porting.Status
	return st, v.Get(&st)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// notYetAwaitingLOA: the port is still validating or checking portability (its groups do not exist yet).
func notYetAwaitingLOA(err error) bool {
	return strings.Contains(err.Error(), "its LOA groups exist once the portability check is done")
}

// update sends an update and waits for its result.
func (e *env) update(ctx context.Context, id, name string, arg any, out any) error {
	opts := client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted}
	if arg != nil {
		opts.Args = []any{arg}
	}
	h, err := e.client.UpdateWorkflow(ctx, opts)
	if err == nil {
		err = h.Get(ctx, out)
	}
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return nil
}

// startFor starts the worker processes of a load run of kind (bin/worker for PortIn, this binary's
// baseline worker for the baseline) and sets the run's task queue.
func (e *env) startFor(ctx context.Context, kind string, workers int, spec *loadSpec) ([]*proc, error) {
	if kind == porting.WorkflowPortIn {
		spec.TaskQueue = porting.TaskQueue
		return e.startWorkers(ctx, workers, porting.TaskQueue, e.workerBin, nil)
	}
	spec.TaskQueue = baselineTaskQueue
	return e.startWorkers(ctx, workers, baselineTaskQueue, e.benchBin, []string{"-baseline-worker"})
}

// raceGuard is the simulator's Temporal with one guard: while a port's LOA is being submitted (the
// carrier outbox row of that LOA version is committed, but the workflow has not yet recorded the
// submission: the group still shows awaiting_loa or loa_rejected with that version), its status is
// reported as a transient error, so the simulator holds the port off and looks again, instead of
// consuming the carrier's row as stale and never answering it. (The simulator's CarrierAnswer treats
// "not awaiting the carrier" as stale; under load that window lasts seconds and ports stayed
// awaiting_carrier forever.)
type raceGuard struct {
	simulator.Client
	e *env
}

// Update resends a carrier acceptance whose port date the workflow found already past: under load an
// update can wait longer than the port date is ahead (the simulator would consume its row on the
// refusal and never answer again). The new date is as far ahead of the resend as the first was.
func (g raceGuard) Update(ctx context.Context, workflowID, name string, arg any) (string, error) {
	sent := time.Now()
	out, err := g.Client.Update(ctx, workflowID, name, arg)
	r, ok := arg.(porting.CarrierResponse)
	for attempt := 0; err != nil && ok && name == porting.SignalCarrierResponse && r.Accepted && r.PortDate != nil &&
		strings.Contains(err.Error(), "must be in the future") && attempt < 10; attempt++ {
		ahead := r.PortDate.Sub(sent)
		sent = time.Now()
		date := sent.Add(ahead).Truncate(time.Second).In(r.PortDate.Location())
		r.PortDate = &date
		out, err = g.Client.Update(ctx, workflowID, name, r)
	}
	return out, err
}

func (g raceGuard) Status(ctx context.Context, workflowID string) (porting.Status, error) {
	st, err := g.Client.Status(ctx, workflowID)
	if err != nil {
		return st, err
	}
	for _, gr := range st.Groups {
		if gr.State != porting.StateAwaitingLOA && gr.State != porting.StateLOARejected || gr.LOAVersion == 0 {
			continue
		}
		var pending bool
		err := g.e.db.GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM carrier_submissions WHERE workflow_id = $1
			AND "group" = $2 AND kind = 'port_request' AND loa_version = $3 AND consumed_at IS NULL)`, workflowID, gr.Group, gr.LOAVersion)
		if err != nil {
			return st, err
		}
		if pending {
			return st, fmt.Errorf("%s: LOA v%d of %s is being submitted; the workflow has not recorded it yet", workflowID, gr.LOAVersion, gr.Group)
		}
	}
	return st, nil
}
