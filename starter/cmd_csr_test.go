package main

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestCSRAdd(t *testing.T) {
	dbURL := pgtest.NewURL(t)
	csr := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--database-url", dbURL, "csr", "add"}, args...)...)
	}
	args := []string{"--carrier", "Acme Telecom", "--e164", "+14155550100", "--name", "Ada  Lovelace", "--address", " 12 Main St ",
		"--account", "ACCT-99887766", "--btn", "+14155550199"}
	for range 2 { // idempotent
		code, stdout, stderr := csr(args...)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "customer service record of +14155550100 at Acme Telecom registered")
		require.NotContains(t, stdout+stderr, "99887766")
	}
	db, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	defer db.Close()
	recs, err := store.CustomerServiceRecords(context.Background(), db, "acme telecom", []string{"+14155550100"})
	require.NoError(t, err)
	require.Equal(t, []porting.CustomerServiceRecord{{Carrier: "Acme Telecom", E164: "+14155550100", Name: "Ada Lovelace",
		Address: "12 Main St", AccountNumberHash: porting.HashAccountNumber("ACCT99887766"), BillingTelephoneNumber: "+14155550199"}}, recs)
	require.Equal(t, 1, pgtest.Count(t, db, "customer_service_records", ""))

	// Bad input: exit 2, the message naming the field.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--carrier", "Acme", "--e164", "4155550100", "--name", "A", "--address", "B"}, `e164: must be an E.164 number like +14155550100, got "4155550100"`},
		{[]string{"--carrier", " ", "--e164", "+14155550100", "--name", "A", "--address", "B"}, "carrier: is required"},
		{[]string{"--carrier", "Acme", "--e164", "+14155550100", "--name", "A", "--address", "B", "--btn", "555"}, "billing_telephone_number: must be an E.164 number"},
		{[]string{"--carrier", "Acme", "--e164", "+14155550100", "--name", "A"}, `"address" not set`},
	} {
		code, _, stderr := csr(tc.args...)
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, tc.msg)
	}
}
