package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestRecordPortInIsIdempotentAndRefusesWithRuleErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme")
	req := porting.PortInRequest{RequestID: "R-1", InstanceARN: f.arn, ContactFlow: flowMain, Numbers: nums}
	wf := porting.PortInWorkflowID("R-1")
	got := twice(t, f.db, func() (store.InstanceInfo, error) {
		return store.RecordPortIn(ctx, f.db, wf, porting.KindPortIn, req)
	})
	require.Equal(t, store.InstanceInfo{Region: "us-east-1", PhoneNumberLimit: 10}, got)
	require.Equal(t, 2, count(t, f.db, `SELECT count(*) FROM port_request_numbers WHERE workflow_id = $1 AND active`, wf))

	other := req
	other.RequestID = "R-2"
	_, err := store.RecordPortIn(ctx, f.db, porting.PortInWorkflowID("R-2"), porting.KindPortIn, other)
	requireRuleErr(t, err, store.ErrNumberAlreadyPorting, "numbers[0].e164: "+nums[0].E164+" is already in an active port ("+wf+")")

	changed := req
	changed.ContactFlow = "Other"
	_, err = store.RecordPortIn(ctx, f.db, wf, porting.KindPortIn, changed)
	requireRuleErr(t, err, store.ErrRequestConflict, "request_id: port "+wf+" is already recorded with a different request")

	require.NoError(t, store.FinishPortRequest(ctx, f.db, wf, porting.StateCancelled, "test"))
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM port_request_numbers WHERE workflow_id = $1 AND active`, wf))
	_, err = store.RecordPortIn(ctx, f.db, wf, porting.KindPortIn, req)
	requireRuleErr(t, err, store.ErrRequestConflict, "which ended (cancelled)")
}
