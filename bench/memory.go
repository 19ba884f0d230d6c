package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/contactcenter/numberporting/porting"
)

// openPorts starts n PortIn requests (2 numbers each, one per instance of arns, round robin) and
// waits until every one of them awaits its LOA (the PortState search attribute), i.e. the worker
// holds n open ports that wait for the outside world. At most inflight starts are in flight.
func (e *env) openPorts(ctx context.Context, tag string, arns []string, n, inflight int) (time.Duration, error) {
	start := time.Now()
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
	query := fmt.Sprintf(`WorkflowType = %q AND ExecutionStatus = "Running" AND PortState = %q AND WorkflowId STARTS_WITH %q`,
		porting.WorkflowPortIn, porting.StateAwaitingLOA, porting.PortInWorkflowID(tag+"-"))
	for {
		resp, err := e.client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: e.namespace, Query: query})
		if err == nil && resp.GetCount() >= int64(n) {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
