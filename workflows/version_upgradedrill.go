//go:build upgradedrill

package workflows

// Build B of the upgrade drill (e2e/reliability_upgrade_test.go): the workflows as a changed
// release would ship them. New ports take versionUpgradeDrill and run one step more at their end;
// ports that started on build A replay their recorded version (versionPortOutProtection) and skip
// it — the history they wrote has no such command.

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

const latestVersion = versionUpgradeDrill

// endSummary sends operations a summary of a port's end (ports from versionUpgradeDrill only).
func endSummary(ctx workflow.Context, v workflow.Version, workflowID string, end porting.State, reason string) {
	if v < versionUpgradeDrill {
		return
	}
	sendNotification(ctx, workflowID, activities.Notification{
		Key: "port-summary", Kind: "port_summary", Recipient: activities.RecipientOperations,
		Subject: fmt.Sprintf("%s ended %s", workflowID, end), Body: reason,
	})
}
