package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestPendingPortabilityChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, wf := range []string{"intl-port-in-a", "intl-port-in-b"} {
		_, err := store.RequestPortabilityCheck(ctx, f.db, store.PortabilityCheckRequest{
			WorkflowID: wf, Carrier: "Albion Telecom", Country: "GB", Numbers: []string{"+442079460100", "+442079460101"},
		})
		require.NoError(t, err)
	}
	pending, err := store.PendingPortabilityChecks(ctx, f.db, 0)
	require.NoError(t, err)
	require.Len(t, pending, 2)
	first := pending[0]
	require.Equal(t, "intl-port-in-a", first.WorkflowID)
	require.Equal(t, "Albion Telecom", first.Carrier)
	require.Equal(t, "GB", first.Country)
	require.Equal(t, []string{"+442079460100", "+442079460101"}, first.Numbers)
	require.Nil(t, first.ConsumedAt)

	twiceErr(t, f.db, func() error { return store.MarkPortabilityCheckConsumed(ctx, f.db, first.ID) })
	pending, err = store.PendingPortabilityChecks(ctx, f.db, 1)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, "intl-port-in-b", pending[0].WorkflowID)
}

func TestGetPortRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wf := f.record(t, "SIM-1", numbers(1, "Acme"))
	got, err := store.GetPortRequest(ctx, f.db, wf)
	require.NoError(t, err)
	require.Equal(t, wf, got.WorkflowID)
	require.Equal(t, "SIM-1", got.RequestID)
	require.Equal(t, porting.KindPortIn, got.Kind)
	require.Equal(t, f.arn, got.InstanceARN)
	var req porting.PortInRequest
	require.NoError(t, json.Unmarshal(got.Request, &req))
	require.Equal(t, "Pat Doe", req.AuthorizedContact.Name)

	_, err = store.GetPortRequest(ctx, f.db, "port-in-nope")
	var inv *store.InventoryError
	require.ErrorAs(t, err, &inv)
	require.Equal(t, store.InventoryNotFound, inv.Kind)
}
