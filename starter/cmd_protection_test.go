package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

// The passcodes hold '#', which no bcrypt hash, timestamp or ARN does: found in a row, it was stored.
const (
	cliPasscode      = "Zq7#pass"
	cliOtherPasscode = "Wr0ng#pc"
	cliARN           = "arn:aws:connect:us-east-1:123456789012:instance/protect-1"
)

// requireNotStored checks that s is in no column of any row of the inventory and audit tables.
func requireNotStored(t *testing.T, db *sqlx.DB, s string) {
	t.Helper()
	for table, rows := range pgtest.Snapshot(t, db, "instances", "audit_log", "number_locks") {
		for _, r := range rows {
			require.NotContains(t, r, s, "table %s holds it", table)
		}
	}
}

func TestInstancePortOutPasscode(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, "", append([]string{"--database-url", dbURL}, args...)...)
		require.NotContains(t, stdout+stderr, cliPasscode, "the passcode is never printed")
		require.NotContains(t, stdout+stderr, cliOtherPasscode, "the passcode is never printed")
		return code, stdout, stderr
	}
	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	hash := func() *string {
		var h *string
		pgtest.Get(t, db, &h, "port_out_passcode_hash", "instances", "arn = $1", cliARN)
		return h
	}

	// Bad input: exit 2 naming the field and the rule; nothing registered.
	code, _, stderr := cli("instance", "add", "--arn", cliARN, "--port-out-passcode", "Ab#")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "port_out_passcode: must be 4 to 10 characters, got 3")
	require.Zero(t, pgtest.Count(t, db, "instances", ""))

	code, stdout, stderr := cli("instance", "add", "--arn", cliARN, "--owner-name", "Doe Corp", "--port-out-passcode", cliPasscode)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "port-out passcode set) registered")
	first := hash()
	require.NotNil(t, first)
	// Again without the flag: the passcode stays.
	code, stdout, stderr = cli("instance", "add", "--arn", cliARN)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "port-out passcode set) registered")
	require.Equal(t, *first, *hash())

	// instance set: a new passcode, then removed.
	code, stdout, stderr = cli("instance", "set", "--arn", cliARN, "--port-out-passcode", cliOtherPasscode)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "instance "+cliARN+": port-out passcode set\n", stdout)
	require.NotEqual(t, *first, *hash())
	requireNotStored(t, db, cliPasscode)
	requireNotStored(t, db, cliOtherPasscode)

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--arn", cliARN, "--port-out-passcode", "Ab#"}, 2, "port_out_passcode: must be 4 to 10 characters, got 3"},
		{[]string{"--arn", cliARN, "--port-out-passcode", ""}, 2, "port_out_passcode: is required (4 to 10 characters); to remove an instance's passcode, clear it"},
		{[]string{"--arn", cliARN}, 2, "give exactly one of --port-out-passcode P or --clear-port-out-passcode"},
		{[]string{"--arn", cliARN, "--port-out-passcode", cliPasscode, "--clear-port-out-passcode"}, 2, "give exactly one of"},
		{[]string{"--port-out-passcode", cliPasscode}, 2, `"arn" not set`},
		{[]string{"--arn", "arn:aws:connect:us-east-1:123456789012:instance/nope", "--port-out-passcode", cliPasscode}, 4,
			"arn: instance arn:aws:connect:us-east-1:123456789012:instance/nope does not exist"},
		{[]string{"--arn", "arn:aws:connect:us-east-1:123456789012:instance/nope", "--clear-port-out-passcode"}, 4, "does not exist"},
	} {
		code, _, stderr := cli(append([]string{"instance", "set"}, tc.args...)...)
		require.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.msg, tc.args)
	}

	code, stdout, stderr = cli("instance", "set", "--arn", cliARN, "--clear-port-out-passcode")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "instance "+cliARN+": port-out passcode removed\n", stdout)
	require.Nil(t, hash())
	code, stdout, stderr = cli("instance", "set", "--arn", cliARN, "--clear-port-out-passcode")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "instance "+cliARN+" had no port-out passcode\n", stdout)
	code, stdout, _ = cli("instance", "add", "--arn", cliARN)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "no port-out passcode) registered")
}

func TestNumberLockCommands(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--database-url", dbURL, "number"}, args...)...)
	}
	const n = "+14155550142"

	code, stdout, stderr := cli("lock", "--e164", n, "--by", "Ops Alice", "--reason", "customer reported fraud")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "number "+n+" locked against port-out by Ops Alice (customer reported fraud)\n", stdout)
	code, stdout, stderr = cli("lock", "--e164", n, "--by", "Bob")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "number "+n+" was already locked against port-out by Ops Alice since ")
	require.Contains(t, stdout, "(customer reported fraud); that lock stands")

	code, stdout, stderr = cli("unlock", "--e164", n, "--by", "Carol")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "number "+n+" unlocked (locked by Ops Alice since ")
	code, stdout, stderr = cli("unlock", "--e164", n, "--by", "Carol")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "number "+n+" was not locked\n", stdout)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"lock", "--e164", "4155550142", "--by", "Alice"}, `e164: must be an E.164 number like +14155550100, got "4155550142"`},
		{[]string{"lock", "--e164", n, "--by", "  "}, "by: is required"},
		{[]string{"lock", "--e164", n}, `"by" not set`},
		{[]string{"unlock", "--e164", n}, `"by" not set`},
		{[]string{"unlock", "--e164", "+0", "--by", "Carol"}, "e164: must be an E.164 number"},
	} {
		code, _, stderr := cli(tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.msg, tc.args)
	}

	// A number already in a port-out: locked, with a warning naming the port-out, which goes on.
	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	_, err = store.AddInstance(ctx, db, store.Instance{ARN: cliARN})
	require.NoError(t, err)
	require.NoError(t, store.ClaimNumber(ctx, db, cliARN, n, "did", ""))
	_, err = store.RecordPortOut(ctx, db, "port-out-LOCK-1", porting.PortOutRequest{RequestID: "LOCK-1", InstanceARN: cliARN,
		Numbers: []string{n}, WinningCarrier: "Beta Wireless", CustomerContact: porting.Contact{Name: "Pat", Email: "pat@example.com"}})
	require.NoError(t, err)
	code, stdout, stderr = cli("lock", "--e164", n, "--by", "Ops Alice")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "number "+n+" locked against port-out by Ops Alice\n", stdout)
	require.Contains(t, stderr, "warning: "+n+" is in port-out port-out-LOCK-1, recorded before the lock, which goes on")
	require.Contains(t, stderr, "starter cancel --workflow port-out-LOCK-1")
}

// unfreeze is validated before Temporal is dialled (exit 2 naming the field); a valid one gets as
// far as the dial. A winning carrier's request with a passcode decodes (strictly) and validates; the
// passcode is never printed.
func TestUnfreezeAndPasscodeRequestInput(t *testing.T) {
	base := []string{"--address", "127.0.0.1:1", "--dial-timeout", "200ms"}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"unfreeze", "--workflow", "port-out-OUT-1", "--reason", "checked with the owner"}, "by: is required"},
		{[]string{"unfreeze", "--workflow", "port-out-OUT-1", "--by", "Ops Alice", "--reason", " "}, "reason: is required"},
		{[]string{"unfreeze", "--by", "Ops Alice", "--reason", "ok"}, `"workflow" not set`},
	} {
		code, _, stderr := runCLI(t, "", append(base, tc.args...)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.msg)
	}
	code, _, stderr := runCLI(t, "", append(base, "unfreeze", "--workflow", "port-out-OUT-1", "--by", "Ops Alice", "--reason", "checked with the owner")...)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "127.0.0.1:1")

	wcr := `{"carrier": "Beta Wireless", "owner_name": "Pat Doe", "address": "1 Main St", "billing_contact": "b@example.com",
	  "numbers": ["+14155550100"], "loa_ref": "loa.pdf", "requested_at": "2099-01-01T10:00:00-05:00", "passcode": "` + cliPasscode + `"}`
	args := append(base, "winning-carrier-request", "--workflow", "port-out-OUT-1", "--file")
	code, stdout, stderr := runCLI(t, "", append(args, writeFile(t, "wcr.json", wcr))...)
	require.Equal(t, 1, code, "decoded and valid: only the dial fails: %s", stderr)
	require.Contains(t, stderr, "127.0.0.1:1")
	require.NotContains(t, stdout+stderr, cliPasscode)

	code, _, stderr = runCLI(t, "", append(args, writeFile(t, "typo.json", strings.Replace(wcr, `"passcode"`, `"pass_code"`, 1)))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "pass_code: unknown field")
}
