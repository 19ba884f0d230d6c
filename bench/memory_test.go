package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestScrapeSum(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `# HELP temporal_sticky_cache_miss_total x
# TYPE temporal_sticky_cache_miss_total counter
temporal_sticky_cache_miss_total{namespace="default",workflow_type="PortIn"} 3
temporal_sticky_cache_miss_total{namespace="default",workflow_type="PortOut"} 2
temporal_sticky_cache_miss_total_other 100
temporal_sticky_cache_size 999
`)
	}))
	defer srv.Close()
	for name, want := range map[string]float64{
		"temporal_sticky_cache_miss_total": 5, "temporal_sticky_cache_size": 999, "temporal_sticky_cache_hit_total": 0,
	} {
		got, err := scrapeSum(context.Background(), srv.URL, name)
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestWorkerLogSummaries(t *testing.T) {
	log := filepath.Join(t.TempDir(), "worker.log")
	lines := `{"time":"…","level":"INFO","msg":"memory settings","workflow_cache_size":1000,"memory_limit":"off (default)","gogc":"100 (default)"}
gc 1 @0.010s 1%: 0.010+1.0+0.002 ms clock, 0.02+0/0.5/1.0+0.004 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
gc 202 @1507.624s 2%: 4.6+101+0.006 ms clock, 9.3+0/53/132+0.012 ms cpu, 107->108->48 MB, 113 MB goal, 14 MB stacks, 0 MB globals, 2 P
`
	if err := os.WriteFile(log, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := workerMemorySettings(log), "workflow_cache_size=1000 memory_limit=off (default) gogc=100 (default)"; got != want {
		t.Errorf("settings: %q, want %q", got, want)
	}
	if got, want := lastGC(log), "live heap 48 MB, heap goal 113 MB, goroutine stacks 14 MB (scanned); 202 collections, 2% of its CPU"; got != want {
		t.Errorf("last GC: %q, want %q", got, want)
	}
	if got := thousands(20000); got != "20,000" {
		t.Errorf("thousands: %q", got)
	}
}
