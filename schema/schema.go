// Package schema holds the Postgres schema of the porting service as goose migrations embedded in
// the binary, and the function that applies them.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationLockID is the key of the session-level advisory lock (pg_advisory_lock) held while
// migrating, so that several processes migrating the same database at once apply each migration once.
const MigrationLockID int64 = 0x706f7274696e67 // "porting"

// Migrations is the embedded migration files (for tools that want to list or print them).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded tree always has the folder
	}
	return sub
}

// Migrate applies every pending migration to db (Postgres). It is safe to call concurrently from
// several processes: the migrations run on one connection holding a session-level advisory lock, so
// the later callers wait and then find nothing pending.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(),
		goose.WithSessionLocker(advisoryLocker{}),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("schema: migrate: %w", err)
	}
	return nil
}

// Version is the newest migration applied to db (0 when none).
func Version(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, fmt.Errorf("schema: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// advisoryLocker is goose's session locker with a blocking pg_advisory_lock: a second migrator waits
// for the first (or for ctx) instead of polling every few seconds.
type advisoryLocker struct{}

var _ lock.SessionLocker = advisoryLocker{}

func (advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", MigrationLockID); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	return nil
}

func (advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var released bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", MigrationLockID).Scan(&released); err != nil {
		return fmt.Errorf("releasing the migration lock: %w", err)
	}
	if !released {
		return errors.New("releasing the migration lock: it was not held")
	}
	return nil
}
