package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/require"
)

func TestSweepDropsStaleDatabasesOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := sql.Open("postgres", AdminURL())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() }) // registered first: runs after the drops below
	stale := fmt.Sprintf("pgtest_%d_0ddba11", time.Now().Add(-3*time.Hour).Unix())
	fresh := fmt.Sprintf("pgtest_%d_0ddba11", time.Now().Unix())
	for _, name := range []string{stale, fresh} {
		_, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)) })
	}
	sweep(ctx, admin)
	exists := func(name string) bool {
		var ok bool
		require.NoError(t, admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok))
		return ok
	}
	require.False(t, exists(stale))
	require.True(t, exists(fresh))
}
