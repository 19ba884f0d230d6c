// Package workermem holds the worker's memory settings (README, Configuration and Performance): how
// many workflows the Temporal SDK keeps in memory between their tasks (the sticky workflow cache),
// and the Go runtime's soft memory limit. bin/worker applies them at start; bench -profile-open
// applies the same ones to its in-process worker.
package workermem

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"go.temporal.io/sdk/worker"
)

// EnvWorkflowCacheSize bounds how many workflows the worker keeps in memory between their tasks (the
// SDK's sticky cache; process-wide, least recently used out first). A port that is not cached is
// replayed from its history at its next task (an LOA, a carrier answer, a timer, a status query).
// Ports wait days for people, so a bounded cache costs little and keeps memory flat whatever the
// number of open ports; the SDK's own default is 10,000.
const EnvWorkflowCacheSize = "PORTING_WORKFLOW_CACHE_SIZE"

// DefaultWorkflowCacheSize is the sticky cache size unless EnvWorkflowCacheSize says otherwise: more
// than the ports a worker has busy at once (the bench's bursts: 500 ports at once, a bulk request's
// 200 orders and itself), and small enough that 20,000 open ports stay under 200 MB (make bench item 5).
const DefaultWorkflowCacheSize = 800

// WorkflowCacheSize parses a cache size: DefaultWorkflowCacheSize when empty, else a positive integer.
func WorkflowCacheSize(v string) (int, error) {
	if v == "" {
		return DefaultWorkflowCacheSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive integer (workflows kept in memory), got %q", EnvWorkflowCacheSize, v)
	}
	return n, nil
}

// EnvMemoryLimit is the Go runtime's own soft memory limit variable, read by the runtime at start.
// The worker sets DefaultMemoryLimit when it is unset.
const EnvMemoryLimit = "GOMEMLIMIT"

// The default memory limit: a base for the process without workflows (its code's data, gRPC and
// Postgres connections, buffers: ~40 MB measured) and a share per workflow the cache may hold. A
// PortIn in the cache holds ~68 KB the collector cannot free (its 5 goroutines' stacks, ~37 KB, and
// its state, ~31 KB), ~107 KB of the worker's Go memory with the garbage GOGC=100 lets accumulate
// (make bench item 5 with caches of 400 and 800; before versionActionCost a port ran 10 goroutines
// and took ~146 KB). So the default sits above what the worker uses when its cache is full (by ~30%
// with the default cache): it costs no extra collections there, and caps what transient growth
// (freed memory not yet returned to the system, bursts of work) can add. It grows with the cache,
// so that a larger cache does not leave the collector running without pause against a limit its
// live data outgrew.
const (
	defaultLimitBase        = 40 << 20
	defaultLimitPerWorkflow = 150 << 10
)

// DefaultMemoryLimit is the soft memory limit the worker sets when GOMEMLIMIT is unset: 40 MiB and
// 150 KiB per workflow the cache may hold, in whole MiB (158 MiB for the default cache of 800). It
// grows with the cache, so that a larger cache does not make the collector run without pause.
func DefaultMemoryLimit(cacheSize int) int64 {
	n := int64(defaultLimitBase) + int64(cacheSize)*defaultLimitPerWorkflow
	return (n + 1<<20 - 1) &^ (1<<20 - 1)
}

// NoLimit is "off": no soft memory limit (the runtime's own default).
const NoLimit = int64(math.MaxInt64)

// ParseMemoryLimit parses a limit as GOMEMLIMIT writes it: a number of bytes with an optional unit
// B, KiB, MiB, GiB or TiB (e.g. 160MiB), or "off".
func ParseMemoryLimit(v string) (int64, error) {
	s := strings.TrimSpace(v)
	if s == "off" {
		return NoLimit, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("memory limit %q: want bytes with an optional unit B, KiB, MiB, GiB or TiB (e.g. 160MiB), or off", v)
	}
	return n * mult, nil
}

// FormatMemoryLimit writes a limit back as ParseMemoryLimit reads it, in MiB when it is whole MiB.
func FormatMemoryLimit(n int64) string {
	switch {
	case n == NoLimit:
		return "off"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10) + "B"
}

// Settings are the worker's memory settings.
type Settings struct {
	WorkflowCacheSize int
	// MemoryLimit is the runtime's soft limit in bytes (NoLimit: none). The garbage collector runs
	// as often as it must to keep the process's Go memory under it, returning freed memory to the
	// system as it goes; a live heap that outgrows it makes the collector run hard, not the process fail.
	MemoryLimit int64
	// MemoryLimitDefault: no limit was given, MemoryLimit is DefaultMemoryLimit(WorkflowCacheSize).
	MemoryLimitDefault bool
}

// Parse reads a cache size (WorkflowCacheSize) and a memory limit (ParseMemoryLimit; empty:
// DefaultMemoryLimit of the cache size), as the worker's flags and their variables give them.
func Parse(cacheSize, memoryLimit string) (Settings, error) {
	var s Settings
	var err error
	if s.WorkflowCacheSize, err = WorkflowCacheSize(cacheSize); err != nil {
		return s, err
	}
	if memoryLimit == "" {
		s.MemoryLimit, s.MemoryLimitDefault = DefaultMemoryLimit(s.WorkflowCacheSize), true
		return s, nil
	}
	if s.MemoryLimit, err = ParseMemoryLimit(memoryLimit); err != nil {
		return s, fmt.Errorf("%s: %w", EnvMemoryLimit, err)
	}
	return s, nil
}

// FromEnv is Parse of EnvWorkflowCacheSize and GOMEMLIMIT.
func FromEnv() (Settings, error) {
	return Parse(os.Getenv(EnvWorkflowCacheSize), os.Getenv(EnvMemoryLimit))
}

// Apply sets the SDK's sticky cache size (before any worker starts) and the runtime's memory limit.
func (s Settings) Apply() {
	worker.SetStickyWorkflowCacheSize(s.WorkflowCacheSize)
	debug.SetMemoryLimit(s.MemoryLimit)
}

// LogAttrs are the settings for the worker's "memory settings" log line (bench reads it).
func (s Settings) LogAttrs() []any {
	limit := FormatMemoryLimit(s.MemoryLimit)
	if s.MemoryLimitDefault {
		limit += " (default for the cache size)"
	}
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		gogc = "100 (default)"
	}
	return []any{"workflow_cache_size", s.WorkflowCacheSize, "memory_limit", limit, "gogc", gogc}
}
