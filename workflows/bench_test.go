package workflows

// Time-skipping speed of whole lifecycles (issue 7, item 1; `make bench` runs these with
// `go test -run '^$' -bench . ./workflows`). Each iteration is one fresh test environment and one
// workflow from start to completed, weeks of simulated business days included; activities are
// stubs registered under the real names (no testify mocks), driven by updates at chosen simulated
// instants as the starter and the carrier simulator do. BenchmarkBareLifecycle is the reference: a
// workflow of 3 activities over 34 simulated days doing nothing else.

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// benchActivities answer every activity at once, successfully.
type benchActivities struct{}

func (a benchActivities) RecordPortIn(ctx context.Context, in activities.RecordPortInInput) (activities.RecordPortInResult, error) {
	out := activities.RecordPortInResult{Region: "us-east-1", PhoneNumberLimit: 10}
	if in.CheckPortability {
		out.Portability, _ = a.CheckPortability(ctx, activities.PortabilityInput{WorkflowID: in.WorkflowID, Numbers: in.Request.Numbers})
	}
	return out, nil
}

func (benchActivities) CheckPortability(_ context.Context, in activities.PortabilityInput) ([]activities.PortabilityResult, error) {
	out := make([]activities.PortabilityResult, len(in.Numbers))
	for i, n := range in.Numbers {
		out[i] = activities.PortabilityResult{E164: n.E164, Portable: true}
	}
	return out, nil
}

func (benchActivities) SubmitLOA(_ context.Context, in activities.SubmitLOAInput) (activities.SubmissionReceipt, error) {
	return activities.SubmissionReceipt{SubmissionID: int64(in.Version)}, nil
}

func (benchActivities) SubmitCarrierCancel(context.Context, activities.CarrierCancelInput) (activities.SubmissionReceipt, error) {
	return activities.SubmissionReceipt{SubmissionID: 1}, nil
}

func (benchActivities) Notify(context.Context, activities.Notification) error { return nil }

func (benchActivities) NotifyAll(context.Context, activities.NotifyAllInput) error { return nil }

func (benchActivities) ProvisionNumbers(_ context.Context, in activities.NumbersInput) (activities.ProvisionResult, error) {
	return activities.ProvisionResult{Provisioned: len(in.Numbers), PhoneNumberLimit: 10 + len(in.Numbers)}, nil
}

func (benchActivities) ActivateNumbers(context.Context, activities.NumbersInput) error { return nil }

func (benchActivities) VerifyTestCall(context.Context, activities.NumbersInput) (activities.VerifyResult, error) {
	return activities.VerifyResult{Answered: true}, nil
}

func (benchActivities) ReleaseNumbers(context.Context, activities.NumbersInput) error { return nil }

func (benchActivities) FinishPortRequest(context.Context, activities.FinishInput) error { return nil }

func (benchActivities) RequestPortabilityCheck(context.Context, activities.PortabilityCheckInput) (activities.SubmissionReceipt, error) {
	return activities.SubmissionReceipt{SubmissionID: 1}, nil
}

func (benchActivities) RecordPortabilityResult(context.Context, activities.RecordPortabilityInput) error {
	return nil
}

func (benchActivities) RecordCostDecision(context.Context, activities.CostDecisionInput) error {
	return nil
}

func (benchActivities) RecordPortOut(context.Context, activities.RecordPortOutInput) (activities.RecordPortOutResult, error) {
	return activities.RecordPortOutResult{Region: "us-east-1"}, nil
}

// VerifyOwnership compares the claim's owner name with the records (the port-out tests' owner).
func (benchActivities) VerifyOwnership(_ context.Context, in activities.VerifyOwnershipInput) (activities.VerifyOwnershipResult, error) {
	if in.Claim.OwnerName != recordOwner {
		return activities.VerifyOwnershipResult{Mismatched: []string{porting.OwnershipOwnerName}}, nil
	}
	return activities.VerifyOwnershipResult{Matched: true}, nil
}

func (benchActivities) ReleasePortOutNumbers(_ context.Context, in activities.ReleasePortOutInput) (activities.ReleasePortOutResult, error) {
	return activities.ReleasePortOutResult{Released: in.Numbers, ReleasedAt: time.Now()}, nil
}

// quietLogger discards without formatting (a text handler writing to io.Discard formats every
// record and every logger's fields first).
var quietLogger = log.NewStructuredLogger(slog.New(slog.DiscardHandler))

// benchEnv is a fresh time-skipping environment with the porting workflows and the stubs.
func benchEnv(start time.Time) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger)
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	Register(env)
	env.RegisterActivity(&benchActivities{})
	return env
}

// benchUpdate sends an update at a simulated instant; a refusal or failure fails the benchmark.
func benchUpdate(b *testing.B, env *testsuite.TestWorkflowEnvironment, at time.Time, name string, payload any) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { b.Errorf("update %s refused: %v", name, err) },
			OnComplete: func(_ interface{}, err error) {
				if err != nil && name != porting.SignalWinningCarrierRequest {
					b.Errorf("update %s failed: %v", name, err)
				}
			},
		}, payload)
	}, at.Sub(env.Now()))
}

func requireCompleted(b *testing.B, env *testsuite.TestWorkflowEnvironment) {
	if !env.IsWorkflowCompleted() {
		b.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		b.Fatal(err)
	}
	// Only what is checked: the whole result (every number, the history) would be decoded for nothing.
	var res struct {
		State  porting.State `json:"state"`
		Reason string        `json:"reason"`
	}
	if err := env.GetWorkflowResult(&res); err != nil {
		b.Fatal(err)
	}
	if res.State != porting.StateCompleted {
		b.Fatalf("ended %s: %s", res.State, res.Reason)
	}
}

// BenchmarkPortInLifecycle: two numbers, one group; LOA, a carrier rejection, a new LOA, acceptance
// with a port date three weeks after the start, provisioning the business day before, activation and
// verification: 21 simulated days.
func BenchmarkPortInLifecycle(b *testing.B) {
	start := ny(2026, 11, 23, 9, 0) // Monday; Thanksgiving on Thursday 26
	req := portInRequest()
	b.ReportAllocs()
	for b.Loop() {
		env := benchEnv(start)
		benchUpdate(b, env, ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		benchUpdate(b, env, ny(2026, 11, 25, 15, 0), porting.SignalCarrierResponse, reject(acmeDID, "name does not match"))
		benchUpdate(b, env, ny(2026, 11, 30, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
		benchUpdate(b, env, ny(2026, 12, 3, 15, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 14, 9, 0)))
		env.ExecuteWorkflow(porting.WorkflowPortIn, req)
		requireCompleted(b, env)
	}
}

// BenchmarkInternationalPortInLifecycle: partner portability with a cost, the customer's approval,
// documents, mutual acceptance, provisioning and porting in London: 21 simulated days.
func BenchmarkInternationalPortInLifecycle(b *testing.B) {
	start := uk(2026, 11, 23, 9, 0)
	req := gbRequest(start)
	b.ReportAllocs()
	for b.Loop() {
		env := benchEnv(start)
		benchUpdate(b, env, uk(2026, 11, 24, 10, 0), porting.SignalPortabilityResult, portableWithCost(150))
		benchUpdate(b, env, uk(2026, 11, 25, 10, 0), porting.SignalApproveCost, porting.ApproveCost{Approved: true, By: "bea@example.co.uk"})
		benchUpdate(b, env, uk(2026, 11, 25, 11, 0), porting.SignalSubmitLOA, intlLOA())
		benchUpdate(b, env, uk(2026, 12, 3, 10, 0), porting.SignalCarrierResponse, accept(porting.IntlGroup, uk(2026, 12, 14, 9, 0)))
		env.ExecuteWorkflow(porting.WorkflowInternationalPortIn, req)
		requireCompleted(b, env)
	}
}

// BenchmarkPortOutLifecycle: the winning carrier's first request misspells the owner's name
// (rejected), the corrected one is approved, the numbers are released at the requested time: 11
// simulated days.
func BenchmarkPortOutLifecycle(b *testing.B) {
	start := ny(2026, 11, 23, 9, 0)
	releaseAt := ny(2026, 12, 4, 14, 0)
	wrong := winningRequest(releaseAt)
	wrong.OwnerName = "Doe Holdings, LLC"
	req := portOutRequest()
	b.ReportAllocs()
	for b.Loop() {
		env := benchEnv(start)
		benchUpdate(b, env, ny(2026, 11, 24, 10, 0), porting.SignalWinningCarrierRequest, wrong)
		benchUpdate(b, env, ny(2026, 11, 25, 10, 0), porting.SignalWinningCarrierRequest, winningRequest(releaseAt))
		env.ExecuteWorkflow(porting.WorkflowPortOut, req)
		requireCompleted(b, env)
	}
}

// bareLifecycle is the reference: 3 activities doing nothing, 17 simulated days apart (34 days).
func bareLifecycle(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	for i := 0; i < 3; i++ {
		if i > 0 {
			if err := workflow.Sleep(ctx, 17*24*time.Hour); err != nil {
				return err
			}
		}
		if err := workflow.ExecuteActivity(ctx, "BareStep").Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkBareLifecycle(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var suite testsuite.WorkflowTestSuite
		suite.SetLogger(quietLogger)
		env := suite.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(bareLifecycle)
		env.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "BareStep"})
		env.ExecuteWorkflow(bareLifecycle)
		if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
			b.Fatal("bare workflow did not complete:", env.GetWorkflowError())
		}
	}
}
