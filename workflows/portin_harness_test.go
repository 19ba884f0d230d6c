package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

var newYork = mustLoad("America/New_York")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ny is a wall-clock time in New York, where us-east-1 port dates are counted.
func ny(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, newYork)
}

// call is one activity invocation as the workflow made it, at simulated time at.
type call struct {
	name  string
	at    time.Time
	input any
}

// harness runs PortIn in the time-skipping environment with the activities replaced by recorders,
// so tests can assert which activity ran, with what, at which simulated instant.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu          sync.Mutex
	calls       []call
	notPortable map[string]string
	recordErr   error
	verifyFail  string
	// verifyFailures: the first N test calls fail with verifyFail (0: all of them).
	verifyFailures int
	// provisionErr, when set, decides each ProvisionNumbers attempt (n counts from 1).
	provisionErr func(n int) error
	activateErr  error

	// The outboxes as Postgres keeps them: one row per (workflow, key); a second insert of a key is
	// no new row, however often the activity runs.
	notified      map[string]bool
	outbox        []call // Notify calls that added a row
	carrierKeys   map[string]bool
	carrierCancel []call // SubmitCarrierCancel calls that added a row
	suppRows      []call // SubmitSupp calls that added a row (keyed as the carrier outbox keys them)

	// csr holds the losing carriers' customer service records by number; SubmitLOA's pre-check
	// compares an LOA with them by the product's own rule (porting.CSRMismatches).
	csr map[string]porting.CustomerServiceRecord
	// instance is what this port has on the instance, as ProvisionNumbers, ReleaseNumbers and the
	// detaching activities leave it (a detached number is released only if it was there).
	instance map[string]bool
}

func newHarness(t *testing.T, start time.Time) *harness { return newHarnessWithMetrics(t, start, nil) }

// newHarnessWithMetrics is newHarness with the workflows' metrics going to mh.
func newHarnessWithMetrics(t *testing.T, start time.Time, mh client.MetricsHandler) *harness {
	var suite testsuite.WorkflowTestSuite
	if mh != nil {
		suite.SetMetricsHandler(mh)
	}
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment(), notPortable: map[string]string{},
		notified: map[string]bool{}, carrierKeys: map[string]bool{}, csr: map[string]porting.CustomerServiceRecord{}, instance: map[string]bool{}}
	h.env.SetStartTime(start)
	h.env.SetTestTimeout(30 * time.Second)
	Register(h.env)
	h.env.RegisterActivity(&activities.Activities{})
	runOldPaths(h.env)
	env := h.env

	env.OnActivity(acts.RecordPortIn, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordPortInInput) (activities.RecordPortInResult, error) {
			h.record("RecordPortIn", in)
			out := activities.RecordPortInResult{Region: "us-east-1", PhoneNumberLimit: 10}
			if h.recordErr == nil && in.CheckPortability {
				// The activity asks the gateway once the request is recorded (versionActionCost).
				out.Portability = h.checkPortability(activities.PortabilityInput{WorkflowID: in.WorkflowID, Numbers: in.Request.Numbers})
			}
			return out, h.recordErr
		})
	env.OnActivity(acts.CheckPortability, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PortabilityInput) ([]activities.PortabilityResult, error) {
			return h.checkPortability(in), nil
		})
	env.OnActivity(acts.SubmitLOA, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SubmitLOAInput) (activities.LOASubmitted, error) {
			out := activities.LOASubmitted{SubmissionID: int64(in.Version), Sent: true}
			if in.CheckCSR {
				csr := h.checkCSR(in)
				out.CSR = &csr
				if len(csr.Mismatched) > 0 && !in.OverrideCSR {
					h.record("SubmitLOA kept back", in) // the CSR pre-check: nothing reaches the carrier
					return activities.LOASubmitted{CSR: &csr}, nil
				}
			}
			h.record("SubmitLOA", in)
			return out, nil
		})
	env.OnActivity(acts.SubmitCarrierCancel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CarrierCancelInput) (activities.SubmissionReceipt, error) {
			h.record("SubmitCarrierCancel", in)
			h.mu.Lock()
			defer h.mu.Unlock()
			if key := store.CarrierCancelKey(in.WorkflowID, in.Group, in.Round); !h.carrierKeys[key] {
				h.carrierKeys[key] = true
				h.carrierCancel = append(h.carrierCancel, call{name: "SubmitCarrierCancel", at: h.env.Now(), input: in})
			}
			return activities.SubmissionReceipt{SubmissionID: int64(len(h.carrierCancel))}, nil
		})
	env.OnActivity(acts.Notify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.Notification) error {
			h.queue(in)
			return nil
		})
	env.OnActivity(acts.NotifyAll, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyAllInput) error {
			h.queue(in.Notifications...)
			return nil
		})
	env.OnActivity(acts.ProvisionNumbers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NumbersInput) (activities.ProvisionResult, error) {
			h.record("ProvisionNumbers", in)
			h.queue(in.Notifications...) // queued first thing, as the activity does
			if h.provisionErr != nil {
				if err := h.provisionErr(len(h.callsOf("ProvisionNumbers"))); err != nil {
					return activities.ProvisionResult{}, err
				}
			}
			h.mu.Lock()
			for _, n := range in.Numbers {
				h.instance[n.E164] = true
			}
			h.mu.Unlock()
			return activities.ProvisionResult{Provisioned: len(in.Numbers), PhoneNumberLimit: 10 + len(in.Numbers)}, nil
		})
	env.OnActivity(acts.ActivateNumbers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NumbersInput) error {
			h.record("ActivateNumbers", in)
			return h.activateErr
		})
	env.OnActivity(acts.VerifyTestCall, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NumbersInput) (activities.VerifyResult, error) {
			h.record("VerifyTestCall", in)
			if h.verifyFail != "" && (h.verifyFailures == 0 || len(h.callsOf("VerifyTestCall")) <= h.verifyFailures) {
				return activities.VerifyResult{Answered: false, Reason: h.verifyFail}, nil
			}
			return activities.VerifyResult{Answered: true}, nil
		})
	env.OnActivity(acts.ReleaseNumbers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NumbersInput) error {
			h.record("ReleaseNumbers", in)
			h.detach(in.Numbers)
			return nil
		})
	env.OnActivity(acts.SubmitSupp, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SuppInput) (activities.SubmissionReceipt, error) {
			h.record("SubmitSupp", in)
			h.mu.Lock()
			defer h.mu.Unlock()
			if key := store.StepKey(in.WorkflowID, in.Group, "supp", fmt.Sprint(in.Round)); !h.carrierKeys[key] {
				h.carrierKeys[key] = true
				h.suppRows = append(h.suppRows, call{name: "SubmitSupp", at: h.env.Now(), input: in})
			}
			return activities.SubmissionReceipt{SubmissionID: int64(len(h.suppRows))}, nil
		})
	env.OnActivity(acts.SplitNumbers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DetachInput) (activities.DetachResult, error) {
			h.record("SplitNumbers", in)
			return activities.DetachResult{Released: h.detach(in.Numbers)}, nil
		})
	env.OnActivity(acts.RemoveNumbers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DetachInput) (activities.DetachResult, error) {
			h.record("RemoveNumbers", in)
			return activities.DetachResult{Released: h.detach(in.Numbers)}, nil
		})
	env.OnActivity(acts.FinishPortRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishInput) error {
			h.record("FinishPortRequest", in)
			h.queue(in.Notifications...) // in the transaction that records the end
			return nil
		})
	return h
}

// checkPortability answers as the carrier gateway does for the harness's numbers.
func (h *harness) checkPortability(in activities.PortabilityInput) []activities.PortabilityResult {
	h.record("CheckPortability", in)
	out := make([]activities.PortabilityResult, len(in.Numbers))
	for i, n := range in.Numbers {
		reason, refused := h.notPortable[n.E164]
		out[i] = activities.PortabilityResult{E164: n.E164, Portable: !refused, Reason: reason}
	}
	return out
}

// queue adds notifications to the outbox as Postgres keeps it: one row per key.
func (h *harness) queue(ns ...activities.Notification) {
	for _, n := range ns {
		h.record("Notify", n)
		h.mu.Lock()
		if !h.notified[n.Key] {
			h.notified[n.Key] = true
			h.outbox = append(h.outbox, call{name: "Notify", at: h.env.Now(), input: n})
		}
		h.mu.Unlock()
	}
}

// runOldPaths makes the workflows take the paths of ports started before a version, to show which
// tests the old behaviour fails: PORTING_TEST_OLD_PATHS=1 runs the paths of ports started before
// failure-paths (DefaultVersion), PORTING_TEST_OLD_PATHS=failure-paths those of ports started before
// number-level (versionFailurePaths):
// `PORTING_TEST_OLD_PATHS=failure-paths go test ./workflows/`.
func runOldPaths(env *testsuite.TestWorkflowEnvironment) {
	switch os.Getenv("PORTING_TEST_OLD_PATHS") {
	case "1":
		env.OnGetVersion(changeFailurePaths, workflow.DefaultVersion, latestVersion).Return(workflow.DefaultVersion)
	case "failure-paths":
		env.OnGetVersion(changeFailurePaths, workflow.DefaultVersion, latestVersion).Return(versionFailurePaths)
	}
}

func (h *harness) record(name string, input any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call{name: name, at: h.env.Now(), input: input})
}

// callsOf returns the invocations of one activity, in order.
func (h *harness) callsOf(name string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// notifications returns the outbox rows of one kind, in order: what the customer, the carrier or
// operations receive (a retried or repeated key is one row).
func (h *harness) notifications(kind string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.outbox {
		if c.input.(activities.Notification).Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// notificationsTo returns the outbox rows of one kind to one recipient.
func (h *harness) notificationsTo(kind, recipient string) []call {
	var out []call
	for _, c := range h.notifications(kind) {
		if c.input.(activities.Notification).Recipient == recipient {
			out = append(out, c)
		}
	}
	return out
}

// checkCSR is the CSR pre-check as SubmitLOA runs it: the records of the group's numbers held by its
// carrier, compared with the LOA by the product's own rule (porting.CSRMismatches).
func (h *harness) checkCSR(in activities.SubmitLOAInput) activities.CSRCheckResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	var res activities.CSRCheckResult
	var lists [][]string
	for _, n := range in.Numbers {
		rec, ok := h.csr[n]
		if !ok || !porting.SameCarrier(rec.Carrier, in.Carrier) {
			continue
		}
		res.Records++
		if m := porting.CSRMismatches(in.LOA, rec); len(m) > 0 {
			lists = append(lists, m)
			res.MismatchedNumbers = append(res.MismatchedNumbers, n)
		}
	}
	res.Mismatched = porting.MergeCSRFields(lists...)
	return res
}

// detach takes numbers off the simulated instance and says how many were on it.
func (h *harness) detach(numbers []porting.PortNumber) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	released := 0
	for _, n := range numbers {
		if h.instance[n.E164] {
			delete(h.instance, n.E164)
			released++
		}
	}
	return released
}

// onInstance lists the numbers the port has on the instance, sorted.
func (h *harness) onInstance() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for e := range h.instance {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// supps returns the supp rows of the carrier outbox, in order.
func (h *harness) supps() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]call(nil), h.suppRows...)
}

// carrierCancels returns the cancellation rows of the carrier outbox, in order.
func (h *harness) carrierCancels() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]call(nil), h.carrierCancel...)
}

// at schedules fn at a simulated wall-clock instant.
func (h *harness) at(when time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, when.Sub(h.env.Now()))
}

func (h *harness) signal(when time.Time, name string, payload any) {
	h.at(when, func() { h.env.SignalWorkflow(name, payload) })
}

// update sends an update at a simulated instant and keeps its outcome.
func (h *harness) update(when time.Time, name string, payload any) *updateResult {
	r := &updateResult{}
	h.at(when, func() {
		h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.rejected = err; r.done = true },
			OnComplete: func(v interface{}, err error) {
				r.done = true
				r.err = err
				if s, ok := v.(string); ok {
					r.result = s
				}
			},
		}, payload)
	})
	return r
}

type updateResult struct {
	done     bool
	rejected error
	err      error
	result   string
}

// status queries the workflow's status (call it from a callback, or after the run).
func (h *harness) status() porting.Status {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(porting.QueryStatus)
	require.NoError(h.t, err)
	var s porting.Status
	require.NoError(h.t, v.Get(&s))
	return s
}

// statusAt captures the status at a simulated instant.
func (h *harness) statusAt(when time.Time) *porting.Status {
	s := &porting.Status{}
	h.at(when, func() { *s = h.status() })
	return s
}

func (h *harness) run(req porting.PortInRequest) porting.PortResult {
	h.t.Helper()
	h.env.ExecuteWorkflow(porting.WorkflowPortIn, req)
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var res porting.PortResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	h.requireFinalStatus(res)
	return res
}

// requireFinalStatus checks what a request's result carries: the status its query answers once it
// has ended, to the byte (the JSON the starter prints from either), every page of it too.
func (h *harness) requireFinalStatus(res porting.PortResult) {
	h.t.Helper()
	st, ok := res.FinalStatus()
	require.True(h.t, ok, "the result of a request carries its final status")
	for _, page := range []*porting.StatusPage{nil, {Limit: 1}, {Offset: 1, Limit: 2}} {
		v, err := h.env.QueryWorkflow(porting.QueryStatus, page)
		require.NoError(h.t, err)
		var queried json.RawMessage
		require.NoError(h.t, v.Get(&queried))
		paged := st
		page.Page(&paged)
		fromResult, err := json.Marshal(paged)
		require.NoError(h.t, err)
		require.Equal(h.t, string(queried), string(fromResult), "page %+v: the query (first) and the result", page)
	}
}

func requireAt(t *testing.T, want time.Time, c call) {
	t.Helper()
	require.True(t, want.Equal(c.at), "%s ran at %s, want %s", c.name, c.at.In(newYork), want)
}

func portInRequest(numbers ...porting.PortNumber) porting.PortInRequest {
	if len(numbers) == 0 {
		numbers = []porting.PortNumber{
			{E164: "+14155550100", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
			{E164: "+14155550101", Type: porting.NumberTypeDID, Carrier: "Acme Telecom"},
		}
	}
	return porting.PortInRequest{
		RequestID:         "req-1",
		InstanceARN:       "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555",
		ContactFlow:       "Main IVR",
		Numbers:           numbers,
		AuthorizedContact: porting.Contact{Name: "Ada Admin", Email: "ada@example.com", Phone: "+14155550199"},
	}
}

const acmeDID = "Acme Telecom/did"

func loa(group string) porting.SubmitLOA {
	return porting.SubmitLOA{Group: group, LOA: porting.LOA{
		AuthorizedName: "Ada Admin", Company: "Example Corp", Address: "1 Main St, San Francisco CA",
		AccountNumber: "ACCT-123456", PIN: "4321", SignedAt: ny(2026, 11, 20, 12, 0), DocumentRef: "s3://loas/req-1.pdf",
	}}
}

func accept(group string, portDate time.Time) porting.CarrierResponse {
	return porting.CarrierResponse{Group: group, Accepted: true, PortDate: &portDate}
}

func reject(group, reason string) porting.CarrierResponse {
	return porting.CarrierResponse{Group: group, Accepted: false, ReasonCode: "6P", Reason: reason}
}

func nonRetryable(msg, kind string) error {
	return temporal.NewNonRetryableApplicationError(msg, kind, nil)
}

func historyNotes(s porting.Status) string {
	b, _ := json.MarshalIndent(s.History, "", " ")
	return string(b)
}
