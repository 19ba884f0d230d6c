package logging

import (
	"context"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
)

// workflowIDPrefixes are the contract's workflow ID prefixes (DESIGN §3), longest first.
var workflowIDPrefixes = []string{"intl-port-in-", "port-in-", "port-out-"}

// RequestID is the request_id a contract workflow ID carries (port-in-REQ-1 → REQ-1), or "".
func RequestID(workflowID string) string {
	for _, p := range workflowIDPrefixes {
		if id, ok := strings.CutPrefix(workflowID, p); ok {
			return id
		}
	}
	return ""
}

// RequestIDInterceptor adds request_id to the loggers of workflow.GetLogger and
// activity.GetLogger, which the SDK already tags with Namespace, TaskQueue, WorkflowType,
// WorkflowID, RunID and Attempt (activities: ActivityID, ActivityType too).
func RequestIDInterceptor() interceptor.WorkerInterceptor { return &requestIDInterceptor{} }

type requestIDInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*requestIDInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &workflowInbound{}
	i.Next = next
	return i
}

func (*requestIDInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityInbound{}
	i.Next = next
	return i
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *workflowInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	o := &workflowOutbound{}
	o.Next = outbound
	return w.Next.Init(o)
}

type workflowOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (w *workflowOutbound) GetLogger(ctx workflow.Context) log.Logger {
	l := w.Next.GetLogger(ctx)
	if id := RequestID(workflow.GetInfo(ctx).WorkflowExecution.ID); id != "" {
		return log.With(l, "request_id", id)
	}
	return l
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *activityInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &activityOutbound{}
	o.Next = outbound
	return a.Next.Init(o)
}

type activityOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (a *activityOutbound) GetLogger(ctx context.Context) log.Logger {
	l := a.Next.GetLogger(ctx)
	if id := RequestID(activity.GetInfo(ctx).WorkflowExecution.ID); id != "" {
		return log.With(l, "request_id", id)
	}
	return l
}
