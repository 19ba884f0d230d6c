package notifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook headers (DESIGN §8).
const (
	HeaderSignature      = "Porting-Signature"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// Sign is the Porting-Signature header of a webhook body sent at t (unix seconds):
// "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". The timestamp is signed with the body, so a
// receiver can refuse an old request replayed to it.
func Sign(secret string, t int64, body []byte) string {
	return fmt.Sprintf("t=%d,v1=%s", t, hex.EncodeToString(mac(secret, t, body)))
}

func mac(secret string, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Porting-Signature header against the raw body as received, the way a receiver
// should: the HMAC compared in constant time, and a timestamp no further than tolerance from now
// (0: not checked). Receivers in Go can use it as is; the README shows the same in a few lines.
func Verify(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	var (
		t     int64
		sigs  [][]byte
		haveT bool
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: t is not unix seconds: %q", HeaderSignature, v)
			}
			t, haveT = n, true
		case "v1": // several v1 values may come while a secret is being rotated
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if !haveT || len(sigs) == 0 {
		return fmt.Errorf("%s: want t=<unix seconds>,v1=<hex>, got %q", HeaderSignature, header)
	}
	if tolerance > 0 {
		if age := now.Sub(time.Unix(t, 0)); age > tolerance || age < -tolerance {
			return fmt.Errorf("%s: timestamp %d is %s away from now (tolerance %s)", HeaderSignature, t, age.Round(time.Second), tolerance)
		}
	}
	want := mac(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New(HeaderSignature + ": no v1 signature matches the body")
}
