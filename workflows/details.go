package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// A port's current details: the short Markdown account the Temporal UI shows on the workflow's
// page ("Current details") and `temporal workflow describe` / the __temporal_workflow_metadata
// query return. It says where the port is, what each group waits for and until when, the last
// reason a carrier gave and what the customer must do about it, so an operator needs no query to
// read a port's story. The static summary and details (what was asked for) are set by the starter
// at start.

// detailsGroupsShown caps the groups listed: a bulk request's 200 orders are counted by state, and
// every group is in the status query.
const detailsGroupsShown = 10

// keepCurrentDetails keeps the workflow's current details equal to render() for the rest of the
// run. The coroutine issues no command (current details live in the worker's memory and are served
// by the metadata query), so adding it changes no history and needs no version. It re-renders when
// key() changes: a cheap fingerprint of what the account shows, since await conditions are checked
// many times per workflow task and rendering Markdown each time would cost the worker its CPU.
func keepCurrentDetails(ctx workflow.Context, key func() uint64, render func() string) {
	keepCurrentDetailsAnd(ctx, key, render, nil, nil)
}

// keepCurrentDetailsAnd is keepCurrentDetails whose coroutine also runs do whenever due() holds (a
// port's flush while it waits, outbox.go): every coroutine is resumed at every step of the
// workflow, so two watchers cost more than one.
func keepCurrentDetailsAnd(ctx workflow.Context, key func() uint64, render func() string, due func() bool, do func(workflow.Context)) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		shown, first := uint64(0), true
		for {
			var next uint64
			if err := workflow.Await(ctx, func() bool {
				next = key()
				return first || next != shown || (due != nil && due())
			}); err != nil {
				return
			}
			if first || next != shown {
				workflow.SetCurrentDetails(ctx, render())
				shown, first = next, false
			}
			if due != nil && due() {
				do(ctx)
			}
		}
	})
}

// fingerprint hashes the values an account is made of (FNV-1a, on the stack: no allocation).
type fingerprint uint64

func newFingerprint() fingerprint { return 14695981039346656037 }

func (f fingerprint) byte(b byte) fingerprint { return (f ^ fingerprint(b)) * 1099511628211 }

func (f fingerprint) str(s string) fingerprint {
	for i := 0; i < len(s); i++ {
		f = f.byte(s[i])
	}
	return f.int(len(s))
}

func (f fingerprint) int(n int) fingerprint {
	for i := 0; i < 8; i++ {
		f = f.byte(byte(uint64(n) >> (8 * i)))
	}
	return f
}

func (f fingerprint) time(t time.Time) fingerprint {
	if t.IsZero() {
		return f.int(0)
	}
	return f.int(int(t.UnixNano()))
}

func (f fingerprint) timePtr(t *time.Time) fingerprint {
	if t == nil {
		return f.int(0)
	}
	return f.time(*t)
}

func (f fingerprint) sum() uint64 { return uint64(f) }

// detailGroup is one line of the account: a LOA group, an order's group or the port-out's carrier.
type detailGroup struct {
	name       string
	numbers    int
	state      porting.State
	loaVersion int
	rounds     int
	portDate   *time.Time
	next       time.Time
	nextKind   string
	reason     string
	code       porting.ReasonCode
	action     string
}

// detailsView is what the account says, before formatting.
type detailsView struct {
	title    string // "Port-in REQ-1"
	state    porting.State
	about    string // what the port moves, from where to where
	outcome  string // the end's reason, once ended
	next     time.Time
	nextKind string
	counts   string // a bulk request's orders by state
	groups   []detailGroup
	last     *porting.HistoryEntry
	local    func(time.Time) time.Time
}

func (v detailsView) markdown() string {
	// Written piece by piece, not with fmt: a port renders its account at every step it waits at.
	var b strings.Builder
	b.Grow(512)
	b.WriteString("**")
	b.WriteString(v.title)
	b.WriteString(": ")
	b.WriteString(string(v.state))
	b.WriteString("**\n\n")
	b.WriteString(v.about)
	b.WriteString("\n")
	if v.outcome != "" {
		b.WriteString("\n**Outcome:** ")
		b.WriteString(v.outcome)
		b.WriteString("\n")
	}
	if !v.next.IsZero() && !v.state.IsEnd() {
		b.WriteString("\n**Next deadline:** ")
		b.WriteString(v.nextKind)
		b.WriteString(", ")
		v.writeAt(&b, v.next)
		b.WriteString("\n")
	}
	if v.counts != "" {
		b.WriteString("\n**Orders:** ")
		b.WriteString(v.counts)
		b.WriteString("\n")
	}
	if len(v.groups) > 0 {
		b.WriteString("\n**Groups**\n\n")
		for i, g := range v.groups {
			if i == detailsGroupsShown {
				b.WriteString("- … and " + strconv.Itoa(len(v.groups)-detailsGroupsShown) + " more (see `starter status`)\n")
				break
			}
			v.group(&b, g)
		}
	}
	if v.last != nil {
		b.WriteString("\n**Last:** ")
		v.writeAt(&b, v.last.At)
		b.WriteString(": ")
		b.WriteString(v.last.Note)
		b.WriteString("\n")
	}
	return b.String()
}

func (v detailsView) group(b *strings.Builder, g detailGroup) {
	b.WriteString("- **")
	b.WriteString(g.name)
	b.WriteString("**: ")
	b.WriteString(countOf(g.numbers, "number"))
	b.WriteString(", `")
	b.WriteString(string(g.state))
	b.WriteString("`")
	if g.loaVersion > 0 {
		b.WriteString(", LOA v")
		b.WriteString(strconv.Itoa(g.loaVersion))
	}
	if g.rounds > 0 {
		b.WriteString(", ")
		b.WriteString(countOf(g.rounds, "rejection"))
	}
	if g.portDate != nil {
		b.WriteString(", port date ")
		v.writeAt(b, *g.portDate)
	}
	if !g.next.IsZero() && !g.state.IsEnd() {
		b.WriteString(", next: ")
		b.WriteString(g.nextKind)
		b.WriteString(" ")
		v.writeAt(b, g.next)
	}
	b.WriteString("\n")
	if g.reason != "" && g.state != porting.StateCompleted {
		b.WriteString("  - last reason: ")
		b.WriteString(g.reason)
		if g.code != "" {
			b.WriteString(" (`")
			b.WriteString(string(g.code))
			b.WriteString("`)")
		}
		b.WriteString("\n")
	}
	if g.action != "" && !g.state.IsEnd() {
		b.WriteString("  - customer action: ")
		b.WriteString(g.action)
		b.WriteString("\n")
	}
}

// detailsTimeLayout is how the account writes an instant.
const detailsTimeLayout = "Mon 2 Jan 2006 15:04 MST"

// at formats an instant for people, in the port's zone once it is known.
func (v detailsView) at(t time.Time) string {
	return string(v.appendAt(nil, t))
}

func (v detailsView) writeAt(b *strings.Builder, t time.Time) {
	var buf [32]byte
	b.Write(v.appendAt(buf[:0], t))
}

func (v detailsView) appendAt(dst []byte, t time.Time) []byte {
	if v.local != nil {
		t = v.local(t)
	} else {
		t = t.UTC()
	}
	return t.AppendFormat(dst, detailsTimeLayout)
}

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func lastEntry(h []porting.HistoryEntry) *porting.HistoryEntry {
	if len(h) == 0 {
		return nil
	}
	e := h[len(h)-1]
	return &e
}

// details is a port-in's account (a request, an international request or a bulk request's order).
func (w *port) details() string {
	v := detailsView{
		title: fmt.Sprintf("%s %s", w.label(), w.req.RequestID),
		state: w.state,
		about: fmt.Sprintf("%s from %s to `%s`", countOf(len(w.req.Numbers), "number"), strings.Join(w.carriers(), ", "), w.req.InstanceARN),
		last:  lastEntry(w.history),
	}
	v.next, v.nextKind = w.earliestDeadline()
	if w.order != nil {
		v.title = fmt.Sprintf("%s %s", w.label(), w.orderLabel())
	}
	if w.state.IsEnd() {
		v.outcome = w.reason
	}
	if w.clock.cal != nil {
		v.local = w.clock.local
		v.about += fmt.Sprintf(" (times in %s)", w.tz)
	}
	if w.bulk != nil && w.bulk.started {
		v.counts = w.orderCounts()
		for _, g := range w.orderGroups() {
			v.groups = append(v.groups, detailGroup{
				name: g.Group, numbers: g.Numbers, state: g.State, loaVersion: g.LOAVersion, rounds: g.Rounds, portDate: g.PortDate,
				reason: g.LastReason, code: g.LastReasonCode, action: g.CustomerAction,
			})
		}
	}
	for _, g := range w.groups {
		d := detailGroup{
			name: g.name, numbers: len(g.numbers), state: g.visibleState(), loaVersion: g.loaVersion, rounds: g.rounds,
			portDate: g.portDate, next: g.nextDeadline, nextKind: g.nextDeadlineKind, reason: g.lastReason,
		}
		d.code, d.action = g.lastReasonCode()
		v.groups = append(v.groups, d)
	}
	return v.markdown()
}

// detailsKey changes whenever details() would: every change of the port notes its history, and
// deadlines and dates move with or without a note.
func (w *port) detailsKey() uint64 {
	f := newFingerprint().str(string(w.state)).int(len(w.history)).time(w.nextDeadline)
	for _, g := range w.groups {
		f = f.str(string(g.visibleState())).time(g.nextDeadline).timePtr(g.portDate).int(g.loaVersion).int(g.rounds)
	}
	if w.bulk != nil {
		for _, o := range w.bulk.orders {
			f = f.int(o.report.Seq).timePtr(o.report.NextDeadline)
		}
	}
	if w.clock.cal != nil {
		f = f.int(1)
	}
	return f.sum()
}

// orderCounts is a bulk request's orders counted by state, in the order states progress.
func (w *port) orderCounts() string {
	count := map[porting.State]int{}
	var states []porting.State
	for _, o := range w.bulk.orders {
		if len(o.numbers) == 0 {
			continue
		}
		s := o.state()
		if count[s] == 0 {
			states = append(states, s)
		}
		count[s]++
	}
	parts := make([]string, 0, len(states))
	for _, s := range states {
		parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
	}
	return strings.Join(parts, ", ")
}

func (w *port) carriers() []string {
	var out []string
	for _, n := range w.req.Numbers {
		if !contains(out, n.Carrier) {
			out = append(out, n.Carrier)
		}
	}
	return out
}

// details is a port-out's account: the winning carrier's requests, the release and the protection.
func (w *portOut) details() string {
	v := detailsView{
		title: "Port-out " + w.req.RequestID,
		state: w.state,
		about: fmt.Sprintf("%s from `%s` to %s", countOf(len(w.req.Numbers), "number"), w.req.InstanceARN, w.req.WinningCarrier),
		next:  w.nextDeadline, nextKind: w.nextDeadlineKind,
		last: lastEntry(w.history),
	}
	if w.state.IsEnd() {
		v.outcome = w.reason
	}
	if w.clock.cal != nil {
		v.local = w.clock.local
		v.about += fmt.Sprintf(" (times in %s)", w.tz)
	}
	if w.received > 0 {
		v.about += fmt.Sprintf("; %s received", countOf(w.received, "winning-carrier request"))
	}
	if len(w.removed) > 0 {
		v.about += fmt.Sprintf("; %s removed from the port-out", countOf(len(w.removed), "number"))
	}
	if w.state == porting.StateFrozen {
		v.about += fmt.Sprintf("\n\nFrozen since %s after wrong passcodes (was `%s`): `starter unfreeze` or cancel.", v.at(w.frozenAt), w.frozenFrom)
	}
	if w.validation.Accepted {
		v.groups = []detailGroup{{
			name: w.req.WinningCarrier, numbers: len(w.req.Numbers), state: w.state, rounds: w.rounds,
			portDate: w.releaseAt, reason: w.lastReason, code: w.lastReasonCode, action: w.customerAction,
		}}
	}
	return v.markdown()
}

func (w *portOut) detailsKey() uint64 {
	f := newFingerprint().str(string(w.state)).int(len(w.history)).time(w.nextDeadline).timePtr(w.releaseAt).
		int(w.received).int(w.rounds).int(len(w.removed)).str(w.lastReason)
	if w.clock.cal != nil {
		f = f.int(1)
	}
	return f.sum()
}
