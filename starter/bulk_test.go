package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/porting"
)

// A file with 3,000 bad numbers: exit 2, the first problems one a line, then how many more.
func TestManyBadNumbersNameTheFirstAndCountTheRest(t *testing.T) {
	var req porting.PortInRequest
	require.NoError(t, json.Unmarshal([]byte(validPortIn), &req))
	req.Numbers = make([]porting.PortNumber, 3000)
	for i := range req.Numbers {
		req.Numbers[i] = porting.PortNumber{E164: fmt.Sprintf("415-555-%04d", i), Type: "did", Carrier: "Acme Telecom"}
	}
	data, err := json.Marshal(req)
	require.NoError(t, err)

	code, stdout, stderr := runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "200ms", "port-in", "--file", writeFile(t, "bulk.json", string(data)))
	require.Equal(t, exitBadInput, code, stderr)
	require.Empty(t, stdout)
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	require.Len(t, lines, 1+porting.MaxProblemsShown+1, stderr)
	require.True(t, strings.HasPrefix(lines[0], "invalid port-in request ("), lines[0])
	for i := range porting.MaxProblemsShown {
		require.Equal(t, fmt.Sprintf(`  numbers[%d].e164: must be an E.164 number like +14155550100, got "415-555-%04d"`, i, i), lines[1+i])
	}
	require.Equal(t, "  … and 2990 more problems", lines[len(lines)-1])

	// A ValidationError printed as such says the same.
	var b bytes.Buffer
	err = porting.ValidatePortIn(req)
	writeError(&b, err)
	require.Equal(t, exitBadInput, exitCode(err))
	require.Equal(t, strings.Join(append([]string{"invalid input:"}, lines[1:]...), "\n")+"\n", b.String())
}
