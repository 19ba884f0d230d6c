package schema_test

import (
	"context"
	"database/sql"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/schema"
)

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t) // already migrated once
	ctx := context.Background()

	// Several "processes" (separate pools) migrating at once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sql.Open("postgres", dbURL)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = schema.Migrate(ctx, db)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	v, err := schema.Version(ctx, db)
	require.NoError(t, err)
	latest, count := embeddedMigrations(t)
	require.EqualValues(t, latest, v)
	var applied int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied))
	require.Equal(t, count, applied)
}

func TestMigrateFreshDatabaseConcurrently(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	ctx := context.Background()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	// Start from nothing, then race several migrators.
	_, err = db.ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = schema.Migrate(ctx, db)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	v, err := schema.Version(ctx, db)
	require.NoError(t, err)
	latest, _ := embeddedMigrations(t)
	require.EqualValues(t, latest, v)
}

// embeddedMigrations is the highest version among the embedded migrations and how many there are.
func embeddedMigrations(t *testing.T) (latest int64, count int) {
	t.Helper()
	names, err := fs.Glob(schema.Migrations(), "*.sql")
	require.NoError(t, err)
	for _, n := range names {
		v, err := strconv.ParseInt(strings.SplitN(n, "_", 2)[0], 10, 64)
		require.NoError(t, err, n)
		latest = max(latest, v)
	}
	return latest, len(names)
}

func TestPartialIndexes(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	ctx := context.Background()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	arn := "arn:aws:connect:us-east-1:123456789012:instance/a"
	_, err = db.ExecContext(ctx, `INSERT INTO instances (arn, region) VALUES ($1, 'us-east-1')`, arn)
	require.NoError(t, err)
	ins := `INSERT INTO phone_numbers (instance_arn, e164, type, state) VALUES ($1, '+14155550100', 'did', $2)`
	_, err = db.ExecContext(ctx, ins, arn, "released")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, ins, arn, "active")
	require.NoError(t, err, "a released number does not block a new holder")
	_, err = db.ExecContext(ctx, ins, arn, "provisioned")
	require.Error(t, err, "a number is held at most once unless released")
}

// TestEveryMigrationGoesDownAndUpAgain: each Down undoes its Up, so a rollback of any number of
// migrations can be migrated forward again.
func TestEveryMigrationGoesDownAndUpAgain(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t) // migrated to the latest
	ctx := context.Background()
	db, err := sql.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, schema.Migrations(), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 0)
	require.NoError(t, err)
	v, err := schema.Version(ctx, db)
	require.NoError(t, err)
	require.Zero(t, v)
	require.NoError(t, schema.Migrate(ctx, db))
	latest, _ := embeddedMigrations(t)
	v, err = schema.Version(ctx, db)
	require.NoError(t, err)
	require.EqualValues(t, latest, v)
}

func TestSuppsAreCarrierSubmissions(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("postgres", pgtest.NewURL(t))
	require.NoError(t, err)
	defer db.Close()
	ins := `INSERT INTO carrier_submissions (idempotency_key, workflow_id, "group", kind, carrier, numbers, payload)
		VALUES ($1, 'wf', 'g', $2, 'Acme', '{}', '{}')`
	for _, kind := range []string{"port_request", "cancel", "supp"} {
		_, err := db.Exec(ins, "k-"+kind, kind)
		require.NoError(t, err, kind)
	}
	_, err = db.Exec(ins, "k-other", "other")
	require.ErrorContains(t, err, "carrier_submissions_kind_check")
}
