package metrics

import (
	"maps"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// The product's metrics. Besides the labels named here, each carries the SDK's workflow labels
// namespace, task_queue and workflow_type.
const (
	// PortsStarted counts ports whose workflow began ({kind}).
	PortsStarted = "porting_ports_started_total"
	// PortsCompleted counts ports that completed ({kind}).
	PortsCompleted = "porting_ports_completed_total"
	// PortsCancelled counts ports that ended cancelled ({kind}).
	PortsCancelled = "porting_ports_cancelled_total"
	// PortsEnded counts every end by its state: completed, cancelled, not_portable, expired,
	// failed ({kind, state}).
	PortsEnded = "porting_ports_ended_total"
	// StateTransitions counts changes of a port's state ({kind, from, to}).
	StateTransitions = "porting_state_transitions_total"
	// CarrierResponseBusinessDays is a histogram of the business days a carrier took to answer a
	// submission ({kind}).
	CarrierResponseBusinessDays = "porting_carrier_response_business_days"
	// ProvisioningSeconds is a histogram of how long provisioning the numbers took ({kind}).
	ProvisioningSeconds = "porting_provisioning_seconds"
	// DeadlinesPassed counts waits that reached their deadline without the answer they waited for
	// ({kind, wait}): a carrier silent past a follow-up step, a customer past an LOA reminder or the
	// silence expiry, a winning carrier that never came, a frozen port-out nobody looked at.
	DeadlinesPassed = "porting_deadlines_passed_total"
)

// The waits a deadline can pass in (label wait of porting_deadlines_passed_total).
const (
	WaitCarrierAnswer         = "carrier_answer"
	WaitCustomerLOA           = "customer_loa"
	WaitPortabilityAnswer     = "portability_answer"
	WaitCostApproval          = "cost_approval"
	WaitWinningCarrierRequest = "winning_carrier_request"
	WaitFrozen                = "frozen"
)

// Label names of the product's metrics.
const (
	LabelKind  = "kind"
	LabelState = "state"
	LabelFrom  = "from"
	LabelTo    = "to"
	LabelWait  = "wait"
)

// sdkLabels are the SDK's tags of a workflow's metrics handler that the product's metrics keep.
var sdkLabels = []string{"namespace", "task_queue", "workflow_type"}

var (
	// BusinessDayBuckets cover the documented carrier times: 3–5 business days (LOA validation),
	// 5–15 (international mutual acceptance), and escalations beyond.
	BusinessDayBuckets = []float64{0.5, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30}
	// ProvisioningBuckets go from a second to an hour.
	ProvisioningBuckets = []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
)

// PortStarted counts a port that began. Call it once, at the start of the workflow.
func PortStarted(ctx workflow.Context, kind string) {
	record(ctx, func(p *product, sdk []string) {
		p.started.WithLabelValues(append(sdk, kind)...).Inc()
	})
}

// PortEnded counts a port's end in its end state: completed and cancelled have their own
// counters, and every end is counted in porting_ports_ended_total{state}. Call it once, when the
// workflow reaches its end state.
func PortEnded(ctx workflow.Context, kind string, state porting.State) {
	record(ctx, func(p *product, sdk []string) {
		switch state {
		case porting.StateCompleted:
			p.completed.WithLabelValues(append(sdk, kind)...).Inc()
		case porting.StateCancelled:
			p.cancelled.WithLabelValues(append(sdk, kind)...).Inc()
		}
		p.ended.WithLabelValues(append(sdk, kind, string(state))...).Inc()
	})
}

// StateTransition counts a change of the port's state (nothing when from equals to).
func StateTransition(ctx workflow.Context, kind string, from, to porting.State) {
	if from == to {
		return
	}
	record(ctx, func(p *product, sdk []string) {
		p.transitions.WithLabelValues(append(sdk, kind, string(from), string(to))...).Inc()
	})
}

// CarrierResponseLatency records how many business days the carrier took to answer a submission
// (fractions allowed).
func CarrierResponseLatency(ctx workflow.Context, kind string, businessDays float64) {
	record(ctx, func(p *product, sdk []string) {
		p.carrierDays.WithLabelValues(append(sdk, kind)...).Observe(businessDays)
	})
}

// ProvisioningDuration records how long provisioning the numbers took (workflow time, e.g.
// workflow.Now(ctx).Sub(start)).
func ProvisioningDuration(ctx workflow.Context, kind string, d time.Duration) {
	record(ctx, func(p *product, sdk []string) {
		p.provisioning.WithLabelValues(append(sdk, kind)...).Observe(d.Seconds())
	})
}

// DeadlinePassed counts a wait that reached its deadline without its answer.
func DeadlinePassed(ctx workflow.Context, kind, wait string) {
	record(ctx, func(p *product, sdk []string) {
		p.deadlines.WithLabelValues(append(sdk, kind, wait)...).Inc()
	})
}

// record runs fn with the product metrics found under the workflow's metrics handler, unless the
// workflow is replaying or the handler is not this package's (a test that set none).
func record(ctx workflow.Context, fn func(p *product, sdkLabelValues []string)) {
	if workflow.IsReplaying(ctx) {
		return
	}
	h, ok := find(workflow.GetMetricsHandler(ctx))
	if !ok {
		return
	}
	values := make([]string, len(sdkLabels), len(sdkLabels)+3)
	for i, l := range sdkLabels {
		values[i] = h.tags[l]
	}
	fn(h.product, values)
}

// product holds the product's metric vectors, registered once in the process's registry.
type product struct {
	started, completed, cancelled, ended, transitions *prom.CounterVec
	deadlines                                         *prom.CounterVec
	carrierDays, provisioning                         *prom.HistogramVec
}

func newProduct(reg prom.Registerer, onError func(error)) *product {
	labels := func(extra ...string) []string { return append(append([]string{}, sdkLabels...), extra...) }
	counter := func(name, help string, extra ...string) *prom.CounterVec {
		v := prom.NewCounterVec(prom.CounterOpts{Name: name, Help: help}, labels(extra...))
		if err := reg.Register(v); err != nil {
			onError(err)
		}
		return v
	}
	histogram := func(name, help string, buckets []float64) *prom.HistogramVec {
		v := prom.NewHistogramVec(prom.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels(LabelKind))
		if err := reg.Register(v); err != nil {
			onError(err)
		}
		return v
	}
	return &product{
		started:     counter(PortsStarted, "Ports whose workflow began.", LabelKind),
		completed:   counter(PortsCompleted, "Ports that completed.", LabelKind),
		cancelled:   counter(PortsCancelled, "Ports that ended cancelled.", LabelKind),
		ended:       counter(PortsEnded, "Ports that ended, by end state.", LabelKind, LabelState),
		transitions: counter(StateTransitions, "Changes of a port's state.", LabelKind, LabelFrom, LabelTo),
		deadlines: counter(DeadlinesPassed, "Waits that reached their deadline without the answer they waited for.",
			LabelKind, LabelWait),
		carrierDays: histogram(CarrierResponseBusinessDays,
			"Business days a carrier took to answer a submission.", BusinessDayBuckets),
		provisioning: histogram(ProvisioningSeconds,
			"Seconds provisioning a port's numbers took.", ProvisioningBuckets),
	}
}

// handler is the SDK's tally handler plus the product's metrics and the tags it was given, so
// that the helpers can find both under workflow.GetMetricsHandler(ctx).
type handler struct {
	client.MetricsHandler
	product *product
	tags    map[string]string
}

func (h handler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	maps.Copy(merged, h.tags)
	maps.Copy(merged, tags)
	return handler{MetricsHandler: h.MetricsHandler.WithTags(tags), product: h.product, tags: merged}
}

// Unwrap lets the SDK's tally helpers (sdktally.ScopeFromHandler) reach the tally handler.
func (h handler) Unwrap() client.MetricsHandler { return h.MetricsHandler }

// find unwraps h (the SDK wraps the workflow's handler to skip replays) down to this package's.
func find(h client.MetricsHandler) (handler, bool) {
	for h != nil {
		if ours, ok := h.(handler); ok {
			return ours, true
		}
		u, ok := h.(interface{ Unwrap() client.MetricsHandler })
		if !ok {
			return handler{}, false
		}
		h = u.Unwrap()
	}
	return handler{}, false
}
