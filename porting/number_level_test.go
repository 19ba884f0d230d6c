package porting

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The port date rule in three calendars: the US (New York), Canada (Toronto: Victoria Day) and the
// UK (London: a bank holiday), edges of the day included.
func TestCheckPortDate(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tor, _ := time.LoadLocation("America/Toronto")
	lon, _ := time.LoadLocation("Europe/London")
	us, err := NewBusinessCalendar("US", "America/New_York")
	require.NoError(t, err)
	ca, err := NewBusinessCalendar("CA", "America/Toronto")
	require.NoError(t, err)
	gb, err := NewBusinessCalendar("GB", "Europe/London")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		cal  *BusinessCalendar
		at   time.Time
		want string // "" = allowed
	}{
		{"Monday at opening", us, time.Date(2026, 12, 7, 8, 0, 0, 0, ny), ""},
		{"Monday at closing", us, time.Date(2026, 12, 7, 20, 0, 0, 0, ny), ""},
		{"a minute before opening", us, time.Date(2026, 12, 7, 7, 59, 0, 0, ny), "outside business hours"},
		{"a minute after closing", us, time.Date(2026, 12, 7, 20, 1, 0, 0, ny), "outside business hours"},
		{"Saturday", us, time.Date(2026, 12, 5, 10, 0, 0, 0, ny), "Sat 5 Dec 2026 is not a business day in US"},
		{"Christmas", us, time.Date(2026, 12, 25, 10, 0, 0, 0, ny), "Fri 25 Dec 2026 is not a business day in US"},
		{"Thanksgiving", us, time.Date(2026, 11, 26, 10, 0, 0, 0, ny), "not a business day"},
		{"given in UTC, 13:00 in New York", us, time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC), ""},
		{"given in UTC, 03:00 in New York", us, time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC), "outside business hours"},
		{"Victoria Day", ca, time.Date(2026, 5, 18, 10, 0, 0, 0, tor), "Mon 18 May 2026 is not a business day in CA"},
		{"the day after Victoria Day", ca, time.Date(2026, 5, 19, 10, 0, 0, 0, tor), ""},
		{"Boxing Day (observed) in the UK", gb, time.Date(2026, 12, 28, 10, 0, 0, 0, lon), "not a business day in GB"},
		{"a London Monday", gb, time.Date(2026, 12, 14, 9, 0, 0, 0, lon), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPortDate(PortDateBusinessHours, tc.cal, tc.at)
			if tc.want == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.want)
				require.ErrorContains(t, err, "the port date rule business_hours allows a business day of the "+tc.cal.Country()+" calendar, 08:00–20:00")
			}
			require.NoError(t, CheckPortDate(PortDateAny, tc.cal, tc.at), "any takes every date")
		})
	}
}

func TestSplitGroupNames(t *testing.T) {
	require.Equal(t, "Acme Telecom/did#2", SplitGroupName("Acme Telecom/did", 2))
	require.Equal(t, "Acme Telecom/did#3", SplitGroupName("Acme Telecom/did#2", 3), "a split of a split counts on from the base")
	require.Equal(t, "Acme Telecom/did", BaseGroupName("Acme Telecom/did#12"))
	require.Equal(t, "main", BaseGroupName("main#2"))
	require.Equal(t, "Acme #1 Telecom/did", BaseGroupName("Acme #1 Telecom/did"), "a '#' in a carrier's name is not a split")
	require.Equal(t, "#2", BaseGroupName("#2"))
}

func TestCSRMismatches(t *testing.T) {
	rec := CustomerServiceRecord{Carrier: "Acme", E164: "+14155550100", Name: "Ada Lovelace", Address: "1 Main St, Springfield",
		AccountNumberHash: HashAccountNumber("12-3456 789"), BillingTelephoneNumber: "+14155550100"}
	loa := LOA{AuthorizedName: "ada  LOVELACE", Company: "Engines Inc", Address: " 1 main st,  springfield ", AccountNumber: "123456789",
		BillingTelephoneNumber: "+14155550100"}
	require.Empty(t, CSRMismatches(loa, rec), "normalised as the port-out match: case, spaces, account punctuation")

	byCompany := loa
	byCompany.AuthorizedName = "Someone Else"
	companyRec := rec
	companyRec.Name = "ENGINES INC"
	require.Empty(t, CSRMismatches(byCompany, companyRec), "a business account is held in the company's name")

	wrong := LOA{AuthorizedName: "Bob", Address: "2 Main St", AccountNumber: "999", BillingTelephoneNumber: "+14155550111"}
	require.Equal(t, CSRFields, CSRMismatches(wrong, rec), "every field, in report order")
	require.Equal(t, []string{CSRFieldAccountNumber}, CSRMismatches(LOA{AuthorizedName: "Ada Lovelace", Address: "1 Main St, Springfield",
		BillingTelephoneNumber: "+14155550100"}, rec), "an account number on record and none on the LOA")
	require.Equal(t, []string{CSRFieldName}, CSRMismatches(LOA{AuthorizedName: "José", Address: "x"}, CustomerServiceRecord{Name: "Jose"}),
		"accents count")
	require.Empty(t, CSRMismatches(wrong, CustomerServiceRecord{}), "a field the record does not hold is not compared")

	require.Equal(t, []string{CSRFieldName, CSRFieldBTN}, MergeCSRFields([]string{CSRFieldBTN}, []string{CSRFieldName, CSRFieldBTN}))
	require.Empty(t, HashAccountNumber(" - "))
	require.Len(t, HashAccountNumber("ACCT-1"), 64)
	require.False(t, strings.Contains(HashAccountNumber("ACCT-1"), "ACCT"))
}

func TestValidateNumberLevelPayloads(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	date := now.Add(72 * time.Hour)
	for _, tc := range []struct {
		name string
		err  error
		want string // "" = valid
	}{
		{"split answer", ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true, PortDate: &date,
			Numbers: []NumberAnswer{{E164: "+14155550100", Accepted: true}, {E164: "+14155550101", ReasonCode: "NOT_PORTABLE"}}}, now), ""},
		{"no reason for a rejected number", ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true, PortDate: &date,
			Numbers: []NumberAnswer{{E164: "+14155550101"}}}, now), "numbers[0].reason: is required for a number not accepted"},
		{"a number twice", ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true, PortDate: &date,
			Numbers: []NumberAnswer{{E164: "+14155550101", Reason: "x"}, {E164: "+14155550101", Reason: "y"}}}, now), "numbers[1].e164: duplicate of numbers[0]"},
		{"not E.164", ValidateCarrierResponse(CarrierResponse{Group: "g", Accepted: true, PortDate: &date,
			Numbers: []NumberAnswer{{E164: "4155550101", Reason: "x"}}}, now), "numbers[0].e164: must be an E.164 number"},
		{"a number accepted in a rejection", ValidateCarrierResponse(CarrierResponse{Group: "g", Reason: "no",
			Numbers: []NumberAnswer{{E164: "+14155550101", Accepted: true}}}, now), "numbers[0].accepted: a number cannot be accepted when the response rejects the group"},
		{"supp", ValidateRequestPortDate(RequestPortDate{Group: "g", PortDate: date, By: "ada"}, now), ""},
		{"supp in the past", ValidateRequestPortDate(RequestPortDate{Group: "g", PortDate: now.Add(-time.Hour), By: "ada"}, now), "port_date: must be in the future"},
		{"supp without a date or who", ValidateRequestPortDate(RequestPortDate{Group: "g"}, now), "port_date: is required"},
		{"supp without who", ValidateRequestPortDate(RequestPortDate{Group: "g", PortDate: date}, now), "by: is required"},
		{"remove", ValidateRemoveNumbers(RemoveNumbers{Numbers: []string{"+14155550100"}, Reason: "kept", By: "ops"}), ""},
		{"remove nothing", ValidateRemoveNumbers(RemoveNumbers{Reason: "kept", By: "ops"}), "numbers: at least one number is required"},
		{"remove twice", ValidateRemoveNumbers(RemoveNumbers{Numbers: []string{"+14155550100", "+14155550100"}, Reason: "kept", By: "ops"}), "numbers[1]: duplicate of numbers[0]"},
		{"remove without a reason", ValidateRemoveNumbers(RemoveNumbers{Numbers: []string{"+14155550100"}, By: "ops"}), "reason: is required"},
		{"a port date rule nobody knows", ValidatePortIn(func() PortInRequest {
			r := validPortIn()
			r.Deadlines = &Deadlines{PortDateRule: "weekdays"}
			return r
		}()), `deadlines.port_date_rule: must be "business_hours" or "any", got "weekdays"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				require.NoError(t, tc.err)
				return
			}
			require.ErrorContains(t, tc.err, tc.want)
			require.True(t, IsValidationError(tc.err))
		})
	}
	require.Equal(t, PortDateBusinessHours, (*Deadlines)(nil).WithDefaults().PortDateRule, "business_hours is the default")
	require.Equal(t, DefaultSuppCutoffBusinessDays, (*Deadlines)(nil).WithDefaults().SuppCutoffBusinessDays)
	require.Equal(t, PortDateBusinessHours, (*PortOutDeadlines)(nil).WithDefaults().PortDateRule)
}
