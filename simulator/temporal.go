package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
)

// Temporal is what the simulator needs from Temporal: a port's status, an update, and the open ports
// in some states. Errors are classified: *Refused when the workflow said no (its state moved on, or
// it is closed or gone) — the simulator logs it and moves on; anything else is transient and retried
// on a later pass.
type Temporal interface {
	Status(ctx context.Context, workflowID string) (porting.Status, error)
	Update(ctx context.Context, workflowID, name string, arg any) (string, error)
	ListOpen(ctx context.Context, states []porting.State) ([]string, error)
}

// Refused is a workflow's refusal of an update (its validator's or handler's message), or a workflow
// that is closed or does not exist.
type Refused struct {
	Msg string
	// Gone: no such workflow, or it is closed.
	Gone bool
}

func (e *Refused) Error() string { return e.Msg }

// IsRefused reports whether err is a refusal (as opposed to a transient failure).
func IsRefused(err error) bool {
	var r *Refused
	return errors.As(err, &r)
}

// Client is Temporal over an SDK client (with the porting payload codec).
type Client struct {
	C         client.Client
	Namespace string
}

var _ Temporal = Client{}

// Status runs the status query.
func (c Client) Status(ctx context.Context, workflowID string) (porting.Status, error) {
	val, err := c.C.QueryWorkflow(ctx, workflowID, "", porting.QueryStatus)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return porting.Status{}, &Refused{Msg: fmt.Sprintf("no workflow %s", workflowID), Gone: true}
		}
		return porting.Status{}, fmt.Errorf("status query on %s: %w", workflowID, err)
	}
	var st porting.Status
	if err := val.Get(&st); err != nil {
		return porting.Status{}, fmt.Errorf("decode status of %s: %w", workflowID, err)
	}
	return st, nil
}

// Update sends an update and waits until the workflow handled it; it returns the workflow's own
// account of what the update did.
func (c Client) Update(ctx context.Context, workflowID, name string, arg any) (string, error) {
	h, err := c.C.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var out string
	if err == nil {
		err = h.Get(ctx, &out)
	}
	if err == nil {
		return out, nil
	}
	var (
		appErr   *temporal.ApplicationError
		canceled *temporal.CanceledError
		nf       *serviceerror.NotFound
	)
	switch {
	case errors.As(err, &appErr):
		return "", &Refused{Msg: appErr.Message()}
	case errors.As(err, &canceled):
		return "", &Refused{Msg: "the update was cancelled by the workflow"}
	case errors.As(err, &nf):
		// Updates to a closed workflow are NotFound too.
		return "", &Refused{Msg: fmt.Sprintf("workflow %s is closed or does not exist", workflowID), Gone: true}
	}
	return "", fmt.Errorf("%s on %s: %w", name, workflowID, err)
}

// ListOpen lists the running ports whose PortState is one of states (visibility: it may lag a
// moment behind; the simulator checks each port's status before it acts).
func (c Client) ListOpen(ctx context.Context, states []porting.State) ([]string, error) {
	if len(states) == 0 {
		return nil, nil
	}
	query := OpenQuery(states)
	var (
		ids   []string
		token []byte
	)
	for {
		resp, err := c.C.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: c.Namespace, PageSize: 1000, NextPageToken: token, Query: query,
		})
		if err != nil {
			return nil, fmt.Errorf("list (%s): %w", query, err)
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}

// OpenQuery is the visibility query for the running ports in states.
func OpenQuery(states []porting.State) string {
	quoted := make([]string, len(states))
	for i, s := range states {
		b, _ := json.Marshal(string(s))
		quoted[i] = "'" + strings.Trim(string(b), `"`) + "'"
	}
	return fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running' AND PortState IN (%s)",
		porting.TaskQueue, strings.Join(quoted, ", "))
}
