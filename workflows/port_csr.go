package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// passesCSR is the CSR pre-check (DESIGN §8) of an LOA about to be sent as the group's next version:
// it is compared with the losing carrier's customer service records of the group's numbers. No
// record, a match, or the customer's override: it goes to the carrier. A mismatch is not sent: the
// group goes to loa_rejected with CSR_MISMATCH and the customer is told which fields differ (their
// names only: never a value, never a PIN). A check that cannot run lets the LOA through: the carrier
// checks it anyway, and a pre-check must not stop a port.
func (w *port) passesCSR(ctx workflow.Context, g *group, sub *loaSubmission, loa porting.LOA) bool {
	version := g.loaVersion + 1
	var res activities.CSRCheckResult
	err := workflow.ExecuteActivity(withDBActivity(ctx, fmt.Sprintf("CSR pre-check of LOA v%d of %s", version, g.name)), acts.CheckCSR, activities.CSRCheckInput{
		WorkflowID: w.workflowID, Group: g.name, Carrier: g.carrier, Numbers: e164s(g.numbers), LOAVersion: version, LOA: loa,
		OverrideCSR: sub.override,
	}).Get(ctx, &res)
	switch {
	case err != nil:
		w.note(ctx, g.state, fmt.Sprintf("%s: the CSR pre-check could not run (%v); LOA v%d is sent unchecked", g.name, plainError(err), version))
		return true
	case res.Records == 0:
		return true
	case len(res.Mismatched) == 0:
		w.note(ctx, g.state, fmt.Sprintf("%s: LOA v%d matches %s's customer service record(s) of %d number(s)", g.name, version, g.carrier, res.Records))
		return true
	}
	fields := strings.Join(res.Mismatched, ", ")
	if sub.override {
		w.note(ctx, g.state, fmt.Sprintf("%s: LOA v%d does not match %s's customer service record (%s); sent anyway: override_csr", g.name, version, g.carrier, fields))
		return true
	}
	g.csrStops++
	g.rounds++
	reason := fmt.Sprintf("the LOA does not match %s's customer service record: %s", g.carrier, fields)
	g.setRejection(porting.CarrierResponse{ReasonCode: string(porting.ReasonCSRMismatch)}, joinReason(string(porting.ReasonCSRMismatch), reason))
	g.askForLOA(workflow.Now(ctx))
	w.setGroupState(ctx, g, porting.StateLOARejected, fmt.Sprintf("%s: LOA not sent to %s: %s (numbers %s); a corrected LOA is needed, or override_csr",
		g.name, g.carrier, reason, describeNumbers(res.MismatchedNumbers)))
	w.notify(ctx, activities.Notification{
		Key: fmt.Sprintf("csr-mismatch/%s/%d", g.name, g.csrStops), Kind: "csr_mismatch", Recipient: activities.RecipientCustomer,
		Subject: fmt.Sprintf("Your LOA for %s does not match %s's records", g.name, g.carrier),
		Body: fmt.Sprintf("We did not send your LOA to %s: these fields do not match its customer service record for %s: %s. What to do: %s "+
			"If you are sure the LOA is right, send it again with override_csr.", g.carrier, describeNumbers(res.MismatchedNumbers), fields, g.coded.action),
	})
	sub.refuse(fmt.Errorf("group %s: LOA not sent to %s: it does not match the customer service record (%s); correct it, or send it again with override_csr",
		g.name, g.carrier, fields))
	return false
}
