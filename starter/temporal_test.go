package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
)

// The exit codes of an update's failure, for every update the starter sends, without a server: the
// validator's refusal and the handler's error after acceptance (the workflow's own error types) are
// 3 with the workflow's message; a missing workflow 4; a closed one 3; an update the workflow has no
// handler for 3, saying so.
func TestUpdateErrorExitCodes(t *testing.T) {
	names := []string{porting.SignalSubmitLOA, porting.SignalCarrierResponse, porting.SignalRequestPortDate,
		porting.SignalRemoveNumbers, porting.SignalCancel}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			a := &app{namespace: "default", address: "127.0.0.1:7233", dialTimeout: time.Second, timeout: time.Minute}
			ctx := context.Background()

			// Refused by the validator (the update is never accepted).
			err := a.updateError(ctx, nil, "port-in-R", name,
				temporal.NewApplicationError("group Acme Telecom/did is provisioning: too late for another port date", ""))
			require.Equal(t, exitRefused, exitCode(err))
			require.Equal(t, "group Acme Telecom/did is provisioning: too late for another port date", err.Error())

			// Accepted, then failed by the handler with one of the workflow's error types: also 3, through awaitUpdate.
			var out strings.Builder
			a.stdout = &out
			a.updateWait = time.Second
			handlerErr := temporal.NewNonRetryableApplicationError("port date Sat 2026-11-28 10:00 is outside the port date rule business_hours",
				"CarrierResponseRefused", nil)
			err = a.awaitUpdate(ctx, nil, fakeUpdate{delay: time.Millisecond, err: fmt.Errorf("update: %w", handlerErr)}, "port-in-R", name)
			require.Equal(t, exitRefused, exitCode(err))
			require.Equal(t, "port date Sat 2026-11-28 10:00 is outside the port date rule business_hours", err.Error())
			require.Empty(t, out.String())

			// A cancelled handler.
			err = a.updateError(ctx, nil, "port-in-R", name, temporal.NewCanceledError())
			require.Equal(t, exitRefused, exitCode(err))

			// No such workflow: 4, naming it and the namespace.
			c := mocks.NewClient(t)
			c.On("DescribeWorkflowExecution", mock.Anything, "port-in-NOPE", "").Return(nil, serviceerror.NewNotFound("not found")).Once()
			err = a.updateError(ctx, c, "port-in-NOPE", name, serviceerror.NewNotFound("workflow not found"))
			require.Equal(t, exitNotFound, exitCode(err))
			require.Equal(t, "no workflow port-in-NOPE in namespace default", err.Error())

			// A closed workflow: 3.
			c.On("DescribeWorkflowExecution", mock.Anything, "port-in-DONE", "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
				WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED},
			}, nil).Once()
			err = a.updateError(ctx, c, "port-in-DONE", name, serviceerror.NewNotFound("workflow not found"))
			require.Equal(t, exitRefused, exitCode(err))
			require.Equal(t, "workflow port-in-DONE is completed: it takes no more updates", err.Error())

			// Any other failure: 1, with the address.
			err = a.updateError(ctx, nil, "port-in-R", name, serviceerror.NewUnavailable("connection reset"))
			require.Equal(t, exitFailure, exitCode(err))
			require.Contains(t, err.Error(), "127.0.0.1:7233")
		})
	}

	// An update the workflow has no handler for (request-port-date on a port-out): 3, said plainly.
	a := &app{namespace: "default"}
	err := a.updateError(context.Background(), nil, "port-out-OUT-1", porting.SignalRequestPortDate,
		temporal.NewApplicationError("unknown update request-port-date. KnownUpdates=[cancel remove-numbers winning-carrier-request]", ""))
	require.Equal(t, exitRefused, exitCode(err))
	require.Equal(t, "workflow port-out-OUT-1 does not take request-port-date (it takes cancel remove-numbers winning-carrier-request)", err.Error())
	require.True(t, errors.As(err, new(*temporal.ApplicationError)))
}
