package activities

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// ProvisionProgress is the heartbeat detail of ProvisionNumbers.
type ProvisionProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// ProvisionNumbers adds the group's numbers to the instance, not yet live (state provisioned),
// mapped to the contact flow, which must still exist and be published. It raises the instance's
// phone-number limit by the number of numbers once per (workflow, group) — the service limit increase
// that accompanies a port (store.PrepareProvisioning). Numbers go in batches of ProvisionBatchSize,
// one instance-API request each, paced by the instance's rate limit (InstanceAPI.Reserve: it holds
// across every worker); progress is heartbeated. A rerun after partial progress adds only what is
// missing. It returns how many of the group's numbers are on the instance for this port and the
// instance's phone-number limit.
func (a *Activities) ProvisionNumbers(ctx context.Context, in NumbersInput) (ProvisionResult, error) {
	if err := checkNumbersInput(in, true); err != nil {
		return ProvisionResult{}, err
	}
	if err := a.queueProvisioningNotices(ctx, in); err != nil {
		return ProvisionResult{}, err
	}
	flow := in.ContactFlow
	if flow == "" {
		// The flow named in the recorded request.
		recorded, err := store.RecordedContactFlow(ctx, a.DB, in.WorkflowID)
		if err != nil {
			return ProvisionResult{}, classify(err)
		}
		if flow = recorded; flow == "" {
			return ProvisionResult{}, invalidInput("contact_flow", "is required: the published flow to map the numbers to")
		}
	}
	g := in.group()
	if err := store.PrepareProvisioning(ctx, a.DB, g, flow); err != nil {
		return ProvisionResult{}, classify(err)
	}

	// What a previous attempt already added is skipped.
	done, err := store.ProvisionedFor(ctx, a.DB, in.InstanceARN, in.WorkflowID, store.E164List(in.Numbers))
	if err != nil {
		return ProvisionResult{}, classify(err)
	}
	var todo []porting.PortNumber
	for _, n := range in.Numbers {
		if !done[n.E164] {
			todo = append(todo, n)
		}
	}
	batch := a.ProvisionBatchSize
	if batch <= 0 {
		batch = DefaultProvisionBatchSize
	}
	api := a.instances()
	progress := ProvisionProgress{Done: len(in.Numbers) - len(todo), Total: len(in.Numbers)}
	for start := 0; start < len(todo); start += batch {
		part := todo[start:min(start+batch, len(todo))]
		if err := waitHeartbeating(ctx, api, in.InstanceARN, progress); err != nil {
			return ProvisionResult{}, err
		}
		if err := api.AddNumbers(ctx, in.InstanceARN, flow, in.WorkflowID, part); err != nil {
			return ProvisionResult{}, classify(err)
		}
		progress.Done += len(part)
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, progress)
		}
	}

	// Every number must now be ours: a number claimed by someone else meanwhile stops the port.
	provisioned, limit, err := store.FinishProvisioning(ctx, a.DB, g, flow)
	if err != nil {
		return ProvisionResult{}, classify(err)
	}
	return ProvisionResult{Provisioned: provisioned, PhoneNumberLimit: limit}, nil
}

// queueProvisioningNotices queues what the workflow's outbox held when provisioning started, and the
// slow-provisioning notice once an attempt starts SlowAfterSeconds after the activity was scheduled
// (a retry: Postgres or the instance API were down). Both are keyed, so a retry queues nothing twice.
func (a *Activities) queueProvisioningNotices(ctx context.Context, in NumbersInput) error {
	ns := in.Notifications
	if in.SlowNotice != nil && activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		if info.Attempt > 1 && time.Since(info.ScheduledTime) >= time.Duration(in.SlowAfterSeconds)*time.Second {
			ns = append(append([]Notification(nil), ns...), *in.SlowNotice)
		}
	}
	rows, err := outboxRows(in.WorkflowID, ns)
	if err != nil {
		return err
	}
	return classify(store.QueueNotifications(ctx, a.DB, rows))
}

// ActivateNumbers makes the group's provisioned numbers live (provisioned → active) through the
// instance API. Numbers already active stay so; a number that is not on the instance for this port is
// a non-retryable ErrNumberNotProvisioned. Idempotent.
func (a *Activities) ActivateNumbers(ctx context.Context, in NumbersInput) error {
	if err := checkNumbersInput(in, false); err != nil {
		return err
	}
	return classify(a.instances().Activate(ctx, in.group()))
}

// VerifyTestCall places a test call to every number through the instance API (simulated: answered
// when every number is active on the instance and mapped to a contact flow that exists and is
// published). When it is not, Answered is false and Reason says why (that is a result, not an error).
func (a *Activities) VerifyTestCall(ctx context.Context, in NumbersInput) (VerifyResult, error) {
	if err := checkNumbersInput(in, false); err != nil {
		return VerifyResult{}, err
	}
	answered, reason, err := a.instances().TestCall(ctx, in.InstanceARN, store.E164List(in.Numbers))
	if err != nil {
		return VerifyResult{}, classify(err)
	}
	return VerifyResult{Answered: answered, Reason: reason}, nil
}

// ReleaseNumbers is the compensation of a port that will not complete: the group's numbers this
// workflow put on the instance are released (state released, no contact flow) and the phone-number
// limit increase of (workflow, group) is reversed, once. Idempotent.
func (a *Activities) ReleaseNumbers(ctx context.Context, in NumbersInput) error {
	if err := checkNumbersInput(in, false); err != nil {
		return err
	}
	return classify(a.instances().Release(ctx, in.group()))
}

// waitHeartbeating asks the instance API for a request token until it gets one, sleeping as long as
// it is told to (at most 5 s at a time) and heartbeating while it waits, so that a long queue of
// provisioning on one instance is not taken for a dead worker. The limit holds across every worker:
// an activity on another worker takes from the same instance's tokens.
func waitHeartbeating(ctx context.Context, api InstanceAPI, instanceARN string, progress ProvisionProgress) error {
	for {
		wait, err := api.Reserve(ctx, instanceARN)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("instance API rate limit of %s: %w", instanceARN, err)
		}
		if wait <= 0 {
			return nil
		}
		// Waiters on one instance are told the same time; a little jitter spreads their next asks.
		step := min(wait+time.Duration(rand.Int64N(int64(wait)/10+1)), 5*time.Second)
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, progress)
		}
	}
}
