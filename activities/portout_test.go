package activities_test

import (
	"encoding/json"
	"fmt"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// The ownership records of the port-out fixtures' instance.
const (
	ownerName      = "Doe Holdings LLC"
	ownerAddress   = "1 Main St, New York, NY 10001"
	billingContact = "billing@doe.example"
)

// portOutFixture is a fixture whose instance has ownership records and n active numbers.
func portOutFixture(t *testing.T, n int) (*fixture, []string) {
	t.Helper()
	f := newFixture(t)
	_, err := store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, OwnerName: ownerName, Address: ownerAddress, BillingContact: billingContact})
	require.NoError(t, err)
	return f, f.claim(t, n)
}

// claim gives the fixture's instance n fresh active numbers mapped to flow Main.
func (f *fixture) claim(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for _, num := range numbers(n, "") {
		require.NoError(t, store.ClaimNumber(ctx, f.db, f.arn, num.E164, "did", flowMain))
		out = append(out, num.E164)
	}
	return out
}

func (f *fixture) portOut(id string, nums []string) activities.RecordPortOutInput {
	return activities.RecordPortOutInput{
		WorkflowID: porting.PortOutWorkflowID(id),
		Request: porting.PortOutRequest{
			RequestID: id, InstanceARN: f.arn, Numbers: nums, WinningCarrier: "Beta Wireless",
			CustomerContact: porting.Contact{Name: "Pat Doe", Email: "pat@example.com"},
		},
	}
}

func (f *fixture) recordPortOut(t *testing.T, id string, nums []string) activities.RecordPortOutInput {
	t.Helper()
	in := f.portOut(id, nums)
	_, err := f.a.RecordPortOut(ctx, in)
	require.NoError(t, err)
	return in
}

func matchingClaim(nums []string) porting.WinningCarrierRequest {
	return porting.WinningCarrierRequest{
		Carrier: "Beta Wireless", OwnerName: ownerName, Address: ownerAddress, BillingContact: billingContact,
		Numbers: nums, LOARef: "loa-beta-1.pdf", RequestedAt: time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC),
	}
}

func TestRecordPortOutRecordsOnceAndLocksNumbers(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	in := f.portOut("out-rec", nums)

	res := twice(t, f.db, func() (activities.RecordPortOutResult, error) { return f.a.RecordPortOut(ctx, in) })
	require.Equal(t, activities.RecordPortOutResult{Region: "us-east-1"}, res)

	require.Equal(t, 1, pgtest.Count(t, f.db, "port_requests", `workflow_id = 'port-out-out-rec' AND kind = 'port_out' AND state = 'awaiting_winning_carrier'`))
	require.Equal(t, 2, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = 'port-out-out-rec' AND active AND type = 'did' AND "group" = 'Beta Wireless' AND carrier = 'Beta Wireless'`))
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = 'port-out-out-rec' AND action = 'port_out_recorded'`))
	// The numbers stay with the instance, active, until the release.
	require.Equal(t, 2, pgtest.Count(t, f.db, "phone_numbers", `instance_arn = $1 AND state = 'active' AND contact_flow = 'Main'`, f.arn))

	// Locked: a port-in or another claim cannot take them.
	err := store.ClaimNumber(ctx, f.db, f.instance(t, "us-west-2"), nums[0], "did", "")
	require.Error(t, err)
}

func TestRecordPortOutRefusals(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 4)
	other := f.instance(t, "us-west-2")
	elsewhere := numbers(1, "")[0].E164
	require.NoError(t, store.ClaimNumber(ctx, f.db, other, elsewhere, "did", ""))
	never := numbers(1, "")[0].E164
	f.recordPortOut(t, "first", nums[3:4])

	// A number a port-in provisioned on this instance (not active yet).
	pin := numbers(1, "Acme")
	pinIn := f.record(t, "pin", pin)
	_, err := f.a.ProvisionNumbers(ctx, f.numbersInput(pinIn.WorkflowID, pin))
	require.NoError(t, err)

	// A number this instance released in an earlier port-out.
	gone := f.claim(t, 1)[0]
	done := f.recordPortOut(t, "gone", []string{gone})
	_, err = f.a.ReleasePortOutNumbers(ctx, activities.ReleasePortOutInput{WorkflowID: done.WorkflowID, InstanceARN: f.arn, Numbers: []string{gone}})
	require.NoError(t, err)
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: done.WorkflowID, State: porting.StateCompleted}))

	cases := []struct {
		name    string
		edit    func(in *activities.RecordPortOutInput)
		errType string
		msg     string
	}{
		{"instance missing", func(in *activities.RecordPortOutInput) {
			in.Request.InstanceARN = "arn:aws:connect:us-east-1:123456789012:instance/nope"
		}, activities.ErrInstanceNotFound, "instance_arn: instance arn:aws:connect:us-east-1:123456789012:instance/nope does not exist"},
		{"no instance arn", func(in *activities.RecordPortOutInput) { in.Request.InstanceARN = "" },
			activities.ErrInvalidInput, "instance_arn: is required: a port-out cannot be processed without the instance ARN"},
		{"never held", func(in *activities.RecordPortOutInput) { in.Request.Numbers[1] = never },
			activities.ErrNumberNotHeld, fmt.Sprintf("numbers[1]: %s is not held by instance %s", never, f.arn)},
		{"held by another instance", func(in *activities.RecordPortOutInput) { in.Request.Numbers[2] = elsewhere },
			activities.ErrNumberNotHeld, fmt.Sprintf("numbers[2]: %s is not held by instance %s", elsewhere, f.arn)},
		{"released", func(in *activities.RecordPortOutInput) { in.Request.Numbers[0] = gone },
			activities.ErrNumberReleased, fmt.Sprintf("numbers[0]: %s was released from instance %s at ", gone, f.arn)},
		{"provisioned by a port-in", func(in *activities.RecordPortOutInput) { in.Request.Numbers[1] = pin[0].E164 },
			activities.ErrNumberNotActive, fmt.Sprintf("numbers[1]: %s is provisioned on instance %s (brought in by port port-in-pin), not active", pin[0].E164, f.arn)},
		{"in another active port", func(in *activities.RecordPortOutInput) { in.Request.Numbers[2] = nums[3] },
			activities.ErrNumberAlreadyPorting, fmt.Sprintf("numbers[2]: %s is already in an active port (port-out-first)", nums[3])},
		{"duplicate number", func(in *activities.RecordPortOutInput) { in.Request.Numbers[2] = in.Request.Numbers[0] },
			activities.ErrInvalidInput, "numbers[2]: duplicate of numbers[0]"},
		{"no workflow id", func(in *activities.RecordPortOutInput) { in.WorkflowID = "" },
			activities.ErrInvalidInput, "workflow_id: is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, f.db)
			in := f.portOut("refused", append([]string(nil), nums[:3]...))
			c.edit(&in)
			_, err := f.a.RecordPortOut(ctx, in)
			requireAppErr(t, err, c.errType, c.msg)
			require.Equal(t, before, snapshot(t, f.db), "a refusal writes nothing and locks nothing")
		})
	}

	t.Run("same workflow, different request", func(t *testing.T) {
		_, err := f.a.RecordPortOut(ctx, f.portOut("first", nums[:1]))
		requireAppErr(t, err, activities.ErrRequestConflict, "request_id: port port-out-first is already recorded with a different request")
	})
	t.Run("request id of an ended port", func(t *testing.T) {
		_, err := f.a.RecordPortOut(ctx, f.portOut("gone", []string{gone}))
		requireAppErr(t, err, activities.ErrRequestConflict, "request_id: gone was already used by port port-out-gone, which ended (completed)")
	})
}

// Porting is not supported in the Asia Pacific (Tokyo) region: a port-out from there is refused, as
// a port-in is, and nothing is written.
func TestRecordPortOutRefusesTokyo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.arn = f.instance(t, porting.TokyoRegion)
	nums := f.claim(t, 1)
	before := snapshot(t, f.db)
	_, err := f.a.RecordPortOut(ctx, f.portOut("tokyo", nums))
	requireAppErr(t, err, activities.ErrRegionNotSupported,
		"instance_arn: porting is not supported for instances in the Asia Pacific (Tokyo) region (ap-northeast-1)")
	require.Equal(t, before, snapshot(t, f.db), "a refusal writes nothing and locks nothing")
}

// Two port-outs race for the same number: exactly one records it, the other is told which port has it.
func TestRecordPortOutConcurrentSameNumber(t *testing.T) {
	t.Parallel()
	f, _ := portOutFixture(t, 0)
	for round := range 5 {
		nums := f.claim(t, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		ids := []string{fmt.Sprintf("race-%d-a", round), fmt.Sprintf("race-%d-b", round)}
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// a names the shared number first, b second.
				in := f.portOut(ids[i], []string{nums[0]})
				if i == 1 {
					in = f.portOut(ids[i], []string{nums[1], nums[0]})
				}
				<-start
				_, errs[i] = f.a.RecordPortOut(ctx, in)
			}()
		}
		close(start)
		wg.Wait()

		winner, loser := 0, 1
		if errs[0] != nil {
			winner, loser = 1, 0
		}
		require.NoError(t, errs[winner], "round %d: one port wins", round)
		field := "numbers[0]"
		if loser == 1 {
			field = "numbers[1]"
		}
		requireAppErr(t, errs[loser], activities.ErrNumberAlreadyPorting,
			fmt.Sprintf("%s: %s is already in an active port (port-out-%s)", field, nums[0], ids[winner]))
		require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers", `e164 = $1 AND active`, nums[0]))
		require.Zero(t, pgtest.Count(t, f.db, "port_requests", `workflow_id = $1`, "port-out-"+ids[loser]))
	}
}

func TestVerifyOwnershipNamesOnlyTheMismatchedFields(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	in := f.recordPortOut(t, "verify", nums)
	verify := func(round int, edit func(c *porting.WinningCarrierRequest)) activities.VerifyOwnershipResult {
		t.Helper()
		claim := matchingClaim([]string{nums[1], nums[0]}) // the numbers as a set: order does not matter
		edit(&claim)
		vi := activities.VerifyOwnershipInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: round, Claim: claim}
		return twice(t, f.db, func() (activities.VerifyOwnershipResult, error) { return f.a.VerifyOwnership(ctx, vi) })
	}

	cases := []struct {
		name string
		edit func(c *porting.WinningCarrierRequest)
		want []string
	}{
		{"owner name spelled differently", func(c *porting.WinningCarrierRequest) { c.OwnerName = "Doe Holdings, LLC" }, []string{"owner_name"}},
		{"owner name with a full stop", func(c *porting.WinningCarrierRequest) { c.OwnerName = "Doe Holdings LLC." }, []string{"owner_name"}},
		{"address with another house number", func(c *porting.WinningCarrierRequest) { c.Address = "11 Main St, New York, NY 10001" }, []string{"address"}},
		{"billing contact", func(c *porting.WinningCarrierRequest) { c.BillingContact = "pat@doe.example" }, []string{"billing_contact"}},
		{"a number missing", func(c *porting.WinningCarrierRequest) { c.Numbers = c.Numbers[:1] }, []string{"numbers"}},
		{"an extra number", func(c *porting.WinningCarrierRequest) { c.Numbers = append(c.Numbers, "+12125559999") }, []string{"numbers"}},
		{"everything", func(c *porting.WinningCarrierRequest) {
			c.OwnerName, c.Address, c.BillingContact, c.Numbers = "x", "y", "z", []string{"+12125559999"}
		}, []string{"owner_name", "address", "billing_contact", "numbers"}},
	}
	for i, c := range cases {
		res := verify(i+1, c.edit)
		require.Equal(t, activities.VerifyOwnershipResult{Matched: false, Mismatched: c.want}, res, c.name)
		b, _ := json.Marshal(res)
		for _, stored := range []string{ownerName, ownerAddress, billingContact} {
			require.NotContains(t, string(b), stored, "%s: the result never carries stored values", c.name)
		}
		require.Equal(t, "rejected_mismatch", stateOf(t, f, in.WorkflowID))
	}

	res := verify(len(cases)+1, func(*porting.WinningCarrierRequest) {})
	require.Equal(t, activities.VerifyOwnershipResult{Matched: true}, res)
	require.Equal(t, "approved", stateOf(t, f, in.WorkflowID))
	require.Equal(t, len(cases), pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'ownership_mismatch'`, in.WorkflowID))
	var details []string
	pgtest.Select(t, f.db, &details, `detail::text`, "audit_log", `workflow_id = $1`, in.WorkflowID)
	for _, d := range details {
		require.NotContains(t, d, ownerAddress, "the audit keeps no ownership record")
	}

	t.Run("a round is verified once, even if the records change", func(t *testing.T) {
		_, err := store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, OwnerName: "Someone Else"})
		require.NoError(t, err)
		again, err := f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{
			WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: len(cases) + 1, Claim: matchingClaim(nums)})
		require.NoError(t, err)
		require.True(t, again.Matched)
	})
}

// The seeds' "exactly" is read by porting.SameText: NFC, white space trimmed and collapsed, case
// ignored. The instance's records are stored normalized, and a claim that differs only in those ways
// matches; a genuinely different name still mismatches, naming only the field.
func TestVerifyOwnershipNormalizesBothSides(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const (
		nfcName    = "Jos\u00e9 M\u00fcller"                 // NFC
		nfdClaim   = "  JOSE\u0301   mu\u0308ller \t"        // NFD, extra spaces, another case
		nfcAddress = "12 Rue de l\u2019\u00c9glise,  Paris " // stored with a double and a trailing space
		address2   = "12 rue de l\u2019E\u0301glise,\nParis" // NFD, newline
		contact    = "billing@muller.example"
	)
	inst, err := store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, OwnerName: nfcName, Address: nfcAddress, BillingContact: " " + contact})
	require.NoError(t, err)
	require.Equal(t, "Jos\u00e9 M\u00fcller", inst.OwnerName)
	require.Equal(t, "12 Rue de l\u2019\u00c9glise, Paris", inst.Address, "stored normalized")
	require.Equal(t, contact, inst.BillingContact, "stored normalized")
	require.Equal(t, 1, pgtest.Count(t, f.db, "instances", `arn = $1 AND owner_name = $2 AND address = $3 AND billing_contact = $4`,
		f.arn, "Jos\u00e9 M\u00fcller", "12 Rue de l\u2019\u00c9glise, Paris", contact))

	nums := f.claim(t, 1)
	in := f.recordPortOut(t, "nfd", nums)
	claim := porting.WinningCarrierRequest{
		Carrier: "  beta   WIRELESS ", OwnerName: nfdClaim, Address: address2, BillingContact: "Billing@Muller.Example",
		Numbers: nums, LOARef: " loa-1.pdf ", RequestedAt: time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC),
	}
	res, err := f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: 1, Claim: claim})
	require.NoError(t, err)
	require.Equal(t, activities.VerifyOwnershipResult{Matched: true}, res)
	require.Equal(t, "approved", stateOf(t, f, in.WorkflowID))
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND detail->>'carrier' = 'beta WIRELESS' AND detail->>'loa_ref' = 'loa-1.pdf'`, in.WorkflowID),
		"the claim's carrier data is recorded normalized")

	claim.OwnerName = "Jose Muller" // without the accents: another spelling
	res, err = f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: 2, Claim: claim})
	require.NoError(t, err)
	require.Equal(t, activities.VerifyOwnershipResult{Matched: false, Mismatched: []string{"owner_name"}}, res)
	require.Equal(t, "rejected_mismatch", stateOf(t, f, in.WorkflowID))
}

func TestVerifyOwnershipWithoutRecordsReportsThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // no ownership records
	nums := f.claim(t, 1)
	in := f.recordPortOut(t, "no-records", nums)
	claim := matchingClaim(nums)
	res, err := f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: 1, Claim: claim})
	require.NoError(t, err)
	require.Equal(t, activities.VerifyOwnershipResult{
		Mismatched:     []string{"owner_name", "address", "billing_contact"},
		MissingRecords: []string{"owner_name", "address", "billing_contact"},
	}, res)
}

func TestReleasePortOutNumbersIsExactlyOnce(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	keep := f.claim(t, 1)[0]
	in := f.recordPortOut(t, "release", nums)
	ri := activities.ReleasePortOutInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Carrier: "Beta Wireless"}

	before := time.Now().Add(-time.Minute)
	res := twice(t, f.db, func() (activities.ReleasePortOutResult, error) { return f.a.ReleasePortOutNumbers(ctx, ri) })
	require.Equal(t, nums, res.Released)
	require.True(t, res.ReleasedAt.After(before), "released_at is the database's time of the release: %s", res.ReleasedAt)

	list, err := store.ListNumbers(ctx, f.db, f.arn)
	require.NoError(t, err)
	states := map[string]store.PhoneNumber{}
	for _, n := range list {
		states[n.E164] = n
	}
	for _, n := range nums {
		require.Equal(t, "released", states[n].State)
		require.Empty(t, states[n].ContactFlow, "disassociated from its contact flow")
	}
	require.Equal(t, "active", states[keep].State, "the instance's other numbers stay")
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'numbers_released_port_out'`, in.WorkflowID))
	require.Equal(t, 2, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND active AND state = 'released'`, in.WorkflowID),
		"still locked until the port finishes")

	twiceErr(t, f.db, func() error {
		return f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateCompleted})
	})
	require.Equal(t, 2, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND NOT active AND state = 'completed'`, in.WorkflowID))

	// A new port-out naming the released number is refused: the instance no longer owns it.
	before2 := snapshot(t, f.db)
	_, err = f.a.RecordPortOut(ctx, f.portOut("release-again", nums[1:]))
	requireAppErr(t, err, activities.ErrNumberReleased, fmt.Sprintf("numbers[0]: %s was released from instance %s at ", nums[1], f.arn))
	require.Equal(t, before2, snapshot(t, f.db))

	// It cannot be claimed again either: it belongs to the winning carrier now.
	err = store.ClaimNumber(ctx, f.db, f.arn, nums[0], "did", "")
	require.ErrorContains(t, err, "a released number cannot be claimed again")
	var inv *store.InventoryError
	require.ErrorAs(t, err, &inv)
	require.Equal(t, store.InventoryRefused, inv.Kind)

	// A late retry of the release changes nothing.
	snap := snapshot(t, f.db)
	again, err := f.a.ReleasePortOutNumbers(ctx, ri)
	require.NoError(t, err)
	require.Equal(t, res, again)
	require.Equal(t, snap, snapshot(t, f.db), "a rerun changes nothing")
}

// A port-out takes back the limit increase of the numbers it releases that came in through a port-in
// (once, even on a rerun); numbers claimed directly, within the base limit, lower nothing.
func TestReleasePortOutNumbersLowersTheLimitForPortedInNumbers(t *testing.T) {
	t.Parallel()
	f, direct := portOutFixture(t, 2) // base limit 10
	ported := numbers(3, "Acme Telecom")
	pin := f.record(t, "pin-limit", ported)
	ni := f.numbersInput(pin.WorkflowID, ported)
	_, err := f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	require.NoError(t, f.a.ActivateNumbers(ctx, ni))
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: pin.WorkflowID, State: porting.StateCompleted}))
	require.Equal(t, 13, f.limit(t), "the port-in raised the limit by 3")

	leaving := []string{direct[0], ported[0].E164, ported[2].E164}
	out := f.recordPortOut(t, "out-limit", leaving)
	ri := activities.ReleasePortOutInput{WorkflowID: out.WorkflowID, InstanceARN: f.arn, Numbers: leaving, Carrier: "Beta Wireless"}
	twice(t, f.db, func() (activities.ReleasePortOutResult, error) { return f.a.ReleasePortOutNumbers(ctx, ri) })
	require.Equal(t, 11, f.limit(t), "lowered by the 2 ported-in numbers released, not by the directly claimed one")
	require.Equal(t, 1, pgtest.Int(t, f.db, `amount`, "limit_increases", `workflow_id = $1`, pin.WorkflowID),
		"the port-in's increase keeps what its remaining number needs")
	var detail struct {
		LimitDecrease int      `json:"limit_decrease"`
		PortedIn      []string `json:"ported_in_numbers"`
		Limit         int      `json:"phone_number_limit"`
	}
	var raw []byte
	pgtest.Get(t, f.db, &raw, `detail`, "audit_log", `workflow_id = $1 AND action = 'numbers_released_port_out'`, out.WorkflowID)
	require.NoError(t, json.Unmarshal(raw, &detail))
	require.Equal(t, 2, detail.LimitDecrease)
	require.Equal(t, []string{ported[0].E164, ported[2].E164}, detail.PortedIn)
	require.Equal(t, 11, detail.Limit)

	// Re-registering the instance with its base limit keeps the arithmetic: 10 + the 1 left.
	_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, PhoneNumberLimit: 10})
	require.NoError(t, err)
	require.Equal(t, 11, f.limit(t))

	// A port-out of directly claimed numbers only lowers nothing.
	only := f.recordPortOut(t, "out-direct", direct[1:])
	_, err = f.a.ReleasePortOutNumbers(ctx, activities.ReleasePortOutInput{WorkflowID: only.WorkflowID, InstanceARN: f.arn, Numbers: direct[1:]})
	require.NoError(t, err)
	require.Equal(t, 11, f.limit(t))
}

func TestReleasePortOutNumbersRefusals(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	in := f.recordPortOut(t, "rel-refused", nums[:1])

	// Not locked by this port: nothing is released.
	before := snapshot(t, f.db)
	_, err := f.a.ReleasePortOutNumbers(ctx, activities.ReleasePortOutInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums})
	requireAppErr(t, err, activities.ErrRequestConflict, fmt.Sprintf("numbers[1]: %s is not locked by port port-out-rel-refused", nums[1]))
	require.Equal(t, before, snapshot(t, f.db))

	// A cancelled port-out has unlocked its numbers: a late release releases nothing.
	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: in.WorkflowID, State: porting.StateCancelled}))
	_, err = f.a.ReleasePortOutNumbers(ctx, activities.ReleasePortOutInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums[:1]})
	requireAppErr(t, err, activities.ErrRequestConflict, "is not locked by port port-out-rel-refused")
	require.Equal(t, 2, pgtest.Count(t, f.db, "phone_numbers", `instance_arn = $1 AND state = 'active'`, f.arn))
}

// The whole life of a port-out, every activity run twice: the second run returns the same and
// leaves exactly the same rows in every table.
func TestPortOutActivitiesRunTwiceLeaveTheSameRows(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	in := f.portOut("life", nums)
	wf := in.WorkflowID

	twice(t, f.db, func() (activities.RecordPortOutResult, error) { return f.a.RecordPortOut(ctx, in) })
	twiceErr(t, f.db, func() error {
		return f.a.Notify(ctx, activities.Notification{WorkflowID: wf, Key: "start-with-winning-carrier", Kind: "port_out_started", Recipient: "customer"})
	})
	wrong := matchingClaim(nums)
	wrong.OwnerName = "Doe Holding LLC"
	twice(t, f.db, func() (activities.VerifyOwnershipResult, error) {
		return f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{WorkflowID: wf, InstanceARN: f.arn, Numbers: nums, Round: 1, Claim: wrong})
	})
	twiceErr(t, f.db, func() error {
		return f.a.Notify(ctx, activities.Notification{WorkflowID: wf, Key: "ownership-mismatch/1", Kind: "ownership_mismatch", Recipient: "carrier"})
	})
	twice(t, f.db, func() (activities.VerifyOwnershipResult, error) {
		return f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{WorkflowID: wf, InstanceARN: f.arn, Numbers: nums, Round: 2, Claim: matchingClaim(nums)})
	})
	twice(t, f.db, func() (activities.ReleasePortOutResult, error) {
		return f.a.ReleasePortOutNumbers(ctx, activities.ReleasePortOutInput{WorkflowID: wf, InstanceARN: f.arn, Numbers: nums})
	})
	twiceErr(t, f.db, func() error {
		return f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: wf, State: porting.StateCompleted})
	})

	var actions []string
	entries, err := store.AuditLog(ctx, f.db, wf)
	require.NoError(t, err)
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"port_out_recorded", "notification_queued", "ownership_mismatch", "notification_queued",
		"ownership_verified", "numbers_released_port_out", "port_finished"}, actions)
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_requests", `workflow_id = $1 AND state = 'completed' AND finished_at IS NOT NULL`, wf))
	require.Equal(t, 2, pgtest.Count(t, f.db, "phone_numbers", `instance_arn = $1 AND state = 'released' AND contact_flow IS NULL`, f.arn))
}

func stateOf(t *testing.T, f *fixture, workflowID string) string {
	t.Helper()
	var s string
	pgtest.Get(t, f.db, &s, `state`, "port_requests", `workflow_id = $1`, workflowID)
	return s
}
