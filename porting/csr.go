package porting

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// CSR pre-check (DESIGN §8): before an LOA version goes to the carrier it is compared, field by
// field, with the losing carrier's customer service record (CSR) of each of the group's numbers.
// Most carrier rejections are such mismatches (a service address written differently from the
// bill); catching them here saves a round of 3–5 business days.

// CustomerServiceRecord is what the losing carrier has on record for one number, as the pre-check
// compares it. The account number is only ever held as AccountNumberHash (HashAccountNumber).
type CustomerServiceRecord struct {
	Carrier                string `json:"carrier"`
	E164                   string `json:"e164"`
	Name                   string `json:"name"`
	Address                string `json:"address"`
	AccountNumberHash      string `json:"account_number_hash,omitempty"`
	BillingTelephoneNumber string `json:"billing_telephone_number,omitempty"`
}

// The LOA fields a CSR mismatch names, in report order (the customer corrects these).
const (
	CSRFieldName          = "authorized_name"
	CSRFieldAddress       = "address"
	CSRFieldAccountNumber = "account_number"
	CSRFieldBTN           = "billing_telephone_number"
)

// CSRFields lists the compared LOA fields in report order.
var CSRFields = []string{CSRFieldName, CSRFieldAddress, CSRFieldAccountNumber, CSRFieldBTN}

// HashAccountNumber is how a CSR keeps an account number: hex SHA-256 of the number without spaces,
// dashes or dots, upper-cased ("12-345 67" and "1234567" are one account). It is compared, never
// shown.
func HashAccountNumber(account string) string {
	var b strings.Builder
	for _, r := range account {
		if unicode.IsSpace(r) || r == '-' || r == '.' {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	if b.Len() == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte("csr-account\x00" + b.String()))
	return hex.EncodeToString(sum[:])
}

// CSRMismatches lists the LOA fields that do not match the record, in CSRFields order, each once.
// Text is compared as the port-out match compares it (SameText: NFC, white space collapsed, case
// ignored); the name matches the LOA's authorized name or its company (business accounts are held in
// the company's name); a field the record does not hold is not compared.
func CSRMismatches(loa LOA, rec CustomerServiceRecord) []string {
	var out []string
	if rec.Name != "" && !SameText(rec.Name, loa.AuthorizedName) && (loa.Company == "" || !SameText(rec.Name, loa.Company)) {
		out = append(out, CSRFieldName)
	}
	if rec.Address != "" && !SameText(rec.Address, loa.Address) {
		out = append(out, CSRFieldAddress)
	}
	if rec.AccountNumberHash != "" && HashAccountNumber(loa.AccountNumber) != rec.AccountNumberHash {
		out = append(out, CSRFieldAccountNumber)
	}
	if rec.BillingTelephoneNumber != "" && rec.BillingTelephoneNumber != strings.TrimSpace(loa.BillingTelephoneNumber) {
		out = append(out, CSRFieldBTN)
	}
	return out
}

// MergeCSRFields is the union of mismatched field lists, in CSRFields order.
func MergeCSRFields(lists ...[]string) []string {
	var out []string
	for _, f := range CSRFields {
		for _, l := range lists {
			if contains(l, f) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
