package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
)

// passedCSR reads the CSR pre-check (DESIGN §8) that SubmitLOA ran on the LOA it was asked to send
// as the group's next version: it was compared with the losing carrier's customer service records
// of the group's numbers. No record, a match, or the customer's override: it went to the carrier. A
// mismatch was not sent: the group goes to loa_rejected with CSR_MISMATCH and the customer is told
// which fields differ (their names only: never a value, never a PIN).
func (w *port) passedCSR(ctx workflow.Context, g *group, sub *loaSubmission, version int, sent activities.LOASubmitted) bool {
	res := activities.CSRCheckResult{}
	if sent.CSR != nil {
		res = *sent.CSR
	}
	switch {
	case res.Records == 0:
		return true
	case len(res.Mismatched) == 0:
		w.note(ctx, g.state, fmt.Sprintf("%s: LOA v%d matches %s's customer service record(s) of %d number(s)", g.name, version, g.carrier, res.Records))
		return true
	}
	fields := strings.Join(res.Mismatched, ", ")
	if sent.Sent {
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
