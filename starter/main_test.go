package main

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactcenter/numberporting/internal/temporalconn"
)

// TestMain gives the package's tests a payload key, as a deployment has one: the tests that
// dial Temporal then get as far as the dial. TestPayloadKeyRequired clears it.
func TestMain(m *testing.M) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	os.Setenv(temporalconn.EnvPayloadKey, base64.StdEncoding.EncodeToString(key))
	os.Setenv(temporalconn.EnvOldPayloadKeys, "")
	os.Setenv(temporalconn.EnvInsecurePlaintext, "")
	os.Exit(m.Run())
}

func TestPayloadKeyRequired(t *testing.T) {
	t.Setenv(temporalconn.EnvPayloadKey, "")

	// Refused before dialing (exit 2), saying what to set.
	code, _, stderr := runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s", "status", "--workflow", "port-in-x")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "PORTING_PAYLOAD_KEY")
	require.Contains(t, stderr, "--insecure-plaintext-payloads")

	// The opt-out, as a flag or from the environment: the command goes on (to the dial here).
	code, _, stderr = runCLI(t, "", "--insecure-plaintext-payloads", "--address", "127.0.0.1:1", "--dial-timeout", "1s",
		"status", "--workflow", "port-in-x")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "127.0.0.1:1")

	t.Setenv(temporalconn.EnvInsecurePlaintext, "true")
	code, _, stderr = runCLI(t, "", "--address", "127.0.0.1:1", "--dial-timeout", "1s", "status", "--workflow", "port-in-x")
	require.Equal(t, 1, code, stderr)

	// A malformed key is bad input too, and the key is not echoed.
	t.Setenv(temporalconn.EnvInsecurePlaintext, "")
	t.Setenv(temporalconn.EnvPayloadKey, "c2hvcnQta2V5")
	code, _, stderr = runCLI(t, "", "--address", "127.0.0.1:1", "status", "--workflow", "port-in-x")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "PORTING_PAYLOAD_KEY")
	require.NotContains(t, stderr, "c2hvcnQta2V5")

	// Commands that do not talk to Temporal need no key.
	code, _, stderr = runCLI(t, "", "--database-url", "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=1",
		"--timeout", "3s", "numbers", "--instance", "arn:aws:connect:us-east-1:123456789012:instance/x")
	require.NotContains(t, stderr, "PORTING_PAYLOAD_KEY")
	require.NotEqual(t, 0, code)
}
