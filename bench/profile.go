package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/logging"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/internal/workermem"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/workflows"
)

// profileOpen is `bench -profile-open N -profile-dir D`: the worker's registration (as worker/main.go
// does it: same workflows, activities, interceptor and worker options, and the memory settings of
// PORTING_WORKFLOW_CACHE_SIZE and GOMEMLIMIT with the worker's defaults) in this process, N ports
// opened to awaiting_loa, then a heap profile, a goroutine profile and a CPU profile of the opening
// in D. It is the diagnosis behind the table's memory row; the table itself measures bin/worker.
func profileOpen(ctx context.Context, e *env, n int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mem, err := workermem.FromEnv()
	if err != nil {
		return err
	}
	mem.Apply()
	cfg := temporalconn.Config{Address: e.address, Namespace: e.namespace, PayloadKey: e.key}
	logger := logging.New(io.Discard, nil)
	c, err := temporalconn.Dial(ctx, cfg, sdklog.NewStructuredLogger(logger), 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, porting.TaskQueue, worker.Options{
		WorkerStopTimeout: 20 * time.Second,
		Interceptors:      []interceptor.WorkerInterceptor{logging.RequestIDInterceptor()},
	})
	workflows.Register(w)
	w.RegisterActivityWithOptions(&activities.Activities{DB: e.db}, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()

	arns, err := addInstances(ctx, e.db, "prof", 500, 1000)
	if err != nil {
		return err
	}
	cpuFile, err := os.Create(filepath.Join(dir, "open.cpu.pprof"))
	if err != nil {
		return err
	}
	_ = pprof.StartCPUProfile(cpuFile)
	d, err := e.openPorts(ctx, "prof", arns, n, 200, nil)
	pprof.StopCPUProfile()
	cpuFile.Close()
	if err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := rssKB(os.Getpid())
	fmt.Printf("%d open in %v: heap in use %d MiB, stacks %d MiB, goroutines %d, RSS %d MiB (incl. the bench); %v\n",
		n, d, ms.HeapInuse>>20, ms.StackInuse>>20, runtime.NumGoroutine(), rss/1024, mem.LogAttrs())
	for name, file := range map[string]string{"heap": "open.heap.pprof", "goroutine": "open.goroutine.pprof"} {
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			return err
		}
		_ = pprof.Lookup(name).WriteTo(f, 0)
		f.Close()
	}
	return nil
}
