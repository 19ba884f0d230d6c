package main

// -engine: where the throughput items run. "dev" (the default) starts a Temporal dev server per
// environment; "cluster" uses the Temporal server on Postgres that scripts/cluster.sh runs (make
// cluster, or make bench-cluster), each environment in a namespace of its own, and counts the CPU of
// every server process the script started (one, or four with CLUSTER_SERVICES=split).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	engineDev     = "dev"
	engineCluster = "cluster"
)

type engineConfig struct {
	kind    string
	address string // the cluster's frontend
	runDir  string // scripts/cluster.sh's PID files
}

var engine = engineConfig{kind: engineDev}

func (c engineConfig) describe() string {
	if c.kind == engineCluster {
		return fmt.Sprintf("Temporal server %s on Postgres at %s (scripts/cluster.sh)", clusterServerVersion(), c.address)
	}
	return "Temporal dev server (bin/temporal, SQLite in memory)"
}

// createNamespace registers a namespace with the contract's search attributes and waits until it
// is usable (scripts/cluster.sh namespace).
func (c engineConfig) createNamespace(ctx context.Context, root, name string) error {
	host, port, ok := strings.Cut(c.address, ":")
	if !ok {
		return fmt.Errorf("-cluster-address %q: want host:port", c.address)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, filepath.Join(root, "scripts", "cluster.sh"), "namespace", name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CLUSTER_HOST="+host, "CLUSTER_FRONTEND_PORT="+port)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/cluster.sh namespace %s (is the cluster up at %s? make cluster or scripts/cluster.sh up): %v\n%s", name, c.address, err, out)
	}
	return nil
}

// serverPIDs are the Temporal server's processes: the dev server, or every server process the
// cluster script started (their PID files in its run directory).
func (e *env) serverPIDs() []int {
	if engine.kind != engineCluster {
		return []int{e.devServerPID()}
	}
	var pids []int
	files, _ := filepath.Glob(filepath.Join(engine.runDir, "*.pid"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		if name == "ui" || strings.HasPrefix(name, "ui") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		return []int{0}
	}
	return pids
}

func (e *env) serverCPU() time.Duration {
	var total time.Duration
	for _, pid := range e.serverPIDs() {
		total += cpuTime(pid)
	}
	return total
}

// clusterServerVersion is the pinned server version (the Makefile's TEMPORAL_SERVER_VERSION).
func clusterServerVersion() string {
	root, err := moduleRoot()
	if err != nil {
		return "?"
	}
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":="); ok && strings.TrimSpace(k) == "TEMPORAL_SERVER_VERSION" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
