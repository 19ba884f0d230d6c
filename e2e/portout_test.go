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
	outInstanceARN = "arn:aws:connect:us-east-1:123456789012:instance/e2e-out-0001"
	outOwner       = "Doe Holdings LLC"
	outAddress     = "1 Main St, New York, NY 10001"
	outBilling     = "billing@doe.example"
	outCarrier     = "Beta Wireless"
	outNumber1     = "+12125550100"
	outNumber2     = "+12125550101"
	outNumber3     = "+12125550102"
	notOwned       = "+12125550199"
)

func portOutRequest(requestID, arn string, numbers ...string) porting.PortOutRequest {
	return porting.PortOutRequest{
		RequestID: requestID, InstanceARN: arn, Numbers: numbers, WinningCarrier: outCarrier,
		CustomerContact: porting.Contact{Name: "Pat Doe", Email: "pat@doe.example"},
		// Releases seconds ahead, whatever the hour (DESIGN §8: tests pass "any").
		Deadlines: &porting.PortOutDeadlines{PortDateRule: porting.PortDateAny},
	}
}

func carrierRequest(requestedAt time.Time, numbers ...string) porting.WinningCarrierRequest {
	return porting.WinningCarrierRequest{
		Carrier: outCarrier, OwnerName: outOwner, Address: outAddress, BillingContact: outBilling,
		Numbers: numbers, LOARef: "s3://beta/loa-7781.pdf", RequestedAt: requestedAt.Truncate(time.Second),
	}
}

func TestPortOutEndToEnd(t *testing.T) {
	ctx, s := startSystem(t, 4*time.Minute)

	waitState := func(t *testing.T, workflowID string, want porting.State, within time.Duration) porting.Status {
		t.Helper()
		return s.waitState(ctx, t, workflowID, want, within)
	}
	numberStates := func(t *testing.T) map[string]string {
		t.Helper()
		r := s.ok(ctx, t, "numbers", "--instance", outInstanceARN, "--json")
		var nums []struct {
			E164  string `json:"e164"`
			State string `json:"state"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &nums), r.stdout)
		out := map[string]string{}
		for _, n := range nums {
			out[n.E164] = n.State
		}
		return out
	}

	// The instance with its ownership records, and three numbers it holds.
	s.ok(ctx, t, "instance", "add", "--arn", outInstanceARN,
		"--owner-name", outOwner, "--address", outAddress, "--billing-contact", outBilling)
	for _, n := range []string{outNumber1, outNumber2, outNumber3} {
		s.ok(ctx, t, "number", "claim", "--instance", outInstanceARN, "--e164", n)
	}

	t.Run("bad input is exit 2 or 3 and locks nothing", func(t *testing.T) {
		r := s.run(ctx, "port-out", "--file", writeJSON(t, "no-arn.json", portOutRequest("E2E-OUT-NOARN", "", outNumber3)))
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "instance_arn: is required: a port-out cannot be processed without the instance ARN", r)

		r = s.run(ctx, "port-out", "--file", writeJSON(t, "not-owned.json", portOutRequest("E2E-OUT-NOTOWNED", outInstanceARN, outNumber3, notOwned)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "numbers[1]: "+notOwned+" is not held by instance "+outInstanceARN, r)

		// Nothing was locked: the owned number of the refused request can port out now, and be cancelled.
		r = s.ok(ctx, t, "port-out", "--file", writeJSON(t, "out-3.json", portOutRequest("E2E-OUT-3", outInstanceARN, outNumber3)))
		require.Equal(t, "port-out-E2E-OUT-3", strings.TrimSpace(r.stdout))
		waitState(t, "port-out-E2E-OUT-3", porting.StateAwaitingWinningCarrier, 30*time.Second)
		r = s.ok(ctx, t, "cancel", "--workflow", "port-out-E2E-OUT-3", "--reason", "customer stays", "--by", "e2e")
		assert.Contains(t, r.stdout, "cancelled", r)
		waitState(t, "port-out-E2E-OUT-3", porting.StateCancelled, 30*time.Second)
		assert.Equal(t, "active", numberStates(t)[outNumber3], "a cancelled port-out leaves the number with the instance")
	})

	t.Run("port-out lifecycle", func(t *testing.T) {
		const workflowID = "port-out-E2E-OUT-1"
		r := s.ok(ctx, t, "port-out", "--file", writeJSON(t, "out-1.json", portOutRequest("E2E-OUT-1", outInstanceARN, outNumber1, outNumber2)))
		require.Equal(t, workflowID, strings.TrimSpace(r.stdout))
		st := waitState(t, workflowID, porting.StateAwaitingWinningCarrier, 30*time.Second)
		require.Equal(t, porting.KindPortOut, st.Kind)
		require.Len(t, st.Numbers, 2)
		// The expiry is set once the customer's notice is queued (a moment after the state).
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st, err := s.status(ctx, workflowID)
			require.NoError(c, err)
			require.Equal(c, "winning_carrier_expiry", st.NextDeadlineKind)
		}, 20*time.Second, 200*time.Millisecond)

		// Refused while E2E-OUT-1 holds the numbers.
		r = s.run(ctx, "port-out", "--file", writeJSON(t, "out-2.json", portOutRequest("E2E-OUT-2", outInstanceARN, outNumber2)))
		assert.Equal(t, 3, r.code, "a number already porting out: %s", r)
		assert.Contains(t, r.stderr, "numbers[0]: "+outNumber2+" is already in an active port ("+workflowID+")", r)
		r = s.run(ctx, "port-out", "--file", writeJSON(t, "out-1-again.json", portOutRequest("E2E-OUT-1", outInstanceARN, outNumber1, outNumber2)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "already open", r)

		// The winning carrier's first request spells the owner's name differently.
		wrong := carrierRequest(time.Now().Add(time.Hour), outNumber2, outNumber1)
		wrong.OwnerName = "Doe Holdings, LLC"
		r = s.run(ctx, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "wcr-1.json", wrong))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "do not match the ownership records held for the instance: owner_name;", r)
		assert.NotContains(t, r.stderr, outOwner, "never the stored value: %s", r)
		st = waitState(t, workflowID, porting.StateRejectedMismatch, 30*time.Second)
		require.Len(t, st.Groups, 1)
		assert.Equal(t, "mismatched: owner_name", st.Groups[0].LastReason)
		assert.Equal(t, 1, st.Groups[0].Rounds)

		other := carrierRequest(time.Now().Add(time.Hour), outNumber1, outNumber2)
		other.Carrier = "Gamma Tel"
		r = s.run(ctx, "winning-carrier-request", "--workflow", workflowID, "--file", writeJSON(t, "wcr-other.json", other))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, `carrier "Gamma Tel" is not the winning carrier`, r)

		// The corrected request, for release a few seconds from now.
		releaseAt := time.Now().Add(8 * time.Second)
		r = s.ok(ctx, t, "winning-carrier-request", "--workflow", workflowID, "--file",
			writeJSON(t, "wcr-2.json", carrierRequest(releaseAt, outNumber1, outNumber2)))
		assert.Contains(t, r.stdout, "request #2 approved: the numbers are released to Beta Wireless at", r)
		st, err := s.status(ctx, workflowID)
		require.NoError(t, err)
		if st.State == porting.StateApproved {
			require.NotNil(t, st.Groups[0].PortDate)
			assert.True(t, releaseAt.Truncate(time.Second).Equal(*st.Groups[0].PortDate), "port date %s", st.Groups[0].PortDate)
		}
		assert.Equal(t, "active", numberStates(t)[outNumber1], "not released before the agreed time")

		st = waitState(t, workflowID, porting.StateCompleted, time.Minute)
		released := st.History[len(st.History)-1].At
		assert.False(t, released.Before(releaseAt.Truncate(time.Second)), "released at %s, before the agreed %s", released, releaseAt)
		states := numberStates(t)
		assert.Equal(t, "released", states[outNumber1])
		assert.Equal(t, "released", states[outNumber2])
		assert.Equal(t, "active", states[outNumber3])

		// A released number cannot port out again: the instance no longer owns it.
		r = s.run(ctx, "port-out", "--file", writeJSON(t, "out-4.json", portOutRequest("E2E-OUT-4", outInstanceARN, outNumber1)))
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "numbers[0]: "+outNumber1+" was released from instance "+outInstanceARN, r)

		// After the release there is nothing to cancel.
		r = s.run(ctx, "cancel", "--workflow", workflowID, "--reason", "too late", "--by", "e2e")
		assert.Equal(t, 3, r.code, r)

		// An operator finds the port-out by its kind and by any of its numbers.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			r := s.run(ctx, "list", "--kind", porting.KindPortOut, "--number", outNumber2)
			require.Equal(c, 0, r.code, r)
			require.Contains(c, r.stdout, workflowID)
		}, 30*time.Second, 500*time.Millisecond)
	})
}
