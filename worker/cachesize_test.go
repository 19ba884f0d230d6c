package main

import "testing"

func TestWorkflowCacheSize(t *testing.T) {
	t.Setenv(EnvWorkflowCacheSize, "")
	if n, err := workflowCacheSize(); err != nil || n != DefaultWorkflowCacheSize {
		t.Fatalf("unset: got %d, %v; want %d", n, err, DefaultWorkflowCacheSize)
	}
	t.Setenv(EnvWorkflowCacheSize, "250")
	if n, err := workflowCacheSize(); err != nil || n != 250 {
		t.Fatalf("250: got %d, %v", n, err)
	}
	for _, bad := range []string{"0", "-3", "many"} {
		t.Setenv(EnvWorkflowCacheSize, bad)
		if _, err := workflowCacheSize(); err == nil {
			t.Fatalf("%q: accepted", bad)
		}
	}
}
