package store_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

func TestAddCustomerServiceRecordValidates(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	valid := store.CSRInput{Carrier: "Acme Telecom", E164: "+12125550100", Name: "Pat Doe", Address: "12 Main St"}
	for _, tc := range []struct {
		name  string
		edit  func(*store.CSRInput)
		field string
		msg   string
	}{
		{"number not E.164", func(in *store.CSRInput) { in.E164 = "212-555-0100" }, "e164", `must be an E.164 number like +14155550100, got "212-555-0100"`},
		{"no carrier", func(in *store.CSRInput) { in.Carrier = "  " }, "carrier", "is required"},
		{"no name", func(in *store.CSRInput) { in.Name = "" }, "name", "is required"},
		{"no address", func(in *store.CSRInput) { in.Address = "\t" }, "address", "is required"},
		{"BTN not E.164", func(in *store.CSRInput) { in.BillingTelephoneNumber = "555-0199" }, "billing_telephone_number", "must be an E.164 number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := valid
			tc.edit(&in)
			requireInvErr(t, store.AddCustomerServiceRecord(ctx, db, in), store.InventoryInvalid, tc.field, tc.msg)
		})
	}
	require.Zero(t, count(t, db, `SELECT count(*) FROM customer_service_records`), "nothing stored")
}

func TestAddCustomerServiceRecordIsIdempotentAndNormalises(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	in := store.CSRInput{Carrier: " acme  Telecom ", E164: "+12125550100", Name: "Pat\u00a0 Doe", Address: " 12  Main St\n",
		AccountNumber: "12-345 67", BillingTelephoneNumber: " +12125550199 "}
	twiceErr(t, db, func() error { return store.AddCustomerServiceRecord(ctx, db, in) })

	recs, err := store.CustomerServiceRecords(ctx, db, "Acme Telecom", []string{in.E164})
	require.NoError(t, err)
	require.Equal(t, []porting.CustomerServiceRecord{{
		Carrier: "acme Telecom", E164: in.E164, Name: "Pat Doe", Address: "12 Main St",
		AccountNumberHash: porting.HashAccountNumber("1234567"), BillingTelephoneNumber: "+12125550199",
	}}, recs, "text normalised, the account number hashed")

	// A second call with other data replaces the record; without an account number there is none.
	require.NoError(t, store.AddCustomerServiceRecord(ctx, db, store.CSRInput{Carrier: "Beta Wireless", E164: in.E164, Name: "Doe Corp", Address: "1 Elm St"}))
	require.Equal(t, 1, count(t, db, `SELECT count(*) FROM customer_service_records`))
	require.Equal(t, 1, count(t, db, `SELECT count(*) FROM customer_service_records WHERE account_number_hash IS NULL AND billing_telephone_number = ''`))
	recs, err = store.CustomerServiceRecords(ctx, db, "beta wireless", []string{in.E164})
	require.NoError(t, err)
	require.Equal(t, []porting.CustomerServiceRecord{{Carrier: "Beta Wireless", E164: in.E164, Name: "Doe Corp", Address: "1 Elm St"}}, recs)
}

func TestCustomerServiceRecordsAreTheCarriersOwnInOrder(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	add := func(carrier, e164, name string) {
		t.Helper()
		require.NoError(t, store.AddCustomerServiceRecord(ctx, db, store.CSRInput{Carrier: carrier, E164: e164, Name: name, Address: "12 Main St"}))
	}
	add("Acme Telecom", "+12125550101", "One")
	add("Acme Telecom", "+12125550102", "Two")
	add("Beta Wireless", "+12125550103", "Three") // another carrier's record of the number
	add("ACME TELECOM", "+12125550104", "Four")   // the same carrier, typed otherwise

	recs, err := store.CustomerServiceRecords(ctx, db, "Acme Telecom",
		[]string{"+12125550104", "+12125550103", "+12125550199", "+12125550102", "+12125550101", "+12125550102"})
	require.NoError(t, err)
	var got []string
	for _, r := range recs {
		got = append(got, r.E164+" "+r.Name)
	}
	require.Equal(t, []string{"+12125550104 Four", "+12125550102 Two", "+12125550101 One"}, got,
		"in the order asked, without the number of no record nor the one Beta Wireless holds, each once")

	recs, err = store.CustomerServiceRecords(ctx, db, "Gamma", []string{"+12125550101"})
	require.NoError(t, err)
	require.Empty(t, recs)
}

func TestCustomerServiceRecordsNeverHoldTheAccountNumber(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	const account = "ACCT-99887766"
	require.NoError(t, store.AddCustomerServiceRecord(ctx, db, store.CSRInput{
		Carrier: "Acme Telecom", E164: "+12125550100", Name: "Pat Doe", Address: "12 Main St", AccountNumber: account,
	}))
	// Every text column of the table, whatever columns it has.
	var columns []string
	require.NoError(t, db.SelectContext(ctx, &columns, `
		SELECT column_name FROM information_schema.columns
		WHERE table_name = 'customer_service_records' AND data_type = 'text'`))
	require.Contains(t, columns, "account_number_hash")
	for _, c := range columns {
		var values []*string
		require.NoError(t, db.SelectContext(ctx, &values, `SELECT "`+c+`" FROM customer_service_records`))
		for _, v := range values {
			if v == nil {
				continue
			}
			require.NotContains(t, *v, account, c)
			require.NotContains(t, *v, "99887766", c)
		}
	}
	var row string
	require.NoError(t, db.GetContext(ctx, &row, `SELECT row_to_json(r)::text FROM customer_service_records r`))
	require.False(t, strings.Contains(row, "99887766"), row)
}

func TestRecordCSRCheckOncePerCheck(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	c := store.CSRCheck{WorkflowID: "port-in-csr", Group: "Acme Telecom/did", Carrier: "Acme Telecom", LOAVersion: 2,
		LOARef: "s3://loas/doe-2.pdf 2026-11-02T10:00:00Z", Records: 2, Mismatched: []string{porting.CSRFieldAddress},
		MismatchedNumbers: []string{"+12125550101"}}
	twiceErr(t, db, func() error { return store.RecordCSRCheck(ctx, db, c) })
	var detail []byte
	require.NoError(t, db.GetContext(ctx, &detail, `SELECT detail FROM audit_log WHERE idempotency_key = $1 AND action = 'csr_checked'`, store.CSRCheckKey(c)))
	require.JSONEq(t, `{"group": "Acme Telecom/did", "carrier": "Acme Telecom", "loa_version": 2, "records": 2,
		"mismatched": ["address"], "mismatched_numbers": ["+12125550101"], "override_csr": false}`, string(detail), "no LOA reference, no value")

	// The same LOA sent again with override_csr: the audit says it was sent despite the mismatch.
	overridden := c
	overridden.Override = true
	require.NoError(t, store.RecordCSRCheck(ctx, db, overridden))
	require.NotEqual(t, store.CSRCheckKey(c), store.CSRCheckKey(overridden))

	// The corrected LOA is checked under the same version (the stopped one was never sent): a row of its own.
	corrected := c
	corrected.LOARef, corrected.Mismatched, corrected.MismatchedNumbers = "s3://loas/doe-3.pdf 2026-11-03T10:00:00Z", nil, nil
	require.NoError(t, store.RecordCSRCheck(ctx, db, corrected))
	require.NotEqual(t, store.CSRCheckKey(c), store.CSRCheckKey(corrected))
	require.NoError(t, db.GetContext(ctx, &detail, `SELECT detail FROM audit_log WHERE idempotency_key = $1`, store.CSRCheckKey(corrected)))
	require.JSONEq(t, `{"group": "Acme Telecom/did", "carrier": "Acme Telecom", "loa_version": 2, "records": 2,
		"mismatched": [], "mismatched_numbers": [], "override_csr": false}`, string(detail))
	require.Equal(t, 3, count(t, db, `SELECT count(*) FROM audit_log WHERE workflow_id = $1 AND action = 'csr_checked'`, c.WorkflowID))
}
