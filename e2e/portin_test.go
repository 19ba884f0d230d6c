// Package e2e drives the real worker and starter binaries against a Temporal dev server (the pinned
// CLI in ./bin) and a fresh Postgres database, through the starter CLI only.
package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

const (
	instanceARN     = "arn:aws:connect:us-east-1:123456789012:instance/e2e-0001"
	publishedFlow   = "Main IVR"
	unpublishedFlow = "Draft IVR"
	carrier         = "Acme Telecom"
	group           = "Acme Telecom/did"
	number1         = "+14155550100"
	number2         = "+14155550101"
)

func portInRequest(requestID, flow string, numbers ...string) porting.PortInRequest {
	req := porting.PortInRequest{
		RequestID:         requestID,
		InstanceARN:       instanceARN,
		ContactFlow:       flow,
		AuthorizedContact: porting.Contact{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550199"},
		// Port dates seconds ahead, whatever the hour (DESIGN §8: tests pass "any").
		Deadlines: &porting.Deadlines{PortDateRule: porting.PortDateAny},
	}
	for _, n := range numbers {
		req.Numbers = append(req.Numbers, porting.PortNumber{E164: n, Type: porting.NumberTypeDID, Carrier: carrier})
	}
	return req
}

func loa(doc string) porting.LOA {
	return porting.LOA{
		AuthorizedName: "Ada Lovelace",
		Company:        "Analytical Engines Inc.",
		Address:        "1 Main St, Springfield",
		AccountNumber:  "ACCT-42",
		SignedAt:       time.Now().Add(-time.Hour).Truncate(time.Second),
		DocumentRef:    doc,
	}
}

func TestPortInEndToEnd(t *testing.T) {
	ctx, s := startSystem(t, 4*time.Minute)

	// Inventory, through the CLI: the instance, a published and an unpublished contact flow.
	s.ok(ctx, t, "instance", "add", "--arn", instanceARN,
		"--owner-name", "Ada Lovelace", "--address", "1 Main St, Springfield", "--billing-contact", "billing@example.com")
	s.ok(ctx, t, "instance", "add", "--arn", instanceARN) // idempotent
	s.ok(ctx, t, "flow", "add", "--instance", instanceARN, "--name", publishedFlow)
	s.ok(ctx, t, "flow", "add", "--instance", instanceARN, "--name", unpublishedFlow, "--unpublished")

	t.Run("bad input is exit 2", func(t *testing.T) {
		r := s.run(ctx, "port-in", "--file", writeFile(t, "malformed.json", `{"request_id": "E2E-BAD", "numbers": [`))
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "malformed JSON", r)

		uk := portInRequest("E2E-UK", publishedFlow, "+442071234567")
		r = s.run(ctx, "port-in", "--file", writeJSON(t, "uk.json", uk))
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "numbers[0].e164", r)

		tokyo := portInRequest("E2E-TOKYO", publishedFlow, number1)
		tokyo.InstanceARN = "arn:aws:connect:ap-northeast-1:123456789012:instance/tokyo-1"
		r = s.run(ctx, "port-in", "--file", writeJSON(t, "tokyo.json", tokyo))
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "instance_arn", r)
		assert.Contains(t, r.stderr, "Tokyo", r)

		r = s.run(ctx, "carrier-response", "--workflow", "port-in-E2E-1", "--group", group, "--accept", "--port-date", "next week")
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "port_date", r)
	})

	t.Run("unknown workflow is exit 4", func(t *testing.T) {
		r := s.run(ctx, "status", "--workflow", "port-in-no-such-request")
		assert.Equal(t, 4, r.code, r)
		assert.Contains(t, r.stderr, "port-in-no-such-request", r)

		r = s.run(ctx, "cancel", "--workflow", "port-in-no-such-request", "--reason", "test", "--by", "e2e")
		assert.Equal(t, 4, r.code, r)
	})

	t.Run("unreachable Temporal is exit 1 naming the address", func(t *testing.T) {
		r := s.run(ctx, "--address", "127.0.0.1:1", "--dial-timeout", "2s", "status", "--workflow", "port-in-E2E-1")
		assert.Equal(t, 1, r.code, r)
		assert.Contains(t, r.stderr, "127.0.0.1:1", r)
	})

	t.Run("port-in lifecycle", func(t *testing.T) {
		const workflowID = "port-in-E2E-1"
		waitState := func(want porting.State, within time.Duration) porting.Status {
			t.Helper()
			return s.waitState(ctx, t, workflowID, want, within)
		}

		r := s.ok(ctx, t, "port-in", "--file", writeJSON(t, "e2e-1.json", portInRequest("E2E-1", publishedFlow, number1, number2)))
		require.Equal(t, workflowID, strings.TrimSpace(r.stdout))
		st := waitState(porting.StateAwaitingLOA, time.Minute)
		require.Len(t, st.Numbers, 2)

		// Refusals by the workflow (exit 3) while E2E-1 is open.
		r = s.run(ctx, "port-in", "--file", writeJSON(t, "e2e-1-again.json", portInRequest("E2E-1", publishedFlow, number1, number2)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "already open", r)

		r = s.run(ctx, "port-in", "--file", writeJSON(t, "e2e-2.json", portInRequest("E2E-2", publishedFlow, number2)))
		assert.Equal(t, 3, r.code, "a number already porting: %s", r)

		r = s.run(ctx, "port-in", "--file", writeJSON(t, "e2e-3.json", portInRequest("E2E-3", unpublishedFlow, "+14155550102")))
		assert.Equal(t, 3, r.code, "an unpublished contact flow: %s", r)

		// First LOA, rejected by the carrier.
		s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "loa-1.json", loa("loa-v1.pdf")))
		waitState(porting.StateAwaitingCarrier, 30*time.Second)
		s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group,
			"--reject", "--reason-code", "NAME_MISMATCH", "--reason", "authorized name does not match our records")
		waitState(porting.StateLOARejected, 30*time.Second)

		// Resubmission (the full {group, loa} payload this time), accepted with a port date.
		s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--file",
			writeJSON(t, "loa-2.json", porting.SubmitLOA{Group: group, LOA: loa("loa-v2.pdf")}))
		st = waitState(porting.StateAwaitingCarrier, 30*time.Second)
		require.Len(t, st.Groups, 1)
		assert.Equal(t, 2, st.Groups[0].LOAVersion)

		portDate := time.Now().Add(8 * time.Second).Format(time.RFC3339)
		s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group, "--accept", "--port-date", portDate)

		// The group is past the LOA stage now.
		r = s.run(ctx, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "loa-3.json", loa("loa-v3.pdf")))
		assert.Equal(t, 3, r.code, "submit-loa to a group that is not awaiting an LOA: %s", r)

		waitState(porting.StateCompleted, time.Minute)

		r = s.ok(ctx, t, "numbers", "--instance", instanceARN, "--json")
		var nums []struct {
			E164  string `json:"e164"`
			State string `json:"state"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &nums), r.stdout)
		states := map[string]string{}
		for _, n := range nums {
			states[n.E164] = n.State
		}
		assert.Equal(t, "active", states[number1], r.stdout)
		assert.Equal(t, "active", states[number2], r.stdout)

		// An operator finds the port by any of its numbers.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			r := s.run(ctx, "list", "--number", number2)
			require.Equal(c, 0, r.code, r)
			require.Contains(c, r.stdout, workflowID)
		}, 30*time.Second, 500*time.Millisecond)

		// A closed port takes no more updates.
		r = s.run(ctx, "cancel", "--workflow", workflowID, "--reason", "too late", "--by", "e2e")
		assert.Equal(t, 3, r.code, r)
	})
}
