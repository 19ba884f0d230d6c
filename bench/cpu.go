package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU accounting per process (from /proc/<pid>/stat), to say where a load run's CPU went: the
// Temporal dev server (the engine), the worker process(es), the bench itself (driver and client) and
// the Postgres backends serving the run's database.

const clockTicks = 100 // USER_HZ on Linux

// cpuTime is the user+system CPU a process has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name (which is in parentheses and may hold spaces).
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// devServerPID finds the dev server process by the frontend address in its command line.
func (e *env) devServerPID() int {
	_, port, _ := strings.Cut(e.address, ":")
	matches, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) < 2 || !strings.Contains(string(b), "start-dev") {
			continue
		}
		for i, a := range args {
			if (a == "--port" || a == "-p") && i+1 < len(args) && args[i+1] == port {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(m)))
				return pid
			}
		}
	}
	return 0
}

// postgresPIDs are the server processes connected to the run's database.
func (e *env) postgresPIDs(ctx context.Context) []int {
	var pids []int
	name := strings.TrimPrefix(dbName(e.dbURL), "/")
	_ = e.db.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, name)
	return pids
}

func dbName(dbURL string) string {
	i := strings.LastIndexByte(dbURL, '/')
	name := dbURL[i+1:]
	if q := strings.IndexByte(name, '?'); q >= 0 {
		name = name[:q]
	}
	return name
}

// cpuSample is CPU used so far by the parties of a run.
type cpuSample struct {
	Server, Workers, Bench, Postgres time.Duration
	pg                               map[int]time.Duration
}

func (e *env) sampleCPU(ctx context.Context, workers []*proc) cpuSample {
	s := cpuSample{Server: e.serverCPU(), Bench: cpuTime(os.Getpid()), pg: map[int]time.Duration{}}
	for _, w := range workers {
		s.Workers += cpuTime(w.pid())
	}
	for _, pid := range e.postgresPIDs(ctx) {
		s.pg[pid] = cpuTime(pid)
		s.Postgres += s.pg[pid]
	}
	return s
}

// since is the CPU used between two samples (Postgres backends that came and went meanwhile are
// counted from zero, those gone by the end are lost: the worker's pool keeps its connections).
func (s cpuSample) since(before cpuSample) cpuSample {
	out := cpuSample{Server: s.Server - before.Server, Workers: s.Workers - before.Workers, Bench: s.Bench - before.Bench}
	for pid, t := range s.pg {
		out.Postgres += t - before.pg[pid]
	}
	return out
}

func (s cpuSample) String() string {
	return fmt.Sprintf("CPU s: server %.1f, worker %.1f, bench %.1f, postgres %.1f", s.Server.Seconds(), s.Workers.Seconds(), s.Bench.Seconds(), s.Postgres.Seconds())
}
