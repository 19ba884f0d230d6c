package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

// TestNumberLevelPortingEndToEnd drives a three-number port-in through the starter the way real
// carriers and customers change it (issue 12, DESIGN §8): an LOA kept back by the CSR pre-check, the
// carrier accepting the group but rejecting one number alone (a split order, "#2"), the customer
// asking for another port date (a supp, answered by the carrier with a date of its own), a number
// removed (unlocked at once: another request may port it), the split group's own LOA and date, and
// both parts completing — with the exit codes of the new commands.
func TestNumberLevelPortingEndToEnd(t *testing.T) {
	ctx, s := startSystem(t, 4*time.Minute)
	const (
		arn        = "arn:aws:connect:us-east-1:123456789012:instance/e2e-number-level"
		workflowID = "port-in-E2E-NL"
		n1, n2, n3 = "+14155550160", "+14155550161", "+14155550162"
		split      = group + "#2"
	)
	s.ok(ctx, t, "instance", "add", "--arn", arn, "--owner-name", "Ada Lovelace", "--address", "1 Main St, Springfield", "--billing-contact", "billing@example.com")
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", publishedFlow)
	// The losing carrier's record of n1: the LOA must match it (as the port-out match compares).
	s.ok(ctx, t, "csr", "add", "--carrier", "acme  telecom", "--e164", n1, "--name", "ADA LOVELACE", "--address", "1 main st,  springfield", "--account", "ACCT 42")

	req := portInRequest("E2E-NL", publishedFlow, n1, n2, n3)
	req.InstanceARN = arn
	s.ok(ctx, t, "port-in", "--file", writeJSON(t, "nl.json", req))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingLOA, time.Minute)

	// The CSR pre-check: an LOA with another service address is not sent (exit 3, the field named);
	// the corrected one is.
	wrong := loa("nl-v1.pdf")
	wrong.Address = "99 Other Rd, Springfield"
	r := s.run(ctx, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "nl-wrong.json", wrong))
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "does not match the customer service record (address)", r)
	require.NotContains(t, r.stderr, "99 Other Rd", r)
	st := s.waitState(ctx, t, workflowID, porting.StateLOARejected, 10*time.Second)
	require.Equal(t, porting.ReasonCSRMismatch, st.Groups[0].LastReasonCode)
	require.Zero(t, st.Groups[0].LOAVersion, "nothing reached the carrier")
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "nl-right.json", loa("nl-v1b.pdf")))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingCarrier, 30*time.Second)

	// A split order: accepted for weeks ahead, n3 rejected alone.
	far := time.Now().Add(14 * 24 * time.Hour).Truncate(time.Second)
	r = s.run(ctx, "carrier-response", "--workflow", workflowID, "--group", group, "--accept", "--port-date", far.Format(time.RFC3339),
		"--reject-number", "bad-number")
	require.Equal(t, 2, r.code, r)
	require.Contains(t, r.stderr, "--reject-number", r)
	s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group, "--accept", "--port-date", far.Format(time.RFC3339),
		"--reject-number", n3+"=ADDRESS_MISMATCH:service address differs for this line")
	st = s.waitState(ctx, t, workflowID, porting.StateLOARejected, 30*time.Second)
	groups := map[string]porting.GroupStatus{}
	for _, g := range st.Groups {
		groups[g.Group] = g
	}
	require.Equal(t, porting.StateScheduled, groups[group].State)
	require.Equal(t, 2, groups[group].Numbers)
	require.Equal(t, porting.StateLOARejected, groups[split].State)
	require.Equal(t, group, groups[split].SplitFrom)
	require.Equal(t, porting.ReasonAddressMismatch, groups[split].LastReasonCode)
	numbers := map[string]porting.NumberStatus{}
	for _, n := range st.Numbers {
		numbers[n.E164] = n
	}
	require.Equal(t, split, numbers[n3].Group)
	require.Equal(t, porting.ReasonAddressMismatch, numbers[n3].ReasonCode)
	table := s.ok(ctx, t, "status", "--workflow", workflowID).stdout
	require.Contains(t, table, "split from "+group, table)

	// A supp: another date, asked of the carrier; the current date stands until it answers.
	later := far.Add(7 * 24 * time.Hour)
	r = s.run(ctx, "request-port-date", "--workflow", workflowID, "--group", group, "--port-date", "tomorrow", "--by", "support:jo")
	require.Equal(t, 2, r.code, r)
	r = s.ok(ctx, t, "request-port-date", "--workflow", workflowID, "--group", group, "--port-date", later.Format(time.RFC3339), "--by", "support:jo")
	require.Contains(t, r.stdout, "stands until it answers", r)
	r = s.run(ctx, "request-port-date", "--workflow", workflowID, "--group", group, "--port-date", later.Add(time.Hour).Format(time.RFC3339), "--by", "support:jo")
	require.Equal(t, 3, r.code, "a second supp before the first is answered: %s", r)
	require.Contains(t, r.stderr, "still awaits Acme Telecom's answer", r)
	st, err := s.status(ctx, workflowID)
	require.NoError(t, err)
	for _, g := range st.Groups {
		if g.Group == group {
			require.True(t, far.Equal(*g.PortDate), "the old date stands")
			require.True(t, later.Equal(*g.RequestedPortDate))
		}
	}

	// A number removed while scheduled: unlocked at once, so another request may port it.
	r = s.run(ctx, "remove-numbers", "--workflow", workflowID, "--number", "+14155550999", "--reason", "x", "--by", "support:jo")
	require.Equal(t, 3, r.code, r)
	require.Contains(t, r.stderr, "not part of request E2E-NL", r)
	r = s.run(ctx, "remove-numbers", "--workflow", "port-in-E2E-NO-SUCH", "--number", n2, "--reason", "x", "--by", "support:jo")
	require.Equal(t, 4, r.code, r)
	r = s.ok(ctx, t, "remove-numbers", "--workflow", workflowID, "--number", n2, "--reason", "the customer keeps it", "--by", "support:jo")
	require.Contains(t, r.stdout, "Acme Telecom told", r)
	other := portInRequest("E2E-NL-2", publishedFlow, n2)
	other.InstanceARN = arn
	s.ok(ctx, t, "port-in", "--file", writeJSON(t, "nl-2.json", other))
	s.ok(ctx, t, "cancel", "--workflow", "port-in-E2E-NL-2", "--reason", "only showing the number is free", "--by", "e2e")

	// The carrier answers the supp with a date of its own, seconds ahead: the date moves.
	soon := time.Now().Add(20 * time.Second).Truncate(time.Second)
	s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group, "--accept", "--port-date", soon.Format(time.RFC3339))
	// The split group: its own corrected LOA and its own date.
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", split, "--file", writeJSON(t, "nl-split.json", loa("nl-split-v1.pdf")))
	s.waitState(ctx, t, workflowID, porting.StateAwaitingCarrier, 30*time.Second)
	s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", split, "--accept", "--port-date", soon.Add(5*time.Second).Format(time.RFC3339))

	st = s.waitState(ctx, t, workflowID, porting.StateCompleted, 90*time.Second)
	for _, n := range st.Numbers {
		numbers[n.E164] = n
	}
	require.Equal(t, porting.StateCompleted, numbers[n1].State)
	require.Equal(t, porting.StateCompleted, numbers[n3].State)
	require.Equal(t, porting.StateCancelled, numbers[n2].State)
	require.Contains(t, numbers[n2].Reason, "removed by support:jo: the customer keeps it")

	// On the instance: n1 and n3 live; n2 never came.
	r = s.ok(ctx, t, "numbers", "--instance", arn, "--json")
	var nums []struct {
		E164  string `json:"e164"`
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &nums), r.stdout)
	states := map[string]string{}
	for _, n := range nums {
		states[n.E164] = n.State
	}
	assert.Equal(t, map[string]string{n1: "active", n3: "active"}, states)

	// The carrier outbox: one port request per group, the supp for the date and the one for the
	// removal; the LOA the pre-check stopped is nowhere.
	db, err := sqlx.Open("postgres", envValue(s.env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	var rows []struct {
		Group string `db:"group"`
		Kind  string `db:"kind"`
		Body  string `db:"payload"`
	}
	require.NoError(t, db.Select(&rows, `SELECT "group", kind, payload::text AS payload FROM carrier_submissions WHERE workflow_id = $1 ORDER BY id`, workflowID))
	var kinds []string
	for _, row := range rows {
		kinds = append(kinds, row.Group+" "+row.Kind)
		require.NotContains(t, row.Body, "99 Other Rd")
	}
	require.Equal(t, []string{group + " port_request", group + " supp", group + " supp", split + " port_request"}, kinds)
	require.True(t, strings.Contains(rows[1].Body, `"change": "port_date"`) && strings.Contains(rows[2].Body, `"change": "remove_numbers"`),
		"%s / %s", rows[1].Body, rows[2].Body)
}
