package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/contactcenter/numberporting/porting"
)

// The simulated losing carriers' customer service records (CSRs) the CSR pre-check compares LOAs
// with (DESIGN §8 "CSR pre-check"), and the audit of each check.

// CSRInput is one number's customer service record as ops (starter csr add) or the simulator give
// it. AccountNumber is in clear here only: it is stored as porting.HashAccountNumber.
type CSRInput struct {
	Carrier                string
	E164                   string
	Name                   string
	Address                string
	AccountNumber          string
	BillingTelephoneNumber string
}

// AddCustomerServiceRecord records the losing carrier's CSR of a number; idempotent, and a second
// call replaces the record (a carrier holds one record per number). The carrier, name and address
// are stored normalised (porting.NormalizeText), as the ownership records are, so what is compared
// and shown is the same text however it was typed; the account number only as its hash, NULL when
// none is given. Bad input is an InventoryError (invalid) naming the field.
func AddCustomerServiceRecord(ctx context.Context, db *sqlx.DB, in CSRInput) error {
	in.Carrier = porting.NormalizeText(in.Carrier)
	in.Name = porting.NormalizeText(in.Name)
	in.Address = porting.NormalizeText(in.Address)
	in.BillingTelephoneNumber = strings.TrimSpace(in.BillingTelephoneNumber)
	switch {
	case !E164Pattern.MatchString(in.E164):
		return invErr(InventoryInvalid, "e164", "must be an E.164 number like +14155550100, got %q", in.E164)
	case in.Carrier == "":
		return invErr(InventoryInvalid, "carrier", "is required: the losing carrier holding the record")
	case in.Name == "":
		return invErr(InventoryInvalid, "name", "is required: the account holder's name on the record")
	case in.Address == "":
		return invErr(InventoryInvalid, "address", "is required: the service address on the record")
	case in.BillingTelephoneNumber != "" && !E164Pattern.MatchString(in.BillingTelephoneNumber):
		return invErr(InventoryInvalid, "billing_telephone_number", "must be an E.164 number like +14155550100, got %q", in.BillingTelephoneNumber)
	}
	var accountHash *string
	if h := porting.HashAccountNumber(in.AccountNumber); h != "" {
		accountHash = &h
	}
	// The WHERE keeps a rerun from touching the row (updated_at included).
	_, err := db.ExecContext(ctx, `
		INSERT INTO customer_service_records AS r (e164, carrier, name, address, account_number_hash, billing_telephone_number)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (e164) DO UPDATE SET
			carrier = EXCLUDED.carrier, name = EXCLUDED.name, address = EXCLUDED.address,
			account_number_hash = EXCLUDED.account_number_hash,
			billing_telephone_number = EXCLUDED.billing_telephone_number, updated_at = now()
		WHERE (r.carrier, r.name, r.address, r.account_number_hash, r.billing_telephone_number)
			IS DISTINCT FROM (EXCLUDED.carrier, EXCLUDED.name, EXCLUDED.address, EXCLUDED.account_number_hash, EXCLUDED.billing_telephone_number)`,
		in.E164, in.Carrier, in.Name, in.Address, accountHash, in.BillingTelephoneNumber)
	return err
}

// CustomerServiceRecords are carrier's records of numbers, in the order of numbers; a number without
// one is left out. A record held under another carrier (porting.SameCarrier decides) is not this
// carrier's record of the number: it is left out too, as the carrier would not find it.
func CustomerServiceRecords(ctx context.Context, q sqlx.QueryerContext, carrier string, numbers []string) ([]porting.CustomerServiceRecord, error) {
	var rows []struct {
		E164        string  `db:"e164"`
		Carrier     string  `db:"carrier"`
		Name        string  `db:"name"`
		Address     string  `db:"address"`
		AccountHash *string `db:"account_number_hash"`
		BTN         string  `db:"billing_telephone_number"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT e164, carrier, name, address, account_number_hash, billing_telephone_number
		FROM customer_service_records WHERE e164 = ANY($1)`, pq.Array(numbers)); err != nil {
		return nil, err
	}
	byNumber := make(map[string]porting.CustomerServiceRecord, len(rows))
	for _, r := range rows {
		if !porting.SameCarrier(r.Carrier, carrier) {
			continue
		}
		rec := porting.CustomerServiceRecord{
			Carrier: r.Carrier, E164: r.E164, Name: r.Name, Address: r.Address, BillingTelephoneNumber: r.BTN,
		}
		if r.AccountHash != nil {
			rec.AccountNumberHash = *r.AccountHash
		}
		byNumber[r.E164] = rec
	}
	var out []porting.CustomerServiceRecord
	for _, n := range numbers {
		if rec, ok := byNumber[n]; ok {
			out = append(out, rec)
			delete(byNumber, n) // a number listed twice has one record
		}
	}
	return out, nil
}

// CSRCheck is the outcome of one CSR pre-check of an LOA, as the audit log keeps it: counts, field
// names and numbers — never a value of the LOA or of a record.
type CSRCheck struct {
	WorkflowID string `json:"-"`
	Group      string `json:"group"`
	Carrier    string `json:"carrier"`
	// LOAVersion is the version the LOA would be sent as. An LOA stopped by the check is not sent, so
	// the corrected one that follows is checked under the same version.
	LOAVersion int `json:"loa_version"`
	// LOARef tells apart LOAs checked under one version (e.g. the LOA's document reference and signing
	// time): it only goes, hashed, into the audit row's key. Never a secret.
	LOARef string `json:"-"`
	// Records is how many of the numbers have a record of the carrier.
	Records int `json:"records"`
	// Mismatched are porting.CSRFields names; MismatchedNumbers the numbers whose record differs.
	Mismatched        []string `json:"mismatched"`
	MismatchedNumbers []string `json:"mismatched_numbers"`
	// Override: the customer asked for the LOA to be sent whatever the check finds (override_csr).
	Override bool `json:"override_csr"`
}

// CSRCheckKey is the audit log's idempotency key of a pre-check: the workflow, group and LOA version,
// and a digest of the LOA's reference and the outcome, so that a rerun of the same check adds no
// row while a corrected LOA checked under the same version adds its own.
func CSRCheckKey(c CSRCheck) string {
	h := sha256.New()
	for _, part := range []string{c.LOARef, fmt.Sprint(c.Records), strings.Join(c.Mismatched, ","), strings.Join(c.MismatchedNumbers, ","), fmt.Sprint(c.Override)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return StepKey(c.WorkflowID, "csr-check", c.Group, fmt.Sprint(c.LOAVersion), hex.EncodeToString(h.Sum(nil))[:24])
}

// RecordCSRCheck writes the audit row (action csr_checked) of a pre-check, once per CSRCheckKey.
func RecordCSRCheck(ctx context.Context, db *sqlx.DB, c CSRCheck) error {
	if c.Mismatched == nil {
		c.Mismatched = []string{}
	}
	if c.MismatchedNumbers == nil {
		c.MismatchedNumbers = []string{}
	}
	return Audit(ctx, db, CSRCheckKey(c), c.WorkflowID, "csr_checked", c)
}

// LastCSRCheck is the latest pre-check recorded for an LOA version of a group, or nil: what a rerun
// of the submission of a version already sent reports as its check.
func LastCSRCheck(ctx context.Context, db *sqlx.DB, workflowID, group string, version int) (*CSRCheck, error) {
	var detail []byte
	err := db.GetContext(ctx, &detail, `
		SELECT detail FROM audit_log
		WHERE workflow_id = $1 AND action = 'csr_checked' AND detail->>'group' = $2 AND (detail->>'loa_version')::int = $3
		ORDER BY id DESC LIMIT 1`, workflowID, group, version)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c CSRCheck
	if err := json.Unmarshal(detail, &c); err != nil {
		return nil, err
	}
	c.WorkflowID = workflowID
	return &c, nil
}
