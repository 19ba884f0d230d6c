//go:build reliability

package e2e

// The reliability harness (reliability_*_test.go): the stack. A Temporal dev server that can be
// stopped and started again on the same port (and database file), a Temporal client with the payload
// codec, the run's seed and a quiet SDK logger. Fault injection is in reliability_faults_test.go, the
// fleet of ports in reliability_load_test.go and reliability_drive_test.go, the checks of what the
// database holds in reliability_assert_test.go.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
)

// relSeed is the seed of a reliability test's random choices: RELIABILITY_SEED, else the clock.
// It is logged so a run can be repeated.
func relSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv("RELIABILITY_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "RELIABILITY_SEED")
		return s
	}
	return uint64(time.Now().UnixNano())
}

// ---------------------------------------------------------------------------------------------
// Temporal dev server that survives a restart.

type devServer struct {
	cli, hostPort, dbFile string
	log                   *os.File
	logPath               string
	srv                   *testsuite.DevServer
}

// startRestartableDevServer runs the dev server on a fixed port, with a database file when dbFile
// is not empty (its state then survives a stop and start).
func startRestartableDevServer(ctx context.Context, t *testing.T, cli, dbFile string) *devServer {
	t.Helper()
	d := &devServer{cli: cli, hostPort: freeHostPort(t), dbFile: dbFile, logPath: filepath.Join(t.TempDir(), "temporal-dev.log")}
	var err error
	d.log, err = os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	require.NoError(t, d.start(ctx), "starting the dev server")
	t.Cleanup(func() {
		if d.srv != nil {
			if err := d.stop(); err != nil {
				t.Logf("stopping the dev server: %v", err)
			}
		}
		if t.Failed() {
			t.Logf("dev server log (tail):\n%s", tail(d.logPath, 40))
		}
		d.log.Close()
	})
	return d
}

func (d *devServer) start(ctx context.Context) error {
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:     d.cli,
		ClientOptions:    &client.Options{HostPort: d.hostPort, Namespace: "default", Logger: quietLogger()},
		DBFilename:       d.dbFile,
		SearchAttributes: porting.SearchAttributesToRegister(),
		LogLevel:         "error",
		Stdout:           d.log,
		Stderr:           d.log,
	})
	if err != nil {
		return fmt.Errorf("dev server on %s: %w\n%s", d.hostPort, err, tail(d.logPath, 40))
	}
	d.srv = srv
	return nil
}

// stop interrupts the dev server and waits for it to exit.
func (d *devServer) stop() error {
	d.srv.Client().Close()
	err := d.srv.Stop()
	d.srv = nil
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil // it exits on the signal; that is the point
	}
	return err
}

func (d *devServer) address() string   { return d.hostPort }
func (d *devServer) namespace() string { return "default" }
func (d *devServer) describe() string {
	if d.dbFile != "" {
		return "dev server with database file " + d.dbFile
	}
	return "dev server"
}

// engine is the Temporal a fleet runs on: its own dev server, which it can stop and start again, or
// — under make test-cluster (PORTING_E2E_CLUSTER) — a namespace of its own on the cluster, whose
// server it can kill -9 and start again (scripts/cluster.sh).
type engine interface {
	address() string
	namespace() string
	stop() error
	start(ctx context.Context) error
	describe() string
}

// codecClient is a Temporal client that encrypts and decrypts payloads with the key the worker and
// starter subprocesses get, as the starter builds its own (internal/temporalconn).
func codecClient(ctx context.Context, t *testing.T, hostPort, namespace string) client.Client {
	t.Helper()
	cfg := temporalconn.Config{Address: hostPort, Namespace: namespace, PayloadKey: payloadKey()}
	c, err := temporalconn.Dial(ctx, cfg, quietLogger(), 30*time.Second)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}
