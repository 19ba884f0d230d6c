package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/notifier"
)

// The notifier's settings are checked with the rest, before the database or Temporal is touched.
func TestNotifierSettingsCheckedAtStart(t *testing.T) {
	clearEnv(t)
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	t.Setenv(notifier.EnvOperationsWebhookURL, "hooks.example.com/ops")
	t.Setenv(notifier.EnvOperationsWebhookSecret, "ops-secret-0123456789")
	var logs bytes.Buffer
	err := run(slog.New(slog.NewJSONHandler(&logs, nil)), options{insecurePayload: true})
	require.ErrorContains(t, err, "OPERATIONS_WEBHOOK_URL must be an http or https URL")
	assert.NotContains(t, err.Error()+logs.String(), "ops-secret-0123456789")

	t.Setenv(notifier.EnvOperationsWebhookURL, "https://hooks.example.com/ops")
	s, err := prepare(options{insecurePayload: true})
	require.NoError(t, err)
	assert.True(t, s.notifier.Enabled)
	assert.Equal(t, "https://hooks.example.com/ops", s.notifier.OperationsWebhookURL)

	t.Setenv(notifier.EnvNotifier, "off")
	s, err = prepare(options{insecurePayload: true})
	require.NoError(t, err)
	assert.False(t, s.notifier.Enabled)
}
