package pgtest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
)

// Row checks for tests: what an activity or a workflow left in Postgres, read without the test
// spelling out statements (the activities package holds no SQL, its tests included). where is a
// SQL predicate over the table's columns with $1… placeholders ("" for every row); it may end in an
// ORDER BY.

func query(columns, table, where string) string {
	q := fmt.Sprintf("SELECT %s FROM %s", columns, table)
	if where = strings.TrimSpace(where); where != "" {
		if strings.HasPrefix(strings.ToUpper(where), "ORDER BY") {
			return q + " " + where
		}
		q += " WHERE " + where
	}
	return q
}

// Count is the number of rows of table matching where.
func Count(t testing.TB, db *sqlx.DB, table, where string, args ...any) int {
	t.Helper()
	return Int(t, db, "count(*)", table, where, args...)
}

// Int is the integer expression expr over the rows of table matching where (one row).
func Int(t testing.TB, db *sqlx.DB, expr, table, where string, args ...any) int {
	t.Helper()
	var n int
	if err := db.GetContext(context.Background(), &n, query(expr, table, where), args...); err != nil {
		t.Fatalf("pgtest.Int(%s FROM %s WHERE %s): %v", expr, table, where, err)
	}
	return n
}

// Get reads columns of the one row of table matching where into dest.
func Get(t testing.TB, db *sqlx.DB, dest any, columns, table, where string, args ...any) {
	t.Helper()
	if err := db.GetContext(context.Background(), dest, query(columns, table, where), args...); err != nil {
		t.Fatalf("pgtest.Get(%s FROM %s WHERE %s): %v", columns, table, where, err)
	}
}

// Select reads columns of the rows of table matching where into dest (a slice).
func Select(t testing.TB, db *sqlx.DB, dest any, columns, table, where string, args ...any) {
	t.Helper()
	if err := db.SelectContext(context.Background(), dest, query(columns, table, where), args...); err != nil {
		t.Fatalf("pgtest.Select(%s FROM %s WHERE %s): %v", columns, table, where, err)
	}
}

// Snapshot is every row of every table given, as JSON, in a stable order: equal snapshots mean
// exactly the same rows (ids, timestamps and all).
func Snapshot(t testing.TB, db *sqlx.DB, tables ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		var rows []string
		Select(t, db, &rows, "row_to_json(x)::text", table+" x", "ORDER BY 1")
		out[table] = rows
	}
	return out
}

// Insert adds one row to table (column → value), for arranging a state no product function makes.
func Insert(t testing.TB, db *sqlx.DB, table string, row map[string]any) {
	t.Helper()
	cols := make([]string, 0, len(row))
	for c := range row {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	marks, args := make([]string, len(cols)), make([]any, len(cols))
	for i, c := range cols {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), row[c]
		cols[i] = fmt.Sprintf("%q", c)
	}
	stmt := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(marks, ", "))
	if _, err := db.ExecContext(context.Background(), stmt, args...); err != nil {
		t.Fatalf("pgtest.Insert(%s): %v", table, err)
	}
}

// Set changes the rows of table matching where (set and where share the $n placeholders).
func Set(t testing.TB, db *sqlx.DB, table, set, where string, args ...any) {
	t.Helper()
	stmt := fmt.Sprintf("UPDATE %s SET %s WHERE %s", table, set, where)
	if _, err := db.ExecContext(context.Background(), stmt, args...); err != nil {
		t.Fatalf("pgtest.Set(%s): %v", table, err)
	}
}
