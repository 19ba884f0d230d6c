package activities_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/activities"
	"github.com/contactcenter/numberporting/internal/pgtest"
	"github.com/contactcenter/numberporting/porting"
	"github.com/contactcenter/numberporting/store"
)

const acme = "Acme Telecom"

var acmeDID = porting.GroupName(acme, porting.NumberTypeDID)

func TestCheckCSRComparesWithTheCarriersRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, acme)
	e := store.E164List(nums)
	l := loa() // Pat Doe of Doe Corp, "1 Main St, New York, NY", ACCT-99887766, BTN +12125550199
	addCSR := func(in store.CSRInput) {
		t.Helper()
		require.NoError(t, store.AddCustomerServiceRecord(ctx, f.db, in))
	}
	addCSR(store.CSRInput{Carrier: acme, E164: e[0], Name: "Pat Doe", Address: "12 Main St"})
	addCSR(store.CSRInput{Carrier: acme, E164: e[1], Name: "DOE CORP", Address: "12 Main St", AccountNumber: "acct 9988-7766",
		BillingTelephoneNumber: "+12125550199"})
	addCSR(store.CSRInput{Carrier: "Beta Wireless", E164: e[2], Name: "Someone Else", Address: "1 Elm St"})

	for i, tc := range []struct {
		name    string
		numbers []string
		edit    func(*porting.LOA)
		want    activities.CSRCheckResult
	}{
		{"the same text, spaced and cased otherwise", e[:2], func(l *porting.LOA) { l.Address = " 12  main st " },
			activities.CSRCheckResult{Records: 2}},
		{"another address", e[:2], func(l *porting.LOA) { l.Address = "14 Main St" },
			activities.CSRCheckResult{Records: 2, Mismatched: []string{porting.CSRFieldAddress}, MismatchedNumbers: e[:2]}},
		{"every field, in report order, each once", []string{e[1], e[0]}, func(l *porting.LOA) {
			l.AuthorizedName, l.Company, l.Address, l.AccountNumber, l.BillingTelephoneNumber = "Sam Roe", "", "9 Oak Ave", "ACCT-1", "+12125550100"
		}, activities.CSRCheckResult{Records: 2, Mismatched: porting.CSRFields, MismatchedNumbers: []string{e[1], e[0]}}},
		{"only the number whose record differs", e[:2], func(l *porting.LOA) { l.Address, l.AccountNumber = "12 Main St", "ACCT-1" },
			activities.CSRCheckResult{Records: 2, Mismatched: []string{porting.CSRFieldAccountNumber}, MismatchedNumbers: e[1:2]}},
		{"another carrier's record is no record", e[2:], nil, activities.CSRCheckResult{Records: 0}},
		{"no record", []string{numbers(1, acme)[0].E164}, nil, activities.CSRCheckResult{Records: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := l
			in.Address = "12 Main St"
			if tc.edit != nil {
				tc.edit(&in)
			}
			check := activities.CSRCheckInput{WorkflowID: "port-in-csr", Group: acmeDID, Carrier: "acme telecom",
				Numbers: tc.numbers, LOAVersion: i + 1, LOA: in}
			got := twice(t, f.db, func() (activities.CSRCheckResult, error) { return f.a.CheckCSR(ctx, check) })
			require.Equal(t, tc.want, got)
		})
	}

	// The audit keeps counts, field names and numbers: never a value of the LOA or of a record.
	var details []string
	pgtest.Select(t, f.db, &details, `detail::text`, "audit_log", `workflow_id = 'port-in-csr' AND action = 'csr_checked' ORDER BY id`)
	require.Len(t, details, 6)
	for _, d := range details {
		for _, secret := range []string{"Main St", "Oak Ave", "Pat Doe", "Sam Roe", "Doe Corp", "ACCT", "99887766", "4321", "+12125550199", "+12125550100"} {
			require.NotContains(t, d, secret)
		}
	}
	var second store.CSRCheck
	require.NoError(t, json.Unmarshal([]byte(details[1]), &second))
	require.Equal(t, store.CSRCheck{Group: acmeDID, Carrier: "acme telecom", LOAVersion: 2, Records: 2,
		Mismatched: []string{"address"}, MismatchedNumbers: e[:2]}, second)
}

// A stopped LOA is not sent, so the workflow checks the corrected one under the same version: it
// gets its own outcome, and its own audit row.
func TestCheckCSRAgainUnderTheSameVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := store.E164List(numbers(1, acme))
	require.NoError(t, store.AddCustomerServiceRecord(ctx, f.db, store.CSRInput{Carrier: acme, E164: e[0], Name: "Pat Doe", Address: "12 Main St"}))
	check := activities.CSRCheckInput{WorkflowID: "port-in-csr-again", Group: acmeDID, Carrier: acme, Numbers: e, LOAVersion: 1, LOA: loa()}
	got := twice(t, f.db, func() (activities.CSRCheckResult, error) { return f.a.CheckCSR(ctx, check) })
	require.Equal(t, activities.CSRCheckResult{Records: 1, Mismatched: []string{porting.CSRFieldAddress}, MismatchedNumbers: e}, got)

	check.LOA.Address, check.LOA.DocumentRef = "12 Main St", "s3://loas/doe-2.pdf"
	got = twice(t, f.db, func() (activities.CSRCheckResult, error) { return f.a.CheckCSR(ctx, check) })
	require.Equal(t, activities.CSRCheckResult{Records: 1}, got)
	require.Equal(t, 2, pgtest.Count(t, f.db, "audit_log", `workflow_id = 'port-in-csr-again' AND action = 'csr_checked' AND (detail->>'loa_version')::int = 1`))
}

func TestSubmitLOAWithTheCSRPreCheckInputChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := activities.SubmitLOAInput{WorkflowID: "port-in-x", Group: acmeDID, Carrier: acme, NumberType: "did",
		Numbers: []string{"+12125550100"}, Version: 1, LOA: loa(), CheckCSR: true}
	for _, tc := range []struct {
		name string
		edit func(*activities.SubmitLOAInput)
		msg  string
	}{
		{"no workflow", func(in *activities.SubmitLOAInput) { in.WorkflowID = "" }, "workflow_id: is required"},
		{"no group", func(in *activities.SubmitLOAInput) { in.Group = "" }, "group: is required"},
		{"no carrier", func(in *activities.SubmitLOAInput) { in.Carrier = "" }, "carrier: is required"},
		{"no version", func(in *activities.SubmitLOAInput) { in.Version = 0 }, "version: must be 1 or more, got 0"},
		{"no numbers", func(in *activities.SubmitLOAInput) { in.Numbers = nil }, "numbers: at least one number is required"},
		{"not E.164", func(in *activities.SubmitLOAInput) { in.Numbers = []string{"+12125550100", "555"} }, `numbers[1]: must be an E.164 number like +14155550100, got "555"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.edit(&in)
			_, err := f.a.SubmitLOA(ctx, in)
			requireAppErr(t, err, activities.ErrInvalidInput, tc.msg)
			require.NotContains(t, err.Error(), "ACCT-99887766")
		})
	}
	require.Zero(t, pgtest.Count(t, f.db, "audit_log", ""))
	require.Zero(t, pgtest.Count(t, f.db, "carrier_submissions", ""))
}

func TestSubmitSupp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, acme)
	in := f.record(t, "supp", nums)
	wf := in.WorkflowID
	_, err := f.a.SubmitLOA(ctx, activities.SubmitLOAInput{WorkflowID: wf, Group: acmeDID, Carrier: acme, NumberType: "did", Version: 1, LOA: loa()})
	require.NoError(t, err)

	date := time.Date(2026, 12, 14, 15, 0, 0, 0, time.UTC)
	supp := activities.SuppInput{WorkflowID: wf, Group: acmeDID, Carrier: acme, Round: 1, Change: activities.SuppPortDate,
		PortDate: &date, By: "pat@example.com"}
	r := twice(t, f.db, func() (activities.SubmissionReceipt, error) { return f.a.SubmitSupp(ctx, supp) })
	var row struct {
		Key     string `db:"idempotency_key"`
		Kind    string `db:"kind"`
		Version int    `db:"loa_version"`
		Payload []byte `db:"payload"`
	}
	pgtest.Get(t, f.db, &row, `idempotency_key, kind, loa_version, payload`, "carrier_submissions", `id = $1`, r.SubmissionID)
	require.Equal(t, wf+"/"+acmeDID+"/supp/1", row.Key)
	require.Equal(t, store.SubmissionSupp, row.Kind)
	require.Equal(t, 1, row.Version)
	var p store.SubmissionPayload
	require.NoError(t, json.Unmarshal(row.Payload, &p))
	require.Equal(t, activities.SuppPortDate, p.Change)
	require.True(t, date.Equal(*p.PortDate))
	require.Equal(t, store.E164List(nums), p.Numbers)
	require.Equal(t, "pat@example.com", p.By)

	rm := activities.SuppInput{WorkflowID: wf, Group: acmeDID, Carrier: acme, Round: 2, Change: activities.SuppRemoveNumbers,
		Numbers: []string{nums[0].E164}, Removed: []string{nums[1].E164}, Reason: "kept by the old carrier"}
	r2 := twice(t, f.db, func() (activities.SubmissionReceipt, error) { return f.a.SubmitSupp(ctx, rm) })
	require.NotEqual(t, r.SubmissionID, r2.SubmissionID)
	require.Equal(t, 2, pgtest.Count(t, f.db, "carrier_submissions", `workflow_id = $1 AND kind = 'supp'`, wf))
	require.Equal(t, 2, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'supp_submitted'`, wf))
}

func TestSubmitSuppInputChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	date := time.Now().Add(72 * time.Hour)
	ok := activities.SuppInput{WorkflowID: "port-in-x", Group: acmeDID, Carrier: acme, Round: 1, Change: activities.SuppPortDate, PortDate: &date}
	for _, tc := range []struct {
		name string
		edit func(*activities.SuppInput)
		msg  string
	}{
		{"no workflow", func(in *activities.SuppInput) { in.WorkflowID = "" }, "workflow_id: is required"},
		{"no group", func(in *activities.SuppInput) { in.Group = "" }, "group: is required"},
		{"no carrier", func(in *activities.SuppInput) { in.Carrier = "" }, "carrier: is required"},
		{"round 0", func(in *activities.SuppInput) { in.Round = 0 }, "round: must be 1 or more, got 0"},
		{"unknown change", func(in *activities.SuppInput) { in.Change = "rename" }, `change: must be "port_date" or "remove_numbers", got "rename"`},
		{"date supp without a date", func(in *activities.SuppInput) { in.PortDate = nil }, "port_date: is required for a port_date supp"},
		{"date supp removing numbers", func(in *activities.SuppInput) { in.Removed = []string{"+12125550100"} }, "removed: must be empty for a port_date supp"},
		{"removal without numbers", func(in *activities.SuppInput) { in.Change, in.PortDate = activities.SuppRemoveNumbers, nil },
			"removed: at least one number is required"},
		{"removal with a date", func(in *activities.SuppInput) {
			in.Change, in.Removed = activities.SuppRemoveNumbers, []string{"+12125550100"}
		}, "port_date: must be empty for a remove_numbers supp"},
		{"removed not E.164", func(in *activities.SuppInput) {
			in.Change, in.PortDate, in.Removed = activities.SuppRemoveNumbers, nil, []string{"x"}
		}, `removed[0]: must be an E.164 number`},
		{"numbers not E.164", func(in *activities.SuppInput) { in.Numbers = []string{"+12125550100", "+12125550100"} }, "numbers[1]: duplicate of numbers[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.edit(&in)
			_, err := f.a.SubmitSupp(ctx, in)
			requireAppErr(t, err, activities.ErrInvalidInput, tc.msg)
		})
	}
	// The store's refusal is non-retryable too: the group has no number.
	_, err := f.a.SubmitSupp(ctx, ok)
	requireAppErr(t, err, activities.ErrInvalidInput, `numbers: none given and port port-in-x has no active number in group "Acme Telecom/did"`)
	require.Zero(t, pgtest.Count(t, f.db, "carrier_submissions", ""))
}

func TestSplitNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, acme)
	in := f.record(t, "split", nums)
	wf := in.WorkflowID
	_, err := f.a.SubmitLOA(ctx, activities.SubmitLOAInput{WorkflowID: wf, Group: acmeDID, Carrier: acme, NumberType: "did", Version: 1, LOA: loa()})
	require.NoError(t, err)
	split := porting.SplitGroupName(acmeDID, 2)
	d := activities.DetachInput{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[2:], To: split, Reason: "BTN_MISMATCH: the billing number differs"}
	res := twice(t, f.db, func() (activities.DetachResult, error) { return f.a.SplitNumbers(ctx, d) })
	require.Equal(t, activities.DetachResult{Released: 0, PhoneNumberLimit: 10}, res)
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers",
		`workflow_id = $1 AND e164 = $2 AND "group" = $3 AND active AND state = 'loa_rejected' AND reason = $4`, wf, nums[2].E164, split, d.Reason))
	require.Equal(t, 2, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND "group" = $2 AND state = 'awaiting_carrier'`, wf, acmeDID))
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'numbers_split'`, wf))

	// The split group provisions under its own name once its corrected LOA is accepted.
	res2, err := f.a.ProvisionNumbers(ctx, activities.NumbersInput{WorkflowID: wf, Group: split, InstanceARN: f.arn, ContactFlow: flowMain, Numbers: nums[2:]})
	require.NoError(t, err)
	require.Equal(t, activities.ProvisionResult{Provisioned: 1, PhoneNumberLimit: 11}, res2)
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND "group" = $2 AND state = 'provisioned'`, wf, split))
}

func TestRemoveNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(3, acme)
	in := f.record(t, "remove", nums)
	wf := in.WorkflowID
	_, err := f.a.ProvisionNumbers(ctx, f.numbersInput(wf, nums))
	require.NoError(t, err)
	require.Equal(t, 13, f.limit(t))

	d := activities.DetachInput{WorkflowID: wf, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[:1], Reason: "the customer keeps it"}
	res := twice(t, f.db, func() (activities.DetachResult, error) { return f.a.RemoveNumbers(ctx, d) })
	require.Equal(t, activities.DetachResult{Released: 1, PhoneNumberLimit: 12}, res)
	require.Equal(t, 12, f.limit(t))
	require.Equal(t, 2, pgtest.Int(t, f.db, "amount", "limit_increases", `workflow_id = $1 AND "group" = $2`, wf, acmeDID))
	require.Equal(t, 1, pgtest.Count(t, f.db, "phone_numbers", `e164 = $1 AND state = 'released' AND contact_flow IS NULL`, nums[0].E164))
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND e164 = $2 AND NOT active AND state = 'cancelled'`, wf, nums[0].E164))

	// The rest, found by number (no group given): back to the base limit.
	res = twice(t, f.db, func() (activities.DetachResult, error) {
		return f.a.RemoveNumbers(ctx, activities.DetachInput{WorkflowID: wf, InstanceARN: f.arn, Numbers: nums[1:], Reason: "cancelled"})
	})
	require.Equal(t, activities.DetachResult{Released: 2, PhoneNumberLimit: 10}, res)
	require.Zero(t, pgtest.Count(t, f.db, "limit_increases", ""))
}

func TestRemoveNumbersOfAPortOutLeavesThemOnTheInstance(t *testing.T) {
	t.Parallel()
	f, held := portOutFixture(t, 2)
	in := f.recordPortOut(t, "remove-out", held)
	d := activities.DetachInput{WorkflowID: in.WorkflowID, Group: in.Request.WinningCarrier, InstanceARN: f.arn,
		Numbers: []porting.PortNumber{{E164: held[0]}}, Reason: "the customer keeps it"}
	res := twice(t, f.db, func() (activities.DetachResult, error) { return f.a.RemoveNumbers(ctx, d) })
	require.Equal(t, activities.DetachResult{Released: 0, PhoneNumberLimit: 10}, res)
	require.Equal(t, 2, pgtest.Count(t, f.db, "phone_numbers", `instance_arn = $1 AND state = 'active'`, f.arn))
	require.Equal(t, 1, pgtest.Count(t, f.db, "port_request_numbers", `workflow_id = $1 AND active`, in.WorkflowID))
	// Unlocked: another port-out may take it.
	f.recordPortOut(t, "remove-out-2", held[:1])
}

func TestDetachInputChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, acme)
	in := f.record(t, "detach-checks", nums)
	split := porting.SplitGroupName(acmeDID, 2)
	ok := activities.DetachInput{WorkflowID: in.WorkflowID, Group: acmeDID, InstanceARN: f.arn, Numbers: nums[:1], To: split, Reason: "r"}
	for _, tc := range []struct {
		name   string
		remove bool // RemoveNumbers, else SplitNumbers
		edit   func(*activities.DetachInput)
		msg    string
	}{
		{"no workflow", false, func(d *activities.DetachInput) { d.WorkflowID = "" }, "workflow_id: is required"},
		{"no numbers", true, func(d *activities.DetachInput) { d.Numbers = nil }, "numbers: at least one number is required"},
		{"not E.164", false, func(d *activities.DetachInput) { d.Numbers = []porting.PortNumber{{E164: "1"}} }, "numbers[0].e164: must be an E.164 number"},
		{"twice the same", true, func(d *activities.DetachInput) { d.Numbers = []porting.PortNumber{nums[0], nums[0]} }, "numbers[1].e164: duplicate of numbers[0]"},
		{"split without group", false, func(d *activities.DetachInput) { d.Group = "" }, "group: is required"},
		{"split without to", false, func(d *activities.DetachInput) { d.To = "" }, "to: is required"},
		{"split into another base", false, func(d *activities.DetachInput) { d.To = "Beta/did#2" }, `to: must be a split group of "Acme Telecom/did" (like "Acme Telecom/did#2"), got "Beta/did#2"`},
		{"split into itself", false, func(d *activities.DetachInput) { d.To = acmeDID }, "to: must be a split group"},
		{"removal with to", true, func(d *activities.DetachInput) {}, "to: must be empty"},
		{"not the port's number", true, func(d *activities.DetachInput) { d.To, d.Numbers = "", numbers(1, acme) }, "is not a number of port " + in.WorkflowID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			var err error
			if tc.remove {
				_, err = f.a.RemoveNumbers(ctx, d)
			} else {
				_, err = f.a.SplitNumbers(ctx, d)
			}
			requireAppErr(t, err, activities.ErrInvalidInput, tc.msg)
		})
	}
	require.Zero(t, pgtest.Count(t, f.db, "audit_log", `action IN ('numbers_split', 'numbers_removed')`))
}

// SubmitLOA with the CSR pre-check: a mismatching LOA is neither recorded nor sent; the same LOA with
// override_csr is, and the audit says so; a version already sent is returned as it is on a rerun,
// even once the record changed; no record: sent as before the pre-check existed.
func TestSubmitLOAWithTheCSRPreCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := numbers(2, acme)
	in := f.record(t, "csr-submit", nums)
	wf := in.WorkflowID
	e := store.E164List(nums)
	require.NoError(t, store.AddCustomerServiceRecord(ctx, f.db, store.CSRInput{Carrier: acme, E164: e[0], Name: "Pat Doe", Address: "12 Main St"}))
	submit := activities.SubmitLOAInput{WorkflowID: wf, Group: acmeDID, Carrier: acme, NumberType: "did", Numbers: e, Version: 1, LOA: loa(), CheckCSR: true}

	stopped := twice(t, f.db, func() (activities.LOASubmitted, error) { return f.a.SubmitLOA(ctx, submit) })
	require.False(t, stopped.Sent)
	require.Zero(t, stopped.SubmissionID)
	require.Equal(t, &activities.CSRCheckResult{Records: 1, Mismatched: []string{porting.CSRFieldAddress}, MismatchedNumbers: e[:1]}, stopped.CSR)
	require.Zero(t, pgtest.Count(t, f.db, "carrier_submissions", `workflow_id = $1`, wf), "nothing reached the carrier outbox")
	require.Zero(t, pgtest.Count(t, f.db, "loa_versions", `workflow_id = $1`, wf))

	submit.OverrideCSR = true
	sent := twice(t, f.db, func() (activities.LOASubmitted, error) { return f.a.SubmitLOA(ctx, submit) })
	require.True(t, sent.Sent)
	require.NotZero(t, sent.SubmissionID)
	require.Equal(t, []string{porting.CSRFieldAddress}, sent.CSR.Mismatched)
	require.Equal(t, 1, pgtest.Count(t, f.db, "carrier_submissions", `workflow_id = $1 AND kind = 'port_request'`, wf))
	require.Equal(t, 1, pgtest.Count(t, f.db, "audit_log", `workflow_id = $1 AND action = 'csr_checked' AND (detail->>'override_csr')::bool`, wf))

	// A rerun of the sent version, after ops corrected the record: the same submission, unchecked.
	require.NoError(t, store.AddCustomerServiceRecord(ctx, f.db, store.CSRInput{Carrier: acme, E164: e[0], Name: "Pat Doe", Address: "1 Main St, New York, NY"}))
	submit.OverrideCSR = false
	again, err := f.a.SubmitLOA(ctx, submit)
	require.NoError(t, err)
	require.Equal(t, sent, again)

	// No record of the group's numbers: sent as before.
	other := f.record(t, "csr-none", numbers(1, acme))
	plain := activities.SubmitLOAInput{WorkflowID: other.WorkflowID, Group: acmeDID, Carrier: acme, NumberType: "did",
		Numbers: store.E164List(other.Request.Numbers), Version: 1, LOA: loa(), CheckCSR: true}
	res, err := f.a.SubmitLOA(ctx, plain)
	require.NoError(t, err)
	require.True(t, res.Sent)
	require.Equal(t, 0, res.CSR.Records)
}
