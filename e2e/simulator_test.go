package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

// startSimulator runs `starter simulate-carrier args…` against the test's Temporal and database and
// returns the path of its log; at cleanup it gets SIGTERM (it stops at once), then SIGKILL.
func startSimulator(t *testing.T, s starter, args ...string) string {
	t.Helper()
	logPath, _ := runSupervised(t, "simulator", 15*time.Second, binaryEnv(s.env), s.bin, append([]string{"simulate-carrier"}, args...)...)
	return logPath
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// TestSimulatorDrivesEveryKindToCompletion runs the carrier simulator as the demo does — playing the
// carriers, the partner carriers, the winning carrier and the customer — and checks that one port of
// each kind reaches completed through it alone: rejections first, a quoted cost approved, a
// misspelled owner name rejected, then the ports on their dates. Every outbox row ends consumed.
func TestSimulatorDrivesEveryKindToCompletion(t *testing.T) {
	ctx, s, _ := startSystemServer(t, 5*time.Minute)
	const (
		usARN = "arn:aws:connect:us-east-1:123456789012:instance/e2e-sim-us"
		ukARN = "arn:aws:connect:eu-west-2:123456789012:instance/e2e-sim-uk"
		owner = "Lovelace Analytical Ltd"
		out1  = "+12125550170"
		out2  = "+12125550171"
	)
	s.ok(ctx, t, "instance", "add", "--arn", usARN, "--owner-name", owner, "--address", "1 Analytical Way, Springfield",
		"--billing-contact", "billing@lovelace.example")
	s.ok(ctx, t, "flow", "add", "--instance", usARN, "--name", "Main IVR")
	s.ok(ctx, t, "number", "claim", "--instance", usARN, "--e164", out1, "--flow", "Main IVR")
	s.ok(ctx, t, "number", "claim", "--instance", usARN, "--e164", out2, "--flow", "Main IVR")
	s.ok(ctx, t, "instance", "add", "--arn", ukARN)
	s.ok(ctx, t, "flow", "add", "--instance", ukARN, "--name", ukFlow)

	simLog := startSimulator(t, s, "--accept-after", "1s", "--reject-first", "1", "--port-in", "15s",
		"--portability-after", "0s", "--customer-after", "0s", "--cost", "12.50 GBP",
		"--submit-loas", "--approve-costs", "--mismatch-first", "--poll", "300ms")

	in := porting.PortInRequest{
		RequestID: "E2E-SIM-IN", InstanceARN: usARN, ContactFlow: "Main IVR",
		Numbers: []porting.PortNumber{
			{E164: "+14155550170", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
			{E164: "+18005550170", Type: porting.NumberTypeTollFree, Carrier: "Acme Telecom"},
		},
		AuthorizedContact: porting.Contact{Name: "Ada Lovelace", Email: "ada@lovelace.example"},
		Deadlines:         &porting.Deadlines{PortDateRule: porting.PortDateAny},
	}
	intl := intlRequest("E2E-SIM-INTL", "020 7946 0170")
	intl.InstanceARN = ukARN
	intl.PreferredWindow.Start = time.Now().Add(5 * time.Second).Truncate(time.Second)
	outReq := porting.PortOutRequest{
		RequestID: "E2E-SIM-OUT", InstanceARN: usARN, Numbers: []string{out1, out2}, WinningCarrier: "Beta Wireless",
		CustomerContact: porting.Contact{Name: "Ada Lovelace", Email: "ada@lovelace.example"},
		Deadlines:       &porting.PortOutDeadlines{PortDateRule: porting.PortDateAny},
	}
	ids := []string{
		strings.TrimSpace(s.ok(ctx, t, "port-in", "--file", writeJSON(t, "in.json", in)).stdout),
		strings.TrimSpace(s.ok(ctx, t, "intl-port-in", "--file", writeJSON(t, "intl.json", intl)).stdout),
		strings.TrimSpace(s.ok(ctx, t, "port-out", "--file", writeJSON(t, "out.json", outReq)).stdout),
	}
	require.Equal(t, []string{"port-in-E2E-SIM-IN", "intl-port-in-E2E-SIM-INTL", "port-out-E2E-SIM-OUT"}, ids)

	final := map[string]porting.Status{}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, id := range ids {
			st, err := s.status(ctx, id)
			require.NoError(c, err)
			require.False(c, st.State.IsEnd() && st.State != porting.StateCompleted, "%s ended %s: %+v", id, st.State, st.History)
			require.Equal(c, porting.StateCompleted, st.State, "%s", id)
			final[id] = st
		}
	}, 3*time.Minute, time.Second, "all three ports completed through the simulator")

	// Each went through what the simulator was told to do.
	for _, g := range final[ids[0]].Groups {
		assert.Equal(t, 2, g.LOAVersion, "%s: LOA v1 rejected, v2 accepted", g.Group)
		assert.Equal(t, 1, g.Rounds, g.Group)
	}
	assert.Equal(t, 1, final[ids[1]].Groups[0].Rounds, "international LOA v1 rejected")
	assert.True(t, historyHas(final[ids[1]], "12.50 GBP approved by customer (simulated)"), "%+v", final[ids[1]].History)
	assert.Equal(t, 2, final[ids[2]].Groups[0].LOAVersion, "two winning-carrier requests")
	assert.Equal(t, 1, final[ids[2]].Groups[0].Rounds, "the misspelled one rejected")

	// The port-out's numbers are gone from the instance; the port-in's are active.
	var nums []struct {
		E164  string `json:"e164"`
		State string `json:"state"`
	}
	r := s.ok(ctx, t, "numbers", "--instance", usARN, "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &nums), r.stdout)
	states := map[string]string{}
	for _, n := range nums {
		states[n.E164] = n.State
	}
	assert.Equal(t, map[string]string{out1: "released", out2: "released", "+14155550170": "active", "+18005550170": "active"}, states)

	// Every outbox row was consumed: answered, or found stale.
	db, err := sqlx.Open("postgres", envValue(s.env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	var pending int
	require.NoError(t, db.GetContext(ctx, &pending, `SELECT (SELECT count(*) FROM carrier_submissions WHERE consumed_at IS NULL)
		+ (SELECT count(*) FROM portability_checks WHERE consumed_at IS NULL)`))
	assert.Zero(t, pending, "outbox rows left unconsumed")

	// One log line per action, naming the workflow.
	logText, err := os.ReadFile(simLog)
	require.NoError(t, err)
	for _, want := range []string{
		`msg=carrier-response workflow=port-in-E2E-SIM-IN group="Acme Telecom/did" loa_version=1 answer=rejected`,
		`msg=carrier-response workflow=port-in-E2E-SIM-IN group="Acme Telecom/did" loa_version=2 answer=accepted`,
		`msg=portability-result workflow=intl-port-in-E2E-SIM-INTL`,
		`msg=approve-cost workflow=intl-port-in-E2E-SIM-INTL`,
		`msg="winning-carrier-request (owner_name misspelled on purpose): refused by the workflow" workflow=port-out-E2E-SIM-OUT`,
		`msg=winning-carrier-request workflow=port-out-E2E-SIM-OUT`,
	} {
		assert.Contains(t, string(logText), want)
	}
	assert.NotContains(t, string(logText), "level=WARN", "no failures along the way")
	assert.NotContains(t, string(logText), intl.PIN, "the PIN never reaches the simulator's log")
}

func historyHas(st porting.Status, note string) bool {
	for _, h := range st.History {
		if strings.Contains(h.Note, note) {
			return true
		}
	}
	return false
}

// TestSimulatorSplitsSuppsAndCSR runs the simulator with the second-wave options on real workflows:
// it fills the losing carrier's customer service records before the customer's LOA (which the CSR
// pre-check and the carrier's own check then find matching), splits the last number off the first
// acceptance of a group, accepts the split group whole, accepts another port date asked for, and only
// takes note of a removal.
func TestSimulatorSplitsSuppsAndCSR(t *testing.T) {
	ctx, s, _ := startSystemServer(t, 5*time.Minute)
	const (
		arn   = "arn:aws:connect:us-east-1:123456789012:instance/e2e-sim-wave2"
		group = "Acme Telecom/did"
		split = "Acme Telecom/did#2"
	)
	numbers := []string{"+14155550180", "+14155550181", "+14155550182"}
	s.ok(ctx, t, "instance", "add", "--arn", arn, "--owner-name", "Lovelace Analytical Ltd", "--address", "1 Analytical Way, Springfield",
		"--billing-contact", "billing@lovelace.example")
	s.ok(ctx, t, "flow", "add", "--instance", arn, "--name", "Main IVR")

	simLog := startSimulator(t, s, "--accept-after", "1s", "--port-in", "240h", "--customer-after", "0s", "--poll", "300ms",
		"--submit-loas", "--fill-csr", "--check-csr", "--reject-number-first")

	in := porting.PortInRequest{
		RequestID: "E2E-SIM-WAVE2", InstanceARN: arn, ContactFlow: "Main IVR",
		AuthorizedContact: porting.Contact{Name: "Ada Lovelace", Email: "ada@lovelace.example"},
		Deadlines:         &porting.Deadlines{PortDateRule: porting.PortDateAny},
	}
	for _, n := range numbers {
		in.Numbers = append(in.Numbers, porting.PortNumber{E164: n, Type: porting.NumberTypeDID, Carrier: "Acme Telecom"})
	}
	id := strings.TrimSpace(s.ok(ctx, t, "port-in", "--file", writeJSON(t, "in.json", in)).stdout)

	groups := func(st porting.Status) map[string]porting.GroupStatus {
		out := map[string]porting.GroupStatus{}
		for _, g := range st.Groups {
			out[g.Group] = g
		}
		return out
	}
	st := s.waitState(ctx, t, id, porting.StateScheduled, 2*time.Minute)
	gs := groups(st)
	require.Len(t, gs, 2, "%+v", st.Groups)
	assert.Equal(t, 2, gs[group].Numbers)
	assert.Equal(t, 1, gs[split].Numbers)
	assert.Equal(t, group, gs[split].SplitFrom)
	assert.Equal(t, porting.StateScheduled, gs[split].State, "the split group accepted whole on its own LOA")
	for _, n := range st.Numbers {
		if n.E164 == numbers[2] {
			assert.Equal(t, split, n.Group)
			assert.Equal(t, porting.ReasonAddressMismatch, n.ReasonCode)
		}
	}
	assert.True(t, historyHas(st, "matches Acme Telecom's customer service record(s) of 3 number(s)"), "the pre-check found the filled records: %+v", st.History)

	db, err := sqlx.Open("postgres", envValue(s.env, "DATABASE_URL"))
	require.NoError(t, err)
	defer db.Close()
	var records int
	require.NoError(t, db.GetContext(ctx, &records, `SELECT count(*) FROM customer_service_records WHERE carrier = 'Acme Telecom'`))
	assert.Equal(t, 3, records)

	// Another port date asked for: the carrier accepts it.
	asked := gs[group].PortDate.Add(96 * time.Hour).Truncate(time.Second)
	s.ok(ctx, t, "request-port-date", "--workflow", id, "--group", group, "--port-date", asked.Format(time.RFC3339), "--by", "Ada Lovelace")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, err := s.status(ctx, id)
		require.NoError(c, err)
		g := groups(st)[group]
		require.NotNil(c, g.PortDate)
		assert.True(c, g.PortDate.Equal(asked), "port date %s, asked %s", g.PortDate, asked)
		assert.Nil(c, g.RequestedPortDate)
	}, time.Minute, 300*time.Millisecond)

	// A removal: the carrier is told, nothing to answer.
	s.ok(ctx, t, "remove-numbers", "--workflow", id, "--number", numbers[1], "--reason", "kept with the old carrier", "--by", "Ada Lovelace")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var pending, supps int
		require.NoError(c, db.GetContext(ctx, &pending, `SELECT count(*) FROM carrier_submissions WHERE consumed_at IS NULL`))
		require.NoError(c, db.GetContext(ctx, &supps, `SELECT count(*) FROM carrier_submissions WHERE kind = 'supp'`))
		assert.Zero(c, pending)
		assert.Equal(c, 2, supps)
	}, time.Minute, 300*time.Millisecond, "every outbox row consumed")

	logText, err := os.ReadFile(simLog)
	require.NoError(t, err)
	for _, want := range []string{
		`msg="customer service records filled" workflow=port-in-E2E-SIM-WAVE2 carrier="Acme Telecom" numbers=3`,
		`group="Acme Telecom/did" loa_version=1 answer=accepted`,
		`rejected_number="+14155550182 ADDRESS_MISMATCH"`,
		`group="Acme Telecom/did#2" loa_version=1 answer=accepted`,
		`answer="port date change accepted"`,
		`only told of the removal of +14155550181`,
	} {
		assert.Contains(t, string(logText), want)
	}
	assert.NotContains(t, string(logText), "level=WARN", "no failures along the way")
}
