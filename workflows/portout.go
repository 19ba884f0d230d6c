package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/metrics"
	"github.com/contactcenter/numberporting/porting"
)

// PortOut moves numbers away from a customer's instance to a winning carrier (DESIGN §1
// "Port-out"): the request is validated and its numbers locked; the customer is told to start with
// the winning carrier; the carrier's request (winning-carrier-request) is verified against the
// instance's ownership records, exactly, any number of rounds; once approved, the numbers are
// released from the instance at the agreed date/time (a later matching request reschedules) and the
// request completes. Without a carrier request for 30 business days it expires. Numbers are
// unlocked whenever the request ends.
func PortOut(ctx workflow.Context, req porting.PortOutRequest) (porting.PortResult, error) {
	v := portVersion(ctx)
	carry, err := resumed[portOutCarryOver](ctx, req.Resume)
	if err != nil {
		return porting.PortResult{}, err
	}
	if carry != nil {
		req.Resume = nil // the carry-over is this run's own state from here
	}
	w := &portOut{
		resumeFrom: carry,
		v:          v,
		req:        req,
		workflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		deadlines:  req.Deadlines.WithDefaults(),
		state:      porting.StateValidating,
		outcomes:   map[int]verdict{},
	}
	// All work runs on a disconnected context: a cancellation of the workflow itself (Temporal UI,
	// `temporal workflow cancel`) becomes a cancel request like the `cancel` signal, refused in the
	// same way once the numbers are being released.
	work, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(work, func(c workflow.Context) {
		workflow.NewSelector(c).AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
			if w.cancel == nil && w.cancelRefusal() == "" {
				w.acceptCancel(c, porting.Cancel{Reason: "the workflow was cancelled in Temporal", By: "temporal"})
			} else if why := w.cancelRefusal(); why != "" {
				w.note(c, w.state, "ignored the cancellation of the workflow in Temporal: "+why)
			}
		}).Select(c)
	})
	keepCurrentDetails(work, w.detailsKey, w.details)
	if err := w.setup(work); err != nil {
		return porting.PortResult{}, err
	}
	return w.run(work)
}

// portOut is the state of one PortOut workflow. Handlers and the main coroutine share it; the
// workflow runs one coroutine at a time, so no locking is needed.
type portOut struct {
	v          workflow.Version // the command sequence this port runs (versions.go)
	req        porting.PortOutRequest
	workflowID string
	deadlines  porting.PortOutDeadlines
	clock      businessClock
	tz         string

	state   porting.State
	reason  string
	history []porting.HistoryEntry

	validated  bool
	validation porting.ValidationOutcome

	cancel *porting.Cancel // set once when a cancellation is accepted

	// Winning-carrier requests: numbered 1, 2, … as they are taken, verified one at a time in arrival
	// order (two delivered in one workflow task are both verified, never dropped).
	received       int
	queue          []*carrierRequest
	ignoredSignals int

	// remove-numbers (versionNumberLevel, portout_remove.go): waiting removals, the numbers removed.
	removals      []*portOutRemoval
	removed       []removedNumber
	removalRounds int

	// Protection (versionPortOutProtection, portout_protect.go).
	toldRequested   bool              // the customer was told of the first winning-carrier request
	wrongPasscodes  []passcodeAttempt // since the last unfreeze
	frozenFrom      porting.State     // the state the port-out was in when it froze
	frozenAt        time.Time
	freezes         int
	pendingUnfreeze *porting.Unfreeze

	// Continue-as-new (resume.go): the carry-over this run starts from and how many runs came before.
	resumeFrom *portOutCarryOver
	runs       int
	outcomes   map[int]verdict // by request number, for the update that delivered it
	rounds     int             // rejected requests
	// lastReason is the last rejection: the mismatched field names only.
	lastReason string
	// lastReasonCode is lastReason's catalogue code (porting.OwnershipMismatchReason) and
	// customerAction what the winning carrier must correct; status only, cleared on a match.
	lastReasonCode porting.ReasonCode
	customerAction string

	carrierClock   time.Time  // when the carrier was last waited for: the expiry counts from here
	releaseAt      *time.Time // the approved release time
	releasingSince time.Time
	releasedAt     time.Time

	nextDeadline     time.Time
	nextDeadlineKind string
	searchPortDate   time.Time
}

type carrierRequest struct {
	seq int
	req porting.WinningCarrierRequest
}

// verdict is the outcome of one winning-carrier request, for the update that delivered it.
type verdict struct {
	ok  bool
	msg string
}

func (w *portOut) run(ctx workflow.Context) (porting.PortResult, error) {
	if w.resumeFrom != nil {
		if err := w.restore(w.resumeFrom); err != nil {
			return porting.PortResult{}, err
		}
		w.note(ctx, w.state, fmt.Sprintf("continued as run %d of this port-out (a new history; the state carried over)", w.runs+1))
		return w.loop(ctx)
	}
	metrics.PortStarted(ctx, porting.KindPortOut)
	w.note(ctx, porting.StateValidating, fmt.Sprintf("port-out of %d number(s) from %s to %s requested",
		len(w.req.Numbers), w.req.InstanceARN, w.req.WinningCarrier))
	w.upsertIdentity(ctx)

	err := w.validate(ctx)
	w.validated = true
	if err != nil {
		w.validation = porting.ValidationOutcome{Accepted: false, State: porting.StateFailed, Reason: err.Error()}
		return w.finish(ctx, porting.StateFailed, err.Error())
	}
	w.validation = porting.ValidationOutcome{Accepted: true, State: porting.StateAwaitingWinningCarrier}
	if w.cancel != nil {
		return w.finish(ctx, porting.StateCancelled, w.cancelNote())
	}

	w.carrierClock = workflow.Now(ctx)
	w.setState(ctx, porting.StateAwaitingWinningCarrier,
		fmt.Sprintf("%d number(s) locked; the customer is asked to start the port-out with %s", len(w.req.Numbers), w.req.WinningCarrier))
	w.notify(ctx, activities.Notification{
		Key: "start-with-winning-carrier", Kind: "port_out_started", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("Port-out %s: please start with %s", w.req.RequestID, w.req.WinningCarrier),
		Body: fmt.Sprintf("We received your request to port %s away to %s. Please start the port-out with %s now: "+
			"they will ask for proof of ownership and an LOA, whose details must match the instance's ownership records "+
			"(owner name, service address, billing contact) exactly. The numbers are locked against other ports meanwhile; "+
			"without a request from %s within %d business days this request expires.",
			strings.Join(w.req.Numbers, ", "), w.req.WinningCarrier, w.req.WinningCarrier, w.req.WinningCarrier,
			w.deadlines.WinningCarrierBusinessDays),
	})

	return w.loop(ctx)
}

// loop waits for the winning carrier and the release until the port-out ends, or continues as new
// at a safe point once the history is long.
func (w *portOut) loop(ctx workflow.Context) (porting.PortResult, error) {
	for {
		var (
			end  porting.State
			note string
			err  error
		)
		if w.readyToContinue(ctx) {
			// Pure encoding of the workflow's own state.
			//workflowcheck:ignore
			raw, err := json.Marshal(w.carryOver())
			if err != nil {
				return porting.PortResult{}, err
			}
			w.note(ctx, w.state, fmt.Sprintf("history of %d events: continuing as a new run", workflow.GetInfo(ctx).GetCurrentHistoryLength()))
			next := w.req
			next.Resume = raw
			return porting.PortResult{}, workflow.NewContinueAsNewError(ctx, porting.WorkflowPortOut, next)
		}
		switch w.state {
		case porting.StateAwaitingWinningCarrier, porting.StateRejectedMismatch:
			end, note, err = w.awaitCarrierRequest(ctx)
		case porting.StateApproved:
			end, note, err = w.awaitRelease(ctx)
		case porting.StateFrozen:
			end, note, err = w.awaitUnfreeze(ctx)
		default:
			err = fmt.Errorf("port-out in unexpected state %s", w.state)
		}
		if err != nil {
			w.notify(ctx, activities.Notification{
				Key: "failed", Kind: "port_failed", Recipient: activities.RecipientOperations,
				Subject: "Port-out " + w.req.RequestID + " failed", Body: err.Error(),
			})
			if w.v >= versionFailurePaths {
				w.toldOfFailure(ctx, err)
			}
			return w.finish(ctx, porting.StateFailed, err.Error())
		}
		if end != "" {
			return w.finish(ctx, end, note)
		}
	}
}

// validate runs the request's own checks, sets the calendar, then the database's (instance, numbers
// owned and active, other ports), which also records the request and locks its numbers.
func (w *portOut) validate(ctx workflow.Context) error {
	cal, err := w.validateRequest(ctx)
	if err != nil {
		return err
	}
	w.tz, w.clock = cal.Location().String(), businessClock{cal: cal}
	var res activities.RecordPortOutResult
	err = workflow.ExecuteActivity(withDBActivity(ctx, "record port-out and lock numbers"), acts.RecordPortOut,
		activities.RecordPortOutInput{WorkflowID: w.workflowID, Request: w.req}).Get(ctx, &res)
	return plainError(err)
}

// readyToContinue: a long history at a safe point (resume.go).
func (w *portOut) readyToContinue(ctx workflow.Context) bool {
	return shouldContinueAsNew(ctx) && w.atSafePoint(ctx)
}

// validateRequest checks the request and picks its business calendar. From versionFailurePaths the
// outcome (which reads the numbering plan's data) is recorded once, so a library upgrade cannot change
// it for a running port.
func (w *portOut) validateRequest(ctx workflow.Context) (*porting.BusinessCalendar, error) {
	if w.v < versionFailurePaths {
		if err := porting.ValidatePortOut(w.req); err != nil {
			return nil, err
		}
		return porting.PortOutCalendar(w.req)
	}
	var out portOutValidated
	if err := workflow.SideEffect(ctx, func(workflow.Context) interface{} {
		if err := porting.ValidatePortOut(w.req); err != nil {
			return portOutValidated{Problem: err.Error()}
		}
		// +1 numbers on their own country's calendar (US or CA); the v0 path above keeps the US one.
		cal, err := porting.PortOutCountryCalendar(w.req)
		if err != nil {
			return portOutValidated{Problem: err.Error()}
		}
		return portOutValidated{Country: cal.Country(), TimeZone: cal.Location().String()}
	}).Get(&out); err != nil {
		return nil, err
	}
	if out.Problem != "" {
		return nil, errors.New(out.Problem)
	}
	return porting.NewBusinessCalendar(out.Country, out.TimeZone)
}

// portOutValidated is the recorded outcome of a port-out's validation.
type portOutValidated struct {
	Problem  string `json:"problem,omitempty"`
	Country  string `json:"country,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
}

// awaitCarrierRequest waits for the winning carrier's request and verifies it; the request expires
// after the configured business days without one (counted from the start and from each rejection).
func (w *portOut) awaitCarrierRequest(ctx workflow.Context) (porting.State, string, error) {
	expiry := w.clock.addBusinessDays(ctx, w.carrierClock, w.deadlines.WinningCarrierBusinessDays)
	w.nextDeadline, w.nextDeadlineKind = expiry, "winning_carrier_expiry"
	got, err := awaitDeadline(ctx, porting.KindPortOut, metrics.WaitWinningCarrierRequest, expiry, "request from "+w.req.WinningCarrier+" (expiry)", func() bool {
		return len(w.queue) > 0 || w.cancel != nil || len(w.removals) > 0 || w.readyToContinue(ctx)
	})
	switch {
	case err != nil:
		return "", "", err
	case len(w.queue) == 0 && w.cancel == nil && len(w.removals) == 0 && w.readyToContinue(ctx):
		return "", "", nil // the loop continues as new
	case w.cancel != nil:
		return w.cancelled(ctx)
	case len(w.removals) > 0:
		w.applyRemovals(ctx)
		return "", "", nil
	case got:
		return "", "", w.verify(ctx)
	}
	if w.rounds > 0 {
		return porting.StateExpired, fmt.Sprintf("no corrected request from %s within %d business days of the last rejection; the numbers are unlocked and stay with the instance",
			w.req.WinningCarrier, w.deadlines.WinningCarrierBusinessDays), nil
	}
	return porting.StateExpired, fmt.Sprintf("no request from %s within %d business days; the numbers are unlocked and stay with the instance",
		w.req.WinningCarrier, w.deadlines.WinningCarrierBusinessDays), nil
}

// verify checks the pending carrier request against the ownership records. A match approves it (or,
// while approved, reschedules the release); a mismatch tells the carrier which fields differ. A
// mismatching request while approved is rejected on its own: the approved release stands.
func (w *portOut) verify(ctx workflow.Context) error {
	p := *w.queue[0]
	w.queue = w.queue[1:]
	wasApproved := w.state == porting.StateApproved
	if w.v >= versionPortOutProtection && !w.toldRequested {
		w.tellRequested(ctx, p)
	}
	w.setState(ctx, porting.StateVerifyingOwnership, fmt.Sprintf("verifying %s's request #%d (LOA %s, release requested for %s) against the ownership records",
		p.req.Carrier, p.seq, p.req.LOARef, w.local(p.req.RequestedAt)))
	var res activities.VerifyOwnershipResult
	err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("verify ownership of request #%d", p.seq)), acts.VerifyOwnership,
		activities.VerifyOwnershipInput{
			WorkflowID: w.workflowID, InstanceARN: w.req.InstanceARN, Numbers: w.req.Numbers, Round: p.seq, Claim: p.req,
		}).Get(ctx, &res)
	if err != nil {
		err = plainError(err)
		w.outcomes[p.seq] = verdict{msg: fmt.Sprintf("request #%d could not be verified: %v", p.seq, err)}
		return fmt.Errorf("ownership verification of request #%d failed: %w", p.seq, err)
	}
	if w.v >= versionPortOutProtection && res.PasscodeInvalid {
		w.passcodeRefused(ctx, p, wasApproved)
		return nil
	}
	if len(res.MissingRecords) > 0 {
		missing := strings.Join(res.MissingRecords, ", ")
		w.note(ctx, w.state, fmt.Sprintf("instance %s has no ownership record for %s: no request can match until it is registered", w.req.InstanceARN, missing))
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("missing-ownership-records/%d", p.seq), Kind: "ownership_records_missing", Recipient: activities.RecipientOperations,
			Subject: "Port-out " + w.req.RequestID + ": ownership records missing",
			Body: fmt.Sprintf("Instance %s has no %s on record, so the winning carrier's request cannot match. Register them with "+
				"`starter instance add --arn %s --owner-name … --address … --billing-contact …`.", w.req.InstanceARN, missing, w.req.InstanceARN),
		})
	}

	if !res.Matched {
		w.rounds++
		fields := strings.Join(res.Mismatched, ", ")
		w.lastReason = "mismatched: " + fields
		w.lastReasonCode = porting.OwnershipMismatchReason(res.Mismatched)
		w.customerAction = fmt.Sprintf("%s must send a corrected request whose details (%s) match the ownership records exactly; confirm them with the numbers' owner.",
			p.req.Carrier, fields)
		// The carrier learns the names of the fields that differ, never the values on record.
		w.notify(ctx, activities.Notification{
			Key: fmt.Sprintf("ownership-mismatch/%d", p.seq), Kind: "ownership_mismatch", Recipient: activities.RecipientCarrier,
			Subject: fmt.Sprintf("Port-out request #%d for %s rejected: details do not match", p.seq, strings.Join(w.req.Numbers, ", ")),
			Body: fmt.Sprintf("Your port-out request #%d (LOA %s) does not match the ownership records of the numbers exactly. "+
				"Mismatched fields: %s. Please check them with the customer and send a corrected request.", p.seq, p.req.LOARef, fields),
		})
		if wasApproved {
			w.setState(ctx, porting.StateApproved, fmt.Sprintf("%s's request #%d rejected: mismatched %s; the approved release at %s stands",
				p.req.Carrier, p.seq, fields, w.local(*w.releaseAt)))
			w.outcomes[p.seq] = verdict{msg: fmt.Sprintf("request #%d rejected: these details do not match the ownership records held for the instance: %s; "+
				"the approved release at %s stands", p.seq, fields, w.local(*w.releaseAt))}
			return nil
		}
		w.carrierClock = workflow.Now(ctx)
		w.setState(ctx, porting.StateRejectedMismatch, fmt.Sprintf("%s's request #%d rejected: mismatched %s; %s is told and may send a corrected request",
			p.req.Carrier, p.seq, fields, p.req.Carrier))
		w.outcomes[p.seq] = verdict{msg: fmt.Sprintf("request #%d rejected: these details do not match the ownership records held for the instance: %s; "+
			"send a corrected request", p.seq, fields)}
		return nil
	}

	at := p.req.RequestedAt.In(w.clock.cal.Location())
	previous := w.releaseAt
	w.releaseAt = &at
	w.lastReason, w.lastReasonCode, w.customerAction = "", "", ""
	note := fmt.Sprintf("%s's request #%d matches the ownership records; approved: release at %s", p.req.Carrier, p.seq, w.local(at))
	kind, subject := "port_out_approved", "approved"
	if previous != nil {
		note = fmt.Sprintf("%s's request #%d matches the ownership records; release moved from %s to %s", p.req.Carrier, p.seq, w.local(*previous), w.local(at))
		kind, subject = "port_out_rescheduled", "rescheduled"
	}
	w.setState(ctx, porting.StateApproved, note)
	w.upsertPortDate(ctx)
	w.outcomes[p.seq] = verdict{ok: true, msg: fmt.Sprintf("request #%d approved: the numbers are released to %s at %s", p.seq, w.req.WinningCarrier, w.local(at))}
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("approved/%d", p.seq), Kind: kind, Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("Port-out %s %s: release at %s", w.req.RequestID, subject, w.local(at)),
		Body: fmt.Sprintf("%s's port-out request matches the ownership records. %s will be released from your instance at %s "+
			"and then belong to %s; a released number cannot be claimed again.", w.req.WinningCarrier, strings.Join(w.req.Numbers, ", "), w.local(at), w.req.WinningCarrier),
	})
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("approved-carrier/%d", p.seq), Kind: kind, Recipient: activities.RecipientCarrier,
		Subject: fmt.Sprintf("Port-out request #%d %s", p.seq, subject),
		Body:    fmt.Sprintf("Your port-out request #%d (LOA %s) is approved: %s are released at %s.", p.seq, p.req.LOARef, strings.Join(w.req.Numbers, ", "), w.local(at)),
	})
	return nil
}

// awaitRelease waits durably for the approved release time, taking reschedules and cancellations,
// then releases the numbers.
func (w *portOut) awaitRelease(ctx workflow.Context) (porting.State, string, error) {
	at := *w.releaseAt
	w.nextDeadline, w.nextDeadlineKind = at, "release"
	_, err := awaitUntil(ctx, at, "release numbers to "+w.req.WinningCarrier, func() bool {
		return len(w.queue) > 0 || w.cancel != nil || len(w.removals) > 0 || w.readyToContinue(ctx)
	})
	switch {
	case err != nil:
		return "", "", err
	case len(w.queue) == 0 && w.cancel == nil && len(w.removals) == 0 && w.readyToContinue(ctx) && workflow.Now(ctx).Before(at):
		return "", "", nil // the loop continues as new
	case w.cancel != nil:
		return w.cancelled(ctx)
	case len(w.removals) > 0:
		w.applyRemovals(ctx)
		return "", "", nil
	case len(w.queue) > 0:
		return "", "", w.verify(ctx)
	}
	return w.release(ctx)
}

// release takes the numbers away from the instance: irreversible, and exactly once.
func (w *portOut) release(ctx workflow.Context) (porting.State, string, error) {
	w.nextDeadline = time.Time{}
	w.releasingSince = workflow.Now(ctx)
	w.setState(ctx, porting.StateReleasing, fmt.Sprintf("release time %s reached; releasing %d number(s) from %s",
		w.local(*w.releaseAt), len(w.req.Numbers), w.req.InstanceARN))
	var res activities.ReleasePortOutResult
	err := workflow.ExecuteActivity(withDBActivity(ctx, "release numbers to "+w.req.WinningCarrier), acts.ReleasePortOutNumbers,
		activities.ReleasePortOutInput{WorkflowID: w.workflowID, InstanceARN: w.req.InstanceARN, Numbers: w.req.Numbers, Carrier: w.req.WinningCarrier}).Get(ctx, &res)
	if err != nil {
		return "", "", fmt.Errorf("release failed: %w", plainError(err))
	}
	w.releasedAt = workflow.Now(ctx)
	w.notify(ctx, activities.Notification{
		Key: "released-carrier", Kind: "port_out_released", Recipient: activities.RecipientCarrier,
		Subject: fmt.Sprintf("Numbers released: %s", strings.Join(w.req.Numbers, ", ")),
		Body:    fmt.Sprintf("%s were released to you at %s.", strings.Join(w.req.Numbers, ", "), w.local(w.releasedAt)),
	})
	return porting.StateCompleted, fmt.Sprintf("%d number(s) released to %s at %s; the instance no longer owns them",
		len(res.Released), w.req.WinningCarrier, w.local(w.releasedAt)), nil
}

// toldOfFailure tells the winning carrier (when it sent a request) and the customer that the
// port-out failed and where the numbers are: the release is one transaction, so they are either all
// still on the instance or all released.
func (w *portOut) toldOfFailure(ctx workflow.Context, cause error) {
	where := "the numbers stay with the instance and are unlocked"
	if !w.releasedAt.IsZero() {
		where = "the numbers were released"
	}
	if w.received > 0 {
		w.notify(ctx, activities.Notification{
			Key: "failed-carrier", Kind: "port_out_failed", Recipient: activities.RecipientCarrier,
			Subject: fmt.Sprintf("Port-out of %s stopped", strings.Join(w.req.Numbers, ", ")),
			Body:    fmt.Sprintf("The port-out could not go on (%v); %s. Please contact us before sending another request.", cause, where),
		})
	}
	w.notify(ctx, activities.Notification{
		Key: "failed-customer", Kind: "port_failed", Recipient: activities.RecipientCustomer,
		Subject: "Port-out " + w.req.RequestID + " stopped",
		Body:    fmt.Sprintf("Your port-out to %s could not go on (%v); %s. Support has been told.", w.req.WinningCarrier, cause, where),
	})
}

// cancelled ends the request on an accepted cancellation; a carrier that sent a request is told.
func (w *portOut) cancelled(ctx workflow.Context) (porting.State, string, error) {
	note := w.cancelNote()
	if w.received > 0 {
		w.notify(ctx, activities.Notification{
			Key: "cancelled-carrier", Kind: "port_out_cancelled", Recipient: activities.RecipientCarrier,
			Subject: fmt.Sprintf("Port-out of %s cancelled", strings.Join(w.req.Numbers, ", ")),
			Body:    fmt.Sprintf("The port-out was cancelled (%s); the numbers will not be released.", note),
		})
	}
	return porting.StateCancelled, note + "; the numbers are unlocked and stay with the instance", nil
}

// finish records the end in Postgres (unlocking the numbers), tells the customer and returns.
func (w *portOut) finish(ctx workflow.Context, end porting.State, reason string) (porting.PortResult, error) {
	w.reason = reason
	w.nextDeadline = time.Time{}
	if !w.validated {
		w.validated = true
		w.validation = porting.ValidationOutcome{State: end, Reason: reason}
	}
	w.setState(ctx, end, reason)
	metrics.PortEnded(ctx, porting.KindPortOut, end)
	// A request the database refused was never recorded: there is nothing to finish or tell.
	if w.validation.Accepted {
		if err := closeRecordedPort(ctx, w.workflowID, end, fmt.Sprintf("Port-out %s: %s", w.req.RequestID, end), reason); err != nil {
			return porting.PortResult{}, err
		}
		endSummary(ctx, w.v, w.workflowID, end, reason)
	}
	for _, r := range w.removals {
		r.refuse(fmt.Errorf("request %s is %s before the removal was applied", w.req.RequestID, end))
	}
	w.removals = nil
	awaitHandlers(ctx)
	return porting.PortResult{RequestID: w.req.RequestID, State: end, Reason: reason, Numbers: w.numberStatuses()}, nil
}

// setState records a state change in the history and the PortState search attribute.
func (w *portOut) setState(ctx workflow.Context, s porting.State, note string) {
	w.note(ctx, s, note)
	if s == w.state {
		return
	}
	metrics.StateTransition(ctx, porting.KindPortOut, w.state, s)
	w.state = s
	_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortState.ValueSet(string(s)))
	if memoMilestone(s) {
		_ = workflow.UpsertMemo(ctx, map[string]any{porting.MemoSummary: w.summary()})
	}
}

func (w *portOut) note(ctx workflow.Context, s porting.State, note string) {
	w.history = append(w.history, porting.HistoryEntry{At: workflow.Now(ctx).UTC(), State: s, Note: note})
	workflow.GetLogger(ctx).Info("port-out", "state", string(s), "note", note)
}

// upsertIdentity publishes the attributes an operator searches by (the starter sets them at start
// too, but a port-out started by another client must be findable as well).
func (w *portOut) upsertIdentity(ctx workflow.Context) {
	requestID := ""
	if w.v >= versionBulk {
		requestID = w.req.RequestID
	}
	upsertMissingIdentity(ctx, porting.KindPortOut, w.state, w.req.InstanceARN, requestID, []string{w.req.WinningCarrier}, append([]string{}, w.req.Numbers...))
}

// upsertPortDate publishes the approved release time.
func (w *portOut) upsertPortDate(ctx workflow.Context) {
	if w.releaseAt == nil || w.releaseAt.Equal(w.searchPortDate) {
		return
	}
	w.searchPortDate = *w.releaseAt
	_ = workflow.UpsertTypedSearchAttributes(ctx, porting.SearchPortDate.ValueSet(*w.releaseAt))
	_ = workflow.UpsertMemo(ctx, map[string]any{porting.MemoSummary: w.summary()})
}

// notify puts a message in the outbox; its key makes a retry or replay send it once.
func (w *portOut) notify(ctx workflow.Context, n activities.Notification) {
	sendNotification(ctx, w.workflowID, n)
}

func (w *portOut) cancelNote() string {
	return fmt.Sprintf("cancelled by %s: %s", w.cancel.By, w.cancel.Reason)
}
