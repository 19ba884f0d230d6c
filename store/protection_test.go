package store_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// Passcodes of these tests hold '#', which no bcrypt hash ($, ., /, letters and digits), timestamp
// or ARN does: finding one anywhere in a row can only mean it was stored.
const (
	passcode      = "Zq7#pass"
	otherPasscode = "Wr0ng#pc"
)

// requireNowhere checks that s appears in no row of any table (every column, as JSON).
func requireNowhere(t *testing.T, db *sqlx.DB, s string) {
	t.Helper()
	for table, rows := range snapshot(t, db) {
		for _, r := range rows {
			require.NotContains(t, r, s, "table %s holds it", table)
		}
	}
}

func passcodeHash(t *testing.T, db *sqlx.DB, arn string) *string {
	t.Helper()
	var h *string
	require.NoError(t, db.GetContext(ctx, &h, `SELECT port_out_passcode_hash FROM instances WHERE arn = $1`, arn))
	return h
}

func TestPortOutPasscodeIsStoredOnlyAsASaltedHash(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.instance(t, "us-west-2")

	require.NoError(t, store.SetPortOutPasscode(ctx, f.db, f.arn, passcode))
	got, err := store.AddInstance(ctx, f.db, store.Instance{ARN: other, PortOutPasscode: passcode})
	require.NoError(t, err)
	require.True(t, got.HasPortOutPasscode)
	require.Empty(t, got.PortOutPasscode, "never read back")

	a, b := passcodeHash(t, f.db, f.arn), passcodeHash(t, f.db, other)
	require.NotNil(t, a)
	require.NotNil(t, b)
	require.NotEqual(t, *a, *b, "salted per hash: the same passcode, two different hashes")
	for _, h := range []string{*a, *b} {
		require.True(t, strings.HasPrefix(h, "$2a$10$"), "bcrypt, cost %d: %s", store.PasscodeHashCost, h)
	}
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(*b), []byte(passcode)))
	requireNowhere(t, f.db, passcode)

	inst, err := store.GetInstance(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.True(t, inst.HasPortOutPasscode)

	// Setting the passcode it has changes nothing; another one is a new hash. Each change is audited,
	// without the passcode.
	twiceErr(t, f.db, func() error { return store.SetPortOutPasscode(ctx, f.db, f.arn, passcode) })
	require.Equal(t, *a, *passcodeHash(t, f.db, f.arn))
	require.NoError(t, store.SetPortOutPasscode(ctx, f.db, f.arn, otherPasscode))
	require.NotEqual(t, *a, *passcodeHash(t, f.db, f.arn))
	log, err := store.AuditLog(ctx, f.db, store.InstanceAuditID(f.arn))
	require.NoError(t, err)
	require.Len(t, log, 2)
	for _, e := range log {
		require.Equal(t, "port_out_passcode_set", e.Action)
		require.JSONEq(t, fmt.Sprintf(`{"instance_arn": %q}`, f.arn), string(e.Detail))
	}
	requireNowhere(t, f.db, otherPasscode)

	// AddInstance without a passcode leaves the stored one; with the same one, changes nothing.
	_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: other, OwnerName: "Doe Corp"})
	require.NoError(t, err)
	require.Equal(t, *b, *passcodeHash(t, f.db, other))
	twice(t, f.db, func() (store.Instance, error) {
		return store.AddInstance(ctx, f.db, store.Instance{ARN: other, PortOutPasscode: passcode})
	})
	require.Equal(t, *b, *passcodeHash(t, f.db, other))

	// Cleared: once removed, then nothing to remove.
	removed, err := store.ClearPortOutPasscode(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.True(t, removed)
	require.Nil(t, passcodeHash(t, f.db, f.arn))
	removed = twice(t, f.db, func() (bool, error) { return store.ClearPortOutPasscode(ctx, f.db, f.arn) })
	require.False(t, removed)
	require.Equal(t, 1, count(t, f.db, `SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'port_out_passcode_cleared'`,
		store.InstanceAuditID(f.arn)))
	inst, err = store.GetInstance(ctx, f.db, f.arn)
	require.NoError(t, err)
	require.False(t, inst.HasPortOutPasscode)
}

func TestPortOutPasscodeRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := snapshot(t, f.db)
	for _, tc := range []struct {
		passcode, msg string
	}{
		{"Ab#", "must be 4 to 10 characters, got 3"},
		{"Abcdef#ghijk", "must be 4 to 10 characters, got 12"},
		{" Ab#cd", "must not start or end with white space"},
		{"", "is required (4 to 10 characters); to remove an instance's passcode, clear it"},
	} {
		err := store.SetPortOutPasscode(ctx, f.db, f.arn, tc.passcode)
		requireInvErr(t, err, store.InventoryInvalid, "port_out_passcode", tc.msg)
		if tc.passcode != "" {
			require.NotContains(t, err.Error(), strings.TrimSpace(tc.passcode), "the message never repeats the passcode")
			_, err = store.AddInstance(ctx, f.db, store.Instance{ARN: f.arn, OwnerName: "Doe Corp", PortOutPasscode: store.Passcode(tc.passcode)})
			requireInvErr(t, err, store.InventoryInvalid, "port_out_passcode", tc.msg)
		}
	}
	missing := "arn:aws:connect:us-east-1:123456789012:instance/nope"
	requireInvErr(t, store.SetPortOutPasscode(ctx, f.db, missing, passcode), store.InventoryNotFound, "arn", "instance "+missing+" does not exist")
	_, err := store.ClearPortOutPasscode(ctx, f.db, missing)
	requireInvErr(t, err, store.InventoryNotFound, "arn", "does not exist")
	requireInvErr(t, store.SetPortOutPasscode(ctx, f.db, "", passcode), store.InventoryInvalid, "arn", "is required")
	requireInvErr(t, store.SetPortOutPasscode(ctx, f.db, "not-an-arn", passcode), store.InventoryInvalid, "arn", "")
	require.Equal(t, before, snapshot(t, f.db), "a refusal writes nothing")
}

// An Instance printed, logged or marshalled by mistake does not show its passcode.
func TestPasscodeNeverPrints(t *testing.T) {
	in := store.Instance{ARN: "arn", PortOutPasscode: passcode}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "instance", in, "passcode", in.PortOutPasscode)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "instance", in, "passcode", in.PortOutPasscode)
	b, err := json.Marshal(in)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", in, in, in, in.PortOutPasscode), logged.String(), string(b)} {
		require.NotContains(t, s, passcode)
	}
	require.Contains(t, fmt.Sprintf("%+v", in), "[REDACTED]")
	require.Equal(t, "", store.Passcode("").String())
}

func TestNumberLocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	n := numbers(1, "")[0].E164

	start := time.Now().Add(-time.Minute)
	out, err := store.LockNumber(ctx, f.db, n, " Ops  Alice ", "customer reported fraud")
	require.NoError(t, err)
	require.True(t, out.Created)
	require.Equal(t, n, out.Lock.E164)
	require.Equal(t, "Ops Alice", out.Lock.LockedBy, "normalized")
	require.Equal(t, "customer reported fraud", out.Lock.Reason)
	require.True(t, out.Lock.LockedAt.After(start))
	require.Empty(t, out.ActivePortOut)

	// Idempotent: locked again (by anyone), the first lock stands and nothing is written.
	again := twice(t, f.db, func() (store.LockOutcome, error) { return store.LockNumber(ctx, f.db, n, "Bob", "other reason") })
	require.False(t, again.Created)
	require.Equal(t, out.Lock, again.Lock)

	removed, unlocked, err := store.UnlockNumber(ctx, f.db, n, "Carol")
	require.NoError(t, err)
	require.True(t, unlocked)
	require.Equal(t, out.Lock, removed)
	type nothing struct {
		Lock     store.NumberLock
		Unlocked bool
	}
	res := twice(t, f.db, func() (nothing, error) {
		l, u, err := store.UnlockNumber(ctx, f.db, n, "Carol")
		return nothing{l, u}, err
	})
	require.False(t, res.Unlocked)
	require.Zero(t, count(t, f.db, `SELECT count(*) FROM number_locks`))

	log, err := store.AuditLog(ctx, f.db, store.NumberAuditID(n))
	require.NoError(t, err)
	require.Len(t, log, 2)
	require.Equal(t, "number_locked", log[0].Action)
	require.JSONEq(t, fmt.Sprintf(`{"e164": %q, "by": "Ops Alice", "reason": "customer reported fraud"}`, n), string(log[0].Detail))
	require.Equal(t, "number_unlocked", log[1].Action)
	var d map[string]any
	require.NoError(t, json.Unmarshal(log[1].Detail, &d))
	require.Equal(t, "Carol", d["by"])
	require.Equal(t, "Ops Alice", d["locked_by"])

	// Bad input: nothing written.
	before := snapshot(t, f.db)
	_, err = store.LockNumber(ctx, f.db, "4155550100", "Alice", "")
	requireInvErr(t, err, store.InventoryInvalid, "e164", `must be an E.164 number like +14155550100, got "4155550100"`)
	_, err = store.LockNumber(ctx, f.db, n, "  ", "")
	requireInvErr(t, err, store.InventoryInvalid, "by", "is required")
	_, _, err = store.UnlockNumber(ctx, f.db, n, "")
	requireInvErr(t, err, store.InventoryInvalid, "by", "is required")
	require.Equal(t, before, snapshot(t, f.db))
}

// A locked number is refused by RecordPortOut naming the number's position, the word "locked" and
// who locked it; unlocked, the same port-out is recorded. Locking a number already in a port-out
// says which (the lock refuses new port-outs; that one goes on unless cancelled).
func TestNumberLockRefusesPortOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var nums []string
	for _, n := range numbers(2, "") {
		require.NoError(t, store.ClaimNumber(ctx, f.db, f.arn, n.E164, "did", flowMain))
		nums = append(nums, n.E164)
	}
	req := porting.PortOutRequest{RequestID: "LOCKED-1", InstanceARN: f.arn, Numbers: nums, WinningCarrier: "Beta Wireless",
		CustomerContact: porting.Contact{Name: "Pat Doe", Email: "pat@example.com"}}
	wf := porting.PortOutWorkflowID(req.RequestID)

	lock, err := store.LockNumber(ctx, f.db, nums[1], "Alice", "customer reported fraud")
	require.NoError(t, err)
	before := snapshot(t, f.db)
	_, err = store.RecordPortOut(ctx, f.db, wf, req)
	requireRuleErr(t, err, store.ErrNumberLocked, fmt.Sprintf("numbers[1]: %s is locked against port-out by Alice since %s: customer reported fraud",
		nums[1], lock.Lock.LockedAt.Format(time.RFC3339)))
	require.Equal(t, before, snapshot(t, f.db), "a refusal writes nothing")

	_, _, err = store.UnlockNumber(ctx, f.db, nums[1], "Alice")
	require.NoError(t, err)
	_, err = store.RecordPortOut(ctx, f.db, wf, req)
	require.NoError(t, err)

	out, err := store.LockNumber(ctx, f.db, nums[0], "Bob", "")
	require.NoError(t, err)
	require.True(t, out.Created)
	require.Equal(t, wf, out.ActivePortOut)
}
