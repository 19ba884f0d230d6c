package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
)

// TestSearchAttributesFollowThePort checks what an operator searches by, at three states of a
// running port: the seven search attributes on the workflow, and `starter list` finding it by number,
// request and state.
func TestSearchAttributesFollowThePort(t *testing.T) {
	ctx, s, srv := startSystemServer(t, 4*time.Minute)
	s.ok(ctx, t, "instance", "add", "--arn", instanceARN)
	s.ok(ctx, t, "flow", "add", "--instance", instanceARN, "--name", publishedFlow)
	const id = "port-in-E2E-SA-1"
	s.ok(ctx, t, "port-in", "--file", writeJSON(t, "sa.json", portInRequest("E2E-SA-1", publishedFlow, number1, number2)))

	check := func(state porting.State, portDate *time.Time) {
		t.Helper()
		s.waitState(ctx, t, id, state, time.Minute)
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			d, err := srv.Client().DescribeWorkflow(ctx, id, "")
			require.NoError(c, err)
			sa := d.TypedSearchAttributes
			got := func(k temporal.SearchAttributeKeyKeyword) string { v, _ := sa.GetKeyword(k); return v }
			list := func(k temporal.SearchAttributeKeyKeywordList) []string { v, _ := sa.GetKeywordList(k); return v }
			require.Equal(c, porting.KindPortIn, got(porting.SearchPortKind))
			require.Equal(c, string(state), got(porting.SearchPortState))
			require.Equal(c, instanceARN, got(porting.SearchInstanceArn))
			require.Equal(c, []string{carrier}, list(porting.SearchCarrier))
			require.Equal(c, []string{number1, number2}, list(porting.SearchPhoneNumbers))
			require.Equal(c, "E2E-SA-1", got(porting.SearchRequestId))
			if portDate != nil {
				pd, ok := sa.GetTime(porting.SearchPortDate)
				require.True(c, ok, "PortDate is set")
				require.True(c, portDate.Equal(pd), "PortDate %s, want %s", pd, portDate)
			}
			// What the UI's search runs, and what `starter list` runs.
			resp, err := srv.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: `PhoneNumbers = "` + number2 + `" AND PortState = "` + string(state) + `"`,
			})
			require.NoError(c, err)
			require.Len(c, resp.Executions, 1)
			r := s.run(ctx, "list", "--number", number2, "--state", string(state))
			require.Equal(c, 0, r.code, r)
			require.Contains(c, r.stdout, id)
			r = s.run(ctx, "list", "--request-id", "E2E-SA-1", "--state", string(state))
			require.Equal(c, 0, r.code, r)
			require.Contains(c, r.stdout, id)
		}, 30*time.Second, 300*time.Millisecond, "search attributes at %s", state)
	}

	check(porting.StateAwaitingLOA, nil)
	s.ok(ctx, t, "submit-loa", "--workflow", id, "--group", group, "--file", writeJSON(t, "loa.json", loa("sa-loa.pdf")))
	check(porting.StateAwaitingCarrier, nil)
	portDate := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	s.ok(ctx, t, "carrier-response", "--workflow", id, "--group", group, "--accept", "--port-date", portDate.Format(time.RFC3339))
	// Less than a business day ahead, so the numbers are provisioned at once.
	check(porting.StateProvisioned, &portDate)

	r := s.run(ctx, "list", "--number", "+14155550199")
	require.Equal(t, 0, r.code, r)
	require.False(t, strings.Contains(r.stdout, id), "another number does not find it: %s", r.stdout)
	r = s.run(ctx, "list", "--request-id", "E2E-SA-2")
	require.Equal(t, 0, r.code, r)
	require.False(t, strings.Contains(r.stdout, id), "another request does not find it: %s", r.stdout)
}
