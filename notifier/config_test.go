package notifier_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/notifier"
)

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(notifier.EnvNotifier, "")
	c, err := notifier.FromEnv()
	require.NoError(t, err)
	require.True(t, c.Enabled)
	require.Equal(t, time.Second, c.Poll)
	require.Equal(t, 2*time.Minute, c.Lease)
	require.Equal(t, 10*time.Second, c.Timeout)
	require.Equal(t, 24*time.Hour, c.RetryFor)

	t.Setenv(notifier.EnvNotifier, "off")
	t.Setenv(notifier.EnvPoll, "nonsense") // not read when off
	c, err = notifier.FromEnv()
	require.NoError(t, err)
	require.False(t, c.Enabled)

	t.Setenv(notifier.EnvNotifier, "on")
	t.Setenv(notifier.EnvPoll, "250ms")
	t.Setenv(notifier.EnvLease, "5s")
	t.Setenv(notifier.EnvTimeout, "2s")
	t.Setenv(notifier.EnvBackoff, "1s")
	t.Setenv(notifier.EnvBackoffMax, "3s")
	t.Setenv(notifier.EnvRetryFor, "1m")
	t.Setenv(notifier.EnvOperationsWebhookURL, "https://ops.example.com/hook")
	t.Setenv(notifier.EnvOperationsWebhookSecret, "ops-secret-0123456789")
	t.Setenv(notifier.EnvOperationsEmail, "noc@example.com, oncall@example.com")
	t.Setenv(notifier.EnvSMTPAddr, "127.0.0.1:2525")
	t.Setenv(notifier.EnvSMTPFrom, "Porting <porting@example.com>")
	c, err = notifier.FromEnv()
	require.NoError(t, err)
	require.Equal(t, 250*time.Millisecond, c.Poll)
	require.Equal(t, 5*time.Second, c.Lease)
	require.Equal(t, []string{"noc@example.com", "oncall@example.com"}, c.OperationsEmails)
	for attempt := 1; attempt < 10; attempt++ {
		d := c.Backoff(attempt)
		require.GreaterOrEqual(t, d, 500*time.Millisecond)
		require.LessOrEqual(t, d, 3*time.Second)
	}

	for _, tc := range []struct{ env, value, msg string }{
		{notifier.EnvNotifier, "maybe", `PORTING_NOTIFIER must be on or off, got "maybe"`},
		{notifier.EnvPoll, "0s", "PORTING_NOTIFIER_POLL must be a positive duration"},
		{notifier.EnvLease, "2s", "PORTING_NOTIFIER_LEASE (2s) must be longer than PORTING_NOTIFIER_TIMEOUT (2s)"},
		{notifier.EnvBackoffMax, "500ms", "PORTING_NOTIFIER_BACKOFF_MAX (500ms) must not be shorter than PORTING_NOTIFIER_BACKOFF (1s)"},
		{notifier.EnvOperationsWebhookURL, "ops.example.com/hook", "OPERATIONS_WEBHOOK_URL must be an http or https URL"},
		{notifier.EnvOperationsWebhookSecret, "short", "OPERATIONS_WEBHOOK_SECRET is required with OPERATIONS_WEBHOOK_URL: 16 to 256 characters"},
		{notifier.EnvOperationsEmail, "noc@example.com, nope", `OPERATIONS_EMAIL: "nope" must be one email address`},
		{notifier.EnvSMTPAddr, "smtp.example.com", "SMTP_ADDR must be host:port"},
		{notifier.EnvSMTPFrom, "", "SMTP_FROM is required with SMTP_ADDR"},
		{notifier.EnvSMTPUsername, "user", "SMTP_USERNAME and SMTP_PASSWORD go together"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			_, err := notifier.FromEnv()
			require.ErrorContains(t, err, tc.msg)
			if tc.env == notifier.EnvOperationsWebhookSecret {
				require.NotContains(t, err.Error(), "short")
			}
		})
	}

	t.Setenv(notifier.EnvOperationsWebhookURL, "")
	_, err = notifier.FromEnv()
	require.ErrorContains(t, err, "OPERATIONS_WEBHOOK_SECRET is set but OPERATIONS_WEBHOOK_URL is not")
	t.Setenv(notifier.EnvOperationsWebhookSecret, "")
	t.Setenv(notifier.EnvSMTPAddr, "")
	_, err = notifier.FromEnv()
	require.ErrorContains(t, err, "OPERATIONS_EMAIL needs SMTP_ADDR and SMTP_FROM")
}

func TestExponentialBackoff(t *testing.T) {
	b := notifier.Exponential(10*time.Second, time.Hour)
	for _, tc := range []struct {
		attempt int
		lo, hi  time.Duration
	}{
		{1, 5 * time.Second, 10 * time.Second},
		{2, 10 * time.Second, 20 * time.Second},
		{5, 80 * time.Second, 160 * time.Second},
		{9, 1280 * time.Second, 2560 * time.Second},
		{10, 30 * time.Minute, time.Hour},
		{40, 30 * time.Minute, time.Hour},
	} {
		for range 50 {
			d := b(tc.attempt)
			require.GreaterOrEqual(t, d, tc.lo, "attempt %d", tc.attempt)
			require.LessOrEqual(t, d, tc.hi, "attempt %d", tc.attempt)
		}
	}
	// With jitter, deliveries that failed together do not all come back together.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[b(3)] = true
	}
	require.Greater(t, len(seen), 10)

	// The defaults try a receiver about 40 times in 24 hours: 9 ramping up, then one every 30–60 min.
	attempts, elapsed := 1, time.Duration(0)
	for {
		elapsed += b(attempts)
		if elapsed > 24*time.Hour {
			break
		}
		attempts++
	}
	require.GreaterOrEqual(t, attempts, 32)
	require.LessOrEqual(t, attempts, 57)
}
