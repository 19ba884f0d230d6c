package metrics

import (
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
)

// The notifier's metrics (package notifier): recorded by the worker's delivery loop, not by
// workflows, so they carry no SDK labels.
const (
	// NotificationDeliveries counts delivery attempts by how they ended ({channel, recipient,
	// outcome}): delivered, retried (failed; another attempt is scheduled), failed (failed, and
	// the retry window has run out: given up), lost (the claim's lease had ended: another
	// notifier's attempt counts instead).
	NotificationDeliveries = "porting_notification_deliveries_total"
	// NotificationDeliveriesFailed counts deliveries given up after the retry window
	// ({channel, recipient}). Alert rules use this exact name.
	NotificationDeliveriesFailed = "porting_notification_deliveries_failed_total"
	// NotificationDeliverySeconds is a histogram of the time from a notification's queueing in the
	// outbox to its delivery ({channel}): poll interval, retries and the receiver's answer together.
	NotificationDeliverySeconds = "porting_notification_delivery_seconds"
)

// Label names and outcome values of the notifier's metrics.
const (
	LabelChannel   = "channel"
	LabelRecipient = "recipient"
	LabelOutcome   = "outcome"

	OutcomeDelivered = "delivered"
	OutcomeRetried   = "retried"
	OutcomeFailed    = "failed"
	OutcomeLost      = "lost"
)

// DeliveryBuckets go from a tenth of a second (a receiver that is up, the next poll) to a day
// (the retry window).
var DeliveryBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}

// Notifier is the notifier's metrics. A nil *Notifier records nothing (a worker without
// METRICS_ADDR).
type Notifier struct {
	deliveries, failed *prom.CounterVec
	latency            *prom.HistogramVec
}

// NewNotifier registers the notifier's metrics in reg. A metric the registry refuses is reported
// to onError (nil: ignored) and then recorded nowhere, never a panic.
func NewNotifier(reg prom.Registerer, onError func(error)) *Notifier {
	if onError == nil {
		onError = func(error) {}
	}
	m := &Notifier{
		deliveries: prom.NewCounterVec(prom.CounterOpts{Name: NotificationDeliveries,
			Help: "Notification delivery attempts, by how they ended: delivered, retried, failed (given up), lost (claim taken over)."},
			[]string{LabelChannel, LabelRecipient, LabelOutcome}),
		failed: prom.NewCounterVec(prom.CounterOpts{Name: NotificationDeliveriesFailed,
			Help: "Notification deliveries given up after the retry window (24 h by default)."},
			[]string{LabelChannel, LabelRecipient}),
		latency: prom.NewHistogramVec(prom.HistogramOpts{Name: NotificationDeliverySeconds,
			Help: "Seconds from a notification's queueing to its delivery.", Buckets: DeliveryBuckets},
			[]string{LabelChannel}),
	}
	for _, c := range []prom.Collector{m.deliveries, m.failed, m.latency} {
		if err := reg.Register(c); err != nil {
			onError(err)
		}
	}
	// Present at 0 from the start, so that rate() and increase() over the failed counter see a
	// series before the first failure (an alert on it must not wait for one).
	for _, channel := range []string{"webhook", "email"} {
		for _, recipient := range []string{"customer", "operations"} {
			m.failed.WithLabelValues(channel, recipient)
		}
	}
	return m
}

// Attempt counts one attempt's outcome (Outcome*); a failed one is counted in
// porting_notification_deliveries_failed_total as well.
func (m *Notifier) Attempt(channel, recipient, outcome string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(channel, recipient, outcome).Inc()
	if outcome == OutcomeFailed {
		m.failed.WithLabelValues(channel, recipient).Inc()
	}
}

// Delivered records how long a delivered notification took from its queueing.
func (m *Notifier) Delivered(channel string, latency time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(channel).Observe(latency.Seconds())
}
