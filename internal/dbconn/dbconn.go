// Package dbconn opens the porting database for the worker and the starter: it creates the
// database when the server does not have it yet, applies the schema migrations and returns a
// sqlx handle on lib/pq.
package dbconn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/schema"
)

// DefaultURL is the DATABASE_URL of a developer machine and CI.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/porting?sslmode=disable"

// EnvURL names the environment variable holding the database URL.
const EnvURL = "DATABASE_URL"

// MaxIdleConns is how many idle Postgres connections a process keeps for its activities.
const MaxIdleConns = 16

// MaxOpenConns bounds the Postgres connections of one process (DATABASE_MAX_CONNS overrides it): a
// bulk request runs hundreds of activities at once, and a worker that opened one connection each
// would take the server's (100 by default) from everyone else. Past the bound, activities wait for a
// connection of the pool.
const MaxOpenConns = 32

// EnvMaxConns names the environment variable overriding MaxOpenConns.
const EnvMaxConns = "DATABASE_MAX_CONNS"

// Open makes sure the database exists, migrates it and opens it.
func Open(ctx context.Context, dbURL string) (*sqlx.DB, error) {
	return OpenWith(ctx, dbURL, nil)
}

// Opener opens a database/sql handle, as sql.Open does.
type Opener func(driverName, dataSourceName string) (*sql.DB, error)

// OpenWith is Open with the handle made by open (nil: sql.Open): the worker and the starter pass
// the traced driver when tracing is on (internal/tracing).
func OpenWith(ctx context.Context, dbURL string, open Opener) (*sqlx.DB, error) {
	if err := EnsureDatabase(ctx, dbURL); err != nil {
		return nil, err
	}
	if open == nil {
		open = sql.Open
	}
	sqlDB, err := open("postgres", dbURL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(dbURL), err)
	}
	db := sqlx.NewDb(sqlDB, "postgres")
	if err := schema.Migrate(ctx, db.DB); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", Redact(dbURL), err)
	}
	// A worker runs many short activities at once: keep connections for them instead of opening
	// one per activity (database/sql keeps only 2 idle by default).
	maxOpen := MaxOpenConns
	if v := os.Getenv(EnvMaxConns); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			db.Close()
			return nil, fmt.Errorf("%s: must be a number of connections, 2 or more, got %q", EnvMaxConns, v)
		}
		maxOpen = n
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(min(MaxIdleConns, maxOpen))
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// EnsureDatabase connects to dbURL and, when the server says the database does not exist (SQLSTATE
// 3D000), creates it through the server's "postgres" database.
func EnsureDatabase(ctx context.Context, dbURL string) error {
	err := ping(ctx, dbURL)
	if err == nil {
		return nil
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "3D000" {
		return fmt.Errorf("connect to %s: %w", Redact(dbURL), err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return fmt.Errorf("DATABASE_URL %s names no database", Redact(dbURL))
	}
	admin := *u
	admin.Path = "/postgres"
	adb, err := sql.Open("postgres", admin.String())
	if err != nil {
		return err
	}
	defer adb.Close()
	_, err = adb.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database: created concurrently
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create database %q on %s: %w", name, Redact(admin.String()), err)
	}
	return ping(ctx, dbURL)
}

func ping(ctx context.Context, dbURL string) error {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// Redact hides the password of a database URL for messages and logs.
func Redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparsable database URL)"
	}
	return u.Redacted()
}
