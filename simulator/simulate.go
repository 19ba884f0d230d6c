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
// left. It reads Postgres through store and talks to the workflows through the Temporal client only
// (never through activities or workflows).
package simulator

import (
	"context"
	"fmt"
	"log/slog"
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
	// RejectNumberFirst: when the carrier accepts a group of two numbers or more that is not itself a
	// split and was never split, it rejects the group's last number alone (NumberRejectionCode): the
	// workflow splits it off as "<group>#2", which needs its own LOA and is then accepted whole.
	RejectNumberFirst bool
	// FillCSR: the losing carrier has a customer service record of every number of a port-in waiting
	// for an LOA, with the details the simulated customer's LOA carries (CustomerLOA); a record that
	// exists is left alone.
	FillCSR bool
	// CheckCSR: the carrier compares the LOA it receives (name, company, address, billing telephone
	// number: the outbox payload has no full account number) with its customer service records of
	// the group's numbers and rejects the numbers whose record differs (CSR_MISMATCH, the fields
	// named): the whole group when that is all of them, else those numbers alone.
	CheckCSR bool
	// RefuseSupps: the carrier refuses every other port date asked for (a supp), which leaves the
	// old date; else it accepts the date asked for, AcceptAfter after the supp.
	RefuseSupps bool
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
	// PortOutPasscode: the instances' port-out passcode, which the winning carrier got from the owner
	// and sends with every request (DESIGN §8 "Port-out protection"); never logged.
	PortOutPasscode string

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
		RejectReasonCode: "LOA_NAME_MISMATCH",
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
	s.lookAgainAt(wf, t)
	return Stats{Waiting: 1}
}

// lookAgainAt records that a pass need not query a waiting port again before t.
func (s *Simulator) lookAgainAt(wf string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dueAt == nil {
		s.dueAt = map[string]time.Time{}
	}
	s.dueAt[wf] = t
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
	s.Log.Info("simulator started", "accept_after", s.Config.AcceptAfter, "reject_first", s.Config.RejectFirst, "reject_number_first", s.Config.RejectNumberFirst,
		"refuse_supps", s.Config.RefuseSupps, "fill_csr", s.Config.FillCSR, "check_csr", s.Config.CheckCSR,
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
	if s.Config.SubmitLOAs || s.Config.FillCSR {
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
