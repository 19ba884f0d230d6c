package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/internal/dbconn"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/porting"
)

// env is the system under measurement: the Temporal dev server, a fresh Postgres database, the
// worker binary, and a client with the porting payload codec.
type env struct {
	root      string // module root
	dir       string // scratch directory (binaries, logs)
	workerBin string
	benchBin  string // this program, for the baseline worker subprocess
	dev       *testsuite.DevServer
	address   string
	namespace string // "default" on the dev server; a fresh one per env on the cluster
	key       string // PORTING_PAYLOAD_KEY of every process of the run
	dbURL     string
	db        *sqlx.DB
	client    client.Client
	quiet     sdklog.Logger
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above %s", dir)
		}
		dir = parent
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freeHostPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// newEnv builds the worker, starts the dev server with the contract's search attributes and creates
// and migrates a fresh database on DATABASE_URL's server.
func newEnv(ctx context.Context, temporalCLI string, devServerArgs ...string) (_ *env, err error) {
	e := &env{quiet: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.root, err = moduleRoot(); err != nil {
		return nil, err
	}
	if e.dir, err = os.MkdirTemp("", "porting-bench-"); err != nil {
		return nil, err
	}
	if e.benchBin, err = os.Executable(); err != nil {
		return nil, err
	}
	e.workerBin = filepath.Join(e.dir, "worker")
	build := exec.CommandContext(ctx, "go", "build", "-o", e.workerBin, "./worker")
	build.Dir = e.root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./worker: %v\n%s", err, out)
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	e.key = base64.StdEncoding.EncodeToString(k)

	if engine.kind == engineCluster {
		// A namespace of the run's own on the running cluster, with the search attributes.
		e.address, e.namespace = engine.address, "bench-"+randomHex(4)
		if err := engine.createNamespace(ctx, e.root, e.namespace); err != nil {
			return nil, err
		}
	} else {
		e.namespace = "default"
		if e.address, err = freeHostPort(); err != nil {
			return nil, err
		}
		logFile, err := os.Create(filepath.Join(e.dir, "temporal-dev.log"))
		if err != nil {
			return nil, err
		}
		e.dev, err = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath:     temporalCLI,
			ClientOptions:    &client.Options{HostPort: e.address, Namespace: "default", Logger: e.quiet},
			SearchAttributes: porting.SearchAttributesToRegister(),
			LogLevel:         "error",
			ExtraArgs:        devServerArgs,
			Stdout:           logFile,
			Stderr:           logFile,
		})
		if err != nil {
			return nil, fmt.Errorf("dev server (%s): %w", temporalCLI, err)
		}
	}

	base := temporalconn.Getenv(dbconn.EnvURL, dbconn.DefaultURL)
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = fmt.Sprintf("/bench_%d_%s", time.Now().Unix(), randomHex(4))
	e.dbURL = u.String()
	if e.db, err = dbconn.Open(ctx, e.dbURL); err != nil {
		return nil, err
	}
	e.db.SetMaxOpenConns(32)

	cfg := temporalconn.Config{Address: e.address, Namespace: e.namespace, PayloadKey: e.key}
	if e.client, err = temporalconn.Dial(ctx, cfg, e.quiet, 30*time.Second); err != nil {
		return nil, err
	}
	return e, nil
}

// close stops the dev server, drops the database and removes the scratch directory.
func (e *env) close() {
	if e.client != nil {
		e.client.Close()
	}
	if e.dev != nil {
		_ = e.dev.Stop()
	}
	if e.db != nil {
		_ = e.db.Close()
		dropDatabase(e.dbURL)
	}
	if e.dir != "" && os.Getenv("BENCH_KEEP") == "" {
		_ = os.RemoveAll(e.dir)
	}
}

func dropDatabase(dbURL string) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		return
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
}

// proc is a worker process of the run.
type proc struct {
	cmd  *exec.Cmd
	done chan error
	log  string
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// startProc runs bin with args and the run's environment, logging to the scratch directory.
func (e *env) startProc(name, bin string, args []string, extraEnv ...string) (*proc, error) {
	logPath := filepath.Join(e.dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+e.address, "TEMPORAL_NAMESPACE="+e.namespace,
		"DATABASE_URL="+e.dbURL, "PORTING_PAYLOAD_KEY="+e.key)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1), log: logPath}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	return p, nil
}

// stop sends SIGTERM and waits (then SIGKILL).
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// startWorkers starts n processes polling taskQueue and waits until the server sees n pollers.
func (e *env) startWorkers(ctx context.Context, n int, taskQueue string, bin string, args []string, extraEnv ...string) ([]*proc, error) {
	var procs []*proc
	for i := 0; i < n; i++ {
		p, err := e.startProc(fmt.Sprintf("%s-%d", filepath.Base(bin), i), bin, args, extraEnv...)
		if err != nil {
			stopAll(procs)
			return nil, err
		}
		procs = append(procs, p)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := e.client.DescribeTaskQueue(ctx, taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil && allPolling(resp, procs) {
			return procs, nil
		}
		for _, p := range procs {
			select {
			case err := <-p.done:
				p.done <- err
				stopAll(procs)
				return nil, fmt.Errorf("worker exited at start: %v (log %s)", err, p.log)
			default:
			}
		}
		if time.Now().After(deadline) {
			stopAll(procs)
			return nil, fmt.Errorf("%d worker(s) do not poll %s after a minute (last error %v)", n, taskQueue, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// allPolling reports whether every process polls (the SDK's default identity starts with "<pid>@").
func allPolling(resp *workflowservice.DescribeTaskQueueResponse, procs []*proc) bool {
	for _, p := range procs {
		found := false
		for _, poller := range resp.GetPollers() {
			if strings.HasPrefix(poller.GetIdentity(), strconv.Itoa(p.pid())+"@") {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func stopAll(procs []*proc) {
	for _, p := range procs {
		p.stop()
	}
}

// rssKB reads VmRSS of a process from /proc, in KiB.
func rssKB(pid int) (int64, error) { return statusKB(pid, "VmRSS:") }

// statusKB reads a field of /proc/<pid>/status given in kB (KiB), e.g. "VmHWM:" (peak RSS).
func statusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				return strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
