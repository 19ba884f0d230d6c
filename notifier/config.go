package notifier

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/store"
)

// Environment variables of the notifier (read by the worker).
const (
	EnvNotifier                = "PORTING_NOTIFIER" // off: the worker delivers nothing
	EnvOperationsWebhookURL    = "OPERATIONS_WEBHOOK_URL"
	EnvOperationsWebhookSecret = "OPERATIONS_WEBHOOK_SECRET"
	EnvOperationsEmail         = "OPERATIONS_EMAIL" // one address or several, comma-separated
	EnvSMTPAddr                = "SMTP_ADDR"        // host:port of the SMTP server (STARTTLS when it offers it)
	EnvSMTPFrom                = "SMTP_FROM"        // the sender, "ops@example.com" or "Porting <ops@example.com>"
	EnvSMTPUsername            = "SMTP_USERNAME"    // optional: PLAIN authentication (over TLS, or to localhost)
	EnvSMTPPassword            = "SMTP_PASSWORD"

	// Timings, for operators and for tests that cannot wait 24 hours.
	EnvPoll       = "PORTING_NOTIFIER_POLL"        // how often an idle notifier looks for work (1s)
	EnvLease      = "PORTING_NOTIFIER_LEASE"       // how long a claim holds before another notifier may retry it (2m)
	EnvTimeout    = "PORTING_NOTIFIER_TIMEOUT"     // bound of one HTTP request or SMTP conversation (10s)
	EnvBackoff    = "PORTING_NOTIFIER_BACKOFF"     // wait after the first failed attempt; doubles each time (10s)
	EnvBackoffMax = "PORTING_NOTIFIER_BACKOFF_MAX" // longest wait between attempts (1h)
	EnvRetryFor   = "PORTING_NOTIFIER_RETRY_FOR"   // how long a delivery is retried before it fails (24h)
)

// Defaults of the timings.
const (
	DefaultPoll       = time.Second
	DefaultLease      = 2 * time.Minute
	DefaultTimeout    = 10 * time.Second
	DefaultBackoff    = 10 * time.Second
	DefaultBackoffMax = time.Hour
	DefaultRetryFor   = 24 * time.Hour
	// DefaultBatch is how many deliveries one pass claims, and sends at once.
	DefaultBatch = 8
)

// Config is the notifier's configuration.
type Config struct {
	// Enabled is false with PORTING_NOTIFIER=off: the worker starts no notifier.
	Enabled bool

	OperationsWebhookURL    string
	OperationsWebhookSecret string
	OperationsEmails        []string

	SMTPAddr     string
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string

	Poll     time.Duration
	Lease    time.Duration
	Timeout  time.Duration
	RetryFor time.Duration
	// Backoff is the wait after each failed attempt (nil: Exponential(DefaultBackoff, DefaultBackoffMax)).
	Backoff Backoff
	// Batch is how many deliveries a pass claims and sends at once (0: DefaultBatch).
	Batch int
}

// Defaults is the configuration with nothing set: enabled, no operations targets, no SMTP.
func Defaults() Config {
	return Config{
		Enabled: true, Poll: DefaultPoll, Lease: DefaultLease, Timeout: DefaultTimeout, RetryFor: DefaultRetryFor,
		Backoff: Exponential(DefaultBackoff, DefaultBackoffMax), Batch: DefaultBatch,
	}
}

// FromEnv reads the configuration from the environment and checks it (Check): every mistake is
// reported at the worker's start, naming the variable and the rule.
func FromEnv() (Config, error) {
	c := Defaults()
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvNotifier))); v {
	case "", "on", "true", "1":
	case "off", "false", "0":
		c.Enabled = false
		return c, nil
	default:
		return c, fmt.Errorf("%s must be on or off, got %q", EnvNotifier, v)
	}
	c.OperationsWebhookURL = os.Getenv(EnvOperationsWebhookURL)
	c.OperationsWebhookSecret = os.Getenv(EnvOperationsWebhookSecret)
	for _, a := range strings.Split(os.Getenv(EnvOperationsEmail), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.OperationsEmails = append(c.OperationsEmails, a)
		}
	}
	c.SMTPAddr = os.Getenv(EnvSMTPAddr)
	c.SMTPFrom = os.Getenv(EnvSMTPFrom)
	c.SMTPUsername = os.Getenv(EnvSMTPUsername)
	c.SMTPPassword = os.Getenv(EnvSMTPPassword)

	backoff, backoffMax := DefaultBackoff, DefaultBackoffMax
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{EnvPoll, &c.Poll}, {EnvLease, &c.Lease}, {EnvTimeout, &c.Timeout}, {EnvRetryFor, &c.RetryFor},
		{EnvBackoff, &backoff}, {EnvBackoffMax, &backoffMax}} {
		v := os.Getenv(d.env)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			return c, fmt.Errorf("%s must be a positive duration like 1s or 5m, got %q", d.env, v)
		}
		*d.to = parsed
	}
	if backoffMax < backoff {
		return c, fmt.Errorf("%s (%s) must not be shorter than %s (%s)", EnvBackoffMax, backoffMax, EnvBackoff, backoff)
	}
	c.Backoff = Exponential(backoff, backoffMax)
	return c, c.Check()
}

// Check reports the first mistake of the configuration, naming the variable and the rule. A
// secret is never repeated.
func (c Config) Check() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.Poll <= 0, c.Timeout <= 0, c.RetryFor <= 0:
		return fmt.Errorf("%s, %s and %s must be positive", EnvPoll, EnvTimeout, EnvRetryFor)
	case c.Lease <= c.Timeout:
		// A claim must outlast the call it covers, or a slow receiver would be sent to twice at once.
		return fmt.Errorf("%s (%s) must be longer than %s (%s): a claim must outlast the call it covers", EnvLease, c.Lease, EnvTimeout, c.Timeout)
	}
	if c.OperationsWebhookURL != "" {
		if err := store.CheckWebhookURL(c.OperationsWebhookURL); err != nil {
			return fmt.Errorf("%s %v", EnvOperationsWebhookURL, err)
		}
		if n := len(c.OperationsWebhookSecret); n < store.MinWebhookSecretLength || n > store.MaxWebhookSecretLength {
			return fmt.Errorf("%s is required with %s: %d to %d characters, the receiver's shared secret (got %d)", EnvOperationsWebhookSecret,
				EnvOperationsWebhookURL, store.MinWebhookSecretLength, store.MaxWebhookSecretLength, n)
		}
	} else if c.OperationsWebhookSecret != "" {
		return fmt.Errorf("%s is set but %s is not: set both or neither", EnvOperationsWebhookSecret, EnvOperationsWebhookURL)
	}
	for _, a := range c.OperationsEmails {
		if err := store.CheckEmailAddress(a); err != nil {
			return fmt.Errorf("%s: %q %v", EnvOperationsEmail, a, err)
		}
	}
	if len(c.OperationsEmails) > 0 && c.SMTPAddr == "" {
		return fmt.Errorf("%s needs %s and %s (the SMTP server and the sender)", EnvOperationsEmail, EnvSMTPAddr, EnvSMTPFrom)
	}
	if c.SMTPAddr != "" {
		if host, port, err := net.SplitHostPort(c.SMTPAddr); err != nil || host == "" {
			return fmt.Errorf("%s must be host:port, e.g. smtp.example.com:587, got %q", EnvSMTPAddr, c.SMTPAddr)
		} else if _, err := strconv.Atoi(port); err != nil {
			return fmt.Errorf("%s must be host:port with a numeric port, got %q", EnvSMTPAddr, c.SMTPAddr)
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return fmt.Errorf("%s is required with %s: the sender, e.g. porting@example.com or \"Porting <porting@example.com>\" (%v)", EnvSMTPFrom, EnvSMTPAddr, err)
		}
	}
	if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
		return fmt.Errorf("%s and %s go together", EnvSMTPUsername, EnvSMTPPassword)
	}
	return nil
}

// operationsTargets are where operations notifications go.
func (c Config) operationsTargets() []store.DeliveryTarget {
	var out []store.DeliveryTarget
	if c.OperationsWebhookURL != "" {
		out = append(out, store.DeliveryTarget{Channel: store.ChannelWebhook, Target: c.OperationsWebhookURL})
	}
	for _, a := range c.OperationsEmails {
		out = append(out, store.DeliveryTarget{Channel: store.ChannelEmail, Target: a})
	}
	return out
}
