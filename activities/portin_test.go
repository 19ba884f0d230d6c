package activities_test

import (
	"fmt"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestRecordPortInRecordsOnceAndLocksNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := append(numbers(2, "Acme Telecom"), porting.PortNumber{E164: "+18005550100", Type: porting.NumberTypeTollFree, Carrier: "Beta Tel"})
	in := f.request("rec-1", nums)

	res := twice(t, f.db, func() (activities.RecordPortInResult, error) { return f.a.RecordPortIn(ctx, in) })
	require.Equal(t, activities.RecordPortInResult{Region: "us-east-1", PhoneNumberLimit: 10}, res)

	require.Equal(t, 1, pgtest.Count(t, f.db, "port_requests", `workflow_id = 'port-in-rec-1' AND kind = 'port_in' AND request_id = 'rec-1'`))
	var groups []string
	pgtest.Select(t, f.db, &groups, `"group"`, "port_request_numbers", `workflow_id = 'port-in-rec-1' AND active ORDER BY e164`)
	require.Equal(t, []string{"Acme Telecom/did", "Acme Telecom/did", "Beta Tel/toll_free"}, groups)
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = 'port-in-rec-1' AND action = 'port_in_recorded'`))
}

// The activity canonicalises carriers as the workflow does: "acme telecom " is "Acme Telecom", so
// the groups recorded are the workflow's groups.
func TestRecordPortInRecordsOneGroupPerCarrierWhateverItsSpelling(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, "Acme Telecom")
	nums[1].Carrier = "acme  telecom "
	nums[2].Carrier = "ACME TELECOM"
	in := f.request("spell", nums)
	twice(t, f.db, func() (activities.RecordPortInResult, error) { return f.a.RecordPortIn(ctx, in) })
	var rows []string
	pgtest.Select(t, f.db, &rows, `DISTINCT "group" || '|' || carrier`, "port_request_numbers", `workflow_id = $1`, in.WorkflowID)
	require.Equal(t, []string{"Acme Telecom/did|Acme Telecom"}, rows)
}

func TestRecordPortInRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tokyo := f.instance(t, "ap-northeast-1")
	require.NoError(t, store.AddContactFlow(ctx, f.db, f.arn, "Draft", false))

	held := numbers(1, "Acme")[0]
	require.NoError(t, store.ClaimNumber(ctx, f.db, f.arn, held.E164, "did", ""))
	other := f.instance(t, "us-west-2")
	heldElsewhere := numbers(1, "Acme")[0]
	require.NoError(t, store.ClaimNumber(ctx, f.db, other, heldElsewhere.E164, "did", ""))
	porting1 := numbers(1, "Acme")[0]
	f.record(t, "first", []porting.PortNumber{porting1})

	cases := []struct {
		name    string
		edit    func(in *activities.RecordPortInInput)
		errType string
		msg     string
	}{
		{"instance missing", func(in *activities.RecordPortInInput) {
			in.Request.InstanceARN = "arn:aws:connect:us-east-1:123456789012:instance/nope"
		}, activities.ErrInstanceNotFound, "instance_arn: instance arn:aws:connect:us-east-1:123456789012:instance/nope does not exist"},
		{"tokyo", func(in *activities.RecordPortInInput) { in.Request.InstanceARN = tokyo },
			activities.ErrRegionNotSupported, "instance_arn: porting is not supported for instances in the Asia Pacific (Tokyo) region (ap-northeast-1)"},
		{"flow missing", func(in *activities.RecordPortInInput) { in.Request.ContactFlow = "Nope" },
			activities.ErrContactFlowNotFound, `contact_flow: contact flow "Nope" does not exist on instance`},
		{"flow unpublished", func(in *activities.RecordPortInInput) { in.Request.ContactFlow = "Draft" },
			activities.ErrContactFlowNotPublished, `contact_flow: contact flow "Draft" of instance ` + f.arn + ` is not published`},
		{"held by this instance", func(in *activities.RecordPortInInput) { in.Request.Numbers[1] = held },
			activities.ErrNumberAlreadyInInstance, fmt.Sprintf("numbers[1].e164: %s is already held by instance %s (state active)", held.E164, f.arn)},
		{"held by another instance", func(in *activities.RecordPortInInput) { in.Request.Numbers[2] = heldElsewhere },
			activities.ErrNumberAlreadyInInstance, fmt.Sprintf("numbers[2].e164: %s is already held by instance %s", heldElsewhere.E164, other)},
		{"in another active port", func(in *activities.RecordPortInInput) { in.Request.Numbers[1] = porting1 },
			activities.ErrNumberAlreadyPorting, fmt.Sprintf("numbers[1].e164: %s is already in an active port (port-in-first)", porting1.E164)},
		{"duplicate number", func(in *activities.RecordPortInInput) { in.Request.Numbers[2] = in.Request.Numbers[0] },
			activities.ErrInvalidInput, "numbers[2].e164: duplicate of numbers[0]"},
		{"no workflow id", func(in *activities.RecordPortInInput) { in.WorkflowID = "" },
			activities.ErrInvalidInput, "workflow_id: is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, f.db)
			in := f.request("refused", numbers(3, "Acme"))
			c.edit(&in)
			_, err := f.a.RecordPortIn(ctx, in)
			requireAppErr(t, err, c.errType, c.msg)
			require.Equal(t, before, snapshot(t, f.db), "a refusal writes nothing")
		})
	}

	t.Run("same workflow, different request", func(t *testing.T) {
		in := f.request("first", numbers(1, "Acme"))
		_, err := f.a.RecordPortIn(ctx, in)
		requireAppErr(t, err, activities.ErrRequestConflict, "request_id: port port-in-first is already recorded with a different request")
	})
	t.Run("request id of an ended port", func(t *testing.T) {
		in := f.record(t, "ended", numbers(1, "Acme"))
		require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateCancelled}))
		_, err := f.a.RecordPortIn(ctx, in)
		requireAppErr(t, err, activities.ErrRequestConflict, "request_id: ended was already used by port port-in-ended, which ended (cancelled)")
	})
}

// Two ports race for the same number: exactly one records it, the other is told which port has it.
func TestRecordPortInConcurrentSameNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for round := range 10 {
		shared := numbers(1, "Acme")[0]
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		ids := []string{fmt.Sprintf("race-%d-a", round), fmt.Sprintf("race-%d-b", round)}
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := f.request(ids[i], append(numbers(2, "Acme"), shared))
				<-start
				_, errs[i] = f.a.RecordPortIn(ctx, in)
			}()
		}
		close(start)
		wg.Wait()

		winner, loser := 0, 1
		if errs[0] != nil {
			winner, loser = 1, 0
		}
		require.NoError(t, errs[winner], "round %d: one port wins", round)
		requireAppErr(t, errs[loser], activities.ErrNumberAlreadyPorting,
			fmt.Sprintf("numbers[2].e164: %s is already in an active port (port-in-%s)", shared.E164, ids[winner]))
		require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers", `e164 = $1 AND active`, shared.E164))
		require.Zero(t, pgtest.Count(t, f.db, "port_requests", `workflow_id = $1`, "port-in-"+ids[loser]))
	}
}

func TestCheckPortability(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, "Acme")
	listed := nums[1]
	premium := porting.PortNumber{E164: "+19002345678", Type: porting.NumberTypeDID, Carrier: "Acme"}
	nums = append(nums, premium)
	in := f.record(t, "portability", nums)
	require.NoError(t, store.AddNonPortableNumber(ctx, f.db, listed.E164, "number is disconnected at the losing carrier"))

	res := twice(t, f.db, func() ([]activities.PortabilityResult, error) {
		return f.a.CheckPortability(ctx, activities.PortabilityInput{WorkflowID: in.WorkflowID, Numbers: nums})
	})
	require.Equal(t, []activities.PortabilityResult{
		{E164: nums[0].E164, Portable: true},
		{E164: listed.E164, Portable: false, Reason: "number is disconnected at the losing carrier"},
		{E164: premium.E164, Portable: false, Reason: "premium-rate numbers cannot be ported"},
	}, res)

	var rows []struct {
		E164   string
		Active bool
		State  string
		Reason string
	}
	pgtest.Select(t, f.db, &rows, `e164, active, state, reason`, "port_request_numbers", `workflow_id = $1 ORDER BY e164`, in.WorkflowID)
	byNumber := map[string]int{}
	for i, r := range rows {
		byNumber[r.E164] = i
	}
	require.True(t, rows[byNumber[nums[0].E164]].Active)
	require.Equal(t, "awaiting_loa", rows[byNumber[nums[0].E164]].State)
	require.False(t, rows[byNumber[premium.E164]].Active)
	require.Equal(t, "not_portable", rows[byNumber[premium.E164]].State)
	require.Equal(t, "premium-rate numbers cannot be ported", rows[byNumber[premium.E164]].Reason)

	// A not-portable number is unlocked: another port may take it.
	f.record(t, "portability-2", []porting.PortNumber{listed})
}
