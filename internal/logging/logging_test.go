package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

const (
	pin     = "8642-PIN-SECRET"
	account = "ACCT-SECRET-778899"
	btn     = "+14155559999"
)

// lines decodes the JSON lines a logger wrote.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		out = append(out, m)
	}
	return out
}

type loa struct {
	AuthorizedName string `json:"authorized_name"`
	AccountNumber  string `json:"account_number,omitempty"`
	PIN            string `json:"pin,omitempty"`
	SignedAt       time.Time
}

type noTags struct {
	Name string
	PIN  string
}

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{pin, account, btn} {
		assert.NotContains(t, s, secret)
	}
}

func TestRedactsSensitiveAttributes(t *testing.T) {
	var buf bytes.Buffer
	logger := New(&buf, slog.LevelDebug)

	logger.Info("flat", "pin", pin, "PIN", pin, "Account_Number", account, "carrier_account_number", account,
		"billing-telephone-number", btn, "request_id", "REQ-1", "pin_provided", true, "account_number_last4", "8899")
	logger.With("pin", pin).WithGroup("loa").Info("grouped", slog.Group("details", "accountNumber", account, "ok", "yes"))
	logger.Info("structs",
		"loa", loa{AuthorizedName: "Ada", AccountNumber: account, PIN: pin, SignedAt: time.Unix(0, 0).UTC()},
		"ptr", &loa{PIN: pin},
		"untagged", noTags{Name: "x", PIN: pin},
		"list", []loa{{PIN: pin}},
		"map", map[string]any{"nested": map[string]string{"carrier_account_number": account}},
		"raw", json.RawMessage(`{"loa":{"pin":"`+pin+`"}}`),
		"when", time.Unix(0, 0).UTC(),
		"err", errors.New("plain error"),
	)
	logger.Info("valuer", "v", valuer{})

	out := buf.String()
	assertNoSecrets(t, out)
	ls := lines(t, &buf)
	require.Len(t, ls, 4)

	flat := ls[0]
	assert.Equal(t, Redacted, flat["pin"])
	assert.Equal(t, Redacted, flat["Account_Number"])
	assert.Equal(t, Redacted, flat["billing-telephone-number"])
	assert.Equal(t, "REQ-1", flat["request_id"])
	assert.Equal(t, true, flat["pin_provided"], "not every key containing pin")
	assert.Equal(t, "8899", flat["account_number_last4"])

	grouped := ls[1]
	assert.Equal(t, Redacted, grouped["pin"])
	details := grouped["loa"].(map[string]any)["details"].(map[string]any)
	assert.Equal(t, Redacted, details["accountNumber"])
	assert.Equal(t, "yes", details["ok"])

	structs := ls[2]
	l := structs["loa"].(map[string]any)
	assert.Equal(t, Redacted, l["pin"])
	assert.Equal(t, Redacted, l["account_number"])
	assert.Equal(t, "Ada", l["authorized_name"])
	assert.Equal(t, "1970-01-01T00:00:00Z", l["SignedAt"])
	assert.Equal(t, Redacted, structs["untagged"].(map[string]any)["PIN"])
	assert.Equal(t, "1970-01-01T00:00:00Z", structs["when"])
	assert.Equal(t, "plain error", structs["err"])

	assert.Equal(t, Redacted, ls[3]["v"].(map[string]any)["pin"])
}

// The port-out passcode of a winning carrier's request (DESIGN §8) is redacted like a PIN, under
// either name, as an attribute and as a field of the request logged whole; the check's outcome
// fields are not.
func TestRedactsPortOutPasscode(t *testing.T) {
	const passcode = "7Q-SECRET"
	var buf bytes.Buffer
	logger := New(&buf, slog.LevelDebug)
	logger.Info("passcodes", "passcode", passcode, "Port-Out-Passcode", passcode,
		"claim", porting.WinningCarrierRequest{Carrier: "Beta Wireless", Passcode: passcode},
		"passcode_invalid", true, "passcode_checked", true)
	require.NotContains(t, buf.String(), passcode)
	l := lines(t, &buf)[0]
	assert.Equal(t, Redacted, l["passcode"])
	assert.Equal(t, Redacted, l["Port-Out-Passcode"])
	assert.Equal(t, Redacted, l["claim"].(map[string]any)["passcode"])
	assert.Equal(t, "Beta Wireless", l["claim"].(map[string]any)["carrier"])
	assert.Equal(t, true, l["passcode_invalid"])
	assert.Equal(t, true, l["passcode_checked"])
}

type valuer struct{}

func (valuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("pin", pin), slog.String("name", "Ada"))
}

func TestLevelFromEnv(t *testing.T) {
	t.Setenv(EnvLevel, "")
	l, err := LevelFromEnv()
	require.NoError(t, err)
	assert.Equal(t, slog.LevelInfo, l)
	t.Setenv(EnvLevel, "debug")
	l, err = LevelFromEnv()
	require.NoError(t, err)
	assert.Equal(t, slog.LevelDebug, l)
	t.Setenv(EnvLevel, "loud")
	_, err = LevelFromEnv()
	assert.Error(t, err)
}

func TestRequestID(t *testing.T) {
	assert.Equal(t, "REQ-1", RequestID("port-in-REQ-1"))
	assert.Equal(t, "REQ-2", RequestID("intl-port-in-REQ-2"))
	assert.Equal(t, "REQ-3", RequestID("port-out-REQ-3"))
	assert.Equal(t, "", RequestID("something-else"))
}

func logActivity(ctx context.Context, l loa) error {
	activity.GetLogger(ctx).Info("activity ran", "loa", l)
	return nil
}

func logWorkflow(ctx workflow.Context, l loa) error {
	workflow.GetLogger(ctx).Info("workflow ran", "pin", l.PIN)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, logActivity, l).Get(ctx, nil)
}

// The SDK's loggers, through the slog adapter, carry the workflow's identity and the request_id,
// and go through the redaction.
func TestWorkflowAndActivityLoggers(t *testing.T) {
	var buf bytes.Buffer
	var s testsuite.WorkflowTestSuite
	s.SetLogger(sdklog.NewStructuredLogger(New(&buf, slog.LevelInfo)))
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{RequestIDInterceptor()}})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "port-in-REQ-77"})
	env.RegisterWorkflow(logWorkflow)
	env.RegisterActivity(logActivity)
	env.ExecuteWorkflow(logWorkflow, loa{AuthorizedName: "Ada", PIN: pin, AccountNumber: account})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	assertNoSecrets(t, buf.String())
	var wf, act map[string]any
	for _, l := range lines(t, &buf) {
		switch l["msg"] {
		case "workflow ran":
			wf = l
		case "activity ran":
			act = l
		}
	}
	require.NotNil(t, wf, buf.String())
	require.NotNil(t, act, buf.String())
	// (The test environment's workflow logger lacks the SDK's WorkflowID/RunID tags that a real
	// worker adds; the end-to-end test checks those.)
	assert.Equal(t, "REQ-77", wf["request_id"])
	assert.Equal(t, Redacted, wf["pin"])
	assert.Equal(t, "port-in-REQ-77", act["WorkflowID"])
	assert.Equal(t, "logActivity", act["ActivityType"])
	assert.Equal(t, "REQ-77", act["request_id"])
	assert.Equal(t, Redacted, act["loa"].(map[string]any)["pin"])
}
