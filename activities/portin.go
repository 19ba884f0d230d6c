package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// RecordPortIn records a new PortIn request (store.RecordPortIn): checked against the inventory, its
// numbers locked against other ports until FinishPortRequest (or the portability check) unlocks them.
// A rerun for the same workflow ID is a no-op. It returns the instance's region and current
// phone-number limit.
func (a *Activities) RecordPortIn(ctx context.Context, in RecordPortInInput) (RecordPortInResult, error) {
	// Carriers canonicalised as the workflow does (porting.NormalizePortIn), so the groups recorded in
	// port_request_numbers are the workflow's groups whatever spelling reached this activity.
	r := porting.NormalizePortIn(in.Request)
	if in.WorkflowID == "" {
		return RecordPortInResult{}, invalidInput("workflow_id", "is required")
	}
	if r.RequestID == "" {
		return RecordPortInResult{}, invalidInput("request_id", "is required")
	}
	if len(r.Numbers) == 0 {
		return RecordPortInResult{}, invalidInput("numbers", "at least one number is required")
	}
	if err := checkNumbers(r.Numbers); err != nil {
		return RecordPortInResult{}, err
	}
	kind := in.Kind
	if kind == "" {
		kind = porting.KindPortIn
	}
	inst, err := store.RecordPortIn(ctx, a.DB, in.WorkflowID, kind, r, in.Groups...)
	if err != nil {
		return RecordPortInResult{}, classify(err)
	}
	out := RecordPortInResult{Region: inst.Region, PhoneNumberLimit: inst.PhoneNumberLimit}
	if in.CheckPortability {
		// The request is recorded and its numbers locked: from here a permanent refusal is the
		// port's to finish (its numbers must be unlocked), not a refusal of the request, so it comes
		// back as a result. Transient failures retry the whole activity; recording again is a no-op.
		results, err := a.CheckPortability(ctx, PortabilityInput{WorkflowID: in.WorkflowID, Numbers: r.Numbers})
		var app *temporal.ApplicationError
		switch {
		case errors.As(err, &app) && app.NonRetryable():
			out.PortabilityProblem = app.Error()
		case err != nil:
			return RecordPortInResult{}, err
		default:
			out.Portability = results
		}
	}
	return out, nil
}

// CheckPortability asks the carrier gateway whether each number can be ported (the simulated LNP
// database: store.CheckPortability) and records the results on the port's numbers: portable numbers
// await their LOA, not-portable ones leave the port (inactive, state not_portable, with the reason),
// which unlocks them for other ports. Results come in the order of the input. Idempotent.
func (a *Activities) CheckPortability(ctx context.Context, in PortabilityInput) ([]PortabilityResult, error) {
	if in.WorkflowID == "" {
		return nil, invalidInput("workflow_id", "is required")
	}
	if err := checkNumbers(in.Numbers); err != nil {
		return nil, err
	}
	results, err := a.carrier().CheckPortability(ctx, store.E164List(in.Numbers))
	if err != nil {
		return nil, classify(err)
	}
	if err := store.RecordPortability(ctx, a.DB, in.WorkflowID, results); err != nil {
		return nil, classify(err)
	}
	out := make([]PortabilityResult, len(results))
	for i, r := range results {
		out[i] = PortabilityResult(r)
	}
	return out, nil
}

// FinishPortRequest records a port's end (store.FinishPortRequest): the request's state and finish
// time, and every number of it leaves the port, which unlocks it for other ports. The first finish
// wins; a rerun changes nothing. Finishing a port that was never recorded (refused at RecordPortIn)
// only writes the audit row.
func (a *Activities) FinishPortRequest(ctx context.Context, in FinishInput) error {
	if in.WorkflowID == "" {
		return invalidInput("workflow_id", "is required")
	}
	if !in.State.IsEnd() {
		return invalidInput("state", "must be an end state (completed, not_portable, cancelled, failed, expired), got %q", in.State)
	}
	ns, err := outboxRows(in.WorkflowID, in.Notifications)
	if err != nil {
		return err
	}
	return classify(store.FinishPortRequest(ctx, a.DB, in.WorkflowID, in.State, in.Note, ns...))
}

// Notify puts a notification in the outbox, once per (workflow, key): a retried or replayed
// notification is not sent twice.
func (a *Activities) Notify(ctx context.Context, n Notification) error {
	if err := checkNotification(n); err != nil {
		return err
	}
	return classify(store.QueueNotification(ctx, a.DB, outboxRow(n)))
}

// NotifyAll puts a workflow's pending notifications in the outbox in one transaction, each once per
// (workflow, key). Ports from versionActionCost run it as a local activity when they are about to
// wait: every notification a step produced costs one marker, not one activity each.
func (a *Activities) NotifyAll(ctx context.Context, in NotifyAllInput) error {
	ns, err := outboxRows(in.WorkflowID, in.Notifications)
	if err != nil {
		return err
	}
	return classify(store.QueueNotifications(ctx, a.DB, ns))
}

func checkNotification(n Notification) error { return checkNotificationAt("", n) }

// checkNotificationAt checks a notification; at prefixes the fields it names ("notifications[2].").
func checkNotificationAt(at string, n Notification) error {
	switch {
	case n.WorkflowID == "":
		return invalidInput(at+"workflow_id", "is required")
	case n.Key == "":
		return invalidInput(at+"key", "is required: unique within the workflow and the same on every retry")
	case n.Kind == "":
		return invalidInput(at+"kind", "is required")
	case n.Recipient == "":
		return invalidInput(at+"recipient", "is required (%s, %s or %s)", RecipientCustomer, RecipientCarrier, RecipientOperations)
	}
	return nil
}

func outboxRow(n Notification) store.Notification {
	return store.Notification{WorkflowID: n.WorkflowID, Key: n.Key, Kind: n.Kind, Recipient: n.Recipient, Subject: n.Subject, Body: n.Body}
}

// outboxRows checks a workflow's notifications (each takes the workflow's ID when it has none) and
// turns them into outbox rows; any bad one refuses them all, naming its place.
func outboxRows(workflowID string, ns []Notification) ([]store.Notification, error) {
	out := make([]store.Notification, 0, len(ns))
	for i, n := range ns {
		if n.WorkflowID == "" {
			n.WorkflowID = workflowID
		}
		if err := checkNotificationAt(fmt.Sprintf("notifications[%d].", i), n); err != nil {
			return nil, err
		}
		out = append(out, outboxRow(n))
	}
	return out, nil
}
