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
