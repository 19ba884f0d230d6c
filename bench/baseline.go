package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
)

// The baseline of the engine-throughput ratio (issue 7, item 2): a workflow with the same
// activities, timers and updates as a happy-path PortIn history, in the same order, doing no work.
// Counted from a real history (bench -probe prints it; every bench run prints both shapes and
// checks they agree):
//
//	activities 10: RecordPortIn, CheckPortability, Notify, SubmitLOA, Notify, ProvisionNumbers,
//	               ActivateNumbers, VerifyTestCall, FinishPortRequest, Notify
//	timers 3:      LOA reminder (not fired: the LOA comes first), carrier reminder (not fired: the
//	               answer comes first), port date (fires)
//	updates 3:     await-validation, submit-loa, carrier-response — the same payloads, validators
//	               that refuse what the port could not take yet, handlers that wait for the effect
//
// What it leaves out is the port's own work: no Postgres, no search-attribute or memo upserts, no
// side-effect markers (business-day computations), no state history.

// The baseline's shape: the happy-path PortIn of the first wave (before versionActionCost).
const baselineActivities, baselineTimers, baselineUpdates = 10, 3, 3

const (
	baselineWorkflow  = "BenchBaseline"
	baselineActivity  = "BenchNoop"
	baselineTaskQueue = "bench-baseline"
)

type baselineState struct {
	validated, groupsReady bool
	loa                    *porting.SubmitLOA
	loaSubmitted           bool
	response               *porting.CarrierResponse
	applied                bool
}

func baselinePortIn(ctx workflow.Context, req porting.PortInRequest) (porting.PortResult, error) {
	s := &baselineState{}
	// What the carrier simulator reads before it acts (the mirror of PortIn's status query).
	if err := workflow.SetQueryHandler(ctx, porting.QueryStatus, func() (porting.Status, error) {
		st := porting.Status{RequestID: req.RequestID, Kind: porting.KindPortIn, State: porting.StateCheckingPortability}
		switch {
		case s.applied:
			st.State = porting.StateScheduled
		case s.loaSubmitted:
			st.State = porting.StateAwaitingCarrier
		case s.groupsReady:
			st.State = porting.StateAwaitingLOA
		}
		return st, nil
	}); err != nil {
		return porting.PortResult{}, err
	}
	if err := workflow.SetUpdateHandler(ctx, porting.UpdateAwaitValidation, func(ctx workflow.Context) (porting.ValidationOutcome, error) {
		if err := workflow.Await(ctx, func() bool { return s.validated }); err != nil {
			return porting.ValidationOutcome{}, err
		}
		return porting.ValidationOutcome{Accepted: true, State: porting.StateValidating}, nil
	}); err != nil {
		return porting.PortResult{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalSubmitLOA, func(ctx workflow.Context, in porting.SubmitLOA) (string, error) {
		s.loa = &in
		err := workflow.Await(ctx, func() bool { return s.loaSubmitted })
		return "submitted", err
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in porting.SubmitLOA) error {
		if !s.groupsReady {
			return fmt.Errorf("request %s is checking_portability; its LOA groups exist once the portability check is done", req.RequestID)
		}
		if s.loa != nil {
			return errors.New("an LOA is already being submitted")
		}
		return nil
	}}); err != nil {
		return porting.PortResult{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, porting.SignalCarrierResponse, func(ctx workflow.Context, in porting.CarrierResponse) (string, error) {
		s.response = &in
		err := workflow.Await(ctx, func() bool { return s.applied })
		return "scheduled", err
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in porting.CarrierResponse) error {
		if !s.loaSubmitted || s.response != nil {
			return errors.New("not awaiting the carrier")
		}
		return nil
	}}); err != nil {
		return porting.PortResult{}, err
	}

	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	step := func() error { return workflow.ExecuteActivity(ctx, baselineActivity, id).Get(ctx, nil) }

	if err := step(); err != nil { // RecordPortIn
		return porting.PortResult{}, err
	}
	s.validated = true
	if err := step(); err != nil { // CheckPortability
		return porting.PortResult{}, err
	}
	s.groupsReady = true
	if err := step(); err != nil { // Notify: LOA requested
		return porting.PortResult{}, err
	}
	if _, err := workflow.AwaitWithTimeout(ctx, 96*time.Hour, func() bool { return s.loa != nil }); err != nil { // LOA reminder
		return porting.PortResult{}, err
	}
	if err := step(); err != nil { // SubmitLOA
		return porting.PortResult{}, err
	}
	s.loaSubmitted = true
	if _, err := workflow.AwaitWithTimeout(ctx, 216*time.Hour, func() bool { return s.response != nil }); err != nil { // carrier reminder
		return porting.PortResult{}, err
	}
	portDate := *s.response.PortDate
	s.applied = true
	if err := step(); err != nil { // Notify: scheduled
		return porting.PortResult{}, err
	}
	if err := step(); err != nil { // ProvisionNumbers
		return porting.PortResult{}, err
	}
	if d := portDate.Sub(workflow.Now(ctx)); d > 0 { // port date
		if err := workflow.Sleep(ctx, d); err != nil {
			return porting.PortResult{}, err
		}
	}
	for i := 0; i < 4; i++ { // ActivateNumbers, VerifyTestCall, FinishPortRequest, Notify: finished
		if err := step(); err != nil {
			return porting.PortResult{}, err
		}
	}
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return porting.PortResult{RequestID: req.RequestID, State: porting.StateCompleted}, nil
}

func baselineNoop(context.Context, string) error { return nil }

// runBaselineWorker is `bench -baseline-worker`: a worker process like bin/worker (same client
// options and payload codec from the environment, default worker options) that runs the baseline.
func runBaselineWorker() error {
	cfg := temporalconn.FromEnv()
	c, err := temporalconn.Dial(context.Background(), cfg, nil, 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, baselineTaskQueue, worker.Options{WorkerStopTimeout: 20 * time.Second})
	w.RegisterWorkflowWithOptions(baselinePortIn, workflow.RegisterOptions{Name: baselineWorkflow})
	w.RegisterActivityWithOptions(baselineNoop, activity.RegisterOptions{Name: baselineActivity})
	fmt.Fprintln(os.Stderr, "baseline worker on task queue", baselineTaskQueue)
	return w.Run(worker.InterruptCh())
}
