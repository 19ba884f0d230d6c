package activities_test

import (
	"encoding/json"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestSubmitLOAKeepsNoSecretsAndIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme Telecom")
	in := f.record(t, "loa", nums)
	group := porting.GroupName("Acme Telecom", porting.NumberTypeDID)
	submit := func(version int) activities.SubmitLOAInput {
		return activities.SubmitLOAInput{
			WorkflowID: in.WorkflowID, Group: group, Carrier: "Acme Telecom", NumberType: porting.NumberTypeDID,
			Numbers: []string{nums[0].E164, nums[1].E164}, Version: version, LOA: loa(),
		}
	}

	r1 := twice(t, f.db, func() (activities.LOASubmitted, error) { return f.a.SubmitLOA(ctx, submit(1)) })
	require.NotZero(t, r1.SubmissionID)
	r2 := twice(t, f.db, func() (activities.LOASubmitted, error) { return f.a.SubmitLOA(ctx, submit(2)) })
	require.NotEqual(t, r1.SubmissionID, r2.SubmissionID, "a resubmission is a new submission")

	var row struct {
		Last4   string `db:"account_number_last4"`
		PINHash string `db:"pin_hash"`
	}
	pgtest.Get(t, f.db, &row, `account_number_last4, pin_hash`, "loa_versions", `workflow_id = $1 AND version = 1`, in.WorkflowID)
	require.Equal(t, "7766", row.Last4)
	require.Equal(t, store.HashPIN([]byte("test-salt"), in.WorkflowID, group, 1, "4321"), row.PINHash)
	require.Len(t, row.PINHash, 64)

	// Neither the PIN nor the account number is anywhere in the database in clear.
	for table, rows := range snapshot(t, f.db) {
		for _, r := range rows {
			require.NotContains(t, r, "ACCT-99887766", table)
			require.NotContains(t, r, "99887766", table)
			require.False(t, strings.Contains(r, `"4321"`) || strings.Contains(r, `:4321`), "PIN in %s: %s", table, r)
		}
	}

	subs, err := store.PendingCarrierSubmissions(ctx, f.db, 10)
	require.NoError(t, err)
	require.Len(t, subs, 2)
	require.Equal(t, r1.SubmissionID, subs[0].ID)
	require.Equal(t, in.WorkflowID+"/Acme Telecom/did/1", subs[0].IdempotencyKey)
	require.Equal(t, store.SubmissionPortRequest, subs[0].Kind)
	require.Equal(t, []string{nums[0].E164, nums[1].E164}, subs[0].Numbers)
	require.Equal(t, 1, subs[0].LOAVersion)
	var payload store.SubmissionPayload
	require.NoError(t, json.Unmarshal(subs[0].Payload, &payload))
	require.Equal(t, group, payload.Group)
	require.Equal(t, "Pat Doe", payload.LOA.AuthorizedName)

	require.Equal(t, 2, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND state = 'awaiting_carrier'`, in.WorkflowID))
	require.Equal(t, 2, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'loa_submitted'`, in.WorkflowID))

	require.NoError(t, store.MarkCarrierSubmissionConsumed(ctx, f.db, r1.SubmissionID))
	require.NoError(t, store.MarkCarrierSubmissionConsumed(ctx, f.db, r1.SubmissionID))
	subs, err = store.PendingCarrierSubmissions(ctx, f.db, 10)
	require.NoError(t, err)
	require.Len(t, subs, 1)
	require.Equal(t, r2.SubmissionID, subs[0].ID)
}

func TestSubmitLOARefusesAnInvalidLOA(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := loa()
	l.AuthorizedName = ""
	_, err := f.a.SubmitLOA(ctx, activities.SubmitLOAInput{
		WorkflowID: "port-in-x", Group: "Acme/did", Carrier: "Acme", Numbers: []string{"+12125550100"}, Version: 1, LOA: l,
	})
	requireAppErr(t, err, activities.ErrInvalidInput, "loa.authorized_name: is required")
}

func TestSubmitCarrierCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(1, "Acme")
	in := f.record(t, "cancel", nums)
	_, err := f.a.SubmitLOA(ctx, activities.SubmitLOAInput{
		WorkflowID: in.WorkflowID, Group: "Acme/did", Carrier: "Acme", Numbers: []string{nums[0].E164}, Version: 1, LOA: loa(),
	})
	require.NoError(t, err)
	r := twice(t, f.db, func() (activities.SubmissionReceipt, error) {
		return f.a.SubmitCarrierCancel(ctx, activities.CarrierCancelInput{
			WorkflowID: in.WorkflowID, Group: "Acme/did", Carrier: "Acme", Reason: "customer changed their mind",
		})
	})
	var row struct {
		Key        string `db:"idempotency_key"`
		Kind       string `db:"kind"`
		LOAVersion int    `db:"loa_version"`
	}
	pgtest.Get(t, f.db, &row, `idempotency_key, kind, loa_version`, "carrier_submissions", `id = $1`, r.SubmissionID)
	require.Equal(t, in.WorkflowID+"/Acme/did/cancel", row.Key)
	require.Equal(t, "cancel", row.Kind)
	require.Equal(t, 1, row.LOAVersion)
}

func TestNotify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	n := activities.Notification{
		WorkflowID: "port-in-n", Key: "loa-requested/Acme/did", Kind: "loa_requested",
		Recipient: activities.RecipientCustomer, Subject: "LOA needed", Body: "Please send the LOA.",
	}
	twiceErr(t, f.db, func() error { return f.a.Notify(ctx, n) })
	n.Key = "loa-reminder/Acme/did/1"
	twiceErr(t, f.db, func() error { return f.a.Notify(ctx, n) })

	pending, err := store.PendingNotifications(ctx, f.db, 0)
	require.NoError(t, err)
	require.Len(t, pending, 2)
	require.Equal(t, "loa-requested/Acme/did", pending[0].Key)
	require.NoError(t, store.MarkNotificationSent(ctx, f.db, pending[0].ID))
	pending, err = store.PendingNotifications(ctx, f.db, 0)
	require.NoError(t, err)
	require.Len(t, pending, 1)

	n.Key = ""
	requireAppErr(t, f.a.Notify(ctx, n), activities.ErrInvalidInput, "key: is required")
}
