package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/contactcenter/numberporting/porting"
)

// TestLongPortContinuesAsNew floods a port-in that waits for its carrier with signals it cannot take
// (a misbehaving sender) until its history passes the continue-as-new threshold. The port goes on
// in a new run of the same workflow ID with its state and history carried over, the starter follows
// it (status, the carrier's acceptance as an update), and it completes.
func TestLongPortContinuesAsNew(t *testing.T) {
	ctx, s, srv := startSystemServer(t, 5*time.Minute)
	const (
		arn        = "arn:aws:connect:us-east-1:123456789012:instance/e2e-can"
		workflowID = "port-in-E2E-CAN"
		number     = "+14155550150"
	)
	s.ok(ctx, t, "instance", "add", "--arn", arn)
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", publishedFlow)
	req := portInRequest("E2E-CAN", publishedFlow, number)
	req.InstanceARN = arn
	s.ok(ctx, t, "port-in", "--file", writeJSON(t, "can.json", req))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingLOA, time.Minute)
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "can-loa.json", loa("can.pdf")))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingCarrier, 30*time.Second)

	c := srv.Client()
	first, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	require.NoError(t, err)
	firstRun := first.WorkflowExecutionInfo.Execution.RunId

	// Signals to a group the port does not have: each is recorded as ignored (the first 25 listed).
	bad := porting.CarrierResponse{Group: "No Such Carrier/did", Accepted: true}
	sent := 0
	require.Eventually(t, func() bool {
		for i := 0; i < 200; i++ {
			if err := c.SignalWorkflow(ctx, workflowID, "", porting.SignalCarrierResponse, bad); err != nil {
				return false
			}
			sent++
		}
		d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
		return err == nil && d.WorkflowExecutionInfo.Execution.RunId != firstRun
	}, 3*time.Minute, 10*time.Millisecond, "the port never continued as new")
	t.Logf("continued as new after %d ignored signals", sent)

	second, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, second.WorkflowExecutionInfo.Status)
	old, err := c.DescribeWorkflowExecution(ctx, workflowID, firstRun)
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, old.WorkflowExecutionInfo.Status)
	assert.Less(t, second.WorkflowExecutionInfo.HistoryLength, int64(1000), "the new run starts a short history")

	st := s.waitState(ctx, t, workflowID, porting.StateAwaitingCarrier, 30*time.Second)
	assert.Contains(t, historyText(st), "LOA v1 submitted to Acme Telecom", "the history carries over")
	assert.Contains(t, historyText(st), "continued as run 2 of this port")
	assert.Positive(t, st.Ignored)
	assert.Equal(t, 1, st.Groups[0].LOAVersion)

	// The port goes on in the new run, driven through the starter as before.
	s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group, "--accept",
		"--port-date", time.Now().Add(8*time.Second).Format(time.RFC3339))
	s.waitState(ctx, t, workflowID, porting.StateCompleted, time.Minute)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := s.run(ctx, "list", "--number", number)
		require.Equal(c, 0, r.code, r)
		require.Contains(c, r.stdout, workflowID)
	}, 30*time.Second, 500*time.Millisecond, "found by its number after continue-as-new")
}

func historyText(st porting.Status) string {
	var b strings.Builder
	for _, h := range st.History {
		b.WriteString(h.Note)
		b.WriteByte('\n')
	}
	return b.String()
}
