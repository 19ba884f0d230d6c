package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
)

const (
	secretPIN     = "8642-PIN-SECRET"
	secretAccount = "ACCT-SECRET-778899"
	secretIntlPIN = "9753-INTL-PIN-SECRET"
	secretIntlAcc = "INTL-ACCT-SECRET-4411"
	codecToken    = "e2e-codec-token"
)

var secrets = []string{secretPIN, secretAccount, secretIntlPIN, secretIntlAcc}

// TestPIINeverLeavesInClear runs ports whose LOA and request carry PINs and carrier account
// numbers through the real worker (with a payload key) and starter, then reads the raw history
// with a client that has no codec: no secret is anywhere in it, every payload but the search
// attributes (and one update sent on purpose as plain JSON by a codec-less client) is encrypted,
// and the worker's log never shows a secret either. It also checks the codec endpoint and /metrics.
func TestPIINeverLeavesInClear(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	root := moduleRoot(t)
	cli := temporalCLI(t, root)
	bins := buildBinaries(ctx, t, root)
	dbURL := pgtest.NewURL(t)
	srv := startDevServer(ctx, t, cli)
	raw := srv.Client() // the SDK's default data converter: no codec
	metricsAddr, codecAddr := freeHostPort(t), freeHostPort(t)
	env := []string{
		"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=" + srv.Namespace(),
		"DATABASE_URL=" + dbURL,
		"METRICS_ADDR=" + metricsAddr,
		"PORTING_CODEC_ADDR=" + codecAddr,
		"PORTING_CODEC_TOKEN=" + codecToken,
		"LOG_LEVEL=debug",
	}
	workerLog := startWorkerLogged(ctx, t, bins.worker, env, raw)
	s := starter{bin: bins.starter, env: env}

	s.ok(ctx, t, "instance", "add", "--arn", instanceARN, "--owner-name", "Ada Lovelace",
		"--address", "1 Main St, Springfield", "--billing-contact", "billing@example.com")
	s.ok(ctx, t, "flow", "add", "--instance", instanceARN, "--name", publishedFlow)

	waitState := func(workflowID string, want porting.State, within time.Duration) {
		t.Helper()
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st, err := s.status(ctx, workflowID)
			require.NoError(c, err)
			require.Equal(c, want, st.State, "history: %+v", st.History)
		}, within, 300*time.Millisecond, "waiting for %s to reach %s", workflowID, want)
	}

	const workflowID = "port-in-E2E-PII-1"
	const number = "+14155550130"
	secretLOA := porting.LOA{
		AuthorizedName: "Ada Lovelace",
		Address:        "1 Main St, Springfield",
		AccountNumber:  secretAccount,
		PIN:            secretPIN,
		SignedAt:       time.Now().Add(-time.Hour).Truncate(time.Second),
		DocumentRef:    "loa-pii-v1.pdf",
	}

	r := s.ok(ctx, t, "port-in", "--file", writeJSON(t, "pii.json", portInRequest("E2E-PII-1", publishedFlow, number)))
	require.Equal(t, workflowID, strings.TrimSpace(r.stdout))
	waitState(workflowID, porting.StateAwaitingLOA, time.Minute)
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "loa-1.json", secretLOA))
	waitState(workflowID, porting.StateAwaitingCarrier, 30*time.Second)

	// The port's story as an operator reads it in the UI, here through the Temporal CLI with the codec
	// endpoint: the static summary the starter set and the current details the workflow keeps — the
	// state, the group and its next deadline, the last event; no secret of the LOA.
	temporalCLIArgs := func(args ...string) []string {
		return append(args, "--address", srv.FrontendHostPort(), "--namespace", srv.Namespace(),
			"--codec-endpoint", "http://"+codecAddr, "--codec-auth", "Bearer "+codecToken)
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		out, err := exec.CommandContext(ctx, cli, temporalCLIArgs("workflow", "metadata", "--workflow-id", workflowID)...).CombinedOutput()
		require.NoError(c, err, string(out))
		text := string(out)
		require.Contains(c, text, "Current Details:")
		require.Contains(c, text, "**Port-in E2E-PII-1: awaiting_carrier**")
		require.Contains(c, text, "- **"+group+"**: 1 number, `awaiting_carrier`, LOA v1, next: carrier_")
		require.Contains(c, text, "**Last:** ")
		require.NotContains(c, text, secretPIN)
		require.NotContains(c, text, secretAccount)
	}, 30*time.Second, 500*time.Millisecond)
	describe, err := exec.CommandContext(ctx, cli, temporalCLIArgs("workflow", "describe", "--workflow-id", workflowID, "--output", "json")...).CombinedOutput()
	require.NoError(t, err, string(describe))
	require.Contains(t, string(describe), "Port-in E2E-PII-1: 1 number from "+carrier+" to "+instanceARN, "the static summary, decoded")

	// A carrier answer sent as plain JSON by a client without the codec (as the `temporal` CLI or
	// another SDK would): the worker takes it (DESIGN §5).
	handle, err := raw.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   porting.SignalCarrierResponse,
		Args:         []any{porting.CarrierResponse{Group: group, ReasonCode: "PLAIN_JSON_REJECT", Reason: "sent without the codec"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	require.NoError(t, handle.Get(ctx, nil))
	waitState(workflowID, porting.StateLOARejected, 30*time.Second)

	secretLOA.DocumentRef = "loa-pii-v2.pdf"
	s.ok(ctx, t, "submit-loa", "--workflow", workflowID, "--group", group, "--file", writeJSON(t, "loa-2.json", secretLOA))
	waitState(workflowID, porting.StateAwaitingCarrier, 30*time.Second)
	s.ok(ctx, t, "carrier-response", "--workflow", workflowID, "--group", group, "--accept",
		"--port-date", time.Now().Add(6*time.Second).Format(time.RFC3339))
	waitState(workflowID, porting.StateCompleted, time.Minute)

	// An international port carries its secrets in the workflow input itself.
	const intlID = "intl-port-in-E2E-PII-2"
	s.ok(ctx, t, "instance", "add", "--arn", ukInstanceARN)
	s.ok(ctx, t, "flow", "add", "--instance", ukInstanceARN, "--name", ukFlow)
	intl := intlRequest("E2E-PII-2", "020 7946 0130")
	intl.PIN, intl.CarrierAccountNumber = secretIntlPIN, secretIntlAcc
	r = s.ok(ctx, t, "intl-port-in", "--file", writeJSON(t, "intl-pii.json", intl))
	require.Equal(t, intlID, strings.TrimSpace(r.stdout))
	waitState(intlID, porting.StateAwaitingPortability, time.Minute)

	// Search attributes are not encrypted: operators still find ports by number.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := s.run(ctx, "list", "--number", number)
		require.Equal(c, 0, r.code, r)
		require.Contains(c, r.stdout, workflowID)
	}, 30*time.Second, 500*time.Millisecond)

	var loaPayloads []*commonpb.Payload
	for _, id := range []string{workflowID, intlID} {
		events := rawHistory(ctx, t, raw, id)
		require.NotEmpty(t, events)
		var encrypted int
		var plain []*commonpb.Payload
		for _, ev := range events {
			b, err := proto.Marshal(ev)
			require.NoError(t, err)
			for _, secret := range secrets {
				require.False(t, bytes.Contains(b, []byte(secret)), "%s: %q in clear in event %d (%s)", id, secret, ev.GetEventId(), ev.GetEventType())
			}
			walkPayloads(ev.ProtoReflect(), false, func(p *commonpb.Payload, searchAttribute bool) {
				switch {
				case searchAttribute:
					assert.NotEqual(t, "binary/encrypted", string(p.GetMetadata()["encoding"]), "search attributes stay readable")
				case string(p.GetMetadata()["encoding"]) == "binary/encrypted":
					encrypted++
					assert.NotEmpty(t, p.GetMetadata()["encryption-key-id"])
					if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
						ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName() == porting.SignalSubmitLOA {
						loaPayloads = append(loaPayloads, p)
					}
				default:
					plain = append(plain, p)
				}
			})
		}
		assert.Greater(t, encrypted, 5, "%s: the inputs, update arguments, activity inputs and results are encrypted", id)
		if id == workflowID {
			// The one plain payload is the update sent on purpose without the codec.
			require.Len(t, plain, 1, "%s: unencrypted payloads: %v", id, plain)
			assert.Contains(t, string(plain[0].GetData()), "PLAIN_JSON_REJECT")
		} else {
			assert.Empty(t, plain, "%s: unencrypted payloads: %v", id, plain)
		}
	}
	require.Len(t, loaPayloads, 2, "both LOAs were recorded, encrypted")

	// Without the key, the status query's answer cannot be read.
	val, err := raw.QueryWorkflow(ctx, workflowID, "", porting.QueryStatus)
	require.NoError(t, err)
	var st porting.Status
	assert.Error(t, val.Get(&st), "a client without the key cannot decode the status")

	t.Run("codec endpoint decodes for the UI with the token", func(t *testing.T) {
		body, err := protojson.Marshal(&commonpb.Payloads{Payloads: loaPayloads[:1]})
		require.NoError(t, err)
		post := func(token string) (*http.Response, string) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+codecAddr+"/decode", bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Namespace", "default")
			req.Header.Set("Origin", "http://localhost:8233")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, string(b)
		}
		resp, b := post("")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.NotContains(t, b, secretPIN)
		resp, b = post(codecToken)
		require.Equal(t, http.StatusOK, resp.StatusCode, b)
		assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
		var out commonpb.Payloads
		require.NoError(t, protojson.Unmarshal([]byte(b), &out))
		require.Len(t, out.Payloads, 1)
		assert.Contains(t, string(out.Payloads[0].GetData()), secretPIN, "the UI sees the LOA through the codec")
	})

	t.Run("metrics endpoint serves the SDK's metrics", func(t *testing.T) {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			resp, err := http.Get("http://" + metricsAddr + "/metrics")
			require.NoError(c, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			text := string(b)
			require.Contains(c, text, `temporal_workflow_completed_total{`)
			require.Contains(c, text, `workflow_type="PortIn"`)
			require.Contains(c, text, `task_queue="number-porting"`)
			require.Contains(c, text, "temporal_activity_execution_latency_seconds_bucket")
		}, 15*time.Second, 500*time.Millisecond)
	})

	t.Run("worker log has no secrets and tags workflow lines", func(t *testing.T) {
		b, err := os.ReadFile(workerLog)
		require.NoError(t, err)
		require.NotEmpty(t, b)
		for _, secret := range secrets {
			assert.NotContains(t, string(b), secret, "worker log")
		}
		var tagged bool
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m), "a JSON line: %s", line)
			if m["WorkflowID"] == workflowID && m["RunID"] != nil && m["request_id"] == "E2E-PII-1" {
				tagged = true
			}
		}
		assert.True(t, tagged, "a workflow log line with WorkflowID, RunID and request_id")
	})
}

// rawHistory reads a workflow's whole history as the server stores it.
func rawHistory(ctx context.Context, t *testing.T, c client.Client, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

// walkPayloads calls fn for every Payload inside m, saying whether it belongs to search attributes.
func walkPayloads(m protoreflect.Message, inSearchAttributes bool, fn func(p *commonpb.Payload, searchAttribute bool)) {
	switch m.Descriptor().FullName() {
	case "temporal.api.common.v1.Payload":
		fn(m.Interface().(*commonpb.Payload), inSearchAttributes)
		return
	case "temporal.api.common.v1.SearchAttributes":
		inSearchAttributes = true
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				walkPayloads(v.List().Get(i).Message(), inSearchAttributes, fn)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				walkPayloads(mv.Message(), inSearchAttributes, fn)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			walkPayloads(v.Message(), inSearchAttributes, fn)
		}
		return true
	})
}
