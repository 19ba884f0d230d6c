package pgtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
)

func TestNewGivesAMigratedDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	var n int
	require.NoError(t, db.GetContext(context.Background(), &n,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN
		 ('instances','contact_flows','phone_numbers','port_requests','port_request_numbers','loa_versions',
		  'carrier_submissions','notifications','limit_increases','non_portable_numbers','audit_log')`))
	require.Equal(t, 11, n)
}

func TestDatabasesAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := pgtest.New(t), pgtest.New(t)
	ctx := context.Background()
	_, err := a.ExecContext(ctx, `INSERT INTO non_portable_numbers (e164, reason) VALUES ('+14155550100', 'x')`)
	require.NoError(t, err)
	var n int
	require.NoError(t, b.GetContext(ctx, &n, `SELECT count(*) FROM non_portable_numbers`))
	require.Zero(t, n)
	var nameA, nameB string
	require.NoError(t, a.GetContext(ctx, &nameA, `SELECT current_database()`))
	require.NoError(t, b.GetContext(ctx, &nameB, `SELECT current_database()`))
	require.NotEqual(t, nameA, nameB)
}
