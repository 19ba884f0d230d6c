package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // substrings of the message
	}{
		{"empty", "  \n", []string{"is empty"}},
		{"malformed", "{\n  \"request_id\": \"r1\",\n}", []string{"line 3, column 1", "malformed JSON"}},
		{"truncated", `{"request_id": "r1"`, []string{"unexpected end"}},
		{"unknown field", "{\n  \"request_id\": \"r1\",\n  \"instance\": \"x\"\n}", []string{"instance: unknown field", "line 3"}},
		{"wrong type", `{"numbers": [{"e164": 14155550100}]}`, []string{"numbers", "e164", "must be a string", "got JSON number"}},
		{"trailing data", `{"request_id": "r1"} {}`, []string{"unexpected data after the JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req porting.PortInRequest
			err := decodeStrict([]byte(tt.in), &req, "req.json")
			require.Error(t, err)
			require.Equal(t, exitBadInput, exitCode(err))
			require.Contains(t, err.Error(), "req.json: ")
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestDecodeSubmitLOAAcceptsBothShapes(t *testing.T) {
	loa := `{"authorized_name":"Ada","address":"1 Main St","signed_at":"2026-11-20T10:00:00-05:00","document_ref":"doc-1"}`
	s, err := decodeSubmitLOA([]byte(loa), "loa.json")
	require.NoError(t, err)
	require.Equal(t, "", s.Group)
	require.Equal(t, "Ada", s.LOA.AuthorizedName)

	s, err = decodeSubmitLOA([]byte(`{"group":"Acme Telecom/did","loa":`+loa+`}`), "loa.json")
	require.NoError(t, err)
	require.Equal(t, "Acme Telecom/did", s.Group)
	require.Equal(t, "doc-1", s.LOA.DocumentRef)

	_, err = decodeSubmitLOA([]byte(`{"group":"g","loa":{"authorised_name":"Ada"}}`), "loa.json")
	require.ErrorContains(t, err, "authorised_name: unknown field")

	_, err = decodeSubmitLOA([]byte(`{"authorized_name":"Ada","signed_at":"yesterday"}`), "loa.json")
	require.ErrorContains(t, err, "RFC 3339")
}

// runCLI runs the CLI in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = execute(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

const validPortIn = `{
  "request_id": "REQ-1",
  "instance_arn": "arn:aws:connect:us-east-1:123456789012:instance/abc-1",
  "contact_flow": "Main IVR",
  "numbers": [
    {"e164": "+14155550100", "type": "did", "carrier": "Acme Telecom"}
  ],
  "authorized_contact": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550199"}
}`

func TestPortInBadInputNeedsNoServer(t *testing.T) {
	// An address nothing listens on: every case below must be refused before dialing.
	base := []string{"--address", "127.0.0.1:1", "--dial-timeout", "200ms", "port-in", "--file"}

	code, _, stderr := runCLI(t, "", append(base, writeFile(t, "bad.json", `{"request_id": `))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "malformed JSON")

	intl := strings.Replace(validPortIn, "+14155550100", "+442071234567", 1)
	code, _, stderr = runCLI(t, "", append(base, writeFile(t, "uk.json", intl))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "numbers[0].e164: must be a US/Canada (+1) number")

	tokyo := strings.Replace(validPortIn, "us-east-1", "ap-northeast-1", 1)
	code, _, stderr = runCLI(t, "", append(base, writeFile(t, "tokyo.json", tokyo))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "instance_arn: porting is not supported")

	code, _, stderr = runCLI(t, `{"request_id": "x", "extra": 1}`, append(base, "-")...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "standard input")
	require.Contains(t, stderr, "extra: unknown field")

	code, _, stderr = runCLI(t, "", append(base, filepath.Join(t.TempDir(), "missing.json"))...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "does not exist")
}

func TestUsageErrorsAreBadInput(t *testing.T) {
	code, _, stderr := runCLI(t, "", "port-in")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `"file"`)

	code, _, stderr = runCLI(t, "", "no-such-command")
	require.Equal(t, 2, code, stderr)

	code, _, stderr = runCLI(t, "", "status", "--workflow", "x", "--no-such-flag")
	require.Equal(t, 2, code, stderr)

	code, _, stderr = runCLI(t, "", "carrier-response", "--workflow", "x", "--group", "g", "--accept", "--reject")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "exactly one of --accept or --reject")

	code, _, stderr = runCLI(t, "", "carrier-response", "--workflow", "x", "--group", "g", "--accept", "--port-date", "tomorrow")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "port_date: must be RFC 3339")

	code, _, stderr = runCLI(t, "", "carrier-response", "--workflow", "x", "--group", "g", "--reject")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "reason: is required")

	code, _, stderr = runCLI(t, "", "cancel", "--workflow", "x", "--by", "ops")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "reason: is required")

	code, _, stderr = runCLI(t, "", "list", "--kind", "port-in")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "--kind: must be one of")

	code, _, stderr = runCLI(t, "", "list", "--request-id", "REQ 1")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "--request-id: must be a request_id")
}

func TestUnreachableTemporalIsExit1WithTheAddress(t *testing.T) {
	code, _, stderr := runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s", "status", "--workflow", "port-in-x")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "127.0.0.1:1")
}

func TestListQuery(t *testing.T) {
	q, err := listQuery(listFilter{})
	require.NoError(t, err)
	require.Equal(t, "TaskQueue = 'number-porting'", q)

	q, err = listQuery(listFilter{Kind: "port_in", State: "scheduled", Number: "+14155550100", Instance: "arn:aws:connect:us-east-1:123456789012:instance/abc-1"})
	require.NoError(t, err)
	require.Equal(t, "TaskQueue = 'number-porting' AND PortKind = 'port_in' AND PortState = 'scheduled' AND "+
		"PhoneNumbers = '+14155550100' AND InstanceArn = 'arn:aws:connect:us-east-1:123456789012:instance/abc-1'", q)

	// A request's workflow and its child workflows, alone or with the other filters.
	q, err = listQuery(listFilter{RequestID: "REQ-1"})
	require.NoError(t, err)
	require.Equal(t, "TaskQueue = 'number-porting' AND RequestId = 'REQ-1'", q)
	q, err = listQuery(listFilter{Kind: "port_in", State: "awaiting_loa", Number: "+14155550100", RequestID: "bulk.2026-12_01"})
	require.NoError(t, err)
	require.Equal(t, "TaskQueue = 'number-porting' AND PortKind = 'port_in' AND PortState = 'awaiting_loa' AND "+
		"PhoneNumbers = '+14155550100' AND RequestId = 'bulk.2026-12_01'", q)

	for _, f := range []listFilter{{Kind: "PortIn"}, {State: "sleeping"}, {Number: "4155550100"}, {Instance: "x' OR 1=1"},
		{RequestID: "x' OR 1=1"}, {RequestID: "-leading-dash"}, {RequestID: strings.Repeat("r", 65)}} {
		_, err := listQuery(f)
		require.Error(t, err, "%+v", f)
		require.Equal(t, exitBadInput, exitCode(err))
	}
}

func TestSubmitLOAOverrideCSR(t *testing.T) {
	loa := `{"authorized_name":"Ada","address":"1 Main St","signed_at":"2026-11-20T10:00:00-05:00","document_ref":"doc-1"}`
	yes, no := true, false

	// The full payload carries override_csr, strictly decoded.
	s, err := decodeSubmitLOA([]byte(`{"group":"Acme Telecom/did","loa":`+loa+`,"override_csr":true}`), "loa.json")
	require.NoError(t, err)
	require.True(t, s.OverrideCSR)
	_, err = decodeSubmitLOA([]byte(`{"group":"g","loa":`+loa+`,"override_csr":"yes"}`), "loa.json")
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, "override_csr: must be true or false")
	_, err = decodeSubmitLOA([]byte(`{"group":"g","loa":`+loa+`,"override":true}`), "loa.json")
	require.ErrorContains(t, err, "override: unknown field")

	// Not in the bare LOA object: said so, with the two ways that work.
	_, err = decodeSubmitLOA([]byte(strings.TrimSuffix(loa, "}")+`,"override_csr":true}`), "loa.json")
	require.Equal(t, exitBadInput, exitCode(err))
	require.ErrorContains(t, err, "loa.json: override_csr: is not a field of the LOA object; give --override-csr")

	// The flag, when given, wins over the file; not given, the file decides (default false).
	s, err = submitLOAPayload([]byte(loa), "loa.json", "Acme Telecom/did", &yes)
	require.NoError(t, err)
	require.True(t, s.OverrideCSR)
	require.Equal(t, "Acme Telecom/did", s.Group)
	s, err = submitLOAPayload([]byte(loa), "loa.json", "Acme Telecom/did", nil)
	require.NoError(t, err)
	require.False(t, s.OverrideCSR)
	full := []byte(`{"group":"Acme Telecom/did","loa":` + loa + `,"override_csr":true}`)
	s, err = submitLOAPayload(full, "loa.json", "", nil)
	require.NoError(t, err)
	require.True(t, s.OverrideCSR)
	s, err = submitLOAPayload(full, "loa.json", "", &no)
	require.NoError(t, err)
	require.False(t, s.OverrideCSR)
	raw, err := json.Marshal(porting.SubmitLOA{Group: "g", OverrideCSR: true})
	require.NoError(t, err)
	require.Contains(t, string(raw), `"override_csr":true`)

	// Bad input before the dial; good input as far as the dial (1, the address named).
	file := writeFile(t, "loa.json", loa)
	base := []string{"--address", "127.0.0.1:1", "--dial-timeout", "1s", "submit-loa", "--workflow", "port-in-R", "--file"}
	code, _, stderr := runCLI(t, "", append(base, writeFile(t, "bad.json", strings.TrimSuffix(loa, "}")+`,"override_csr":true}`),
		"--group", "g")...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "override_csr")
	code, _, stderr = runCLI(t, "", append(base, file, "--override-csr")...)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "group: is required")
	code, _, stderr = runCLI(t, "", append(base, file, "--group", "Acme Telecom/did", "--override-csr")...)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "127.0.0.1:1")
}
