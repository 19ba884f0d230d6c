package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Provisioning throughput (issue 7, item 4): ProvisionNumbers, the real activity function, adding
// provisionNumbers numbers to one instance on a fresh database, against one multi-row INSERT of the
// same rows into phone_numbers on another fresh database.
//
// The instance API's rate limit (2 requests/s, burst 5 per instance, a token bucket in Postgres
// shared by every worker) is what paces provisioning in production: with the default 100 numbers per
// request, 10,000 numbers take ≥ 47.5 s by design, whatever the SQL costs. The target is about the
// SQL, so the bench sets ProvisionBatchSize to provisionBatch: the 5 batches fit in the fresh
// instance's full bucket and never wait; everything else (checks, limit increase, a token taken from
// the bucket per request, the batched INSERT … SELECT unnest with its access-log row, the final
// verification, the audit row) runs as in production.

const (
	provisionNumbers = 10_000
	provisionBatch   = provisionNumbers / activities.InstanceAPIBurst
)

// freshDB creates and migrates a new database on the run's server; drop it with dropDatabase.
func (e *env) freshDB(ctx context.Context, tag string) (*sqlx.DB, string, error) {
	u, err := url.Parse(e.dbURL)
	if err != nil {
		return nil, "", err
	}
	u.Path = "/" + strings.TrimPrefix(u.Path, "/") + "_" + tag
	db, err := dbconn.Open(ctx, u.String())
	if err != nil {
		return nil, "", err
	}
	return db, u.String(), nil
}

type provisionResult struct {
	Activity, Insert time.Duration
}

func (r provisionResult) ratio() float64 { return r.Activity.Seconds() / r.Insert.Seconds() }

func (e *env) provisionOnce(ctx context.Context, run int) (provisionResult, error) {
	var res provisionResult
	numbers := nextNumbers(provisionNumbers)
	arn := instanceARN("prov", run)
	setup := func(tag string) (*sqlx.DB, string, error) {
		db, dbURL, err := e.freshDB(ctx, fmt.Sprintf("%s%d", tag, run))
		if err != nil {
			return nil, "", err
		}
		if _, err := store.AddInstance(ctx, db, store.Instance{ARN: arn, PhoneNumberLimit: 2 * provisionNumbers}); err != nil {
			return nil, "", err
		}
		if err := store.AddContactFlow(ctx, db, arn, benchFlow, true); err != nil {
			return nil, "", err
		}
		// Warm the pool and the catalog caches of a connection, as a long-running worker's are.
		var one int
		if err := db.GetContext(ctx, &one, `SELECT count(*) FROM phone_numbers`); err != nil {
			return nil, "", err
		}
		return db, dbURL, nil
	}

	// The activity.
	db, dbURL, err := setup("a")
	if err != nil {
		return res, err
	}
	defer dropDatabase(dbURL)
	defer db.Close()
	in := activities.NumbersInput{WorkflowID: "port-in-bench-provision", Group: porting.GroupName(benchCarrier, porting.NumberTypeDID),
		InstanceARN: arn, ContactFlow: benchFlow}
	for _, n := range numbers {
		in.Numbers = append(in.Numbers, porting.PortNumber{E164: n, Type: porting.NumberTypeDID, Carrier: benchCarrier})
	}
	a := &activities.Activities{DB: db, ProvisionBatchSize: provisionBatch}
	if path := os.Getenv("BENCH_PROVISION_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	t0 := time.Now()
	out, err := a.ProvisionNumbers(ctx, in)
	res.Activity = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("ProvisionNumbers: %w", err)
	}
	if out.Provisioned != provisionNumbers {
		return res, fmt.Errorf("ProvisionNumbers provisioned %d of %d", out.Provisioned, provisionNumbers)
	}

	// The baseline: one multi-row INSERT of the same rows.
	db2, dbURL2, err := setup("b")
	if err != nil {
		return res, err
	}
	defer dropDatabase(dbURL2)
	defer db2.Close()
	var sb strings.Builder
	sb.WriteString(`INSERT INTO phone_numbers (instance_arn, e164, type, state, contact_flow, port_request) VALUES `)
	for i, n := range numbers {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(%s,%s,'did','provisioned',%s,%s)", pq.QuoteLiteral(arn), pq.QuoteLiteral(n), pq.QuoteLiteral(benchFlow), pq.QuoteLiteral(in.WorkflowID))
	}
	stmt := sb.String()
	t0 = time.Now()
	r, err := db2.ExecContext(ctx, stmt)
	res.Insert = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("baseline INSERT: %w", err)
	}
	if c, _ := r.RowsAffected(); c != provisionNumbers {
		return res, fmt.Errorf("baseline INSERT inserted %d rows", c)
	}
	return res, nil
}
