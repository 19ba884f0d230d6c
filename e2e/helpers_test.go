package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/contactcenter/numberporting/porting"
)

// moduleRoot finds the directory holding go.mod, from the test's working directory up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("e2e: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// temporalCLI is the pinned Temporal CLI that runs the dev server: $TEMPORAL_CLI, else <module>/bin/temporal.
func temporalCLI(t *testing.T, root string) string {
	t.Helper()
	path := os.Getenv("TEMPORAL_CLI")
	if path == "" {
		path = filepath.Join(root, "bin", "temporal")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("e2e: the Temporal CLI is missing at %s (run make bin/temporal, or set TEMPORAL_CLI): %v", path, err)
	}
	return path
}

type binaries struct{ worker, starter string }

// buildBinaries builds the worker and the starter into a temporary directory, independent of ./bin.
func buildBinaries(ctx context.Context, t *testing.T, root string) binaries {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(os.PathSeparator), "./worker", "./starter")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("e2e: go build ./worker ./starter: %v\n%s", err, out)
	}
	return binaries{worker: filepath.Join(dir, "worker"), starter: filepath.Join(dir, "starter")}
}

func freeHostPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// temporalServer is the Temporal a test runs against: its own dev server, or — with
// PORTING_E2E_CLUSTER set to a frontend's host:port (make test-cluster) — a namespace of its own on
// that shared cluster, so that no test sees another's workflows.
type temporalServer struct {
	hostPort, namespace string
	client              client.Client
}

func (s *temporalServer) FrontendHostPort() string { return s.hostPort }
func (s *temporalServer) Namespace() string        { return s.namespace }
func (s *temporalServer) Client() client.Client    { return s.client }

// startDevServer runs the Temporal dev server with the contract's search attributes (it stops at
// cleanup), or makes a namespace for the test on the cluster PORTING_E2E_CLUSTER names.
func startDevServer(ctx context.Context, t *testing.T, cli string) *temporalServer {
	t.Helper()
	if addr := os.Getenv("PORTING_E2E_CLUSTER"); addr != "" {
		return clusterNamespace(ctx, t, addr)
	}
	logPath := filepath.Join(t.TempDir(), "temporal-dev.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: cli,
		ClientOptions: &client.Options{
			HostPort:  freeHostPort(t),
			Namespace: "default",
			Logger:    quiet,
		},
		SearchAttributes: porting.SearchAttributesToRegister(),
		LogLevel:         "error",
		Stdout:           logFile,
		Stderr:           logFile,
	})
	if err != nil {
		logFile.Close()
		t.Fatalf("e2e: starting the dev server (%s): %v\n%s", cli, err, tail(logPath, 40))
	}
	t.Cleanup(func() {
		srv.Client().Close()
		if err := srv.Stop(); err != nil {
			t.Logf("e2e: stopping the dev server: %v", err)
		}
		if t.Failed() {
			t.Logf("dev server log (tail):\n%s", tail(logPath, 40))
		}
		logFile.Close()
	})
	return &temporalServer{hostPort: srv.FrontendHostPort(), namespace: "default", client: srv.Client()}
}

// payloadKey is the payload encryption key (PORTING_PAYLOAD_KEY, DESIGN §5) of the worker and the
// starter runs: random, new for each run of the tests, shared by the binaries of one run.
var payloadKey = sync.OnceValue(func() string {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(k)
})

// binaryEnv is the environment of a worker or starter run: the test process's, the payload key,
// then the test's own variables (which win).
func binaryEnv(env []string) []string {
	out := append(os.Environ(), "PORTING_PAYLOAD_KEY="+payloadKey())
	return append(out, env...)
}

// startWorker runs the worker binary and waits until it polls the task queue; at cleanup it gets
// SIGTERM (graceful stop), then SIGKILL.
func startWorker(ctx context.Context, t *testing.T, bin string, env []string, c client.Client) {
	t.Helper()
	startWorkerLogged(ctx, t, bin, env, c)
}

// startWorkerLogged is startWorker that also returns the path of the worker's log (its stdout
// and stderr).
func startWorkerLogged(ctx context.Context, t *testing.T, bin string, env []string, c client.Client) string {
	t.Helper()
	logPath, exited := runSupervised(t, "worker", 30*time.Second, binaryEnv(env), bin)

	// Ready when the server sees a poller on the workflow task queue; fail fast if the worker died.
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := c.DescribeTaskQueue(ctx, porting.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil && len(resp.GetPollers()) > 0 {
			return logPath
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: the worker does not poll task queue %s after a minute (last error: %v)\n%s", porting.TaskQueue, err, tail(logPath, 60))
		}
		select {
		case <-exited:
			t.Fatalf("e2e: the worker exited at start\n%s", tail(logPath, 60))
		case <-ctx.Done():
			t.Fatalf("e2e: waiting for the worker: %v", ctx.Err())
		case <-tick.C:
		}
	}
}

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// starter runs the starter binary against the test's Temporal and database.
type starter struct {
	bin string
	env []string
}

type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("starter %s → exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run never fails the test itself, so it can be used inside Eventually conditions.
func (s starter) run(ctx context.Context, args ...string) result {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = binaryEnv(s.env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{args: args, stdout: out.String(), stderr: errb.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	default:
		res.code = -1
		res.stderr += "\n(exec: " + err.Error() + ")"
	}
	return res
}

// ok runs a command that must succeed.
func (s starter) ok(ctx context.Context, t *testing.T, args ...string) result {
	t.Helper()
	r := s.run(ctx, args...)
	if r.code != 0 {
		t.Fatalf("expected exit 0:\n%s", r)
	}
	return r
}

// status runs `status --json` and decodes it.
func (s starter) status(ctx context.Context, workflowID string) (porting.Status, error) {
	r := s.run(ctx, "status", "--workflow", workflowID, "--json", "--timeout", "20s")
	if r.code != 0 {
		return porting.Status{}, errors.New(r.String())
	}
	var st porting.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		return porting.Status{}, fmt.Errorf("status --json is not a Status: %v\n%s", err, r.stdout)
	}
	return st, nil
}

func writeJSON(t *testing.T, name string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, string(b))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runSupervised starts a binary of the product with its output in a log file and stops it at
// cleanup: SIGTERM, then SIGKILL after stopWithin; the log's tail is printed when the test failed.
// It returns the log's path and a channel closed when the process exits.
func runSupervised(t *testing.T, name string, stopWithin time.Duration, env []string, bin string, args ...string) (string, <-chan struct{}) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("e2e: starting the %s: %v", name, err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopWithin):
			t.Logf("e2e: %s did not stop within %s of SIGTERM; killing it", name, stopWithin)
			_ = cmd.Process.Kill()
			<-exited
		}
		if exitErr != nil {
			t.Logf("e2e: %s exited: %v", name, exitErr)
		}
		logFile.Close()
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", name, tail(logPath, 60))
		}
	})
	return logPath, exited
}
