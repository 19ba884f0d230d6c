package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/contactcenter/numberporting/porting"
)

// Diagnosis modes: -probe (one port's history, event by event) and -try (one load run of each kind
// with the CPU each process used, optionally under perf).

func probeRun(ctx context.Context, e *env, o options) error {
	workers, err := e.startWorkers(ctx, 1, porting.TaskQueue, e.workerBin, nil)
	if err != nil {
		return err
	}
	defer stopAll(workers)
	arns, err := addInstances(ctx, e.db, "probe", 1, 0)
	if err != nil {
		return err
	}
	spec := loadSpec{Tag: "probe", WorkflowType: porting.WorkflowPortIn, TaskQueue: porting.TaskQueue, Simulator: true,
		Requests:     []porting.PortInRequest{portInRequest("probe-1", arns[0], nextNumbers(2), 1)},
		CarrierDelay: o.carrierDelay, PortAhead: o.portAhead}
	res, err := e.runLoad(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Printf("probe: %v\n", res.Elapsed)
	h, err := e.fetchHistory(ctx, res.WorkflowID)
	if err != nil {
		return err
	}
	fmt.Println(shapeOf(h).detailed())
	for _, ev := range h.Events {
		extra := ""
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			extra = a.GetActivityType().GetName()
		}
		if a := ev.GetTimerStartedEventAttributes(); a != nil {
			extra = a.GetStartToFireTimeout().AsDuration().String()
		}
		if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			extra = a.GetAcceptedRequest().GetInput().GetName()
		}
		fmt.Printf("%3d %s %s\n", ev.GetEventId(), ev.GetEventType(), extra)
	}
	return nil
}

func tryRun(ctx context.Context, e *env, o options, n, workers int) error {
	arns, err := addInstances(ctx, e.db, "try", n, 0)
	if err != nil {
		return err
	}
	type variant struct {
		kind string
		sim  bool
	}
	variants := []variant{{porting.WorkflowPortIn, true}, {baselineWorkflow, true}}
	if os.Getenv("BENCH_DIRECT") != "" {
		variants = append(variants, variant{porting.WorkflowPortIn, false}, variant{baselineWorkflow, false})
	}
	for round, v := range variants {
		spec := loadSpec{Tag: fmt.Sprint("try", round), WorkflowType: v.kind, Simulator: v.sim,
			CarrierDelay: o.carrierDelay, PortAhead: o.portAhead}
		for i := 0; i < n; i++ {
			spec.Requests = append(spec.Requests, portInRequest(fmt.Sprintf("try%d-%d", round, i), arns[i], nextNumbers(2), 1))
		}
		procs, err := e.startFor(ctx, v.kind, workers, &spec)
		if err != nil {
			return err
		}
		before := e.sampleCPU(ctx, procs)
		var perfs []*exec.Cmd
		if dir := os.Getenv("BENCH_PERF"); dir != "" {
			for name, pid := range map[string]int{"server": e.serverPIDs()[0], "worker": procs[0].pid()} {
				c := exec.Command("perf", "record", "-F", "299", "-g", "-p", fmt.Sprint(pid), "-o", filepath.Join(dir, v.kind+"-"+name+".data"))
				if err := c.Start(); err == nil {
					perfs = append(perfs, c)
				}
			}
		}
		res, err := e.runLoad(ctx, spec)
		for _, c := range perfs {
			_ = c.Process.Signal(os.Interrupt)
			_ = c.Wait()
		}
		cpu := e.sampleCPU(ctx, procs).since(before)
		stopAll(procs)
		if err != nil {
			return err
		}
		fmt.Printf("%s (simulator %v): %d in %v = %.1f/s, p50 %v p95 %v, refusals %d; %s\n",
			v.kind, v.sim, res.N, res.Elapsed, res.Rate, res.P50, res.P95, res.Refusals, cpu)
		h, err := e.fetchHistory(ctx, res.WorkflowID)
		if err != nil {
			return err
		}
		fmt.Println(" ", shapeOf(h).detailed())
	}
	return nil
}
