package metrics

import (
	"testing"
	"time"
)

// The notifier's metrics are served on the worker's /metrics beside the rest, the failed counter
// under its exact name (alert rules use it) and at 0 before any failure.
func TestNotifierMetricsOnTheEndpoint(t *testing.T) {
	p := New(Options{})
	defer p.Close()
	m := NewNotifier(p.Registry, func(err error) { t.Errorf("registering: %v", err) })
	text := scrape(t, p.HTTPHandler)
	for _, channel := range []string{"webhook", "email"} {
		for _, recipient := range []string{"customer", "operations"} {
			assertSample(t, text, "porting_notification_deliveries_failed_total", "0", `channel="`+channel+`"`, `recipient="`+recipient+`"`)
		}
	}

	m.Attempt("webhook", "customer", OutcomeRetried)
	m.Attempt("webhook", "customer", OutcomeRetried)
	m.Attempt("webhook", "customer", OutcomeDelivered)
	m.Delivered("webhook", 1500*time.Millisecond)
	m.Attempt("email", "operations", OutcomeFailed)
	text = scrape(t, p.HTTPHandler)
	assertSample(t, text, NotificationDeliveries, "2", `outcome="retried"`, `channel="webhook"`)
	assertSample(t, text, NotificationDeliveries, "1", `outcome="delivered"`, `recipient="customer"`)
	assertSample(t, text, NotificationDeliveries, "1", `outcome="failed"`, `channel="email"`)
	assertSample(t, text, NotificationDeliveriesFailed, "1", `channel="email"`, `recipient="operations"`)
	assertSample(t, text, NotificationDeliveriesFailed, "0", `channel="webhook"`, `recipient="customer"`)
	assertSample(t, text, NotificationDeliverySeconds+"_bucket", "1", `channel="webhook"`, `le="2.5"`)
	assertSample(t, text, NotificationDeliverySeconds+"_count", "1", `channel="webhook"`)

	var nilMetrics *Notifier // a worker without METRICS_ADDR
	nilMetrics.Attempt("webhook", "customer", OutcomeFailed)
	nilMetrics.Delivered("webhook", time.Second)
}
