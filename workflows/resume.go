package workflows

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/porting"
)

// Continue-as-new. A port can run for months (rejection rounds, reschedules, a chatty carrier), and
// every signal, update, activity and timer adds events to its history. Once the server suggests it,
// or the history passes continueAsNewEvents, a port continues as a new run of the same workflow ID
// at a safe point: every group waits for a deadline with nothing to act on, no update is in flight,
// no cancellation is under way. The new run gets the same request with the port's state in
// `resume`, and goes on where the old run was (deadlines, reminders and chases included).
const continueAsNewEvents = 4000

// shouldContinueAsNew reports whether the history is long enough to start a new run.
func shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= continueAsNewEvents
}

// resumed reads the carry-over of a run started by continue-as-new (nil for a first run: a
// client's `resume` is refused by validation and never honoured).
func resumed[T any](ctx workflow.Context, raw json.RawMessage) (*T, error) {
	if len(raw) == 0 || workflow.GetInfo(ctx).ContinuedExecutionRunID == "" {
		return nil, nil
	}
	var out T
	// Pure decoding of the workflow's own input.
	//workflowcheck:ignore
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// portCarryOver is a port-in's state at a safe point.
type portCarryOver struct {
	Version        workflow.Version       `json:"version"`
	Request        porting.PortInRequest  `json:"request"`
	Country        string                 `json:"country"`
	TimeZone       string                 `json:"time_zone"`
	State          porting.State          `json:"state"`
	Numbers        []numberCarryOver      `json:"numbers"`
	Groups         []groupCarryOver       `json:"groups"`
	History        []porting.HistoryEntry `json:"history"`
	LOADefaults    porting.LOA            `json:"loa_defaults"`
	SearchPortDate time.Time              `json:"search_port_date"`
	IgnoredSignals int                    `json:"ignored_signals"`
	Runs           int                    `json:"runs"`
	// Calendar is the recorded holidays (versionActionCost).
	Calendar *porting.CalendarRecord `json:"calendar,omitempty"`
	// OrderSeq: an order's reports go on numbering where the run before stopped (the request keeps
	// only a report newer than the last it has).
	OrderSeq int `json:"order_seq,omitempty"`
}

type numberCarryOver struct {
	Number     porting.PortNumber `json:"number"`
	State      porting.State      `json:"state"`
	Reason     string             `json:"reason,omitempty"`
	Group      string             `json:"group,omitempty"`
	ReasonCode porting.ReasonCode `json:"reason_code,omitempty"`
}

type groupCarryOver struct {
	Name            string               `json:"name"`
	Carrier         string               `json:"carrier"`
	NumberType      string               `json:"number_type"`
	Numbers         []porting.PortNumber `json:"numbers"`
	State           porting.State        `json:"state"`
	LOAVersion      int                  `json:"loa_version"`
	Submitted       bool                 `json:"submitted"`
	CancelRounds    int                  `json:"cancel_rounds"`
	SubmittedAt     time.Time            `json:"submitted_at"`
	Rounds          int                  `json:"rounds"`
	LastReason      string               `json:"last_reason,omitempty"`
	LastReasonCode  porting.ReasonCode   `json:"last_reason_code,omitempty"`
	CustomerAction  string               `json:"customer_action,omitempty"`
	AnswerSeq       int                  `json:"answer_seq"`
	PortDate        *time.Time           `json:"port_date,omitempty"`
	PortDateVersion int                  `json:"port_date_version"`
	ProvisionRounds int                  `json:"provision_rounds"`
	OnInstance      bool                 `json:"on_instance"`
	CustomerClock   time.Time            `json:"customer_clock"`
	LOAReminderAt   time.Time            `json:"loa_reminder_at"`
	LOAReminders    int                  `json:"loa_reminders"`
	Chase           chaseCarryOver       `json:"chase"`
	// Number-level (versionNumberLevel).
	SplitFrom     string         `json:"split_from,omitempty"`
	CSRStops      int            `json:"csr_stops,omitempty"`
	Supp          *suppCarryOver `json:"supp,omitempty"`
	Supps         int            `json:"supps,omitempty"`
	RemovalRounds int            `json:"removal_rounds,omitempty"`
}

// suppCarryOver is a port date asked of the carrier and not yet answered.
type suppCarryOver struct {
	Date  time.Time `json:"date"`
	By    string    `json:"by"`
	Round int       `json:"round"`
}

type chaseCarryOver struct {
	Started  bool      `json:"started"`
	N        int       `json:"n"`
	Done     int       `json:"done"`
	At       time.Time `json:"at"`
	Expiry   time.Time `json:"expiry"`
	Waiting  bool      `json:"waiting"`
	Expiring bool      `json:"expiring"`
}

// atSafePoint reports whether the port can continue as new now: the groups exist and every open one
// is parked, nothing waits to be applied, no cancellation is under way, no update is in flight.
func (w *port) atSafePoint(ctx workflow.Context) bool {
	if w.v < versionFailurePaths || len(w.groups) == 0 || w.cancel != nil {
		return false
	}
	for _, g := range w.groups {
		if g.done || g.state.IsEnd() {
			continue
		}
		if !g.parked || g.hasAnswer() || g.pendingLOA != nil || g.cancelRequested || g.hasChange() {
			return false
		}
	}
	return workflow.AllHandlersFinished(ctx)
}

func (w *port) carryOver(runs int) portCarryOver {
	out := portCarryOver{
		Version: w.v, Request: w.req, Country: w.clock.cal.Country(), TimeZone: w.tz, State: w.state,
		History: w.history, LOADefaults: w.loaDefaults, SearchPortDate: w.searchPortDate,
		IgnoredSignals: w.ignoredSignals, Runs: runs, Calendar: w.clock.rec,
	}
	out.Request.Resume = nil
	if w.order != nil {
		out.OrderSeq = w.order.seq
	}
	for _, n := range w.numbers {
		out.Numbers = append(out.Numbers, numberCarryOver{Number: n.PortNumber, State: n.state, Reason: n.reason, Group: n.group, ReasonCode: n.reasonCode})
	}
	for _, g := range w.groups {
		c := g.chase
		code, action := g.lastReasonCode()
		var supp *suppCarryOver
		if g.supp != nil {
			supp = &suppCarryOver{Date: g.supp.date, By: g.supp.by, Round: g.supp.round}
		}
		out.Groups = append(out.Groups, groupCarryOver{
			SplitFrom: g.splitFrom, CSRStops: g.csrStops, Supp: supp, Supps: g.supps, RemovalRounds: g.removalRounds,
			Name: g.name, Carrier: g.carrier, NumberType: g.numberType, Numbers: g.numbers, State: g.state,
			LOAVersion: g.loaVersion, Submitted: g.submitted, CancelRounds: g.cancelRounds, SubmittedAt: g.submittedAt,
			Rounds: g.rounds, LastReason: g.lastReason, AnswerSeq: g.answerSeq, PortDate: g.portDate,
			PortDateVersion: g.portDateVersion, ProvisionRounds: g.provisionRounds, OnInstance: g.onInstance,
			CustomerClock: g.customerClock, LOAReminderAt: g.loaReminderAt, LOAReminders: g.loaReminders,
			LastReasonCode: code, CustomerAction: action,
			Chase: chaseCarryOver{Started: c.started, N: c.n, Done: c.done, At: c.at, Expiry: c.expiry, Waiting: c.waiting, Expiring: c.expiring},
		})
	}
	return out
}

// restore takes the carry-over of the run before.
func (w *port) restore(c *portCarryOver) error {
	w.v, w.req, w.state, w.history = c.Version, c.Request, c.State, c.History
	w.loaDefaults, w.searchPortDate, w.ignoredSignals, w.runs = c.LOADefaults, c.SearchPortDate, c.IgnoredSignals, c.Runs
	if w.order != nil {
		w.order.seq = c.OrderSeq
	}
	w.deadlines = w.req.Deadlines.WithDefaults()
	if err := w.useCalendar(c.Country, c.TimeZone); err != nil {
		return err
	}
	w.clock.rec = c.Calendar
	w.shown.portDate = c.SearchPortDate // the new run starts with the last run's search attributes
	w.validated = true
	w.validation = porting.ValidationOutcome{Accepted: true, State: porting.StateValidating}
	for _, n := range c.Numbers {
		w.numbers = append(w.numbers, &numberState{PortNumber: n.Number, state: n.State, reason: n.Reason, group: n.Group, reasonCode: n.ReasonCode})
	}
	for _, s := range c.Groups {
		ch := s.Chase
		var supp *suppRequest
		if s.Supp != nil {
			supp = &suppRequest{date: s.Supp.Date, by: s.Supp.By, round: s.Supp.Round}
			supp.done = true // its update answered in the run before
		}
		w.groups = append(w.groups, &group{
			splitFrom: s.SplitFrom, csrStops: s.CSRStops, supp: supp, supps: s.Supps, removalRounds: s.RemovalRounds,
			name: s.Name, carrier: s.Carrier, numberType: s.NumberType, numbers: s.Numbers, state: s.State,
			loaVersion: s.LOAVersion, submitted: s.Submitted, cancelRounds: s.CancelRounds, submittedAt: s.SubmittedAt,
			rounds: s.Rounds, lastReason: s.LastReason, answerSeq: s.AnswerSeq, portDate: s.PortDate,
			portDateVersion: s.PortDateVersion, provisionRounds: s.ProvisionRounds, onInstance: s.OnInstance,
			customerClock: s.CustomerClock, loaReminderAt: s.LOAReminderAt, loaReminders: s.LOAReminders,
			coded:   codedReason{code: s.LastReasonCode, action: s.CustomerAction, of: s.LastReason},
			chase:   chase{started: ch.Started, n: ch.N, done: ch.Done, at: ch.At, expiry: ch.Expiry, waiting: ch.Waiting, expiring: ch.Expiring},
			resumed: true,
			done:    s.State.IsEnd(),
		})
	}
	return nil
}

// portOutCarryOver is a port-out's state at a safe point.
type portOutCarryOver struct {
	Version        workflow.Version       `json:"version"`
	Request        porting.PortOutRequest `json:"request"`
	Country        string                 `json:"country"`
	TimeZone       string                 `json:"time_zone"`
	State          porting.State          `json:"state"`
	History        []porting.HistoryEntry `json:"history"`
	Received       int                    `json:"received"`
	Rounds         int                    `json:"rounds"`
	LastReason     string                 `json:"last_reason,omitempty"`
	LastReasonCode porting.ReasonCode     `json:"last_reason_code,omitempty"`
	CustomerAction string                 `json:"customer_action,omitempty"`
	CarrierClock   time.Time              `json:"carrier_clock"`
	ReleaseAt      *time.Time             `json:"release_at,omitempty"`
	SearchPortDate time.Time              `json:"search_port_date"`
	IgnoredSignals int                    `json:"ignored_signals"`
	Runs           int                    `json:"runs"`
	Removed        []removedNumber        `json:"removed,omitempty"`
	RemovalRounds  int                    `json:"removal_rounds,omitempty"`
	// Protection (versionPortOutProtection).
	ToldRequested  bool              `json:"told_requested,omitempty"`
	WrongPasscodes []passcodeAttempt `json:"wrong_passcodes,omitempty"`
	FrozenFrom     porting.State     `json:"frozen_from,omitempty"`
	FrozenAt       time.Time         `json:"frozen_at,omitempty"`
	Freezes        int               `json:"freezes,omitempty"`
}

// atSafePoint: the port-out waits for the winning carrier or for the release time with nothing
// queued, no cancellation and no update in flight.
func (w *portOut) atSafePoint(ctx workflow.Context) bool {
	if w.v < versionFailurePaths || len(w.queue) > 0 || w.cancel != nil || len(w.removals) > 0 {
		return false
	}
	switch w.state {
	case porting.StateAwaitingWinningCarrier, porting.StateRejectedMismatch, porting.StateApproved:
		return workflow.AllHandlersFinished(ctx)
	case porting.StateFrozen:
		return w.pendingUnfreeze == nil && workflow.AllHandlersFinished(ctx)
	}
	return false
}

func (w *portOut) carryOver() portOutCarryOver {
	out := portOutCarryOver{
		Version: w.v, Request: w.req, Country: w.clock.cal.Country(), TimeZone: w.tz, State: w.state, History: w.history,
		Received: w.received, Rounds: w.rounds, LastReason: w.lastReason, CarrierClock: w.carrierClock,
		LastReasonCode: w.lastReasonCode, CustomerAction: w.customerAction,
		ReleaseAt: w.releaseAt, SearchPortDate: w.searchPortDate, IgnoredSignals: w.ignoredSignals, Runs: w.runs + 1,
		Removed: w.removed, RemovalRounds: w.removalRounds,
		ToldRequested: w.toldRequested, WrongPasscodes: w.wrongPasscodes, FrozenFrom: w.frozenFrom, FrozenAt: w.frozenAt, Freezes: w.freezes,
	}
	out.Request.Resume = nil
	return out
}

func (w *portOut) restore(c *portOutCarryOver) error {
	cal, err := porting.NewBusinessCalendar(c.Country, c.TimeZone)
	if err != nil {
		return err
	}
	w.v, w.req, w.state, w.history = c.Version, c.Request, c.State, c.History
	w.deadlines = w.req.Deadlines.WithDefaults()
	w.tz, w.clock = c.TimeZone, businessClock{cal: cal}
	w.received, w.rounds, w.lastReason, w.carrierClock = c.Received, c.Rounds, c.LastReason, c.CarrierClock
	w.lastReasonCode, w.customerAction = c.LastReasonCode, c.CustomerAction
	w.releaseAt, w.searchPortDate, w.ignoredSignals, w.runs = c.ReleaseAt, c.SearchPortDate, c.IgnoredSignals, c.Runs
	w.removed, w.removalRounds = c.Removed, c.RemovalRounds
	w.toldRequested, w.wrongPasscodes, w.frozenFrom, w.frozenAt, w.freezes = c.ToldRequested, c.WrongPasscodes, c.FrozenFrom, c.FrozenAt, c.Freezes
	w.validated = true
	w.validation = porting.ValidationOutcome{Accepted: true, State: porting.StateAwaitingWinningCarrier}
	return nil
}

// continueAsNew ends this run and starts the next with the carry-over.
func continueAsNew(ctx workflow.Context, workflowType string, input any) error {
	return workflow.NewContinueAsNewError(ctx, workflowType, input)
}
