package workflows

import (
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
	sendNotification(ctx, workflowID, activities.Notification{
		Key: "finished", Kind: string(end), Recipient: activities.RecipientCustomer, Subject: subject, Body: reason,
	})
	return nil
}

// awaitHandlers lets in-flight update handlers answer before the workflow closes.
func awaitHandlers(ctx workflow.Context) {
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}
