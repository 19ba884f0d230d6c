package porting

import (
	"strings"
)

// ReasonCode is a rejection reason of the catalogue (DESIGN §8 "Reason codes"): what a carrier's
// `reason_code` means, whether the customer can fix it, and what the customer should do.
type ReasonCode string

// The catalogue's codes.
const (
	ReasonLOANameMismatch       ReasonCode = "LOA_NAME_MISMATCH"
	ReasonAddressMismatch       ReasonCode = "ADDRESS_MISMATCH"
	ReasonAccountNumberMismatch ReasonCode = "ACCOUNT_NUMBER_MISMATCH"
	ReasonPINInvalid            ReasonCode = "PIN_INVALID"
	ReasonBTNMismatch           ReasonCode = "BTN_MISMATCH"
	ReasonPartialPort           ReasonCode = "PARTIAL_PORT"
	ReasonNotPortable           ReasonCode = "NOT_PORTABLE"
	ReasonFOCExpired            ReasonCode = "FOC_EXPIRED"
	ReasonCSRMismatch           ReasonCode = "CSR_MISMATCH"
	ReasonPasscodeInvalid       ReasonCode = "PASSCODE_INVALID"
	ReasonOther                 ReasonCode = "OTHER"
)

// carrierPlaceholder in a customer action is replaced by the losing carrier's name.
const carrierPlaceholder = "<carrier>"

// Reason is one code of the catalogue, as looked up for a carrier's answer.
type Reason struct {
	Code        ReasonCode `json:"code"`
	Description string     `json:"description"`
	// Retryable: the customer can fix it and resubmit (a corrected LOA, a new request).
	Retryable bool `json:"retryable"`
	// CustomerAction tells the customer, in plain words, what to fix; "<carrier>" stands for the
	// losing carrier (see Action).
	CustomerAction string `json:"customer_action"`
	// CarrierCode is the code as the carrier sent it (trimmed), whether known, an alias or unknown.
	CarrierCode string `json:"carrier_code,omitempty"`
	// CarrierText is the carrier's own text, when the lookup was given one (ReasonFor).
	CarrierText string `json:"carrier_text,omitempty"`
}

// Action is the customer action with the losing carrier's name filled in.
func (r Reason) Action(carrier string) string {
	if strings.TrimSpace(carrier) == "" {
		carrier = "the losing carrier"
	}
	return strings.ReplaceAll(r.CustomerAction, carrierPlaceholder, carrier)
}

// reasons is the catalogue, in the order it is documented (ReasonCodes).
var reasons = []Reason{
	{Code: ReasonLOANameMismatch, Retryable: true,
		Description:    "the authorized name or company on the LOA does not match the carrier's account",
		CustomerAction: "Send an LOA signed with the account holder's name (or company name) exactly as it appears on your latest bill from <carrier>."},
	{Code: ReasonAddressMismatch, Retryable: true,
		Description:    "the service address on the LOA does not match the carrier's records",
		CustomerAction: "Check the service address on your latest bill from <carrier> and send an LOA with exactly that address."},
	{Code: ReasonAccountNumberMismatch, Retryable: true,
		Description:    "the account number is missing or does not match the carrier's account",
		CustomerAction: "Copy the account number from your latest bill from <carrier> (not the invoice number) and send a corrected LOA."},
	{Code: ReasonPINInvalid, Retryable: true,
		Description:    "the account PIN or port-out PIN is missing or wrong",
		CustomerAction: "Ask <carrier> for the account's port-out PIN (often set in its online account or by its support) and send an LOA with it."},
	{Code: ReasonBTNMismatch, Retryable: true,
		Description:    "the billing telephone number (BTN) does not match the carrier's account",
		CustomerAction: "Check the main billing telephone number on your latest bill from <carrier> and send an LOA with that number."},
	{Code: ReasonPartialPort, Retryable: true,
		Description:    "the request ports only part of the account and the carrier needs the rest settled",
		CustomerAction: "Either include every number on the <carrier> account, or ask <carrier> which number stays as the account's billing number, then send a corrected LOA."},
	{Code: ReasonNotPortable, Retryable: false,
		Description:    "the numbers cannot be ported from this carrier (rate centre, number type or carrier refusal)",
		CustomerAction: "These numbers cannot be ported from <carrier>; a new LOA will not help. Cancel this part of the request or contact support for alternatives."},
	{Code: ReasonFOCExpired, Retryable: true,
		Description:    "the firm order commitment (port date) expired or was withdrawn",
		CustomerAction: "Send the LOA again so that <carrier> can give a new port date; check that its details still match your latest bill."},
	{Code: ReasonCSRMismatch, Retryable: true,
		Description:    "the LOA does not match the carrier's customer service record (CSR)",
		CustomerAction: "Ask <carrier> for your customer service record (CSR) and send an LOA whose name, service address, account number and billing number match it exactly."},
	{Code: ReasonPasscodeInvalid, Retryable: true,
		Description:    "the port-out passcode is missing or wrong",
		CustomerAction: "Get the port-out passcode from the number's current owner and send the request again with it."},
	{Code: ReasonOther, Retryable: true,
		Description:    "a reason the catalogue does not know; the carrier's own text says what",
		CustomerAction: "Read <carrier>'s reason, correct the LOA accordingly and send it again; contact support if the reason is unclear."},
}

// reasonAliases are codes carriers (and scripts) send for a catalogue code.
var reasonAliases = map[string]ReasonCode{
	"NAME_MISMATCH":                     ReasonLOANameMismatch,
	"AUTHORIZED_NAME_MISMATCH":          ReasonLOANameMismatch,
	"END_USER_NAME_MISMATCH":            ReasonLOANameMismatch,
	"LOA_NAME_INVALID":                  ReasonLOANameMismatch,
	"SERVICE_ADDRESS_MISMATCH":          ReasonAddressMismatch,
	"ADDRESS_INVALID":                   ReasonAddressMismatch,
	"ACCOUNT_MISMATCH":                  ReasonAccountNumberMismatch,
	"ACCOUNT_NUMBER_INVALID":            ReasonAccountNumberMismatch,
	"INVALID_ACCOUNT_NUMBER":            ReasonAccountNumberMismatch,
	"PIN_MISMATCH":                      ReasonPINInvalid,
	"PIN_REQUIRED":                      ReasonPINInvalid,
	"INVALID_PIN":                       ReasonPINInvalid,
	"BTN_INVALID":                       ReasonBTNMismatch,
	"BILLING_TELEPHONE_NUMBER_MISMATCH": ReasonBTNMismatch,
	"PARTIAL_PORT_NOT_ALLOWED":          ReasonPartialPort,
	"NUMBER_NOT_PORTABLE":               ReasonNotPortable,
	"FOC_WITHDRAWN":                     ReasonFOCExpired,
	"CSR_INVALID":                       ReasonCSRMismatch,
	"PASSCODE_MISMATCH":                 ReasonPasscodeInvalid,
	"INVALID_PASSCODE":                  ReasonPasscodeInvalid,
}

var reasonByCode = func() map[ReasonCode]Reason {
	m := make(map[ReasonCode]Reason, len(reasons))
	for _, r := range reasons {
		m[r.Code] = r
	}
	return m
}()

// ReasonCodes lists the catalogue, OTHER last.
func ReasonCodes() []Reason { return append([]Reason(nil), reasons...) }

// NormalizeReasonCode trims a code, upper-cases it and joins words with underscores
// ("name mismatch", "name-mismatch" → "NAME_MISMATCH").
func NormalizeReasonCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	return strings.Join(strings.FieldsFunc(code, func(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '\t' }), "_")
}

// LookupReason finds a carrier's code in the catalogue (normalised, aliases taken); an unknown or
// empty code is OTHER. CarrierCode keeps the code as the carrier sent it (trimmed).
func LookupReason(code string) Reason {
	norm := NormalizeReasonCode(code)
	r, ok := reasonByCode[ReasonCode(norm)]
	if !ok {
		alias, known := reasonAliases[norm]
		r = reasonByCode[ReasonOther]
		if known {
			r = reasonByCode[alias]
		}
	}
	r.CarrierCode = strings.TrimSpace(code)
	return r
}

// ReasonFor is LookupReason keeping the carrier's text too.
func ReasonFor(code, text string) Reason {
	r := LookupReason(code)
	r.CarrierText = strings.TrimSpace(text)
	return r
}

// OwnershipMismatchReason is the catalogue code of a port-out request whose details differ from
// the ownership records (fields in OwnershipFields' names): one field maps to its code, several
// (or the numbers, or the billing contact) to CSR_MISMATCH — the records are the instance's CSR.
func OwnershipMismatchReason(fields []string) ReasonCode {
	if len(fields) == 1 {
		switch fields[0] {
		case OwnershipOwnerName:
			return ReasonLOANameMismatch
		case OwnershipAddress:
			return ReasonAddressMismatch
		}
	}
	return ReasonCSRMismatch
}
