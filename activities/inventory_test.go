package activities_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/store"
)

func TestReAddingAnInstanceKeepsAPortsLimitIncrease(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, "Acme")
	in := f.record(t, "readd", nums)
	_, err := f.a.ProvisionNumbers(ctx, f.numbersInput(in.WorkflowID, nums))
	require.NoError(t, err)
	got, err := store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, PhoneNumberLimit: 10})
	require.NoError(t, err)
	require.Equal(t, 13, got.PhoneNumberLimit)
	require.NoError(t, f.a.ReleaseNumbers(ctx, f.numbersInput(in.WorkflowID, nums)))
	require.Equal(t, 10, f.limit(t))
}
