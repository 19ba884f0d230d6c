//go:build reliability

package e2e

// The reliability harness: fault injection. The worker process, SIGKILLed and restarted at will, and
// an administrative connection to Postgres (to make it refuse connections).

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
)

// ---------------------------------------------------------------------------------------------
// The worker process, killed and restarted at will.

type workerProc struct {
	t       *testing.T
	bin     string
	env     []string
	logPath string
	log     *os.File

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan error
	starts int
	kills  int
}

func newWorkerProc(t *testing.T, bin string, env []string) *workerProc {
	t.Helper()
	w := &workerProc{t: t, bin: bin, env: env, logPath: filepath.Join(t.TempDir(), "worker.log")}
	var err error
	w.log, err = os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() {
		w.stop()
		if t.Failed() {
			t.Logf("worker log (tail):\n%s", tail(w.logPath, 60))
		}
		w.log.Close()
	})
	return w
}

// start runs a new worker process and waits until this very process (by its poller identity,
// "<pid>@host@…") polls both the workflow and the activity task queue.
func (w *workerProc) start(ctx context.Context, c client.Client) time.Duration {
	w.t.Helper()
	began := time.Now()
	w.mu.Lock()
	fmt.Fprintf(w.log, "=== start %d at %s\n", w.starts+1, began.Format(time.RFC3339Nano))
	cmd := exec.Command(w.bin)
	cmd.Env = binaryEnv(w.env)
	cmd.Stdout, cmd.Stderr = w.log, w.log
	if err := cmd.Start(); err != nil {
		w.mu.Unlock()
		w.t.Fatalf("starting the worker: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	w.cmd, w.done = cmd, done
	w.starts++
	w.mu.Unlock()
	w.awaitPolling(ctx, c, cmd.Process.Pid, done)
	return time.Since(began)
}

// awaitPolling waits until the worker with pid polls both task queues; it fails the test if the
// worker exits first.
func (w *workerProc) awaitPolling(ctx context.Context, c client.Client, pid int, done chan error) {
	w.t.Helper()
	prefix := strconv.Itoa(pid) + "@"
	polls := func(tq enumspb.TaskQueueType) bool {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resp, err := c.DescribeTaskQueue(dctx, porting.TaskQueue, tq)
		if err != nil {
			return false
		}
		for _, p := range resp.GetPollers() {
			if strings.HasPrefix(p.GetIdentity(), prefix) {
				return true
			}
		}
		return false
	}
	require.Eventually(w.t, func() bool {
		select {
		case err := <-done:
			done <- err
			w.t.Fatalf("the worker (pid %d) exited before polling: %v\n%s", pid, err, tail(w.logPath, 40))
		default:
		}
		return polls(enumspb.TASK_QUEUE_TYPE_WORKFLOW) && polls(enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	}, 90*time.Second, 100*time.Millisecond, "worker pid %d does not poll task queue %s", pid, porting.TaskQueue)
}

// awaitReconnect waits until the running worker polls again (after the server came back).
func (w *workerProc) awaitReconnect(ctx context.Context, c client.Client) {
	w.t.Helper()
	w.mu.Lock()
	cmd, done := w.cmd, w.done
	w.mu.Unlock()
	require.NotNil(w.t, cmd, "no worker is running")
	w.awaitPolling(ctx, c, cmd.Process.Pid, done)
}

// kill SIGKILLs the worker and waits for it to be gone.
func (w *workerProc) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	fmt.Fprintf(w.log, "=== SIGKILL pid %d at %s\n", w.cmd.Process.Pid, time.Now().Format(time.RFC3339Nano))
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
	w.cmd, w.done = nil, nil
	w.kills++
}

// alive reports whether the current worker process is still running.
func (w *workerProc) alive() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return false
	}
	select {
	case err := <-w.done:
		w.done <- err
		return false
	default:
		return true
	}
}

func (w *workerProc) pid() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return 0
	}
	return w.cmd.Process.Pid
}

// stop ends the worker gracefully (SIGTERM), or kills it after 30 s.
func (w *workerProc) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
	w.cmd, w.done = nil, nil
}

// ---------------------------------------------------------------------------------------------
// Postgres, from the server's side.

// pgAdmin is a connection to the server's "postgres" database (not the test database).
func pgAdmin(t *testing.T) *sql.DB {
	t.Helper()
	admin, err := sql.Open("postgres", pgtest.AdminURL())
	require.NoError(t, err)
	admin.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}
