// Command worker runs the number-porting workflows and activities on the "number-porting" task queue.
//
// Configuration comes from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL and
// the optional TLS settings TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA,
// TEMPORAL_TLS_SERVER_NAME and TEMPORAL_API_KEY. It creates and migrates the database at start,
// logs JSON to standard error and stops gracefully on SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // port dates are computed in the instance's time zone, even on images without tzdata

	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/workflows"
)

func main() {
	migrateOnly := flag.Bool("migrate-only", false, "create and migrate the database, then exit")
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger, *migrateOnly); err != nil {
		logger.Error("worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, migrateOnly bool) error {
	ctx := context.Background()
	dbURL := temporalconn.Getenv(dbconn.EnvURL, dbconn.DefaultURL)

	migrateCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	db, err := dbconn.Open(migrateCtx, dbURL)
	cancel()
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database ready", "database", dbconn.Redact(dbURL))
	if migrateOnly {
		return nil
	}

	cfg := temporalconn.FromEnv()
	c, err := temporalconn.Dial(ctx, cfg, sdklog.NewStructuredLogger(logger), 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()

	w := worker.New(c, porting.TaskQueue, worker.Options{
		// Let running activities finish (or heartbeat-cancel) before the process exits.
		WorkerStopTimeout: 20 * time.Second,
	})
	workflows.Register(w)
	// Every exported method of Activities that has an activity's shape is an activity; exported
	// helpers of another shape are skipped instead of failing the registration.
	w.RegisterActivityWithOptions(&activities.Activities{DB: db}, activity.RegisterOptions{SkipInvalidStructFunctions: true})

	logger.Info("worker starting", "address", cfg.Address, "namespace", cfg.Namespace,
		"task_queue", porting.TaskQueue, "tls", cfg.TLSEnabled())
	if err := w.Run(worker.InterruptCh()); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	logger.Info("worker stopped gracefully")
	return nil
}
