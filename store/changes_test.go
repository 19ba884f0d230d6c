package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

const acme = "Acme Telecom"

var acmeDID = porting.GroupName(acme, porting.NumberTypeDID)

func testLOA() porting.LOA {
	return porting.LOA{
		AuthorizedName: "Pat Doe", Address: "12 Main St", AccountNumber: "ACCT-99887766", PIN: "4321",
		SignedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), DocumentRef: "s3://loas/doe-1.pdf",
	}
}

// submitLOA records LOA version v of the group and submits it (its numbers then await the carrier).
func (f *fixture) submitLOA(t *testing.T, wf, group string, v int) {
	t.Helper()
	_, err := store.SubmitLOA(ctx, f.db, []byte("salt"), store.LOASubmission{
		WorkflowID: wf, Group: group, Carrier: acme, NumberType: porting.NumberTypeDID, Version: v, LOA: testLOA(),
	})
	require.NoError(t, err)
}

// provision puts the group's numbers on the instance as ProvisionNumbers does, raising the limit.
func (f *fixture) provision(t *testing.T, wf, group string, nums []porting.PortNumber) {
	t.Helper()
	g := store.PortGroup{WorkflowID: wf, Group: group, InstanceARN: f.arn, ContactFlow: flowMain, Numbers: nums}
	require.NoError(t, store.PrepareProvisioning(ctx, f.db, g, flowMain))
	require.NoError(t, store.AddProvisionedNumbers(ctx, f.db, f.arn, flowMain, wf, nums))
	_, _, err := store.FinishProvisioning(ctx, f.db, g, flowMain)
	require.NoError(t, err)
}

func (f *fixture) limit(t *testing.T) int {
	t.Helper()
	return count(t, f.db, `SELECT phone_number_limit FROM instances WHERE arn = $1`, f.arn)
}

// increase is the (workflow, group) limit increase, 0 when there is no row.
func (f *fixture) increase(t *testing.T, wf, group string) int {
	t.Helper()
	return count(t, f.db, `SELECT coalesce(sum(amount), 0) FROM limit_increases WHERE workflow_id = $1 AND "group" = $2`, wf, group)
}

// portRow is a number's row of the port.
type portRow struct {
	Group  string `db:"group"`
	Active bool   `db:"active"`
	State  string `db:"state"`
	Reason string `db:"reason"`
}

func (f *fixture) portRow(t *testing.T, wf, e164 string) portRow {
	t.Helper()
	var r portRow
	require.NoError(t, f.db.GetContext(ctx, &r, `
		SELECT "group", active, state, reason FROM port_request_numbers WHERE workflow_id = $1 AND e164 = $2`, wf, e164))
	return r
}

// numberState is the number's latest state on the instance ("" when it was never there).
func (f *fixture) numberState(t *testing.T, e164 string) string {
	t.Helper()
	var states []string
	require.NoError(t, f.db.SelectContext(ctx, &states, `SELECT state FROM phone_numbers WHERE e164 = $1 ORDER BY id DESC LIMIT 1`, e164))
	if len(states) == 0 {
		return ""
	}
	return states[0]
}

// auditDetail is the detail of the workflow's one audit row of action.
func (f *fixture) auditDetail(t *testing.T, wf, action string) map[string]any {
	t.Helper()
	var raw []byte
	require.NoError(t, f.db.GetContext(ctx, &raw, `SELECT detail FROM audit_log WHERE workflow_id = $1 AND action = $2`, wf, action))
	var detail map[string]any
	require.NoError(t, json.Unmarshal(raw, &detail))
	return detail
}

func TestSubmitSuppIsOneOutboxRowPerRound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, acme)
	wf := f.record(t, "supp", nums)
	f.submitLOA(t, wf, acmeDID, 1)
	f.submitLOA(t, wf, acmeDID, 2)

	date := time.Date(2026, 12, 14, 15, 0, 0, 0, time.FixedZone("EST", -5*3600))
	supp := store.CarrierSupp{WorkflowID: wf, Group: acmeDID, Carrier: acme, Round: 1, Change: store.SuppPortDate,
		PortDate: &date, By: "pat@example.com", Reason: "office move"}
	id := twice(t, f.db, func() (int64, error) { return store.SubmitSupp(ctx, f.db, supp) })
	require.NotZero(t, id)

	subs, err := store.PendingCarrierSubmissions(ctx, f.db, 10)
	require.NoError(t, err)
	require.Len(t, subs, 3, "two LOAs and one supp")
	s := subs[2]
	require.Equal(t, id, s.ID)
	require.Equal(t, store.SuppKey(wf, acmeDID, 1), s.IdempotencyKey)
	require.Equal(t, store.SubmissionSupp, s.Kind)
	require.Equal(t, 2, s.LOAVersion, "the latest LOA version, the one the carrier holds")
	var p store.SubmissionPayload
	require.NoError(t, json.Unmarshal(s.Payload, &p))
	utc := date.UTC()
	require.Equal(t, store.SubmissionPayload{
		WorkflowID: wf, Group: acmeDID, Kind: store.SubmissionSupp, Carrier: acme, Numbers: []string{nums[0].E164, nums[1].E164, nums[2].E164},
		LOAVersion: 2, Reason: "office move", Change: store.SuppPortDate, PortDate: &utc, By: "pat@example.com",
	}, p)

	// The next round is a row of its own; a removal lists the numbers left, without the removed one.
	rm := store.CarrierSupp{WorkflowID: wf, Group: acmeDID, Carrier: acme, Round: 2, Change: store.SuppRemoveNumbers,
		Removed: []string{nums[1].E164}, By: "pat@example.com", Reason: "number kept by the old carrier"}
	id2, err := store.SubmitSupp(ctx, f.db, rm)
	require.NoError(t, err)
	require.NotEqual(t, id, id2)
	subs, err = store.PendingCarrierSubmissions(ctx, f.db, 10)
	require.NoError(t, err)
	p = store.SubmissionPayload{}
	require.NoError(t, json.Unmarshal(subs[3].Payload, &p))
	require.Equal(t, []string{nums[0].E164, nums[2].E164}, p.Numbers)
	require.Equal(t, []string{nums[1].E164}, p.Removed)
	require.Nil(t, p.PortDate)
	require.Equal(t, 2, count(t, f.db, `SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'supp_submitted'`, wf))

	// Removing the group's last numbers is still told to the carrier, with none left.
	all := store.CarrierSupp{WorkflowID: wf, Group: acmeDID, Carrier: acme, Round: 3, Change: store.SuppRemoveNumbers,
		Removed: store.E164List(nums)}
	_, err = store.SubmitSupp(ctx, f.db, all)
	require.NoError(t, err)
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM carrier_submissions WHERE idempotency_key = $1 AND numbers = '{}'`, store.SuppKey(wf, acmeDID, 3)))
}

func TestSubmitSuppRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wf := f.record(t, "supp-bad", numbers(1, acme))
	date := time.Now().Add(72 * time.Hour)
	ok := store.CarrierSupp{WorkflowID: wf, Group: acmeDID, Carrier: acme, Round: 1, Change: store.SuppPortDate, PortDate: &date}
	for _, tc := range []struct {
		name string
		edit func(*store.CarrierSupp)
		msg  string
	}{
		{"round 0", func(s *store.CarrierSupp) { s.Round = 0 }, "round: must be 1 or more, got 0"},
		{"unknown change", func(s *store.CarrierSupp) { s.Change = "rename" }, `change: must be "port_date" or "remove_numbers", got "rename"`},
		{"no date", func(s *store.CarrierSupp) { s.PortDate = nil }, "port_date: is required for a port_date supp"},
		{"nothing removed", func(s *store.CarrierSupp) { s.Change = store.SuppRemoveNumbers }, "removed: at least one number is required"},
		{"removed not E.164", func(s *store.CarrierSupp) { s.Change, s.Removed = store.SuppRemoveNumbers, []string{"x"} }, "removed[0]: must be an E.164 number"},
		{"no numbers in the group", func(s *store.CarrierSupp) { s.Group = "Other/did" }, `numbers: none given and port ` + wf + ` has no active number in group "Other/did"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			_, err := store.SubmitSupp(ctx, f.db, s)
			requireRuleErr(t, err, store.ErrInvalidInput, tc.msg)
		})
	}
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM carrier_submissions`))
}

func TestDetachNumbers(t *testing.T) {
	t.Parallel()
	t.Run("split of one of three numbers awaiting the carrier", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		nums := numbers(3, acme)
		wf := f.record(t, "split-1", nums)
		f.submitLOA(t, wf, acmeDID, 1)
		split := porting.SplitGroupName(acmeDID, 2)
		d := store.Detach{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[1:2], To: split, Reason: "BTN_MISMATCH: billing number differs"}
		got := twice(t, f.db, func() ([2]int, error) {
			released, limit, err := store.DetachNumbers(ctx, f.db, d)
			return [2]int{released, limit}, err
		})
		require.Equal(t, [2]int{0, 10}, got, "nothing on the instance, the limit as it was")
		require.Equal(t, portRow{Group: split, Active: true, State: string(porting.StateLOARejected), Reason: d.Reason}, f.portRow(t, wf, nums[1].E164))
		for _, n := range []porting.PortNumber{nums[0], nums[2]} {
			require.Equal(t, portRow{Group: acmeDID, Active: true, State: string(porting.StateAwaitingCarrier)}, f.portRow(t, wf, n.E164))
		}
		require.Zero(t, count(t, f.db, `SELECT count(*) FROM phone_numbers`))
		detail := f.auditDetail(t, wf, "numbers_split")
		require.Equal(t, split, detail["to"])
		require.Equal(t, acmeDID, detail["group"])
		require.EqualValues(t, 0, detail["released"])
	})

	t.Run("removal of one of three provisioned numbers", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		nums := numbers(3, acme)
		wf := f.record(t, "remove-1", nums)
		f.provision(t, wf, acmeDID, nums)
		require.Equal(t, 13, f.limit(t))
		d := store.Detach{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[:1], Reason: "customer keeps it"}
		got := twice(t, f.db, func() ([2]int, error) {
			released, limit, err := store.DetachNumbers(ctx, f.db, d)
			return [2]int{released, limit}, err
		})
		require.Equal(t, [2]int{1, 12}, got)
		require.Equal(t, 12, f.limit(t), "a rerun lowers nothing more")
		require.Equal(t, 2, f.increase(t, wf, acmeDID))
		require.Equal(t, store.NumberReleased, f.numberState(t, nums[0].E164))
		require.Zero(t, count(t, f.db, `SELECT count(*) FROM phone_numbers WHERE e164 = $1 AND contact_flow IS NOT NULL`, nums[0].E164))
		require.Equal(t, store.NumberProvisioned, f.numberState(t, nums[1].E164))
		require.Equal(t, portRow{Group: acmeDID, State: string(porting.StateCancelled), Reason: d.Reason}, f.portRow(t, wf, nums[0].E164))
		require.Equal(t, string(porting.StateProvisioned), f.portRow(t, wf, nums[2].E164).State)
		detail := f.auditDetail(t, wf, "numbers_removed")
		require.EqualValues(t, 1, detail["released"])
		require.EqualValues(t, 1, detail["limit_decrease"])
		require.EqualValues(t, 12, detail["phone_number_limit"])

		// The number is free for another port.
		f.record(t, "remove-1-again", nums[:1])
	})

	t.Run("removal of every number of a provisioned group", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		nums := numbers(3, acme)
		wf := f.record(t, "remove-all", nums)
		f.provision(t, wf, acmeDID, nums)
		released, limit, err := store.DetachNumbers(ctx, f.db, store.Detach{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums, Reason: "r"})
		require.NoError(t, err)
		require.Equal(t, 3, released)
		require.Equal(t, 10, limit, "back to the base limit")
		require.Zero(t, count(t, f.db, `SELECT count(*) FROM limit_increases`), "the increase is gone")
		require.Zero(t, count(t, f.db, `SELECT count(*) FROM phone_numbers WHERE state <> 'released'`))
		require.Zero(t, count(t, f.db, `SELECT count(*) FROM port_request_numbers WHERE active`))

		// ReleaseNumbers of the group afterwards (the workflow's cancel path) lowers nothing more.
		require.NoError(t, store.ReleaseNumbers(ctx, f.db, store.PortGroup{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums}))
		require.Equal(t, 10, f.limit(t))
	})

	t.Run("port-out removal unlocks the number, which stays on the instance", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		var held []string
		for _, n := range numbers(2, "") {
			require.NoError(t, store.ClaimNumber(ctx, f.db, f.arn, n.E164, porting.NumberTypeDID, flowMain))
			held = append(held, n.E164)
		}
		req := porting.PortOutRequest{RequestID: "out-1", InstanceARN: f.arn, Numbers: held, WinningCarrier: "Beta Wireless",
			CustomerContact: porting.Contact{Name: "Pat Doe", Email: "pat@example.com"}}
		wf := porting.PortOutWorkflowID(req.RequestID)
		_, err := store.RecordPortOut(ctx, f.db, wf, req)
		require.NoError(t, err)

		for i, group := range []string{"Beta Wireless", ""} { // the port-out's group, or none: found by number
			d := store.Detach{WorkflowID: wf, Group: group, InstanceARN: f.arn, Numbers: []porting.PortNumber{{E164: held[i]}}, Reason: "stays"}
			got := twice(t, f.db, func() ([2]int, error) {
				released, limit, err := store.DetachNumbers(ctx, f.db, d)
				return [2]int{released, limit}, err
			})
			require.Equal(t, [2]int{0, 10}, got)
			require.Equal(t, store.NumberActive, f.numberState(t, held[i]))
			require.Equal(t, portRow{Group: "Beta Wireless", State: string(porting.StateCancelled), Reason: "stays"}, f.portRow(t, wf, held[i]))
		}
		// Unlocked: another port-out may take them.
		req.RequestID = "out-2"
		_, err = store.RecordPortOut(ctx, f.db, porting.PortOutWorkflowID(req.RequestID), req)
		require.NoError(t, err)
	})
}

func TestDetachNumbersRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, acme)
	tf := numbers(1, acme)
	tf[0].Type = porting.NumberTypeTollFree
	wf := f.record(t, "detach-bad", append(nums, tf...))
	other := numbers(1, acme)
	split := porting.SplitGroupName(acmeDID, 2)
	for _, tc := range []struct {
		name string
		d    store.Detach
		msg  string
	}{
		{"no workflow", store.Detach{Group: acmeDID, Numbers: nums}, "workflow_id: is required"},
		{"no numbers", store.Detach{WorkflowID: wf, Group: acmeDID}, "numbers: at least one number is required"},
		{"not E.164", store.Detach{WorkflowID: wf, Group: acmeDID, Numbers: []porting.PortNumber{{E164: "12"}}}, "numbers[0].e164: must be an E.164 number"},
		{"not the port's", store.Detach{WorkflowID: wf, Group: acmeDID, Numbers: other}, "numbers[0].e164: " + other[0].E164 + " is not a number of port " + wf},
		{"in another group", store.Detach{WorkflowID: wf, Group: acmeDID, Numbers: append(nums[:1:1], tf...)},
			`numbers[1].e164: ` + tf[0].E164 + ` is in group "Acme Telecom/toll_free" of port ` + wf + `, not in "Acme Telecom/did"`},
		{"split without group", store.Detach{WorkflowID: wf, Numbers: nums, To: split}, "group: is required for a split"},
		{"split into another base", store.Detach{WorkflowID: wf, Group: acmeDID, Numbers: nums, To: "Beta/did#2"}, `to: must be a split group of "Acme Telecom/did"`},
		{"split into itself", store.Detach{WorkflowID: wf, Group: acmeDID, Numbers: nums, To: acmeDID}, "to: must be a split group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, f.db)
			_, _, err := store.DetachNumbers(ctx, f.db, tc.d)
			requireRuleErr(t, err, store.ErrInvalidInput, tc.msg)
			require.Equal(t, before, snapshot(t, f.db), "nothing written")
		})
	}
	before := snapshot(t, f.db)
	missing := "arn:aws:connect:us-east-1:123456789012:instance/none"
	_, _, err := store.DetachNumbers(ctx, f.db, store.Detach{WorkflowID: wf, Group: acmeDID, InstanceARN: missing, Numbers: nums[:1]})
	requireRuleErr(t, err, store.ErrInstanceNotFound, "instance_arn: instance "+missing+" does not exist")
	require.Equal(t, before, snapshot(t, f.db), "nothing written")
}

// A split group provisions later under its own name, with its own limit increase, and the
// whole-group functions keep each group's numbers and increase apart.
func TestSplitGroupProvisionsAndReleasesUnderItsOwnName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(4, acme)
	wf := f.record(t, "split-provision", nums)
	f.submitLOA(t, wf, acmeDID, 1)
	split := porting.SplitGroupName(acmeDID, 2)

	// The carrier rejected one number alone; the rest are scheduled and provisioned.
	_, _, err := store.DetachNumbers(ctx, f.db, store.Detach{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[3:], To: split, Reason: "PIN_INVALID"})
	require.NoError(t, err)
	f.provision(t, wf, acmeDID, nums[:3])
	require.Equal(t, 13, f.limit(t))

	// The base group's provisioned number 2 is split off too (the carrier withdrew its date alone).
	released, limit, err := store.DetachNumbers(ctx, f.db, store.Detach{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[2:3], To: porting.SplitGroupName(acmeDID, 3), Reason: "FOC_EXPIRED"})
	require.NoError(t, err)
	require.Equal(t, [2]int{1, 12}, [2]int{released, limit})
	require.Equal(t, 2, f.increase(t, wf, acmeDID))

	// The first split group's corrected LOA is accepted: it provisions under its own name.
	f.submitLOA(t, wf, split, 1)
	f.provision(t, wf, split, nums[3:])
	require.Equal(t, 13, f.limit(t))
	require.Equal(t, 1, f.increase(t, wf, split))
	require.Equal(t, string(porting.StateProvisioned), f.portRow(t, wf, nums[3].E164).State)
	require.Equal(t, split, f.portRow(t, wf, nums[3].E164).Group)

	// Releasing the split group releases its numbers and reverses its own increase only.
	require.NoError(t, store.ReleaseNumbers(ctx, f.db, store.PortGroup{WorkflowID: wf, Group: split, InstanceARN: f.arn, Numbers: nums[3:]}))
	require.Equal(t, 12, f.limit(t))
	require.Equal(t, store.NumberReleased, f.numberState(t, nums[3].E164))
	require.Equal(t, store.NumberProvisioned, f.numberState(t, nums[0].E164))
	require.Equal(t, 2, f.increase(t, wf, acmeDID))

	// And the base group's release takes the limit back to the base.
	require.NoError(t, store.ReleaseNumbers(ctx, f.db, store.PortGroup{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[:2]}))
	require.Equal(t, 10, f.limit(t))
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM limit_increases`))
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM phone_numbers WHERE state <> 'released'`))
}
