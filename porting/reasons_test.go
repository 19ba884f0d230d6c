package porting

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestLookupReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in        string
		code      ReasonCode
		retryable bool
	}{
		{"LOA_NAME_MISMATCH", ReasonLOANameMismatch, true},
		{"  address_mismatch ", ReasonAddressMismatch, true},
		{"Account-Number-Mismatch", ReasonAccountNumberMismatch, true},
		{"PIN_INVALID", ReasonPINInvalid, true},
		{"BTN_MISMATCH", ReasonBTNMismatch, true},
		{"PARTIAL_PORT", ReasonPartialPort, true},
		{"NOT_PORTABLE", ReasonNotPortable, false},
		{"FOC_EXPIRED", ReasonFOCExpired, true},
		{"CSR_MISMATCH", ReasonCSRMismatch, true},
		{"PASSCODE_INVALID", ReasonPasscodeInvalid, true},
		{"OTHER", ReasonOther, true},
		// Aliases.
		{"NAME_MISMATCH", ReasonLOANameMismatch, true},
		{"name mismatch", ReasonLOANameMismatch, true},
		{"SERVICE_ADDRESS_MISMATCH", ReasonAddressMismatch, true},
		{"NUMBER_NOT_PORTABLE", ReasonNotPortable, false},
		{"FOC_WITHDRAWN", ReasonFOCExpired, true},
		// Unknown and empty: OTHER.
		{"6P", ReasonOther, true},
		{"LOA_MISMATCH", ReasonOther, true},
		{"", ReasonOther, true},
		{"   ", ReasonOther, true},
	} {
		got := LookupReason(tc.in)
		if got.Code != tc.code || got.Retryable != tc.retryable {
			t.Errorf("LookupReason(%q) = %s retryable=%v, want %s retryable=%v", tc.in, got.Code, got.Retryable, tc.code, tc.retryable)
		}
		if got.CarrierCode != strings.TrimSpace(tc.in) {
			t.Errorf("LookupReason(%q).CarrierCode = %q, want the carrier's code kept", tc.in, got.CarrierCode)
		}
		if got.Description == "" || got.CustomerAction == "" {
			t.Errorf("LookupReason(%q): description and customer action are required", tc.in)
		}
	}
}

func TestReasonForKeepsCarrierText(t *testing.T) {
	t.Parallel()
	r := ReasonFor(" 6P ", " foo ")
	if r.Code != ReasonOther || r.CarrierCode != "6P" || r.CarrierText != "foo" {
		t.Fatalf("ReasonFor(6P, foo) = %+v", r)
	}
}

func TestReasonAction(t *testing.T) {
	t.Parallel()
	r := LookupReason("ADDRESS_MISMATCH")
	want := "Check the service address on your latest bill from Acme Telecom and send an LOA with exactly that address."
	if got := r.Action("Acme Telecom"); got != want {
		t.Errorf("Action = %q, want %q", got, want)
	}
	if got := r.Action(""); !strings.Contains(got, "from the losing carrier") {
		t.Errorf("Action without a carrier = %q", got)
	}
}

func TestReasonCatalogue(t *testing.T) {
	t.Parallel()
	codes := ReasonCodes()
	seen := map[ReasonCode]bool{}
	for _, r := range codes {
		if seen[r.Code] {
			t.Errorf("%s listed twice", r.Code)
		}
		seen[r.Code] = true
		if string(r.Code) != NormalizeReasonCode(string(r.Code)) {
			t.Errorf("%s is not in normal form", r.Code)
		}
		if r.CarrierCode != "" || r.CarrierText != "" {
			t.Errorf("%s: the catalogue carries no carrier's code or text", r.Code)
		}
	}
	for _, c := range []ReasonCode{ReasonLOANameMismatch, ReasonAddressMismatch, ReasonAccountNumberMismatch, ReasonPINInvalid,
		ReasonBTNMismatch, ReasonPartialPort, ReasonNotPortable, ReasonFOCExpired, ReasonCSRMismatch, ReasonPasscodeInvalid, ReasonOther} {
		if !seen[c] {
			t.Errorf("the catalogue lacks %s (DESIGN §8)", c)
		}
	}
	if codes[len(codes)-1].Code != ReasonOther {
		t.Errorf("OTHER is listed last")
	}
	for alias, code := range reasonAliases {
		if _, ok := reasonByCode[code]; !ok {
			t.Errorf("alias %s → %s: not a catalogue code", alias, code)
		}
		if _, ok := reasonByCode[ReasonCode(alias)]; ok || alias != NormalizeReasonCode(alias) {
			t.Errorf("alias %s shadows a code or is not in normal form", alias)
		}
	}
	codes[0].Code = "CHANGED"
	if ReasonCodes()[0].Code == "CHANGED" {
		t.Error("ReasonCodes hands out the catalogue itself")
	}
}

func TestOwnershipMismatchReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fields []string
		want   ReasonCode
	}{
		{[]string{OwnershipOwnerName}, ReasonLOANameMismatch},
		{[]string{OwnershipAddress}, ReasonAddressMismatch},
		{[]string{OwnershipBillingContact}, ReasonCSRMismatch},
		{[]string{OwnershipOwnerName, OwnershipAddress}, ReasonCSRMismatch},
		{nil, ReasonCSRMismatch},
	} {
		if got := OwnershipMismatchReason(tc.fields); got != tc.want {
			t.Errorf("OwnershipMismatchReason(%v) = %s, want %s", tc.fields, got, tc.want)
		}
	}
}

// The README's reason-code table is the catalogue.
func TestReadmeReasonTableMatchesTheCatalogue(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skipf("README not found: %v", err)
	}
	for _, r := range ReasonCodes() {
		yes := "no"
		if r.Retryable {
			yes = "yes"
		}
		row := fmt.Sprintf("| `%s` | %s | %s |", r.Code, yes, strings.ReplaceAll(r.CustomerAction, carrierPlaceholder, "*carrier*"))
		if !strings.Contains(string(raw), row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
}
