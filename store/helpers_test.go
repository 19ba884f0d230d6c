package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

var ctx = context.Background()

// allTables are every table the store touches.
var allTables = []string{
	"instances", "contact_flows", "phone_numbers", "port_requests", "port_request_numbers", "loa_versions",
	"carrier_submissions", "notifications", "limit_increases", "non_portable_numbers", "audit_log", "portability_checks",
	"customer_service_records", "instance_api_tokens", "instance_api_requests", "number_locks",
	"notification_subscriptions", "notification_deliveries",
}

// snapshot is every row of every table, as JSON, in a stable order.
func snapshot(t *testing.T, db *sqlx.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range allTables {
		var rows []string
		require.NoError(t, db.SelectContext(ctx, &rows, fmt.Sprintf(`SELECT row_to_json(x)::text FROM %s x ORDER BY 1`, table)))
		out[table] = rows
	}
	return out
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

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.GetContext(ctx, &n, query, args...))
	return n
}

func requireInvErr(t *testing.T, err error, kind, field, msg string) {
	t.Helper()
	var ie *store.InventoryError
	require.True(t, errors.As(err, &ie), "want an InventoryError, got %T: %v", err, err)
	require.Equal(t, kind, ie.Kind, ie.Error())
	require.Equal(t, field, ie.Field, ie.Error())
	require.Contains(t, ie.Error(), msg)
}

func requireRuleErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var re *store.RuleError
	require.True(t, errors.As(err, &re), "want a RuleError, got %T: %v", err, err)
	require.Equal(t, code, re.Code, re.Error())
	require.Contains(t, re.Error(), msg)
}

var seq atomic.Int64

// fixture is a fresh database with one instance (us-east-1) and its published flow "Main".
type fixture struct {
	db  *sqlx.DB
	arn string
}

const flowMain = "Main"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{db: pgtest.New(t)}
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

// record records a port-in of nums with request ID id and returns its workflow ID.
func (f *fixture) record(t *testing.T, id string, nums []porting.PortNumber) string {
	t.Helper()
	wf := porting.PortInWorkflowID(id)
	_, err := store.RecordPortIn(ctx, f.db, wf, porting.KindPortIn, porting.PortInRequest{
		RequestID: id, InstanceARN: f.arn, ContactFlow: flowMain, Numbers: nums,
		AuthorizedContact: porting.Contact{Name: "Pat Doe", Email: "pat@example.com"},
	})
	require.NoError(t, err)
	return wf
}
