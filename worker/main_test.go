package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/contactcenter/numberporting/internal/codec"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/internal/temporalconn"
	"github.com/contactcenter/numberporting/internal/workermem"
)

func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{temporalconn.EnvPayloadKey, temporalconn.EnvOldPayloadKeys, temporalconn.EnvInsecurePlaintext,
		codec.EnvCodecAddr, codec.EnvCodecToken, codec.EnvCodecCORSOrigin, metrics.EnvAddr,
		temporalconn.EnvTLSCert, temporalconn.EnvTLSKey, temporalconn.EnvTLSCA, temporalconn.EnvTLSServerName, temporalconn.EnvAPIKey,
		workermem.EnvWorkflowCacheSize, workermem.EnvMemoryLimit} {
		t.Setenv(k, "")
	}
}

func randomKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(k)
}

func TestFlagsDefaultFromEnv(t *testing.T) {
	clearEnv(t)
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{}, o)

	t.Setenv(temporalconn.EnvInsecurePlaintext, "true")
	t.Setenv(codec.EnvCodecAddr, "127.0.0.1:8081")
	t.Setenv(metrics.EnvAddr, ":9090")
	t.Setenv(workermem.EnvWorkflowCacheSize, "300")
	t.Setenv(workermem.EnvMemoryLimit, "150MiB")
	o, err = parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{insecurePayload: true, codecAddr: "127.0.0.1:8081", metricsAddr: ":9090",
		workflowCacheSize: "300", memoryLimit: "150MiB"}, o)

	o, err = parseFlags([]string{"--codec-addr", ":1", "--metrics-addr", ":2", "--insecure-plaintext-payloads=false", "-migrate-only",
		"--workflow-cache-size", "50", "--memory-limit", "off"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{migrateOnly: true, codecAddr: ":1", metricsAddr: ":2", workflowCacheSize: "50", memoryLimit: "off"}, o)

	_, err = parseFlags([]string{"stray"}, io.Discard)
	assert.Error(t, err)
}

func TestRefusesToStartWithoutPayloadKey(t *testing.T) {
	clearEnv(t)
	// Nothing listens there: the refusal comes before the database is touched.
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	var logs bytes.Buffer
	err := run(slog.New(slog.NewJSONHandler(&logs, nil)), options{})
	require.ErrorIs(t, err, temporalconn.ErrNoPayloadKey)
	assert.Contains(t, err.Error(), "PORTING_PAYLOAD_KEY")
	assert.Contains(t, err.Error(), "--insecure-plaintext-payloads")

	t.Setenv(temporalconn.EnvPayloadKey, "too-short")
	_, err = prepare(options{})
	assert.ErrorContains(t, err, "PORTING_PAYLOAD_KEY")
}

func TestInsecurePlaintextOptOut(t *testing.T) {
	clearEnv(t)
	s, err := prepare(options{insecurePayload: true})
	require.NoError(t, err)
	assert.Nil(t, s.codec)
	assert.True(t, s.cfg.InsecurePlaintextPayloads)

	t.Setenv(temporalconn.EnvInsecurePlaintext, "1")
	s, err = prepare(options{})
	require.NoError(t, err)
	assert.Nil(t, s.codec)

	// No codec endpoint without a key to decode with.
	_, err = prepare(options{insecurePayload: true, codecAddr: ":0"})
	assert.ErrorContains(t, err, "PORTING_PAYLOAD_KEY")
}

func TestCodecEndpointNeedsToken(t *testing.T) {
	clearEnv(t)
	t.Setenv(temporalconn.EnvPayloadKey, randomKey(t))
	_, err := prepare(options{codecAddr: ":0"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PORTING_CODEC_TOKEN")

	t.Setenv(codec.EnvCodecToken, "tok")
	t.Setenv(codec.EnvCodecCORSOrigin, "https://temporal-ui.example.com")
	s, err := prepare(options{codecAddr: ":0", metricsAddr: ":0"})
	require.NoError(t, err)
	require.NotNil(t, s.codec)
	require.NotNil(t, s.codecHandler)
	require.NotNil(t, s.metrics)
	assert.NotNil(t, s.cfg.MetricsHandler)

	srv := httptest.NewServer(s.codecHandler)
	defer srv.Close()
	enc, err := s.codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"pin":"1"}`)}})
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
	req.Header.Set("Origin", "https://temporal-ui.example.com")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "https://temporal-ui.example.com", resp.Header.Get("Access-Control-Allow-Origin"))

	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(out))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(out, &decoded))
	assert.Equal(t, `{"pin":"1"}`, string(decoded.Payloads[0].Data))
	assert.False(t, strings.Contains(string(body), `"pin"`))
}

// A bad memory setting stops the worker before it touches the database, saying what to set.
func TestMemorySettingsCheckedAtStart(t *testing.T) {
	clearEnv(t)
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	t.Setenv(temporalconn.EnvPayloadKey, randomKey(t))
	err := run(slog.New(slog.NewJSONHandler(io.Discard, nil)), options{workflowCacheSize: "0"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), workermem.EnvWorkflowCacheSize)
	err = run(slog.New(slog.NewJSONHandler(io.Discard, nil)), options{memoryLimit: "lots"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), workermem.EnvMemoryLimit)
}

func TestProvisionBatchSizeFromEnv(t *testing.T) {
	t.Setenv(EnvProvisionBatchSize, "")
	n, err := provisionBatchSize()
	require.NoError(t, err)
	assert.Equal(t, 0, n, "unset: the activities' default")

	t.Setenv(EnvProvisionBatchSize, "1")
	n, err = provisionBatchSize()
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	for _, bad := range []string{"0", "-3", "ten"} {
		t.Setenv(EnvProvisionBatchSize, bad)
		_, err = provisionBatchSize()
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), EnvProvisionBatchSize)
	}
}
