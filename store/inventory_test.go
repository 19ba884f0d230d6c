package store_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/store"
)

func TestAddInstanceIsIdempotent(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	in := store.Instance{ARN: "arn:aws:connect:us-west-2:123456789012:instance/abc", OwnerName: "Doe Corp", Address: "1 Main St", BillingContact: "billing@doe.example"}
	got := twice(t, db, func() (store.Instance, error) { return store.AddInstance(ctx, db, in) })
	require.Equal(t, "us-west-2", got.Region, "region from the ARN")
	require.Equal(t, 10, got.PhoneNumberLimit, "default limit")
	require.Equal(t, "Doe Corp", got.OwnerName)

	// Re-adding with only the ARN keeps the ownership records; an explicit limit replaces the base.
	again, err := store.AddInstance(ctx, db, store.Instance{ARN: in.ARN, PhoneNumberLimit: 25})
	require.NoError(t, err)
	require.Equal(t, "Doe Corp", again.OwnerName)
	require.Equal(t, 25, again.PhoneNumberLimit)
	require.Equal(t, got.CreatedAt, again.CreatedAt)

	_, err = store.AddInstance(ctx, db, store.Instance{ARN: "arn:aws:connect:mars-1:123456789012:instance/x"})
	requireInvErr(t, err, store.InventoryInvalid, "arn", `region "mars-1" is not a region the provider hosts`)
	_, err = store.AddInstance(ctx, db, store.Instance{ARN: in.ARN, Region: "us-east-1"})
	requireInvErr(t, err, store.InventoryInvalid, "region", `"us-east-1" does not match the ARN's region "us-west-2"`)
	_, err = store.AddInstance(ctx, db, store.Instance{})
	requireInvErr(t, err, store.InventoryInvalid, "arn", "is required")
}

func TestContactFlows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	twiceErr(t, f.db, func() error { return store.AddContactFlow(ctx, f.db, f.arn, "Sales", false) })
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM contact_flows WHERE name = 'Sales' AND published`))
	twiceErr(t, f.db, func() error { return store.PublishContactFlow(ctx, f.db, f.arn, "Sales") })
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM contact_flows WHERE name = 'Sales' AND published`))

	missing := "arn:aws:connect:us-east-1:123456789012:instance/missing"
	requireInvErr(t, store.AddContactFlow(ctx, f.db, missing, "Sales", true), store.InventoryNotFound, "instance", "does not exist")
	requireInvErr(t, store.PublishContactFlow(ctx, f.db, f.arn, "Nope"), store.InventoryNotFound, "name", `contact flow "Nope" does not exist`)
	requireInvErr(t, store.AddContactFlow(ctx, f.db, f.arn, " ", true), store.InventoryInvalid, "name", "is required")
}

func TestClaimNumberRespectsThePhoneNumberLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 10 {
		require.NoError(t, store.ClaimNumber(ctx, f.db, f.arn, fmt.Sprintf("+1212555%04d", i), "did", flowMain))
	}
	twiceErr(t, f.db, func() error { return store.ClaimNumber(ctx, f.db, f.arn, "+12125550003", "did", flowMain) })
	err := store.ClaimNumber(ctx, f.db, f.arn, "+12125550010", "did", "")
	requireInvErr(t, err, store.InventoryRefused, "instance", fmt.Sprintf("instance %s is at its phone-number limit of 10", f.arn))

	list, err := store.ListNumbers(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.Len(t, list, 10)
	require.Equal(t, store.PhoneNumber{E164: "+12125550000", Type: "did", State: "active", ContactFlow: flowMain, UpdatedAt: list[0].UpdatedAt}, list[0])
}

func TestClaimNumberRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.instance(t, "us-west-2")
	require.NoError(t, store.AddContactFlow(ctx, f.db, f.arn, "Draft", false))
	require.NoError(t, store.ClaimNumber(ctx, f.db, other, "+12125550100", "did", ""))
	inPort := numbers(1, "Acme")
	f.record(t, "claim", inPort)
	missing := "arn:aws:connect:us-east-1:123456789012:instance/missing"

	requireInvErr(t, store.ClaimNumber(ctx, f.db, f.arn, "+12125550100", "did", ""), store.InventoryRefused, "e164", "already held by instance "+other)
	requireInvErr(t, store.ClaimNumber(ctx, f.db, f.arn, inPort[0].E164, "did", ""), store.InventoryRefused, "e164", "is in an active port (port-in-claim)")
	requireInvErr(t, store.ClaimNumber(ctx, f.db, f.arn, "+12125550101", "did", "Draft"), store.InventoryRefused, "flow", "is not published")
	requireInvErr(t, store.ClaimNumber(ctx, f.db, f.arn, "+12125550101", "did", "Nope"), store.InventoryNotFound, "flow", "does not exist")
	requireInvErr(t, store.ClaimNumber(ctx, f.db, missing, "+12125550101", "did", ""), store.InventoryNotFound, "instance", "does not exist")
	requireInvErr(t, store.ClaimNumber(ctx, f.db, f.arn, "2125550101", "did", ""), store.InventoryInvalid, "e164", "must be an E.164 number")
	requireInvErr(t, store.ClaimNumber(ctx, f.db, f.arn, "+12125550101", "fax", ""), store.InventoryInvalid, "type", "must be one of")
	_, err := store.ListNumbers(ctx, f.db, missing)
	requireInvErr(t, err, store.InventoryNotFound, "instance", "does not exist")
}
