package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// The ownership records of the port-out tests' instance.
const (
	recordOwner   = "Doe Holdings LLC"
	recordAddress = "1 Main St, New York, NY 10001"
	recordBilling = "billing@doe.example"
	winning       = "Beta Wireless"
)

var outNumbers = []string{"+14155550100", "+14155550101"}

// outHarness runs PortOut in the time-skipping environment: the port-in harness (whose recorders
// it reuses for Notify and FinishPortRequest) plus recorders of the port-out activities.
// VerifyOwnership decides with the product's own comparison (porting.SameText), not a copy of it;
// the comparison on the stored, normalised records is proven on Postgres (store tests and
// portout_pg_test.go, the real activity).
type outHarness struct {
	*harness

	recordOutErr    error
	releaseErr      error
	releaseFailures int // the first attempts of the release fail with a transient error
	missingRecords  []string
	upserts         []upsert
	// passcode is the instance's port-out passcode ("" none): checked first, as store.VerifyOwnership does.
	passcode string
}

// upsert is one search-attribute upsert at a simulated instant.
type upsert struct {
	at time.Time
	sa temporal.SearchAttributes
}

func newPortOutHarness(t *testing.T, start time.Time) *outHarness {
	h := &outHarness{harness: newHarness(t, start)}
	env := h.env
	env.OnActivity(acts.RecordPortOut, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordPortOutInput) (activities.RecordPortOutResult, error) {
			h.record("RecordPortOut", in)
			return activities.RecordPortOutResult{Region: "us-east-1"}, h.recordOutErr
		})
	env.OnActivity(acts.VerifyOwnership, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.VerifyOwnershipInput) (activities.VerifyOwnershipResult, error) {
			h.record("VerifyOwnership", in)
			var res activities.VerifyOwnershipResult
			c := in.Claim
			if h.passcode != "" {
				res.PasscodeChecked = true
				if c.Passcode != h.passcode {
					res.PasscodeInvalid = true
					return res, nil // nothing else compared, nothing else said
				}
			}
			if !porting.SameText(c.OwnerName, recordOwner) {
				res.Mismatched = append(res.Mismatched, porting.OwnershipOwnerName)
			}
			if !porting.SameText(c.Address, recordAddress) {
				res.Mismatched = append(res.Mismatched, porting.OwnershipAddress)
			}
			if !porting.SameText(c.BillingContact, recordBilling) {
				res.Mismatched = append(res.Mismatched, porting.OwnershipBillingContact)
			}
			if !porting.SameNumbers(c.Numbers, in.Numbers) {
				res.Mismatched = append(res.Mismatched, porting.OwnershipNumbers)
			}
			res.Matched = len(res.Mismatched) == 0
			res.MissingRecords = h.missingRecords
			return res, nil
		})
	env.OnActivity(acts.ReleasePortOutNumbers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReleasePortOutInput) (activities.ReleasePortOutResult, error) {
			h.record("ReleasePortOutNumbers", in)
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.releaseFailures > 0 {
				h.releaseFailures--
				return activities.ReleasePortOutResult{}, errors.New("connection to Postgres lost")
			}
			if h.releaseErr != nil {
				return activities.ReleasePortOutResult{}, h.releaseErr
			}
			return activities.ReleasePortOutResult{Released: in.Numbers, ReleasedAt: h.env.Now()}, nil
		})
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.upserts = append(h.upserts, upsert{at: h.env.Now(), sa: args.Get(0).(temporal.SearchAttributes)})
	}).Return(nil)
	return h
}

func (h *outHarness) run(req porting.PortOutRequest) porting.PortResult {
	h.t.Helper()
	h.env.ExecuteWorkflow(porting.WorkflowPortOut, req)
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var res porting.PortResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	return res
}

// awaitValidation calls the await-validation update at start and keeps its outcome.
func (h *outHarness) awaitValidation() *porting.ValidationOutcome {
	outcome := &porting.ValidationOutcome{}
	h.at(h.env.Now(), func() {
		h.env.UpdateWorkflow(porting.UpdateAwaitValidation, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(error) {},
			OnComplete: func(v interface{}, err error) { *outcome = v.(porting.ValidationOutcome) },
		})
	})
	return outcome
}

// lastKeyword is the last value upserted for a keyword attribute.
func (h *outHarness) lastKeyword(key temporal.SearchAttributeKeyKeyword) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := ""
	for _, u := range h.upserts {
		if v, ok := u.sa.GetKeyword(key); ok {
			out = v
		}
	}
	return out
}

// portDates are the PortDate values upserted, in order.
func (h *outHarness) portDates() []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, u := range h.upserts {
		if v, ok := u.sa.GetTime(porting.SearchPortDate); ok {
			out = append(out, v)
		}
	}
	return out
}

func (h *outHarness) firstKeywordList(key temporal.SearchAttributeKeyKeywordList) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range h.upserts {
		if v, ok := u.sa.GetKeywordList(key); ok {
			return v
		}
	}
	return nil
}

func portOutRequest() porting.PortOutRequest {
	return porting.PortOutRequest{
		RequestID:       "out-1",
		InstanceARN:     "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555",
		Numbers:         append([]string(nil), outNumbers...),
		WinningCarrier:  winning,
		CustomerContact: porting.Contact{Name: "Pat Doe", Email: "pat@doe.example"},
	}
}

// winningRequest is a request from the winning carrier that matches the records, for release at at.
func winningRequest(at time.Time) porting.WinningCarrierRequest {
	return porting.WinningCarrierRequest{
		Carrier: winning, OwnerName: recordOwner, Address: recordAddress, BillingContact: recordBilling,
		Numbers: []string{outNumbers[1], outNumbers[0]}, LOARef: "beta-loa-1.pdf", RequestedAt: at,
	}
}

func notification(c call) activities.Notification { return c.input.(activities.Notification) }
