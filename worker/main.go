// Command worker runs the number-porting workflows and activities on the "number-porting" task queue.
//
// Configuration comes from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL,
// PORTING_PAYLOAD_KEY (payload encryption, required unless --insecure-plaintext-payloads),
// PORTING_PAYLOAD_KEYS_OLD, the optional TLS settings TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY,
// TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME and TEMPORAL_API_KEY, METRICS_ADDR (Prometheus
// /metrics), PORTING_CODEC_ADDR/PORTING_CODEC_TOKEN/PORTING_CODEC_CORS_ORIGIN (the codec endpoint
// for the Temporal UI), PORTING_PROVISION_BATCH_SIZE (numbers per instance-API request when
// provisioning; default activities.DefaultProvisionBatchSize), PORTING_WORKFLOW_CACHE_SIZE (workflows
// kept in memory between tasks) and GOMEMLIMIT (the Go runtime's soft memory limit; package
// internal/workermem has both defaults), the notifier's settings
// (PORTING_NOTIFIER=off, OPERATIONS_WEBHOOK_URL/OPERATIONS_WEBHOOK_SECRET, OPERATIONS_EMAIL,
// SMTP_ADDR/SMTP_FROM and the PORTING_NOTIFIER_* timings: package notifier), LOG_LEVEL and the
// standard OpenTelemetry variables (OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on). It creates and
// migrates the database at start, delivers the notifications outbox (notifier), logs JSON to
// standard error (secrets redacted) and stops gracefully on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
	_ "time/tzdata" // port dates are computed in the instance's time zone, even on images without tzdata

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/codec"
	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/internal/logging"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/internal/tracing"
	"github.com/contactcenter/numberporting/internal/workermem"
	"github.com/contactcenter/numberporting/notifier"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/workflows"
)

func main() {
	level, levelErr := logging.LevelFromEnv()
	logger := logging.New(os.Stderr, level)
	if levelErr != nil {
		logger.Warn("LOG_LEVEL not understood; logging at info", "error", levelErr)
	}
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err == nil {
		err = run(logger, opts)
	}
	if err != nil {
		logger.Error("worker stopped", "error", err.Error())
		os.Exit(1)
	}
}

// options are the worker's flags; each has an environment variable as its default.
type options struct {
	migrateOnly     bool
	insecurePayload bool
	codecAddr       string
	metricsAddr     string
	// workflowCacheSize and memoryLimit as given (workermem.Parse reads them; empty: its defaults).
	workflowCacheSize string
	memoryLimit       string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.migrateOnly, "migrate-only", false, "create and migrate the database, then exit")
	fs.BoolVar(&o.insecurePayload, temporalconn.FlagInsecurePlaintext, temporalconn.EnvBool(temporalconn.EnvInsecurePlaintext),
		"run without "+temporalconn.EnvPayloadKey+": payloads (PINs, account numbers) reach Temporal unencrypted (env "+temporalconn.EnvInsecurePlaintext+")")
	fs.StringVar(&o.codecAddr, "codec-addr", os.Getenv(codec.EnvCodecAddr),
		"serve the codec endpoint for the Temporal UI on this address, e.g. :8081 (env "+codec.EnvCodecAddr+"; needs "+codec.EnvCodecToken+")")
	fs.StringVar(&o.metricsAddr, "metrics-addr", os.Getenv(metrics.EnvAddr),
		"serve Prometheus /metrics on this address, e.g. :9090 (env "+metrics.EnvAddr+")")
	fs.StringVar(&o.workflowCacheSize, "workflow-cache-size", os.Getenv(workermem.EnvWorkflowCacheSize),
		fmt.Sprintf("workflows kept in memory between their tasks; an evicted one is replayed from its history at its next task (env %s; default %d)",
			workermem.EnvWorkflowCacheSize, workermem.DefaultWorkflowCacheSize))
	fs.StringVar(&o.memoryLimit, "memory-limit", os.Getenv(workermem.EnvMemoryLimit),
		fmt.Sprintf("the Go runtime's soft memory limit, e.g. 160MiB, or off (env %s; default 40MiB + 150KiB per cached workflow: %s with the default cache)",
			workermem.EnvMemoryLimit, workermem.FormatMemoryLimit(workermem.DefaultMemoryLimit(workermem.DefaultWorkflowCacheSize))))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	return o, nil
}

// setup is what the worker checks and builds before touching the database or Temporal, so that a
// configuration mistake fails at once with a message that says what to set.
type setup struct {
	cfg          temporalconn.Config
	codec        *codec.Codec // nil: plain payloads (--insecure-plaintext-payloads)
	codecHandler http.Handler // nil: no codec endpoint
	metrics      *metrics.Prometheus
	notifier     notifier.Config
}

func prepare(o options) (*setup, error) {
	s := &setup{cfg: temporalconn.FromEnv()}
	s.cfg.InsecurePlaintextPayloads = s.cfg.InsecurePlaintextPayloads || o.insecurePayload
	var err error
	if s.codec, err = s.cfg.Codec(); err != nil {
		return nil, err
	}
	if _, err := s.cfg.TLSConfig(); err != nil {
		return nil, err
	}
	if o.codecAddr != "" {
		s.codecHandler, err = codec.NewHTTPHandler(s.codec, codec.ServerOptions{
			Token:       os.Getenv(codec.EnvCodecToken),
			CORSOrigins: codec.ParseOrigins(os.Getenv(codec.EnvCodecCORSOrigin)),
		})
		if err != nil {
			return nil, fmt.Errorf("--codec-addr %s: %w", o.codecAddr, err)
		}
	}
	if o.metricsAddr != "" {
		s.metrics = metrics.New(metrics.Options{GoCollectors: true})
		s.cfg.MetricsHandler = s.metrics.Handler
	}
	if s.notifier, err = notifier.FromEnv(); err != nil {
		return nil, err
	}
	return s, nil
}

func run(logger *slog.Logger, o options) error {
	ctx := context.Background()
	var s *setup
	var tr *tracing.Tracing // nil (off) with -migrate-only
	batchSize := 0
	if !o.migrateOnly {
		var err error
		if s, err = prepare(o); err != nil {
			return err
		}
		if batchSize, err = provisionBatchSize(); err != nil {
			return err
		}
		mem, err := workermem.Parse(o.workflowCacheSize, o.memoryLimit)
		if err != nil {
			return err
		}
		mem.Apply()
		logger.Info("memory settings", mem.LogAttrs()...)
		if s.codec == nil {
			logger.Warn("payload encryption is OFF (--" + temporalconn.FlagInsecurePlaintext + "): PINs and account numbers " +
				"are stored in clear in Temporal's history; set " + temporalconn.EnvPayloadKey + " for anything but a throwaway setup")
		} else {
			logger.Info("payload encryption on", "key_id", s.codec.CurrentKeyID(), "decrypt_key_ids", s.codec.KeyIDs())
		}
		// OpenTelemetry tracing, only with OTEL_EXPORTER_OTLP_ENDPOINT set (README, Tracing). The
		// deferred shutdown runs last: after the worker stopped, so that its last spans are flushed.
		tr, err = tracing.Setup(ctx, tracing.Options{
			Service: tracing.ServiceWorker,
			OnError: func(err error) { logger.Warn("tracing: spans not exported", "error", err.Error()) },
		})
		if err != nil {
			return err
		}
		defer func() {
			flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tr.Shutdown(flushCtx); err != nil {
				logger.Warn("tracing: spans lost at shutdown", "error", err.Error())
			}
		}()
		if s.cfg.Interceptors, err = tr.TemporalInterceptors(); err != nil {
			return err
		}
	}

	dbURL := temporalconn.Getenv(dbconn.EnvURL, dbconn.DefaultURL)
	migrateCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	db, err := dbconn.OpenWith(migrateCtx, dbURL, tr.SQLOpener())
	cancel()
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database ready", "database", dbconn.Redact(dbURL))
	if o.migrateOnly {
		return nil
	}

	// HTTP endpoints listen before the worker starts, so a taken port fails the start.
	var servers []*http.Server
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, srv := range servers {
			_ = srv.Shutdown(shutdownCtx)
		}
		if s.metrics != nil {
			_ = s.metrics.Close()
		}
	}()
	if s.metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.metrics.HTTPHandler)
		srv, err := serve(logger, "metrics", o.metricsAddr, mux)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
	}
	if s.codecHandler != nil {
		srv, err := serve(logger, "codec", o.codecAddr, s.codecHandler)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
	}

	c, err := temporalconn.Dial(ctx, s.cfg, sdklog.NewStructuredLogger(logger), 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()

	w := worker.New(c, porting.TaskQueue, worker.Options{
		// Let running activities finish (or heartbeat-cancel) before the process exits.
		WorkerStopTimeout: 20 * time.Second,
		Interceptors:      []interceptor.WorkerInterceptor{logging.RequestIDInterceptor()},
	})
	workflows.Register(w)
	// Every exported method of Activities that has an activity's shape is an activity; exported
	// helpers of another shape are skipped instead of failing the registration.
	// PORTING_PIN_SALT salts the hashes LOA PINs are kept as (PINs are never stored in clear).
	w.RegisterActivityWithOptions(&activities.Activities{DB: db, ProvisionBatchSize: batchSize, PINSalt: []byte(os.Getenv("PORTING_PIN_SALT"))},
		activity.RegisterOptions{SkipInvalidStructFunctions: true})

	if s.notifier.Enabled {
		stop, err := startNotifier(logger, db, s)
		if err != nil {
			return err
		}
		defer stop()
	} else {
		logger.Warn("notifier off (" + notifier.EnvNotifier + "=off): this worker delivers no notifications")
	}

	logger.Info("worker starting", "address", s.cfg.Address, "namespace", s.cfg.Namespace,
		"task_queue", porting.TaskQueue, "tls", s.cfg.TLSEnabled(), "api_key", s.cfg.APIKey != "",
		"payload_encryption", s.codec != nil, "metrics_addr", o.metricsAddr, "codec_addr", o.codecAddr,
		"tracing", tr.Enabled())
	if err := w.Run(worker.InterruptCh()); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	logger.Info("worker stopped gracefully")
	return nil
}

// startNotifier runs the notifications outbox's delivery beside the worker (package notifier); stop
// ends it and waits for the attempts under way to be recorded.
func startNotifier(logger *slog.Logger, db *sqlx.DB, s *setup) (stop func(), err error) {
	var m *metrics.Notifier
	if s.metrics != nil {
		m = metrics.NewNotifier(s.metrics.Registry, func(err error) { logger.Error("notifier metric not registered", "error", err.Error()) })
	}
	n, err := notifier.New(db, s.notifier, logger, m)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}

// EnvProvisionBatchSize sets how many numbers one instance-API request adds when provisioning
// (activities.Activities.ProvisionBatchSize). Unset: activities.DefaultProvisionBatchSize. The
// reliability tests set it to 1 so that provisioning takes seconds and can be interrupted.
const EnvProvisionBatchSize = "PORTING_PROVISION_BATCH_SIZE"

// provisionBatchSize reads EnvProvisionBatchSize: 0 (the default) when unset, else a positive integer.
func provisionBatchSize() (int, error) {
	v := os.Getenv(EnvProvisionBatchSize)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive integer (numbers per instance-API request), got %q", EnvProvisionBatchSize, v)
	}
	return n, nil
}

// serve listens on addr and serves h in the background until Shutdown.
func serve(logger *slog.Logger, name, addr string, h http.Handler) (*http.Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s endpoint: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(name+" endpoint stopped", "error", err.Error())
		}
	}()
	logger.Info(name+" endpoint listening", "addr", lis.Addr().String())
	return srv, nil
}
