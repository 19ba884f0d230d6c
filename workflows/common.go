package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// What every port workflow does the same way.

// sendNotification puts a message in the outbox; its key makes a retry or replay send it once.
func sendNotification(ctx workflow.Context, workflowID string, n activities.Notification) {
	n.WorkflowID = workflowID
	err := workflow.ExecuteActivity(withDBActivity(ctx, "notify "+n.Recipient+": "+n.Kind), acts.Notify, n).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("notification not queued", "key", n.Key, "error", err)
	}
}

// closeRecordedPort records a recorded port's end in Postgres, which unlocks its numbers, and tells
// the customer.
func closeRecordedPort(ctx workflow.Context, workflowID string, end porting.State, subject, reason string) error {
	err := workflow.ExecuteActivity(withDBActivity(ctx, "record the end and unlock numbers"), acts.FinishPortRequest,
		activities.FinishInput{WorkflowID: workflowID, State: end, Note: reason}).Get(ctx, nil)
	if err != nil {
		return err
	}
	sendNotification(ctx, workflowID, finishedNotice(end, subject, reason))
	return nil
}

// finishedNotice tells the customer how a recorded port ended.
func finishedNotice(end porting.State, subject, reason string) activities.Notification {
	return activities.Notification{Key: "finished", Kind: string(end), Recipient: activities.RecipientCustomer, Subject: subject, Body: reason}
}

// awaitHandlers lets in-flight update handlers answer before the workflow closes.
func awaitHandlers(ctx workflow.Context) {
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// upsertMissingIdentity publishes the attributes an operator finds a port by — kind, state,
// instance, carriers, numbers — that the start did not already set (the starter sets them all; a
// port started by another client must be findable as well). It issues no command when nothing is
// missing: every upsert is a visibility write on the server.
//
// requestID, when given (ports from versionBulk), is published as RequestId.
func upsertMissingIdentity(ctx workflow.Context, kind string, state porting.State, instanceARN, requestID string, carriers, numbers []string) {
	if missing := missingIdentity(ctx, kind, state, instanceARN, requestID, carriers, numbers); len(missing) > 0 {
		_ = workflow.UpsertTypedSearchAttributes(ctx, missing...)
	}
}

// missingIdentity is upsertMissingIdentity's list; the state only when given.
func missingIdentity(ctx workflow.Context, kind string, state porting.State, instanceARN, requestID string, carriers, numbers []string) []temporal.SearchAttributeUpdate {
	have := workflow.GetTypedSearchAttributes(ctx)
	var missing []temporal.SearchAttributeUpdate
	if _, ok := have.GetKeyword(porting.SearchPortKind); !ok {
		missing = append(missing, porting.SearchPortKind.ValueSet(kind))
	}
	if _, ok := have.GetKeyword(porting.SearchPortState); !ok && state != "" {
		missing = append(missing, porting.SearchPortState.ValueSet(string(state)))
	}
	if _, ok := have.GetKeyword(porting.SearchInstanceArn); !ok {
		missing = append(missing, porting.SearchInstanceArn.ValueSet(instanceARN))
	}
	if _, ok := have.GetKeywordList(porting.SearchCarrier); !ok {
		missing = append(missing, porting.SearchCarrier.ValueSet(carriers))
	}
	if _, ok := have.GetKeywordList(porting.SearchPhoneNumbers); !ok {
		missing = append(missing, porting.SearchPhoneNumbers.ValueSet(porting.IndexedNumbers(numbers)))
	}
	if _, ok := have.GetKeyword(porting.SearchRequestId); !ok && requestID != "" {
		missing = append(missing, porting.SearchRequestId.ValueSet(requestID))
	}
	return missing
}

// memoMilestone reports whether a state change is worth rewriting the memo's summary for (each
// memo upsert is a visibility write; the port date's changes are written where they happen).
func memoMilestone(s porting.State) bool {
	switch s {
	case porting.StateAwaitingLOA, porting.StateAwaitingCostApproval, porting.StateCancelRequested,
		porting.StateAwaitingWinningCarrier, porting.StateRejectedMismatch, porting.StateFrozen:
		return true
	}
	return s.IsEnd()
}

// registerStatusAndValidation registers the status query and the await-validation update every port
// workflow has: status answers the query; validated reports whether validation is done and its outcome.
func registerStatusAndValidation(ctx workflow.Context, statusDescription, validationDescription string,
	status func() porting.Status, validated func() (bool, porting.ValidationOutcome)) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, porting.QueryStatus, func(page *porting.StatusPage) (porting.Status, error) {
		st := status()
		page.Page(&st)
		return st, nil
	}, workflow.QueryHandlerOptions{Description: statusDescription + "; an optional {numbers_offset, numbers_limit} pages the numbers of a large request"}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, porting.UpdateAwaitValidation,
		func(ctx workflow.Context) (porting.ValidationOutcome, error) {
			if err := workflow.Await(ctx, func() bool { done, _ := validated(); return done }); err != nil {
				return porting.ValidationOutcome{}, err
			}
			_, outcome := validated()
			return outcome, nil
		}, workflow.UpdateHandlerOptions{Description: validationDescription})
}

// validateCancel is every port's cancel validator: the payload's own rules, then a cancellation
// already under way (pending), then the workflow's own reason it can no longer be cancelled.
func validateCancel(in porting.Cancel, requestID string, pending *porting.Cancel, refusal func() string) error {
	if err := porting.ValidateCancel(in); err != nil {
		return err
	}
	if pending != nil {
		return fmt.Errorf("request %s is already being cancelled (by %s: %s)", requestID, pending.By, pending.Reason)
	}
	if why := refusal(); why != "" {
		return errors.New(why)
	}
	return nil
}
