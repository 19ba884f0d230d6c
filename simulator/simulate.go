// Package simulator plays the outside parties of a port for demos and load tests (DESIGN §2, §7
// `starter simulate-carrier`): the losing carriers that answer port requests and cancellations from
// the carrier outbox, the partner carriers that answer international portability checks, the winning
// carrier of a port-out, and — when asked — the customer, who sends LOAs and approves quoted costs.
//
// It finds its work in two places, and is idempotent in both:
//   - the outboxes in Postgres (carrier_submissions, portability_checks): a row is answered once it is
//     due and marked consumed once answered or found stale (its port moved on); a transient failure
//     leaves it for a later pass, and so does a row of a workflow this Temporal does not know (another
//     environment sharing the database);
//   - the running ports in the states that wait for the customer or the winning carrier (the PortState
//     search attribute).
//
// Before every action it reads the port's status and acts only when the port still waits for exactly
// that answer; an update the workflow refuses anyway (its state moved on meanwhile) is logged and
// left.
package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Config is what the simulated parties do and when.
type Config struct {
	// AcceptAfter: how long a carrier takes to answer a port request or a cancellation, and the winning
	// carrier to send its port-out request once the port-out waits for it.
	AcceptAfter time.Duration
	// RejectFirst: the carrier rejects LOA versions 1..RejectFirst of every group, then accepts.
	RejectFirst int
	// RejectReasonCode and RejectReason are the carrier's rejection.
	RejectReasonCode, RejectReason string
	// PortIn: how far ahead of the answer the port date (and a port-out's release time) is.
	PortIn time.Duration

	// PortabilityAfter: how long the partner carriers take to answer a portability check.
	PortabilityAfter time.Duration
	// Cost, when set, is quoted with every portability answer.
	Cost *porting.Cost

	// SubmitLOAs: play the customer and send an LOA for every group awaiting one.
	SubmitLOAs bool
	// ApproveCosts: play the customer and approve every quoted cost.
	ApproveCosts bool
	// CustomerAfter: how long the customer takes to act once the port waits for them.
	CustomerAfter time.Duration

	// PortOuts: play the winning carrier of every port-out awaiting one.
	PortOuts bool
	// MismatchFirst: the winning carrier's first request misspells the owner's name.
	MismatchFirst bool

	// Concurrency: how many ports are handled at once in a pass.
	Concurrency int
	// CallTimeout bounds each query and update.
	CallTimeout time.Duration
	// Batch: at most this many outbox rows of each kind per pass.
	Batch int
}

// DefaultConfig is a carrier that accepts every LOA five seconds after it is submitted with a port
// date two minutes ahead, and partner carriers that find every number portable.
func DefaultConfig() Config {
	return Config{
		AcceptAfter:      5 * time.Second,
		RejectReasonCode: "LOA_MISMATCH",
		RejectReason:     "the authorized name or address does not match the carrier's records",
		PortIn:           2 * time.Minute,
		PortabilityAfter: 2 * time.Second,
		CustomerAfter:    2 * time.Second,
		PortOuts:         true,
		Concurrency:      8,
		CallTimeout:      30 * time.Second,
		Batch:            200,
	}
}

// Simulator runs passes over the outboxes and the waiting ports.
type Simulator struct {
	Config   Config
	DB       *sqlx.DB
	Temporal Temporal
	Log      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu      sync.Mutex
	backoff map[string]backoff   // by workflow ID
	dueAt   map[string]time.Time // waiting ports not yet due, by workflow ID: not queried again before
}

// notDue records that a waiting port needs nothing before t (so a pass does not query it again).
func (s *Simulator) notDue(wf string, t time.Time) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dueAt == nil {
		s.dueAt = map[string]time.Time{}
	}
	s.dueAt[wf] = t
	return Stats{Waiting: 1}
}

// due reports whether a waiting port may need something now.
func (s *Simulator) due(wf string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.dueAt[wf]
	if ok && !now.Before(t) {
		delete(s.dueAt, wf)
	}
	return !ok || !now.Before(t)
}

// backoff holds off a port whose last pass failed (Temporal unreachable, a query the worker cannot
// answer, a workflow this Temporal does not know), so that one bad port costs a line a minute, not a
// line a second.
type backoff struct {
	until    time.Time
	failures int
}

// maxBackoff bounds how long a failing port is held off.
const maxBackoff = time.Minute

// heldOff reports whether wf is held off now.
func (s *Simulator) heldOff(wf string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.backoff[wf]
	return ok && now.Before(b.until)
}

// settle records the outcome of a port's work in a pass: a failure holds it off (doubling, up to
// maxBackoff), a pass without one clears that.
func (s *Simulator) settle(wf string, failed bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !failed {
		delete(s.backoff, wf)
		return
	}
	if s.backoff == nil {
		s.backoff = map[string]backoff{}
	}
	b := s.backoff[wf]
	b.failures++
	wait := time.Second << min(b.failures, 6)
	b.until = now.Add(min(wait, maxBackoff))
	s.backoff[wf] = b
}

// Stats counts what one pass did.
type Stats struct {
	Answered int // updates the workflows took
	Refused  int // updates the workflows refused (their state moved on)
	Stale    int // outbox rows consumed without an answer: their port no longer waited for one
	Waiting  int // work not yet due
	Errors   int // transient failures, retried on a later pass
	Unknown  int // outbox rows of workflows this Temporal does not know: left for whoever owns them
}

func (s Stats) add(o Stats) Stats {
	return Stats{s.Answered + o.Answered, s.Refused + o.Refused, s.Stale + o.Stale, s.Waiting + o.Waiting, s.Errors + o.Errors,
		s.Unknown + o.Unknown}
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run runs a pass every poll until ctx ends.
func (s *Simulator) Run(ctx context.Context, poll time.Duration) error {
	s.Log.Info("simulator started", "accept_after", s.Config.AcceptAfter, "reject_first", s.Config.RejectFirst,
		"port_in", s.Config.PortIn, "portability_after", s.Config.PortabilityAfter, "cost", costString(s.Config.Cost),
		"submit_loas", s.Config.SubmitLOAs, "approve_costs", s.Config.ApproveCosts, "port_outs", s.Config.PortOuts,
		"mismatch_first", s.Config.MismatchFirst, "poll", poll)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("pass failed; retrying", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			s.Log.Info("simulator stopped")
			return nil
		case <-t.C:
		}
	}
}

// task is the work on one port in a pass, done in order.
type task func(ctx context.Context) Stats

// Step runs one pass: it reads the outboxes and the waiting ports, then handles each port's work in
// order (ports concurrently, up to Concurrency).
func (s *Simulator) Step(ctx context.Context) (Stats, error) {
	cfg := s.Config
	work := map[string][]task{}
	var order []string
	add := func(wf string, t task) {
		if _, ok := work[wf]; !ok {
			order = append(order, wf)
		}
		work[wf] = append(work[wf], t)
	}

	subs, err := store.PendingCarrierSubmissions(ctx, s.DB, cfg.Batch)
	if err != nil {
		return Stats{}, fmt.Errorf("carrier outbox: %w", err)
	}
	for _, sub := range subs {
		add(sub.WorkflowID, func(ctx context.Context) Stats { return s.carrierSubmission(ctx, sub) })
	}
	checks, err := store.PendingPortabilityChecks(ctx, s.DB, cfg.Batch)
	if err != nil {
		return Stats{}, fmt.Errorf("portability checks: %w", err)
	}
	for _, c := range checks {
		add(c.WorkflowID, func(ctx context.Context) Stats { return s.portabilityCheck(ctx, c) })
	}
	if states := s.waitingStates(); len(states) > 0 {
		lctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
		ids, err := s.Temporal.ListOpen(lctx, states)
		cancel()
		if err != nil {
			// The outboxes still get their answers.
			s.Log.Warn("listing the waiting ports failed; retrying next pass", "error", err.Error())
		}
		now := s.now()
		for _, wf := range ids {
			if !s.due(wf, now) {
				continue
			}
			add(wf, func(ctx context.Context) Stats { return s.waitingPort(ctx, wf) })
		}
	}

	var (
		mu    sync.Mutex
		total Stats
		wg    sync.WaitGroup
		sem   = make(chan struct{}, max(1, cfg.Concurrency))
	)
	now := s.now()
	for _, wf := range order {
		tasks := work[wf]
		if s.heldOff(wf, now) {
			mu.Lock()
			total.Waiting += len(tasks)
			mu.Unlock()
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return total, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var st Stats
			for _, t := range tasks {
				if ctx.Err() != nil {
					break
				}
				st = st.add(t(ctx))
			}
			s.settle(wf, st.Errors > 0 || st.Unknown > 0, s.now())
			mu.Lock()
			total = total.add(st)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, nil
}

// waitingStates are the port states in which a party the simulator plays is expected to act.
func (s *Simulator) waitingStates() []porting.State {
	var out []porting.State
	if s.Config.SubmitLOAs {
		out = append(out, porting.StateAwaitingLOA, porting.StateLOARejected)
	}
	if s.Config.ApproveCosts {
		out = append(out, porting.StateAwaitingCostApproval)
	}
	if s.Config.PortOuts {
		out = append(out, porting.StateAwaitingWinningCarrier, porting.StateRejectedMismatch)
	}
	return out
}

// status reads a port's status; ok is false when there is nothing to do now: a workflow this
// Temporal does not know (Unknown: an outbox row of another environment sharing the database, left
// alone) or a transient failure (Errors); both are logged, and the port is held off for a while.
func (s *Simulator) status(ctx context.Context, wf, what string) (porting.Status, Stats, bool) {
	cctx, cancel := context.WithTimeout(ctx, s.Config.CallTimeout)
	defer cancel()
	st, err := s.Temporal.Status(cctx, wf)
	switch {
	case err == nil:
		return st, Stats{}, true
	case IsRefused(err):
		s.Log.Info(what+" of a workflow this Temporal does not know: left alone", "workflow", wf, "reason", err.Error())
		return st, Stats{Unknown: 1}, false
	}
	s.Log.Warn("status query failed; retrying later", "workflow", wf, "error", err.Error())
	return st, Stats{Errors: 1}, false
}

// update sends an update and logs its outcome: one line per action.
func (s *Simulator) update(ctx context.Context, wf, name, action string, arg any, attrs ...any) (Stats, bool) {
	cctx, cancel := context.WithTimeout(ctx, s.Config.CallTimeout)
	defer cancel()
	result, err := s.Temporal.Update(cctx, wf, name, arg)
	attrs = append([]any{"workflow", wf}, attrs...)
	switch {
	case err == nil:
		s.Log.Info(action, append(attrs, "result", result)...)
		return Stats{Answered: 1}, true
	case IsRefused(err):
		s.Log.Info(action+": refused by the workflow", append(attrs, "reason", err.Error())...)
		return Stats{Refused: 1}, true
	}
	s.Log.Warn(action+": failed; retrying later", append(attrs, "error", err.Error())...)
	return Stats{Errors: 1}, false
}

func (s *Simulator) consumeSubmission(ctx context.Context, id int64) Stats {
	if err := store.MarkCarrierSubmissionConsumed(ctx, s.DB, id); err != nil {
		s.Log.Warn("marking a carrier submission consumed failed", "submission", id, "error", err.Error())
		return Stats{Errors: 1}
	}
	return Stats{}
}

// carrierSubmission answers one row of the carrier outbox as the losing carrier.
func (s *Simulator) carrierSubmission(ctx context.Context, sub store.CarrierSubmission) Stats {
	if s.now().Before(sub.CreatedAt.Add(s.Config.AcceptAfter)) {
		return Stats{Waiting: 1}
	}
	st, stats, ok := s.status(ctx, sub.WorkflowID, "carrier submission")
	if !ok {
		return stats
	}
	g := findGroup(st, sub.Group)
	answer, note := CarrierAnswer(s.Config, sub, g, st, s.now())
	if answer == nil {
		s.Log.Info("carrier submission needs no answer: consumed", "workflow", sub.WorkflowID, "group", sub.Group,
			"kind", sub.Kind, "loa_version", sub.LOAVersion, "why", note)
		return Stats{Stale: 1}.add(s.consumeSubmission(ctx, sub.ID))
	}
	attrs := []any{"group", sub.Group, "loa_version", sub.LOAVersion}
	switch {
	case sub.Kind == store.SubmissionCancel:
		attrs = append(attrs, "answer", "cancellation confirmed")
	case answer.Accepted:
		attrs = append(attrs, "answer", "accepted", "port_date", answer.PortDate.Format(time.RFC3339))
	default:
		attrs = append(attrs, "answer", "rejected", "reason_code", answer.ReasonCode)
	}
	stats, done := s.update(ctx, sub.WorkflowID, porting.SignalCarrierResponse, "carrier-response", *answer, attrs...)
	if done {
		stats = stats.add(s.consumeSubmission(ctx, sub.ID))
	}
	return stats
}

// CarrierAnswer is the carrier's answer to a submission given the port's status, or nil with the
// reason when the port no longer waits for one: a port request is answered only while its group
// awaits the carrier with that LOA version (rejected while version <= RejectFirst, else accepted
// with a port date PortIn ahead, in the port's time zone); a cancellation is confirmed only while
// the group waits for that confirmation (cancel_requested).
func CarrierAnswer(cfg Config, sub store.CarrierSubmission, g *porting.GroupStatus, st porting.Status, now time.Time) (*porting.CarrierResponse, string) {
	if g == nil {
		return nil, fmt.Sprintf("%s has no group %q", sub.WorkflowID, sub.Group)
	}
	switch sub.Kind {
	case store.SubmissionCancel:
		if g.State != porting.StateCancelRequested {
			return nil, fmt.Sprintf("group is %s: the carrier is only told of the cancellation", g.State)
		}
		return &porting.CarrierResponse{Group: sub.Group, Accepted: true}, ""
	case store.SubmissionPortRequest:
		if g.State != porting.StateAwaitingCarrier {
			return nil, fmt.Sprintf("group is %s, not awaiting the carrier", g.State)
		}
		if g.LOAVersion != sub.LOAVersion {
			return nil, fmt.Sprintf("the carrier now holds LOA v%d, not v%d", g.LOAVersion, sub.LOAVersion)
		}
		if sub.LOAVersion <= cfg.RejectFirst {
			return &porting.CarrierResponse{Group: sub.Group, Accepted: false, ReasonCode: cfg.RejectReasonCode,
				Reason: fmt.Sprintf("%s (LOA v%d)", cfg.RejectReason, sub.LOAVersion)}, ""
		}
		date := portTime(now, cfg.PortIn, st.TimeZone)
		return &porting.CarrierResponse{Group: sub.Group, Accepted: true, PortDate: &date}, ""
	}
	return nil, fmt.Sprintf("unknown submission kind %q", sub.Kind)
}

// portTime is now+ahead, to the second, in the port's time zone (so the JSON carries its offset).
func portTime(now time.Time, ahead time.Duration, tz string) time.Time {
	t := now.Add(ahead).Truncate(time.Second)
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return t.In(loc)
		}
	}
	return t.UTC()
}

func findGroup(st porting.Status, name string) *porting.GroupStatus {
	for i := range st.Groups {
		if st.Groups[i].Group == name {
			return &st.Groups[i]
		}
	}
	return nil
}

// portabilityCheck answers one row of the partner carriers' outbox.
func (s *Simulator) portabilityCheck(ctx context.Context, c store.PortabilityCheck) Stats {
	if s.now().Before(c.CreatedAt.Add(s.Config.PortabilityAfter)) {
		return Stats{Waiting: 1}
	}
	consume := func(st Stats) Stats {
		if err := store.MarkPortabilityCheckConsumed(ctx, s.DB, c.ID); err != nil {
			s.Log.Warn("marking a portability check consumed failed", "check", c.ID, "error", err.Error())
			return st.add(Stats{Errors: 1})
		}
		return st
	}
	st, stats, ok := s.status(ctx, c.WorkflowID, "portability check")
	if !ok {
		return stats
	}
	if st.State != porting.StateAwaitingPortability {
		s.Log.Info("portability check needs no answer: consumed", "workflow", c.WorkflowID, "check", c.ID,
			"why", fmt.Sprintf("request is %s, not awaiting portability", st.State))
		return consume(Stats{Stale: 1})
	}
	res := porting.PortabilityResult{Portable: true, Cost: s.Config.Cost}
	stats, done := s.update(ctx, c.WorkflowID, porting.SignalPortabilityResult, "portability-result", res,
		"country", c.Country, "numbers", len(c.Numbers), "portable", true, "cost", costString(s.Config.Cost))
	if done {
		stats = consume(stats)
	}
	return stats
}

// waitingPort acts for the customer or the winning carrier on a port that waits for them.
func (s *Simulator) waitingPort(ctx context.Context, wf string) Stats {
	st, stats, ok := s.status(ctx, wf, "waiting port")
	if !ok {
		return Stats{Errors: stats.Errors} // gone meanwhile: nothing to do
	}
	since := lastChange(st)
	switch st.Kind {
	case porting.KindPortIn, porting.KindInternationalPortIn:
		if st.State == porting.StateAwaitingCostApproval && s.Config.ApproveCosts {
			if at := since.Add(s.Config.CustomerAfter); s.now().Before(at) {
				return s.notDue(wf, at)
			}
			st, _ := s.update(ctx, wf, porting.SignalApproveCost, "approve-cost",
				porting.ApproveCost{Approved: true, By: "customer (simulated)"}, "approved", true)
			return st
		}
		if !s.Config.SubmitLOAs {
			return Stats{}
		}
		var out Stats
		for _, g := range st.Groups {
			if g.State != porting.StateAwaitingLOA && g.State != porting.StateLOARejected {
				continue
			}
			if at := since.Add(s.Config.CustomerAfter); s.now().Before(at) {
				out = out.add(s.notDue(wf, at))
				continue
			}
			loa, err := s.customerLOA(ctx, wf, g)
			if err != nil {
				s.Log.Warn("preparing an LOA failed; retrying next pass", "workflow", wf, "group", g.Group, "error", err.Error())
				out = out.add(Stats{Errors: 1})
				continue
			}
			r, _ := s.update(ctx, wf, porting.SignalSubmitLOA, "submit-loa", porting.SubmitLOA{Group: g.Group, LOA: loa},
				"group", g.Group, "loa_version", g.LOAVersion+1, "document_ref", loa.DocumentRef)
			out = out.add(r)
		}
		return out
	case porting.KindPortOut:
		if !s.Config.PortOuts || (st.State != porting.StateAwaitingWinningCarrier && st.State != porting.StateRejectedMismatch) {
			return Stats{}
		}
		if at := since.Add(s.Config.AcceptAfter); s.now().Before(at) {
			return s.notDue(wf, at)
		}
		req, wrong, err := s.winningCarrierRequest(ctx, wf, st)
		if err != nil {
			s.Log.Warn("preparing the winning carrier's request failed; retrying next pass", "workflow", wf, "error", err.Error())
			return Stats{Errors: 1}
		}
		action := "winning-carrier-request"
		if wrong {
			action += " (owner_name misspelled on purpose)"
		}
		r, _ := s.update(ctx, wf, porting.SignalWinningCarrierRequest, action, req,
			"carrier", req.Carrier, "owner_name", req.OwnerName, "requested_at", req.RequestedAt.Format(time.RFC3339))
		return r
	}
	return Stats{}
}

// lastChange is when the port last changed (its latest history entry).
func lastChange(st porting.Status) time.Time {
	var t time.Time
	for _, h := range st.History {
		if h.At.After(t) {
			t = h.At
		}
	}
	return t
}

// recorded reads the port request as recorded and its instance's ownership records.
func (s *Simulator) recorded(ctx context.Context, wf string) (store.PortRequestRecord, store.Instance, error) {
	rec, err := store.GetPortRequest(ctx, s.DB, wf)
	if err != nil {
		return rec, store.Instance{}, err
	}
	inst, err := store.GetInstance(ctx, s.DB, rec.InstanceARN)
	return rec, inst, err
}

// customerLOA is a plausible LOA for a group, as the customer would sign it: the authorized contact
// of the request, the instance's ownership address. (International requests carry the account
// number and PIN themselves; the workflow fills them in.)
func (s *Simulator) customerLOA(ctx context.Context, wf string, g porting.GroupStatus) (porting.LOA, error) {
	rec, inst, err := s.recorded(ctx, wf)
	if err != nil {
		return porting.LOA{}, err
	}
	var req struct {
		AuthorizedContact porting.Contact `json:"authorized_contact"`
	}
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return porting.LOA{}, fmt.Errorf("recorded request of %s: %w", wf, err)
	}
	return CustomerLOA(wf, g, req.AuthorizedContact.Name, inst, s.now()), nil
}

// CustomerLOA builds the LOA the simulated customer signs for the next version of group g.
func CustomerLOA(wf string, g porting.GroupStatus, authorizedName string, inst store.Instance, now time.Time) porting.LOA {
	if strings.TrimSpace(authorizedName) == "" {
		authorizedName = inst.OwnerName
	}
	if strings.TrimSpace(authorizedName) == "" {
		authorizedName = "Authorized Signatory"
	}
	address := inst.Address
	if strings.TrimSpace(address) == "" {
		address = "1 Main St, Springfield"
	}
	version := g.LOAVersion + 1
	slug := strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(g.Group))
	return porting.LOA{
		AuthorizedName: authorizedName,
		Company:        inst.OwnerName,
		Address:        address,
		SignedAt:       now.UTC().Truncate(time.Second),
		DocumentRef:    fmt.Sprintf("s3://loas/%s/%s-v%d.pdf", wf, slug, version),
	}
}

// winningCarrierRequest builds the winning carrier's request from the recorded port-out and the
// instance's ownership records; wrong is true when it misspells the owner's name on purpose.
func (s *Simulator) winningCarrierRequest(ctx context.Context, wf string, st porting.Status) (porting.WinningCarrierRequest, bool, error) {
	rec, inst, err := s.recorded(ctx, wf)
	if err != nil {
		return porting.WinningCarrierRequest{}, false, err
	}
	var req porting.PortOutRequest
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return porting.WinningCarrierRequest{}, false, fmt.Errorf("recorded request of %s: %w", wf, err)
	}
	received := 0
	for _, g := range st.Groups {
		received += g.LOAVersion // a port-out's one group counts the requests received
	}
	return WinningCarrierRequest(s.Config, wf, req, inst, received, st.TimeZone, s.now())
}

// WinningCarrierRequest is the winning carrier's request number received+1 for a port-out: the
// ownership details as on record (the first one with the owner's name misspelled when
// MismatchFirst), every number, the release PortIn ahead.
func WinningCarrierRequest(cfg Config, wf string, req porting.PortOutRequest, inst store.Instance, received int, tz string, now time.Time) (porting.WinningCarrierRequest, bool, error) {
	if inst.OwnerName == "" || inst.Address == "" || inst.BillingContact == "" {
		return porting.WinningCarrierRequest{}, false, fmt.Errorf("instance %s has no complete ownership records (owner name, address, billing contact): "+
			"register them with `starter instance add --arn %s --owner-name … --address … --billing-contact …`", inst.ARN, inst.ARN)
	}
	wrong := cfg.MismatchFirst && received == 0
	owner := inst.OwnerName
	if wrong {
		owner = Misspell(owner)
	}
	return porting.WinningCarrierRequest{
		Carrier:        req.WinningCarrier,
		OwnerName:      owner,
		Address:        inst.Address,
		BillingContact: inst.BillingContact,
		Numbers:        slices.Clone(req.Numbers),
		LOARef:         fmt.Sprintf("s3://%s/port-out/%s-%d.pdf", slugify(req.WinningCarrier), wf, received+1),
		RequestedAt:    portTime(now, cfg.PortIn, tz),
	}, wrong, nil
}

// Misspell spells a name slightly differently, as a carrier's clerk might: two letters of its first
// word of three letters or more swapped ("Ada Lovelace" → "Ada Lvoelace"), or an extra letter.
func Misspell(name string) string {
	words := strings.Split(name, " ")
	for i, w := range words {
		r := []rune(w)
		if len(r) >= 3 && r[1] != r[2] {
			r[1], r[2] = r[2], r[1]
			words[i] = string(r)
			return strings.Join(words, " ")
		}
	}
	return name + "e"
}

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// ParseCost reads a quoted cost like "49.00 GBP" (or "GBP 49.00"); empty means none.
func ParseCost(s string) (*porting.Cost, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	parts := strings.Fields(s)
	if len(parts) != 2 {
		return nil, errors.New(`must be an amount and an ISO 4217 currency, e.g. "49.00 GBP"`)
	}
	amount, currency := parts[0], parts[1]
	if _, err := porting.ParseDecimal(amount); err != nil {
		amount, currency = parts[1], parts[0]
	}
	v, err := porting.ParseDecimal(amount) // exact: the quote is passed on as written, never through a float
	if err != nil || v.Sign() < 0 {
		return nil, fmt.Errorf(`amount %q is not a non-negative decimal (e.g. "49.00 GBP")`, parts[0])
	}
	c := &porting.Cost{Amount: v, Currency: strings.ToUpper(currency)}
	if err := porting.ValidatePortabilityResult(porting.PortabilityResult{Cost: c}); err != nil {
		return nil, err
	}
	return c, nil
}

func costString(c *porting.Cost) string {
	if c == nil {
		return "none"
	}
	return c.String()
}
