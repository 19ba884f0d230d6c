package workflows

// Number-level porting on the real activities and Postgres: where numbers' rows go when a group
// splits or numbers are removed, what the instance and its limit hold, what reaches the carrier
// outbox, what the CSR pre-check keeps back.

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func (p *pgPort) numberRow(e164 string) (group, state string, active bool) {
	row := struct {
		Group  string `db:"group"`
		State  string `db:"state"`
		Active bool   `db:"active"`
	}{}
	require.NoError(p.t, p.db.Get(&row, `SELECT "group", state, active FROM port_request_numbers WHERE workflow_id = $1 AND e164 = $2`, pgWorkflowID, e164))
	return row.Group, row.State, row.Active
}

func (p *pgPort) instanceState(e164 string) string {
	var state string
	require.NoError(p.t, p.db.Get(&state, `SELECT state FROM phone_numbers WHERE e164 = $1 ORDER BY id DESC LIMIT 1`, e164))
	return state
}

func TestPGSplitOrderMovesTheNumberAndBothPartsComplete(t *testing.T) {
	p := newPGPortOf(t, threeNumbers())
	p.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	partial := accept(acmeDID, ny(2026, 12, 7, 9, 0))
	partial.Numbers = []porting.NumberAnswer{{E164: "+14155550102", ReasonCode: "ADDRESS_MISMATCH", Reason: "differs"}}
	p.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, partial)
	var group, state string
	var active bool
	p.at(ny(2026, 11, 24, 11, 0), func() { group, state, active = p.numberRow("+14155550102") })
	p.signal(ny(2026, 11, 25, 10, 0), porting.SignalSubmitLOA, loa(acmeDID2))
	p.signal(ny(2026, 11, 30, 10, 0), porting.SignalCarrierResponse, accept(acmeDID2, ny(2026, 12, 9, 9, 0)))
	var limitBetween int
	p.at(ny(2026, 12, 7, 12, 0), func() { limitBetween = p.limit() })

	res := p.run()

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, acmeDID2, group)
	require.Equal(t, string(porting.StateLOARejected), state)
	require.True(t, active, "a split number stays locked to the port")
	require.Equal(t, 12, limitBetween, "the first part's two numbers raised the limit; the split one not yet")
	require.Equal(t, 13, p.limit())
	require.Equal(t, 3, p.numbersIn("active"))
	require.Equal(t, 2, p.count(`SELECT count(*) FROM limit_increases WHERE workflow_id = $1`, pgWorkflowID))
	require.Equal(t, 2, p.carrierRows(store.SubmissionPortRequest), "one port request per group")
	require.Equal(t, 1, p.count(`SELECT count(*) FROM loa_versions WHERE workflow_id = $1 AND "group" = $2`, pgWorkflowID, acmeDID2))
	require.Equal(t, 1, p.notifications("numbers_rejected", activities.RecipientCustomer))
	require.Zero(t, p.count(`SELECT count(*) FROM port_request_numbers WHERE active`), "the numbers are unlocked at the end")
}

func TestPGRemovingAProvisionedNumberReleasesItAndShrinksTheLimit(t *testing.T) {
	p := newPGPortOf(t, threeNumbers())
	p.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	p.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	var limitProvisioned int
	p.at(ny(2026, 12, 4, 12, 0), func() { limitProvisioned = p.limit() })
	p.signal(ny(2026, 12, 5, 10, 0), porting.SignalRemoveNumbers, porting.RemoveNumbers{Numbers: []string{"+14155550101"}, Reason: "keeps it", By: "ops"})
	var limitRemoved int
	var group, state string
	var active bool
	p.at(ny(2026, 12, 5, 11, 0), func() {
		limitRemoved = p.limit()
		group, state, active = p.numberRow("+14155550101")
	})

	res := p.run()

	require.Equal(t, porting.StateCompleted, res.State)
	require.Equal(t, 13, limitProvisioned)
	require.Equal(t, 12, limitRemoved, "the removed number's share of the increase went with it")
	require.Equal(t, acmeDID, group)
	require.Equal(t, string(porting.StateCancelled), state)
	require.False(t, active, "the removed number is unlocked at once")
	require.Equal(t, "released", p.instanceState("+14155550101"))
	require.Equal(t, 2, p.numbersIn("active"))
	require.Equal(t, 12, p.limit())
	require.Equal(t, 1, p.carrierRows(store.SubmissionSupp), "the carrier is told")
	var payload store.SubmissionPayload
	var raw []byte
	require.NoError(t, p.db.Get(&raw, `SELECT payload FROM carrier_submissions WHERE workflow_id = $1 AND kind = 'supp'`, pgWorkflowID))
	require.NoError(t, json.Unmarshal(raw, &payload))
	require.Equal(t, []string{"+14155550101"}, payload.Removed)
	require.Equal(t, []string{"+14155550100", "+14155550102"}, payload.Numbers)
	require.Equal(t, 1, p.notifications("numbers_removed", activities.RecipientCustomer))
}

func TestPGSuppAndCSRPreCheck(t *testing.T) {
	p := newPGPortOf(t, portInRequest())
	ctx := context.Background()
	require.NoError(t, store.AddCustomerServiceRecord(ctx, p.db, store.CSRInput{Carrier: "Acme Telecom", E164: "+14155550100",
		Name: "Ada Admin", Address: "9 Elm St, Oakland CA", AccountNumber: "ACCT-123456"}))
	p.signal(ny(2026, 11, 23, 10, 0), porting.SignalSubmitLOA, loa(acmeDID))
	var sentAfterMismatch int
	p.at(ny(2026, 11, 23, 11, 0), func() { sentAfterMismatch = p.carrierRows(store.SubmissionPortRequest) })
	override := loa(acmeDID)
	override.OverrideCSR = true
	p.signal(ny(2026, 11, 23, 12, 0), porting.SignalSubmitLOA, override)
	p.signal(ny(2026, 11, 24, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 7, 9, 0)))
	p.signal(ny(2026, 11, 30, 10, 0), porting.SignalRequestPortDate, porting.RequestPortDate{Group: acmeDID, PortDate: ny(2026, 12, 14, 9, 0), By: "Ada Admin"})
	p.signal(ny(2026, 12, 1, 10, 0), porting.SignalCarrierResponse, accept(acmeDID, ny(2026, 12, 14, 9, 0)))

	res := p.run()

	require.Equal(t, porting.StateCompleted, res.State)
	require.Zero(t, sentAfterMismatch, "the mismatching LOA never reached the carrier outbox")
	require.Equal(t, 1, p.carrierRows(store.SubmissionPortRequest), "the override did")
	require.Equal(t, 1, p.count(`SELECT count(*) FROM loa_versions WHERE workflow_id = $1`, pgWorkflowID))
	require.Equal(t, 1, p.notifications("csr_mismatch", activities.RecipientCustomer))
	require.Equal(t, 2, p.count(`SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'csr_checked'`, pgWorkflowID))
	var body string
	require.NoError(t, p.db.Get(&body, `SELECT body FROM notifications WHERE workflow_id = $1 AND kind = 'csr_mismatch'`, pgWorkflowID))
	require.Contains(t, body, "address")
	require.NotContains(t, body, "9 Elm St")
	require.NotContains(t, body, "ACCT")
	require.Equal(t, 1, p.carrierRows(store.SubmissionSupp))
	var supp store.SubmissionPayload
	var raw []byte
	require.NoError(t, p.db.Get(&raw, `SELECT payload FROM carrier_submissions WHERE workflow_id = $1 AND kind = 'supp'`, pgWorkflowID))
	require.NoError(t, json.Unmarshal(raw, &supp))
	require.Equal(t, store.SuppPortDate, supp.Change)
	require.True(t, ny(2026, 12, 14, 9, 0).Equal(*supp.PortDate))
}
