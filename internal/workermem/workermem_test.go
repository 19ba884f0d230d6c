package workermem

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkflowCacheSize(t *testing.T) {
	n, err := WorkflowCacheSize("")
	require.NoError(t, err)
	assert.Equal(t, DefaultWorkflowCacheSize, n)
	n, err = WorkflowCacheSize("250")
	require.NoError(t, err)
	assert.Equal(t, 250, n)
	for _, bad := range []string{"0", "-3", "many", "1e3"} {
		_, err := WorkflowCacheSize(bad)
		assert.ErrorContains(t, err, EnvWorkflowCacheSize, bad)
	}
}

func TestParseMemoryLimit(t *testing.T) {
	for in, want := range map[string]int64{
		"off": NoLimit, "160MiB": 160 << 20, "2GiB": 2 << 30, "512KiB": 512 << 10, "1TiB": 1 << 40,
		"1000000": 1000000, "1000000B": 1000000, " 64MiB ": 64 << 20,
	} {
		got, err := ParseMemoryLimit(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "-1MiB", "160MB", "1.5GiB", "lots", "MiB", "99999999999TiB"} {
		_, err := ParseMemoryLimit(bad)
		assert.Error(t, err, bad)
	}
	for _, n := range []int64{NoLimit, 160 << 20, 1000000} {
		back, err := ParseMemoryLimit(FormatMemoryLimit(n))
		require.NoError(t, err)
		assert.Equal(t, n, back)
	}
}

func TestParse(t *testing.T) {
	s, err := Parse("", "")
	require.NoError(t, err)
	assert.Equal(t, Settings{WorkflowCacheSize: DefaultWorkflowCacheSize, MemoryLimit: DefaultMemoryLimit(DefaultWorkflowCacheSize), MemoryLimitDefault: true}, s)
	assert.Equal(t, []any{"workflow_cache_size", 800, "memory_limit", "158MiB (default for the cache size)", "gogc", "100 (default)"}, withGOGC(t, "", s.LogAttrs))

	// The default limit follows the cache; a limit given stands whatever the cache.
	s, err = Parse("10000", "")
	require.NoError(t, err)
	assert.Equal(t, int64(1505<<20), s.MemoryLimit) // 40 MiB + 10,000 × 150 KiB = 1,504.8 MiB, rounded up
	s, err = Parse("10000", "off")
	require.NoError(t, err)
	assert.Equal(t, NoLimit, s.MemoryLimit)
	assert.False(t, s.MemoryLimitDefault)

	s, err = Parse("300", "150MiB")
	require.NoError(t, err)
	assert.Equal(t, Settings{WorkflowCacheSize: 300, MemoryLimit: 150 << 20}, s)
	assert.Equal(t, []any{"workflow_cache_size", 300, "memory_limit", "150MiB", "gogc", "100 (default)"}, withGOGC(t, "", s.LogAttrs))

	_, err = Parse("0", "")
	assert.ErrorContains(t, err, EnvWorkflowCacheSize)
	_, err = Parse("", "160MB")
	assert.ErrorContains(t, err, EnvMemoryLimit)
}

func withGOGC(t *testing.T, v string, f func() []any) []any {
	t.Setenv("GOGC", v)
	return f()
}
