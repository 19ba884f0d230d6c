package activities_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// calls counts the gateway calls the activities make.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
}

// countingCarrier is another CarrierGateway (here: the outbox, counted), as a real connector would be.
type countingCarrier struct {
	activities.CarrierGateway
	calls *calls
}

func (c countingCarrier) CheckPortability(ctx context.Context, numbers []string) ([]store.PortabilityResult, error) {
	c.calls.add("CheckPortability")
	return c.CarrierGateway.CheckPortability(ctx, numbers)
}

func (c countingCarrier) SubmitPortRequest(ctx context.Context, in store.LOASubmission) (int64, error) {
	c.calls.add("SubmitPortRequest")
	return c.CarrierGateway.SubmitPortRequest(ctx, in)
}

func (c countingCarrier) CustomerServiceRecords(ctx context.Context, carrier string, numbers []string) ([]porting.CustomerServiceRecord, error) {
	c.calls.add("CustomerServiceRecords")
	return c.CarrierGateway.CustomerServiceRecords(ctx, carrier, numbers)
}

func (c countingCarrier) Supplement(ctx context.Context, in store.CarrierSupp) (int64, error) {
	c.calls.add("Supplement")
	return c.CarrierGateway.Supplement(ctx, in)
}

// countingInstances is another InstanceAPI (the simulated one, counted).
type countingInstances struct {
	activities.InstanceAPI
	calls *calls
}

func (c countingInstances) Reserve(ctx context.Context, arn string) (time.Duration, error) {
	c.calls.add("Reserve")
	return c.InstanceAPI.Reserve(ctx, arn)
}

func (c countingInstances) AddNumbers(ctx context.Context, arn, flow, wf string, numbers []porting.PortNumber) error {
	c.calls.add("AddNumbers")
	return c.InstanceAPI.AddNumbers(ctx, arn, flow, wf, numbers)
}

func (c countingInstances) Activate(ctx context.Context, g store.PortGroup) error {
	c.calls.add("Activate")
	return c.InstanceAPI.Activate(ctx, g)
}

func (c countingInstances) TestCall(ctx context.Context, arn string, numbers []string) (bool, string, error) {
	c.calls.add("TestCall")
	return c.InstanceAPI.TestCall(ctx, arn, numbers)
}

func (c countingInstances) Detach(ctx context.Context, d store.Detach) (int, int, error) {
	c.calls.add("Detach")
	return c.InstanceAPI.Detach(ctx, d)
}

func TestActivitiesGoThroughTheGivenGateways(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := &calls{}
	f.a = &activities.Activities{
		DB: f.db, ProvisionBatchSize: 2,
		Carrier:   countingCarrier{activities.NewCarrierOutbox(f.db, []byte("test-salt")), c},
		Instances: countingInstances{activities.NewSimulatedInstanceAPI(f.db), c},
	}
	nums := numbers(3, "Acme Telecom")
	in := f.record(t, "gw", nums)
	ni := f.numbersInput(in.WorkflowID, nums)
	_, err := f.a.CheckPortability(ctx, activities.PortabilityInput{WorkflowID: in.WorkflowID, Numbers: nums})
	require.NoError(t, err)
	_, err = f.a.SubmitLOA(ctx, activities.SubmitLOAInput{WorkflowID: in.WorkflowID, Group: ni.Group, Carrier: "Acme Telecom",
		NumberType: "did", Version: 1, LOA: loa()})
	require.NoError(t, err)
	res, err := f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	require.Equal(t, 3, res.Provisioned)
	require.NoError(t, f.a.ActivateNumbers(ctx, ni))
	v, err := f.a.VerifyTestCall(ctx, ni)
	require.NoError(t, err)
	require.True(t, v.Answered, v.Reason)
	require.Equal(t, map[string]int{"CheckPortability": 1, "SubmitPortRequest": 1, "Reserve": 2, "AddNumbers": 2, "Activate": 1, "TestCall": 1}, c.n)
}

func TestNumberLevelActivitiesGoThroughTheGivenGateways(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := &calls{}
	f.a = &activities.Activities{
		DB:        f.db,
		Carrier:   countingCarrier{activities.NewCarrierOutbox(f.db, []byte("test-salt")), c},
		Instances: countingInstances{activities.NewSimulatedInstanceAPI(f.db), c},
	}
	nums := numbers(3, "Acme Telecom")
	in := f.record(t, "gw-changes", nums)
	group := porting.GroupName("Acme Telecom", porting.NumberTypeDID)
	_, err := f.a.CheckCSR(ctx, activities.CSRCheckInput{WorkflowID: in.WorkflowID, Group: group, Carrier: "Acme Telecom",
		Numbers: store.E164List(nums), LOAVersion: 1, LOA: loa()})
	require.NoError(t, err)
	date := time.Now().Add(72 * time.Hour)
	_, err = f.a.SubmitSupp(ctx, activities.SuppInput{WorkflowID: in.WorkflowID, Group: group, Carrier: "Acme Telecom", Round: 1,
		Change: activities.SuppPortDate, PortDate: &date})
	require.NoError(t, err)
	_, err = f.a.SplitNumbers(ctx, activities.DetachInput{WorkflowID: in.WorkflowID, Group: group, InstanceARN: f.arn, Numbers: nums[:1],
		To: porting.SplitGroupName(group, 2), Reason: "PIN_INVALID"})
	require.NoError(t, err)
	_, err = f.a.RemoveNumbers(ctx, activities.DetachInput{WorkflowID: in.WorkflowID, Group: group, InstanceARN: f.arn, Numbers: nums[1:2], Reason: "kept"})
	require.NoError(t, err)
	require.Equal(t, map[string]int{"CustomerServiceRecords": 1, "Supplement": 1, "Detach": 2}, c.n)
}
