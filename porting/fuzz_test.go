package porting

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for everything that takes outside input: requests, LOAs and signal payloads. Each
// checks that nothing panics and that every rejection names a field and a rule. The committed seed
// corpus is in testdata/fuzz; `make fuzz` runs each target for a minute.

var fuzzNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// requireFieldErrors fails unless err is nil or a ValidationError whose every problem names a
// field and a rule.
func requireFieldErrors(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("rejection is not a ValidationError: %T %v", err, err)
	}
	if len(v.Problems) == 0 {
		t.Fatalf("a ValidationError with no problem")
	}
	for i, p := range v.Problems {
		if strings.TrimSpace(p.Field) == "" || strings.TrimSpace(p.Rule) == "" {
			t.Fatalf("a problem without field or rule: %+v", p)
		}
		if i < MaxProblemsShown && !strings.Contains(err.Error(), p.Field+": ") {
			t.Fatalf("message %q does not name field %s", err.Error(), p.Field)
		}
	}
	if more := MoreProblems(len(v.Problems)); !strings.HasSuffix(err.Error(), more) {
		t.Fatalf("message %q does not end with %q", err.Error(), more)
	}
}

func FuzzValidatePortIn(f *testing.F) {
	good, _ := json.Marshal(validPortIn())
	f.Add(good)
	f.Add([]byte(`{"request_id":"r","numbers":[{"e164":"+1415","type":"did","carrier":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r PortInRequest
		if json.Unmarshal(data, &r) != nil {
			return
		}
		requireFieldErrors(t, ValidatePortIn(r))
	})
}

func FuzzValidateInternationalPortIn(f *testing.F) {
	good, _ := json.Marshal(validIntl())
	f.Add(good)
	f.Add([]byte(`{"country":"GB","numbers":[{"e164":"0","type":"uifn"}],"preferred_window":{"start":"2027-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r InternationalPortInRequest
		if json.Unmarshal(data, &r) != nil {
			return
		}
		out, err := ValidateInternationalPortIn(r, fuzzNow)
		requireFieldErrors(t, err)
		if err == nil {
			for i, n := range out.Numbers {
				if !isE164(n.E164) {
					t.Fatalf("accepted numbers[%d] is not E.164: %q", i, n.E164)
				}
			}
		}
	})
}

func FuzzValidateSubmitLOA(f *testing.F) {
	f.Add([]byte(`{"group":"Acme Telecom/did","loa":{"authorized_name":"Ada","address":"1 Main St","signed_at":"2026-11-20T12:00:00Z","document_ref":"d"}}`))
	f.Add([]byte(`{"group":"","loa":{"pin":"   1234567890123456789  ","billing_telephone_number":"12"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s SubmitLOA
		if json.Unmarshal(data, &s) != nil {
			return
		}
		requireFieldErrors(t, ValidateSubmitLOA(s))
	})
}

// FuzzSignalPayloads decodes arbitrary bytes as each signal's payload, the way the workflows do
// (encoding/json into the contract's type), and validates what decodes.
func FuzzSignalPayloads(f *testing.F) {
	f.Add(uint8(0), []byte(`{"group":"g","accepted":true,"port_date":"2026-12-07T09:00:00-05:00"}`))
	f.Add(uint8(1), []byte(`{"reason":"r","by":"b"}`))
	f.Add(uint8(2), []byte(`{"portable":true,"numbers":[{"e164":"+442079460000","portable":false}],"cost":{"amount":-1,"currency":"gbp"}}`))
	f.Add(uint8(3), []byte(`{"approved":true,"by":""}`))
	f.Add(uint8(4), []byte(`{"carrier":"Beta","owner_name":"A","address":"B","billing_contact":"C","numbers":["+14155550100"],"loa_ref":"x","requested_at":"2026-12-01T10:00:00Z"}`))
	f.Add(uint8(5), []byte(`not json at all`))
	f.Add(uint8(0), []byte(`{"group":"g","accepted":true,"port_date":"2026-12-07T09:00:00-05:00","numbers":[{"e164":"+14155550100","accepted":false,"reason_code":"PIN_INVALID"},{"e164":"","accepted":true}]}`))
	f.Add(uint8(5), []byte(`{"group":"g","port_date":"2026-12-14T09:00:00-05:00","by":"ada"}`))
	f.Add(uint8(6), []byte(`{"numbers":["+14155550100","+14155550100",""],"reason":"","by":"ops"}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		switch which % 7 {
		case 0:
			var r CarrierResponse
			if json.Unmarshal(data, &r) == nil {
				requireFieldErrors(t, ValidateCarrierResponse(r, fuzzNow))
			}
		case 1:
			var c Cancel
			if json.Unmarshal(data, &c) == nil {
				requireFieldErrors(t, ValidateCancel(c))
			}
		case 2:
			var r PortabilityResult
			if json.Unmarshal(data, &r) == nil {
				requireFieldErrors(t, ValidatePortabilityResult(r))
			}
		case 3:
			var a ApproveCost
			if json.Unmarshal(data, &a) == nil {
				requireFieldErrors(t, ValidateApproveCost(a))
			}
		case 4:
			var w WinningCarrierRequest
			if json.Unmarshal(data, &w) == nil {
				requireFieldErrors(t, ValidateWinningCarrierRequest(w, fuzzNow))
			}
		case 5:
			var r RequestPortDate
			if json.Unmarshal(data, &r) == nil {
				requireFieldErrors(t, ValidateRequestPortDate(r, fuzzNow))
			}
		case 6:
			var r RemoveNumbers
			if json.Unmarshal(data, &r) == nil {
				requireFieldErrors(t, ValidateRemoveNumbers(r))
			}
		}
	})
}

func FuzzValidatePortOut(f *testing.F) {
	f.Add([]byte(`{"request_id":"po-1","instance_arn":"arn:aws:connect:us-east-1:123456789012:instance/x","numbers":["+14155550100"],"winning_carrier":"Beta","customer_contact":{"name":"A","email":"a@example.com"}}`))
	f.Add([]byte(`{"numbers":["+14155550100","+14155550100",""]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r PortOutRequest
		if json.Unmarshal(data, &r) != nil {
			return
		}
		requireFieldErrors(t, ValidatePortOut(r))
	})
}
