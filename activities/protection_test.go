package activities_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// The passcodes hold '#', which no bcrypt hash, timestamp or ARN does: found in any row, it was stored.
const (
	instancePasscode = "Zq7#pass"
	wrongPasscode    = "Wr0ng#pc"
)

// requireNowhere checks that s is in no column of any row of any table (audit_log's detail and
// instances included).
func requireNowhere(t *testing.T, f *fixture, s string) {
	t.Helper()
	for table, rows := range snapshot(t, f.db) {
		for _, r := range rows {
			require.NotContains(t, r, s, "table %s holds it", table)
		}
	}
}

// With a passcode on the instance, it is checked first: missing or wrong says that and nothing else
// (no field named, even when every field differs); right goes on to the usual comparison. Without a
// passcode nothing changes. Every check is audited with its outcome, and the passcode is nowhere in
// Postgres.
func TestVerifyOwnershipChecksThePasscodeFirst(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	in := f.recordPortOut(t, "passcode", nums)
	verify := func(round int, edit func(c *porting.WinningCarrierRequest)) activities.VerifyOwnershipResult {
		t.Helper()
		claim := matchingClaim(nums)
		edit(&claim)
		vi := activities.VerifyOwnershipInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: round, Claim: claim}
		return twice(t, f.db, func() (activities.VerifyOwnershipResult, error) { return f.a.VerifyOwnership(ctx, vi) })
	}
	mismatchAll := func(c *porting.WinningCarrierRequest) {
		c.OwnerName, c.Address, c.BillingContact, c.Numbers = "x", "y", "z", []string{"+12125559999"}
	}

	// No passcode on the instance: a passcode in the request is not looked at.
	res := verify(1, func(c *porting.WinningCarrierRequest) { c.Passcode = wrongPasscode })
	require.Equal(t, activities.VerifyOwnershipResult{Matched: true}, res)

	require.NoError(t, store.SetPortOutPasscode(ctx, f.db, f.arn, instancePasscode))
	invalid := activities.VerifyOwnershipResult{PasscodeInvalid: true, PasscodeChecked: true}

	res = verify(2, func(c *porting.WinningCarrierRequest) { mismatchAll(c) })
	require.Equal(t, invalid, res, "missing: nothing else compared, nothing else said")
	require.Equal(t, "rejected_mismatch", stateOf(t, f, in.WorkflowID))

	res = verify(3, func(c *porting.WinningCarrierRequest) { mismatchAll(c); c.Passcode = wrongPasscode })
	require.Equal(t, invalid, res, "wrong: nothing else compared, nothing else said")

	res = verify(4, func(c *porting.WinningCarrierRequest) { c.Passcode = " " })
	require.Equal(t, invalid, res, "white space is no passcode")

	res = verify(5, func(c *porting.WinningCarrierRequest) { c.Address = "11 Main St"; c.Passcode = instancePasscode })
	require.Equal(t, activities.VerifyOwnershipResult{Mismatched: []string{"address"}, PasscodeChecked: true}, res,
		"right: the usual comparison")

	res = verify(6, func(c *porting.WinningCarrierRequest) { c.Passcode = instancePasscode })
	require.Equal(t, activities.VerifyOwnershipResult{Matched: true, PasscodeChecked: true}, res)
	require.Equal(t, "approved", stateOf(t, f, in.WorkflowID))

	// A rerun of a round returns its recorded result, whatever the passcode is by now.
	require.NoError(t, store.SetPortOutPasscode(ctx, f.db, f.arn, wrongPasscode))
	again, err := f.a.VerifyOwnership(ctx, activities.VerifyOwnershipInput{WorkflowID: in.WorkflowID, InstanceARN: f.arn, Numbers: nums, Round: 6,
		Claim: matchingClaim(nums)})
	require.NoError(t, err)
	require.Equal(t, activities.VerifyOwnershipResult{Matched: true, PasscodeChecked: true}, again)

	// The audit: one passcode check per round with a passcode, its outcome, the carrier and round.
	type passcodeCheck struct {
		Round   int    `json:"round"`
		Carrier string `json:"carrier"`
		Outcome string `json:"outcome"`
	}
	var checks []passcodeCheck
	var raw []string
	pgtest.Select(t, f.db, &raw, `detail::text`, "audit_log", `workflow_id = $1 AND action = 'port_out_passcode_checked' ORDER BY id`, in.WorkflowID)
	for _, r := range raw {
		var c passcodeCheck
		require.NoError(t, json.Unmarshal([]byte(r), &c))
		require.JSONEq(t, fmt.Sprintf(`{"round": %d, "carrier": %q, "outcome": %q}`, c.Round, c.Carrier, c.Outcome), r, "nothing else")
		checks = append(checks, c)
	}
	require.Equal(t, []passcodeCheck{
		{2, "Beta Wireless", "missing"}, {3, "Beta Wireless", "wrong"}, {4, "Beta Wireless", "missing"},
		{5, "Beta Wireless", "right"}, {6, "Beta Wireless", "right"},
	}, checks)
	require.Equal(t, 3, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'ownership_passcode_invalid'`, in.WorkflowID))
	require.Equal(t, 3, pgtest.Count(t, f.db, "audit_log",
		`workflow_id = $1 AND action = 'ownership_passcode_invalid' AND NOT detail->'result' ? 'mismatched' AND NOT detail->'result' ? 'missing_records'`,
		in.WorkflowID), "the recorded result of a passcode failure says nothing of the records either")

	requireNowhere(t, f, instancePasscode)
	requireNowhere(t, f, wrongPasscode)
}

// A locked number is refused by RecordPortOut as a non-retryable NumberLocked error naming the number
// and who locked it, writing nothing; unlocked, the same port-out goes through.
func TestRecordPortOutRefusesALockedNumber(t *testing.T) {
	t.Parallel()
	f, nums := portOutFixture(t, 2)
	in := f.portOut("locked", nums)

	lock, err := store.LockNumber(ctx, f.db, nums[1], "Ops Alice", "customer asked")
	require.NoError(t, err)
	before := snapshot(t, f.db)
	_, err = f.a.RecordPortOut(ctx, in)
	requireAppErr(t, err, activities.ErrNumberLocked, fmt.Sprintf("numbers[1]: %s is locked against port-out by Ops Alice since %s",
		nums[1], lock.Lock.LockedAt.Format("2006-01-02T15:04:05Z07:00")))
	require.Equal(t, before, snapshot(t, f.db), "a refusal writes nothing and locks nothing")

	_, unlocked, err := store.UnlockNumber(ctx, f.db, nums[1], "Ops Bob")
	require.NoError(t, err)
	require.True(t, unlocked)
	res, err := f.a.RecordPortOut(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "us-east-1", res.Region)
}

// A number in an active port-in cannot be ported out: not yet provisioned, the instance does not
// hold it; provisioned, it is not active; activated while the port-in is still open (another group
// pending), it is still locked by the port-in's row. Finished, it may go.
func TestRecordPortOutRefusesANumberInAnActivePortIn(t *testing.T) {
	t.Parallel()
	f, _ := portOutFixture(t, 0)
	pin := numbers(1, "Acme Telecom")
	pending := numbers(1, "Other Telecom")
	pinIn := f.record(t, "pin-active", append(append([]porting.PortNumber(nil), pin...), pending...))
	e164 := pin[0].E164

	refused := func(errType, msg string) {
		t.Helper()
		before := snapshot(t, f.db)
		_, err := f.a.RecordPortOut(ctx, f.portOut("out-of-pin", []string{e164}))
		requireAppErr(t, err, errType, msg)
		require.Equal(t, before, snapshot(t, f.db))
	}
	refused(activities.ErrNumberNotHeld, fmt.Sprintf("numbers[0]: %s is not held by instance %s", e164, f.arn))

	ni := f.numbersInput(pinIn.WorkflowID, pin)
	_, err := f.a.ProvisionNumbers(ctx, ni)
	require.NoError(t, err)
	refused(activities.ErrNumberNotActive, fmt.Sprintf("numbers[0]: %s is provisioned on instance %s (brought in by port %s), not active",
		e164, f.arn, pinIn.WorkflowID))

	require.NoError(t, f.a.ActivateNumbers(ctx, ni))
	require.Equal(t, 1, pgtest.Count(t, f.db, "phone_numbers", `e164 = $1 AND state = 'active'`, e164))
	refused(activities.ErrNumberAlreadyPorting, fmt.Sprintf("numbers[0]: %s is already in an active port (%s)", e164, pinIn.WorkflowID))

	require.NoError(t, f.a.FinishPortRequest(ctx, activities.FinishInput{WorkflowID: pinIn.WorkflowID, State: porting.StateCompleted}))
	f.recordPortOut(t, "out-of-pin", []string{e164})
}
