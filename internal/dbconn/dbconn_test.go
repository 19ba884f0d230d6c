package dbconn

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
)

// TestOpenCreatesAndMigratesAMissingDatabase runs against the real Postgres of pgtest.
func TestOpenCreatesAndMigratesAMissingDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin := pgtest.AdminURL()
	adb, err := sql.Open("postgres", admin)
	require.NoError(t, err)
	t.Cleanup(func() { adb.Close() }) // after the drop below (cleanups run last-in first-out)
	if err := adb.PingContext(ctx); err != nil {
		t.Fatalf("Postgres is unreachable at %s: %v", Redact(admin), err)
	}

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "dbconn_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, err := adb.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
		require.NoError(t, err)
	})
	u, err := url.Parse(admin)
	require.NoError(t, err)
	u.Path = "/" + name

	for range 2 { // the second time finds it created and migrated
		db, err := Open(ctx, u.String())
		require.NoError(t, err)
		var n int
		require.NoError(t, db.GetContext(ctx, &n, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'instances'`))
		require.Equal(t, 1, n)
		require.NoError(t, db.Close())
	}
}

func TestRedact(t *testing.T) {
	require.Equal(t, "postgres://u:xxxxx@h:5432/db?sslmode=disable", Redact("postgres://u:secret@h:5432/db?sslmode=disable"))
}

// A process keeps at most MaxOpenConns connections (DATABASE_MAX_CONNS overrides it, and a value
// that is not a number of connections is refused naming the variable).
func TestOpenBoundsTheConnections(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL := pgtest.NewURL(t)
	db, err := Open(ctx, dbURL)
	require.NoError(t, err)
	require.Equal(t, MaxOpenConns, db.Stats().MaxOpenConnections)
	require.NoError(t, db.Close())

	t.Setenv(EnvMaxConns, "8")
	db, err = Open(ctx, dbURL)
	require.NoError(t, err)
	require.Equal(t, 8, db.Stats().MaxOpenConnections)
	require.NoError(t, db.Close())

	t.Setenv(EnvMaxConns, "lots")
	_, err = Open(ctx, dbURL)
	require.ErrorContains(t, err, `DATABASE_MAX_CONNS: must be a number of connections, 2 or more, got "lots"`)
}
