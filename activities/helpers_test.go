package activities_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

var ctx = context.Background()

// allTables are every table the activities and inventory functions touch.
var allTables = []string{
	"instances", "contact_flows", "phone_numbers", "port_requests", "port_request_numbers", "loa_versions",
	"carrier_submissions", "notifications", "limit_increases", "non_portable_numbers", "audit_log",
	"customer_service_records", "instance_api_tokens", "instance_api_requests", "number_locks",
}

// snapshot is every row of every table, as JSON, in a stable order: equal snapshots mean exactly the
// same rows (ids, timestamps and all).
func snapshot(t *testing.T, db *sqlx.DB) map[string][]string {
	t.Helper()
	return pgtest.Snapshot(t, db, allTables...)
}

// twice runs step, then checks that running it again returns the same and leaves exactly the same
// rows in every table.
func twice[T any](t *testing.T, db *sqlx.DB, step func() (T, error)) T {
	t.Helper()
	first, err := step()
	require.NoError(t, err)
	before := snapshot(t, db)
	second, err := step()
	require.NoError(t, err, "second run")
	require.Equal(t, first, second, "second run's result")
	require.Equal(t, before, snapshot(t, db), "second run changed rows")
	return first
}

func twiceErr(t *testing.T, db *sqlx.DB, step func() error) {
	t.Helper()
	twice(t, db, func() (struct{}, error) { return struct{}{}, step() })
}

// requireAppErr checks a non-retryable application error's type and message.
func requireAppErr(t *testing.T, err error, errType, msg string) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %T: %v", err, err)
	require.Equal(t, errType, appErr.Type(), "error type of %q", appErr.Error())
	require.True(t, appErr.NonRetryable(), "non-retryable")
	require.Contains(t, appErr.Error(), msg)
}

var seq atomic.Int64

// fixture is a fresh database with one instance (us-east-1) and its published flow "Main".
type fixture struct {
	db  *sqlx.DB
	a   *activities.Activities
	arn string
}

const flowMain = "Main"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.New(t)
	f := &fixture{db: db, a: &activities.Activities{DB: db, PINSalt: []byte("test-salt")}}
	f.arn = f.instance(t, "us-east-1")
	return f
}

// instance adds an instance in region with a published flow "Main" and returns its ARN.
func (f *fixture) instance(t *testing.T, region string) string {
	t.Helper()
	arn := fmt.Sprintf("arn:aws:connect:%s:123456789012:instance/i-%d", region, seq.Add(1))
	_, err := store.AddInstance(ctx, f.db, store.Instance{ARN: arn})
	require.NoError(t, err)
	require.NoError(t, store.AddContactFlow(ctx, f.db, arn, flowMain, true))
	return arn
}

// numbers makes n fresh DID numbers of one carrier: +1212556…, apart from the +1212555… numbers
// tests write out (the sequence is shared by parallel tests, so it reaches any value).
func numbers(n int, carrier string) []porting.PortNumber {
	base := 2125560000 + seq.Add(int64(n))*10
	out := make([]porting.PortNumber, n)
	for i := range out {
		out[i] = porting.PortNumber{E164: fmt.Sprintf("+1%d", base+int64(i)), Type: porting.NumberTypeDID, Carrier: carrier}
	}
	return out
}

func (f *fixture) request(id string, nums []porting.PortNumber) activities.RecordPortInInput {
	return activities.RecordPortInInput{
		WorkflowID: porting.PortInWorkflowID(id),
		Request: porting.PortInRequest{
			RequestID: id, InstanceARN: f.arn, ContactFlow: flowMain, Numbers: nums,
			AuthorizedContact: porting.Contact{Name: "Pat Doe", Email: "pat@example.com"},
		},
	}
}

func (f *fixture) record(t *testing.T, id string, nums []porting.PortNumber) activities.RecordPortInInput {
	t.Helper()
	in := f.request(id, nums)
	_, err := f.a.RecordPortIn(ctx, in)
	require.NoError(t, err)
	return in
}

func (f *fixture) numbersInput(wf string, nums []porting.PortNumber) activities.NumbersInput {
	return activities.NumbersInput{
		WorkflowID: wf, Group: porting.GroupName(nums[0].Carrier, nums[0].Type), InstanceARN: f.arn,
		ContactFlow: flowMain, Numbers: nums,
	}
}

func (f *fixture) limit(t *testing.T) int {
	t.Helper()
	return pgtest.Int(t, f.db, `phone_number_limit`, "instances", `arn = $1`, f.arn)
}

func loa() porting.LOA {
	return porting.LOA{
		AuthorizedName: "Pat Doe", Company: "Doe Corp", Address: "1 Main St, New York, NY",
		AccountNumber: "ACCT-99887766", PIN: "4321", BillingTelephoneNumber: "+12125550199",
		SignedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), DocumentRef: "s3://loas/doe-1.pdf",
	}
}
