// Package pgtest gives each test its own fresh, migrated Postgres database on a real server — never
// a mock. The server is the one in DATABASE_URL (only its host, port, user and options are used) or
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/schema"
)

// DefaultAdminURL is the server used when DATABASE_URL is not set.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the URL of the server's "postgres" database, from DATABASE_URL or DefaultAdminURL.
func AdminURL() string {
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		return DefaultAdminURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return DefaultAdminURL
	}
	u.Path = "/postgres"
	return u.String()
}

// NewURL creates a fresh database with a random name, migrates it, drops it (WITH (FORCE)) when the
// test ends, and returns its URL — for tests that hand the database to subprocesses.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	adminURL := AdminURL()
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		t.Fatalf("pgtest: opening %s: %v", redact(adminURL), err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("pgtest: Postgres is unreachable at %s (set DATABASE_URL, or start it: pg_ctlcluster <version> main start): %v",
			redact(adminURL), err)
	}

	sweepOnce.Do(func() { sweep(ctx, admin) })
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// The creation time in the name lets a later run drop what a killed run left behind.
	name := fmt.Sprintf("pgtest_%d_%s", time.Now().Unix(), hex.EncodeToString(b[:]))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("pgtest: creating database %s on %s: %v", name, redact(adminURL), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sql.Open("postgres", adminURL)
		if err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})

	u, _ := url.Parse(adminURL)
	u.Path = "/" + name
	dbURL := u.String()

	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatalf("pgtest: opening %s: %v", name, err)
	}
	defer db.Close()
	if err := schema.Migrate(ctx, db); err != nil {
		t.Fatalf("pgtest: migrating %s: %v", name, err)
	}
	return dbURL
}

// New creates a fresh migrated database (see NewURL) and returns a connection pool to it, closed
// (before the database is dropped) when the test ends.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	dbURL := NewURL(t)
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatalf("pgtest: opening %s: %v", redact(dbURL), err)
	}
	db.SetMaxOpenConns(10)
	t.Cleanup(func() { _ = db.Close() }) // runs before NewURL's cleanup (LIFO)
	return db
}

// StaleAfter is the age after which a test database left behind (by a killed test run) is dropped.
const StaleAfter = 2 * time.Hour

var sweepOnce sync.Once

var namePattern = regexp.MustCompile(`^pgtest_([0-9]+)_[0-9a-f]+$`)

// sweep drops test databases older than StaleAfter that nobody is connected to; best effort.
func sweep(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'pgtest\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		m := namePattern.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		created, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil && time.Since(time.Unix(created, 0)) > StaleAfter {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)) // fails while in use: fine
	}
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
