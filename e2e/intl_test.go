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
	ukInstanceARN = "arn:aws:connect:eu-west-2:123456789012:instance/e2e-uk-0001"
	ukFlow        = "UK Support"
)

func intlRequest(requestID string, numbers ...string) porting.InternationalPortInRequest {
	req := porting.InternationalPortInRequest{
		RequestID:            requestID,
		InstanceARN:          ukInstanceARN,
		ContactFlow:          ukFlow,
		Country:              "GB",
		Carrier:              "Albion Telecom",
		CarrierAccountNumber: "ACC-55667788",
		PIN:                  "1357",
		InvoiceRef:           "s3://invoices/" + requestID + "-redacted.pdf",
		PreferredWindow:      porting.Window{Start: time.Now().Add(time.Hour).Truncate(time.Second), End: time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)},
		AuthorizedContact:    porting.Contact{Name: "Bea Boss", Email: "bea@example.co.uk"},
		// Port dates seconds ahead, whatever the hour (DESIGN §8: tests pass "any").
		Deadlines: &porting.IntlDeadlines{Deadlines: porting.Deadlines{PortDateRule: porting.PortDateAny}},
	}
	for _, n := range numbers {
		req.Numbers = append(req.Numbers, porting.IntlNumber{E164: n, Type: porting.IntlTypeLocal})
	}
	return req
}

func TestInternationalPortInEndToEnd(t *testing.T) {
	ctx, s := startSystem(t, 4*time.Minute)

	s.ok(ctx, t, "instance", "add", "--arn", ukInstanceARN)
	s.ok(ctx, t, "flow", "add", "--instance", ukInstanceARN, "--name", ukFlow)

	t.Run("bad input is exit 2 and starts nothing", func(t *testing.T) {
		cases := []struct {
			name   string
			mutate func(*porting.InternationalPortInRequest)
			field  string
		}{
			{"a +1 number", func(r *porting.InternationalPortInRequest) { r.Numbers[0].E164 = "+14155550100" }, "numbers[0].e164"},
			{"a number of another country", func(r *porting.InternationalPortInRequest) { r.Numbers[0].E164 = "+33123456789" }, "numbers[0].e164"},
			{"no invoice reference", func(r *porting.InternationalPortInRequest) { r.InvoiceRef = "" }, "invoice_ref"},
			{"an unknown country", func(r *porting.InternationalPortInRequest) { r.Country = "XX" }, "country"},
			{"a window in the past", func(r *porting.InternationalPortInRequest) {
				r.PreferredWindow.Start = time.Now().Add(-48 * time.Hour)
			}, "preferred_window.start"},
		}
		for _, tc := range cases {
			req := intlRequest("E2E-INTL-BAD", "020 7946 0100")
			tc.mutate(&req)
			r := s.run(ctx, "intl-port-in", "--file", writeJSON(t, "bad.json", req))
			assert.Equal(t, 2, r.code, "%s: %s", tc.name, r)
			assert.Contains(t, r.stderr, tc.field, "%s: %s", tc.name, r)
		}
		r := s.run(ctx, "status", "--workflow", porting.IntlPortInWorkflowID("E2E-INTL-BAD"))
		assert.Equal(t, 4, r.code, "nothing was started: %s", r)
	})

	waitState := func(t *testing.T, workflowID string, want porting.State, within time.Duration) porting.Status {
		t.Helper()
		return s.waitState(ctx, t, workflowID, want, within)
	}

	t.Run("cost approval, documents, acceptance, completion", func(t *testing.T) {
		id := porting.IntlPortInWorkflowID("E2E-INTL-1")
		r := s.ok(ctx, t, "intl-port-in", "--file", writeJSON(t, "intl-1.json", intlRequest("E2E-INTL-1", "020 7946 0100", "020 7946 0101")))
		require.Equal(t, id, strings.TrimSpace(r.stdout))
		st := waitState(t, id, porting.StateAwaitingPortability, time.Minute)
		require.Equal(t, "+442079460100", st.Numbers[0].E164, "numbers are started as E.164")
		require.Equal(t, "Europe/London", st.TimeZone)

		r = s.run(ctx, "approve-cost", "--workflow", id, "--approve", "--by", "bea")
		assert.Equal(t, 3, r.code, "no cost was quoted yet: %s", r)
		assert.Contains(t, r.stderr, "not awaiting a cost approval", r)

		s.ok(ctx, t, "portability-result", "--workflow", id, "--file", writeJSON(t, "pr.json",
			porting.PortabilityResult{Portable: true, Cost: &porting.Cost{Amount: porting.MustDecimal("120.00"), Currency: "GBP"}}))
		waitState(t, id, porting.StateAwaitingCostApproval, 30*time.Second)
		s.ok(ctx, t, "approve-cost", "--workflow", id, "--approve", "--by", "bea@example.co.uk")
		waitState(t, id, porting.StateAwaitingLOA, 30*time.Second)

		s.ok(ctx, t, "submit-loa", "--workflow", id, "--group", porting.IntlGroup, "--file", writeJSON(t, "loa.json", porting.LOA{
			AuthorizedName: "Bea Boss", Address: "1 Baker St, London", SignedAt: time.Now().Add(-time.Hour).Truncate(time.Second), DocumentRef: "intl-loa.pdf",
		}))
		waitState(t, id, porting.StateAwaitingCarrier, 30*time.Second)
		portDate := time.Now().Add(8 * time.Second).Format(time.RFC3339)
		s.ok(ctx, t, "carrier-response", "--workflow", id, "--group", porting.IntlGroup, "--accept", "--port-date", portDate)
		st = waitState(t, id, porting.StateCompleted, time.Minute)
		notes, _ := json.Marshal(st.History)
		assert.Contains(t, string(notes), "cost of 120.00 GBP approved by bea@example.co.uk")

		r = s.ok(ctx, t, "numbers", "--instance", ukInstanceARN, "--json")
		assert.Contains(t, r.stdout, `"+442079460100"`)
		assert.Contains(t, r.stdout, `"active"`)
	})

	t.Run("cancel after submission waits for the carrier", func(t *testing.T) {
		id := porting.IntlPortInWorkflowID("E2E-INTL-2")
		s.ok(ctx, t, "intl-port-in", "--file", writeJSON(t, "intl-2.json", intlRequest("E2E-INTL-2", "020 7946 0200")))
		waitState(t, id, porting.StateAwaitingPortability, time.Minute)
		s.ok(ctx, t, "portability-result", "--workflow", id, "--file", writeJSON(t, "pr2.json", porting.PortabilityResult{Portable: true}))
		waitState(t, id, porting.StateAwaitingLOA, 30*time.Second)
		s.ok(ctx, t, "submit-loa", "--workflow", id, "--group", porting.IntlGroup, "--file", writeJSON(t, "loa2.json", porting.LOA{
			AuthorizedName: "Bea Boss", Address: "1 Baker St, London", SignedAt: time.Now().Add(-time.Hour).Truncate(time.Second), DocumentRef: "intl-loa-2.pdf",
		}))
		waitState(t, id, porting.StateAwaitingCarrier, 30*time.Second)

		r := s.ok(ctx, t, "cancel", "--workflow", id, "--reason", "changed our mind", "--by", "bea")
		assert.Contains(t, r.stdout+r.stderr, "cancel_requested")
		waitState(t, id, porting.StateCancelRequested, 30*time.Second)
		s.ok(ctx, t, "carrier-response", "--workflow", id, "--group", porting.IntlGroup, "--accept")
		waitState(t, id, porting.StateCancelled, 30*time.Second)
	})
}
