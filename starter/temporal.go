package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
)

// sendUpdate delivers an update in two stages: it waits (within --timeout) until the workflow has
// accepted or refused it — the validator's refusal comes back as exit 3 with the workflow's own
// message, no answer at all as exit 1 ("is a worker polling?") — and then waits at most --update-wait
// for the handler's result (awaitUpdate).
func (a *app) sendUpdate(ctx context.Context, workflowID, name string, arg any) error {
	c, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err != nil {
		return a.updateError(ctx, c, workflowID, name, err)
	}
	return a.awaitUpdate(ctx, c, handle, workflowID, name)
}

// awaitUpdate waits for an accepted update's result for at most --update-wait (and --timeout). The
// handler's error is exit 3. A result that is not ready in time is no failure: the workflow accepted
// the update and is still applying it (an activity it waits on may be retrying), so the command says
// so, names the workflow and how to follow it, and exits 0.
func (a *app) awaitUpdate(ctx context.Context, c client.Client, handle client.WorkflowUpdateHandle, workflowID, name string) error {
	waitCtx := ctx
	if a.updateWait > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, a.updateWait)
		defer cancel()
	}
	var outcome string
	err := handle.Get(waitCtx, &outcome)
	if err != nil && waitCtx.Err() != nil && !isRefusal(err) {
		fmt.Fprintf(a.stdout, "%s: %s was accepted and is still being applied (no result after %s); follow it with `starter status --workflow %s`\n",
			workflowID, name, a.waitedFor(), workflowID)
		return nil
	}
	if err != nil {
		return a.updateError(ctx, c, workflowID, name, err)
	}
	if outcome == "" {
		outcome = name + " accepted"
	}
	// The workflow's own account of what the update did, e.g. "group Acme Telecom/did: LOA v2 submitted to Acme Telecom".
	fmt.Fprintf(a.stdout, "%s: %s\n", workflowID, outcome)
	return nil
}

// isRefusal: the workflow's own answer (the handler's error or a cancellation), not a timeout.
func isRefusal(err error) bool {
	var (
		appErr   *temporal.ApplicationError
		canceled *temporal.CanceledError
	)
	return errors.As(err, &appErr) || errors.As(err, &canceled)
}

// waitedFor is how long awaitUpdate waited at most.
func (a *app) waitedFor() time.Duration {
	if a.updateWait > 0 && (a.timeout <= 0 || a.updateWait < a.timeout) {
		return a.updateWait
	}
	return a.timeout
}

// updateError classifies an update's failure: refused by the workflow (3), no such workflow (4),
// a workflow that is closed (3), no answer in time (1).
func (a *app) updateError(ctx context.Context, c client.Client, workflowID, name string, err error) error {
	var (
		appErr   *temporal.ApplicationError
		canceled *temporal.CanceledError
		nf       *serviceerror.NotFound
		timeout  *client.WorkflowUpdateServiceTimeoutOrCanceledError
	)
	switch {
	case errors.As(err, &appErr):
		if known, ok := strings.CutPrefix(appErr.Message(), "unknown update "+name+". KnownUpdates="); ok {
			// The SDK's refusal of an update the workflow has no handler for, e.g. request-port-date on a port-out.
			return &cliError{code: exitRefused, msg: fmt.Sprintf("workflow %s does not take %s (it takes %s)",
				workflowID, name, strings.Trim(known, "[]")), err: err}
		}
		return &cliError{code: exitRefused, msg: appErr.Message(), err: err}
	case errors.As(err, &canceled):
		return &cliError{code: exitRefused, msg: fmt.Sprintf("%s: cancelled by workflow %s", name, workflowID), err: err}
	case errors.As(err, &nf):
		return a.closedOrMissing(c, workflowID, err)
	case errors.As(err, &timeout) || timedOut(ctx, err):
		return failure(err, "%s: workflow %s did not answer within --timeout %s; is a worker polling task queue %q?",
			name, workflowID, a.timeout, porting.TaskQueue)
	}
	return a.temporalError(err, "%s on workflow %s", name, workflowID)
}

// closedOrMissing tells "no such workflow" (4) from "the workflow is closed" (3): the server answers
// NotFound to updates and queries in both cases.
func (a *app) closedOrMissing(c client.Client, workflowID string, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), a.dialTimeout)
	defer cancel()
	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return &cliError{code: exitNotFound, msg: fmt.Sprintf("no workflow %s in namespace %s", workflowID, a.namespace), err: cause}
	case err != nil:
		return a.temporalError(err, "describe workflow %s", workflowID)
	}
	status := desc.GetWorkflowExecutionInfo().GetStatus()
	if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return &cliError{code: exitRefused, msg: fmt.Sprintf("workflow %s is %s: it takes no more updates", workflowID, statusName(status)), err: cause}
	}
	return &cliError{code: exitNotFound, msg: fmt.Sprintf("workflow %s: %v", workflowID, cause), err: cause}
}

// timedOut reports whether err means the command ran out of --timeout (the gRPC deadline can fire a
// moment before the context's own).
func timedOut(ctx context.Context, err error) bool {
	var dl *serviceerror.DeadlineExceeded
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &dl)
}

// temporalError wraps any other Temporal error with what was being done and the address used.
func (a *app) temporalError(err error, format string, args ...any) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &cliError{code: exitNotFound, msg: fmt.Sprintf(format, args...) + ": " + nf.Error(), err: err}
	}
	return failure(err, "%s (Temporal at %s, namespace %s): %v", fmt.Sprintf(format, args...), a.address, a.namespace, err)
}

// statusName turns WORKFLOW_EXECUTION_STATUS_COMPLETED into "completed".
func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}
