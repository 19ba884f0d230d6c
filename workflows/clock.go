package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// businessClock computes deadlines in a port's business calendar. Every computed instant is
// recorded in history (a side effect), so that a later change of the holiday data cannot change
// the timers of a running port on replay.
type businessClock struct {
	cal *porting.BusinessCalendar
	// rec is the calendar's holidays recorded with the port's validation (versionActionCost): a
	// deadline inside its span is computed from it, with nothing recorded.
	rec *porting.CalendarRecord
}

// calendarSpan is what a port records of its calendar: from a month before its start to 400 days
// after (port dates are weeks ahead; a later deadline is recorded on its own).
const calendarSpanBefore, calendarSpanAfter = 31 * 24 * time.Hour, 400 * 24 * time.Hour

func (c businessClock) addBusinessDays(ctx workflow.Context, t time.Time, n int) time.Time {
	if c.rec != nil {
		if out, ok := c.rec.AddBusinessDays(t, n, c.cal.Location()); ok {
			return out
		}
	}
	var out time.Time
	_ = workflow.SideEffect(ctx, func(workflow.Context) interface{} {
		return c.cal.AddBusinessDays(t, n)
	}).Get(&out)
	return out.In(c.cal.Location())
}

// local is t in the calendar's time zone (t itself before the calendar is known).
func (c businessClock) local(t time.Time) time.Time {
	if c.cal == nil {
		return t
	}
	return t.In(c.cal.Location())
}

func (c businessClock) provisioningTime(ctx workflow.Context, portDate time.Time) time.Time {
	return c.addBusinessDays(ctx, portDate, -1)
}

// awaitUntil blocks until cond holds or the deadline passes; it reports whether cond held. A
// deadline already past returns at once (after checking cond). The timer carries a summary so an
// operator sees in the UI what the port waits for.
func awaitUntil(ctx workflow.Context, deadline time.Time, summary string, cond func() bool) (bool, error) {
	d := deadline.Sub(workflow.Now(ctx))
	if d <= 0 {
		return cond(), nil
	}
	if h, ok := ctx.Value(waitHookKey{}).(waitHook); ok {
		h.beforeWait(ctx) // may run a local activity: the clock moves
		defer h.afterWait()
		if d = deadline.Sub(workflow.Now(ctx)); d <= 0 {
			return cond(), nil
		}
		if cond() {
			return true, nil // what the port waits for came while it flushed
		}
	}
	return workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      d,
		TimerOptions: workflow.TimerOptions{Summary: summary},
	}, cond)
}

// awaitDeadline is awaitUntil for a wait whose deadline passing means someone did not answer in
// time (the carrier, the customer, operations): it counts that in porting_deadlines_passed_total,
// which the "waiting past their deadlines" alert watches.
func awaitDeadline(ctx workflow.Context, kind, wait string, deadline time.Time, summary string, cond func() bool) (bool, error) {
	got, err := awaitUntil(ctx, deadline, summary, cond)
	if err == nil && !got {
		metrics.DeadlinePassed(ctx, kind, wait)
	}
	return got, err
}

func earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}
