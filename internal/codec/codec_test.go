package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const secretPIN = "8642-PIN-SECRET"

type loa struct {
	AuthorizedName string `json:"authorized_name"`
	AccountNumber  string `json:"account_number"`
	PIN            string `json:"pin"`
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func mustCodec(t *testing.T, current []byte, old ...[]byte) *Codec {
	t.Helper()
	c, err := New(current, old...)
	require.NoError(t, err)
	return c
}

func TestRoundTripThroughDataConverter(t *testing.T) {
	c := mustCodec(t, newKey(t))
	dc := DataConverter(c)
	in := loa{AuthorizedName: "Ada Lovelace", AccountNumber: "ACCT-SECRET-778899", PIN: secretPIN}

	payloads, err := dc.ToPayloads(in, "second arg", nil)
	require.NoError(t, err)
	require.Len(t, payloads.Payloads, 3)
	for _, p := range payloads.Payloads {
		assert.Equal(t, EncodingEncrypted, string(p.Metadata[MetadataEncoding]))
		assert.Equal(t, c.CurrentKeyID(), string(p.Metadata[MetadataKeyID]))
		assert.Len(t, p.Metadata, 2, "only the encoding and the key ID are in clear")
		raw, err := proto.Marshal(p)
		require.NoError(t, err)
		assert.False(t, bytes.Contains(raw, []byte(secretPIN)), "PIN in clear in the payload")
		assert.False(t, bytes.Contains(raw, []byte("ACCT-SECRET-778899")), "account number in clear in the payload")
		assert.False(t, bytes.Contains(raw, []byte("json/plain")), "inner encoding in clear")
	}

	var out loa
	var s string
	var nothing any
	require.NoError(t, dc.FromPayloads(payloads, &out, &s, &nothing))
	assert.Equal(t, in, out)
	assert.Equal(t, "second arg", s)
	assert.Nil(t, nothing)
}

func TestEncryptionIsRandomizedAndIdempotent(t *testing.T) {
	c := mustCodec(t, newKey(t))
	plain, err := converter.GetDefaultDataConverter().ToPayload("same")
	require.NoError(t, err)
	a, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	b, err := c.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	assert.NotEqual(t, a[0].Data, b[0].Data, "a fresh nonce per payload")

	again, err := c.Encode(a)
	require.NoError(t, err)
	assert.Same(t, a[0], again[0], "an encrypted payload is not encrypted twice")

	dec, err := c.Decode(again)
	require.NoError(t, err)
	assert.True(t, proto.Equal(plain, dec[0]))
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	c := mustCodec(t, newKey(t))
	// What the `temporal` CLI or another SDK sends: plain JSON.
	plain := &commonpb.Payload{
		Metadata: map[string][]byte{MetadataEncoding: []byte("json/plain")},
		Data:     []byte(`{"reason":"customer asked","by":"support:jo"}`),
	}
	noMetadata := &commonpb.Payload{Data: []byte("raw")}
	out, err := c.Decode([]*commonpb.Payload{plain, noMetadata})
	require.NoError(t, err)
	assert.Same(t, plain, out[0])
	assert.Same(t, noMetadata, out[1])

	var v struct{ Reason, By string }
	require.NoError(t, DataConverter(c).FromPayload(plain, &v))
	assert.Equal(t, "customer asked", v.Reason)
}

func TestWrongKeyIsAnError(t *testing.T) {
	writer := mustCodec(t, newKey(t))
	enc, err := writer.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{MetadataEncoding: []byte("json/plain")}, Data: []byte(`"x"`)}})
	require.NoError(t, err)

	reader := mustCodec(t, newKey(t))
	_, err = reader.Decode(enc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), writer.CurrentKeyID(), "names the key the payload needs")
	assert.Contains(t, err.Error(), EnvOldKeys)

	// Same key ID, other bytes (a forged ID, or a tampered payload): authentication fails.
	forged := proto.Clone(enc[0]).(*commonpb.Payload)
	forged.Metadata[MetadataKeyID] = []byte(reader.CurrentKeyID())
	_, err = reader.Decode([]*commonpb.Payload{forged})
	assert.ErrorContains(t, err, "does not decrypt")

	tampered := proto.Clone(enc[0]).(*commonpb.Payload)
	tampered.Data[len(tampered.Data)-1] ^= 1
	_, err = writer.Decode([]*commonpb.Payload{tampered})
	assert.ErrorContains(t, err, "does not decrypt")

	short := proto.Clone(enc[0]).(*commonpb.Payload)
	short.Data = short.Data[:5]
	_, err = writer.Decode([]*commonpb.Payload{short})
	assert.ErrorContains(t, err, "too short")
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKeyBytes := newKey(t), newKey(t)
	before, err := FromStrings(b64(oldKey), "")
	require.NoError(t, err)
	written, err := DataConverter(before).ToPayload(loa{PIN: secretPIN})
	require.NoError(t, err)

	// Rotated: the new key encrypts, the old one still decrypts what was written with it.
	after, err := FromStrings(b64(newKeyBytes), " , "+b64(oldKey)+",")
	require.NoError(t, err)
	assert.Equal(t, KeyID(newKeyBytes), after.CurrentKeyID())
	assert.Equal(t, []string{KeyID(newKeyBytes), KeyID(oldKey)}, after.KeyIDs())
	var got loa
	require.NoError(t, DataConverter(after).FromPayload(written, &got))
	assert.Equal(t, secretPIN, got.PIN)

	rewritten, err := DataConverter(after).ToPayload(got)
	require.NoError(t, err)
	assert.Equal(t, KeyID(newKeyBytes), string(rewritten.Metadata[MetadataKeyID]))
	// The old deployment (not yet rotated) cannot read the new key's payloads.
	_, err = before.Decode([]*commonpb.Payload{rewritten})
	assert.Error(t, err)

	// Without the old key, the old payloads do not decode.
	dropped, err := FromStrings(b64(newKeyBytes), "")
	require.NoError(t, err)
	assert.Error(t, DataConverter(dropped).FromPayload(written, &got))
}

func TestKeyParsing(t *testing.T) {
	k := newKey(t)
	for name, s := range map[string]string{
		"std":        base64.StdEncoding.EncodeToString(k),
		"raw std":    base64.RawStdEncoding.EncodeToString(k),
		"url":        base64.URLEncoding.EncodeToString(k),
		"raw url":    base64.RawURLEncoding.EncodeToString(k),
		"whitespace": "  " + base64.StdEncoding.EncodeToString(k) + "\n",
	} {
		got, err := ParseKey(s)
		if assert.NoError(t, err, name) {
			assert.Equal(t, k, got, name)
		}
	}

	_, err := FromStrings("", "")
	assert.ErrorIs(t, err, ErrNoKey)
	_, err = FromStrings("not base64 at all!", "")
	assert.ErrorContains(t, err, EnvKey)
	assert.ErrorContains(t, err, "openssl rand -base64 32")
	_, err = FromStrings(base64.StdEncoding.EncodeToString(k[:16]), "")
	assert.ErrorContains(t, err, "16 bytes")
	_, err = FromStrings(b64(k), b64(newKey(t))+",short")
	assert.ErrorContains(t, err, EnvOldKeys+": key 2")
	assert.NotContains(t, err.Error(), b64(k), "errors never echo key material")

	_, err = New(k[:31])
	assert.ErrorContains(t, err, "32 bytes")
	assert.Len(t, KeyID(k), 8)
	assert.False(t, strings.Contains(b64(k), KeyID(k)))
}

func TestFromEnv(t *testing.T) {
	k := newKey(t)
	t.Setenv(EnvKey, b64(k))
	t.Setenv(EnvOldKeys, "")
	c, err := FromEnv()
	require.NoError(t, err)
	assert.Equal(t, KeyID(k), c.CurrentKeyID())

	t.Setenv(EnvKey, "")
	_, err = FromEnv()
	assert.ErrorIs(t, err, ErrNoKey)
}

// A large payload (a bulk request's numbers) is compressed before it is encrypted: much smaller, the
// same value back, the mark authenticated (removing or adding it breaks decryption); small payloads
// are not compressed, and payloads written before compression existed still decode.
func TestLargePayloadsAreCompressedThenEncrypted(t *testing.T) {
	c := mustCodec(t, newKey(t))
	dc := DataConverter(c)
	type number struct {
		E164    string `json:"e164"`
		Type    string `json:"type"`
		Carrier string `json:"carrier"`
	}
	var numbers []number
	for i := 0; i < 20000; i++ {
		numbers = append(numbers, number{E164: fmt.Sprintf("+1415%07d", 2000000+i), Type: "did", Carrier: fmt.Sprintf("Carrier %02d", i%4)})
	}
	plain, err := converter.GetDefaultDataConverter().ToPayload(numbers)
	require.NoError(t, err)
	payloads, err := dc.ToPayloads(numbers)
	require.NoError(t, err)
	p := payloads.Payloads[0]
	assert.Equal(t, "deflate", string(p.Metadata[MetadataCompression]))
	assert.Less(t, len(p.Data)*5, len(plain.Data), "%d bytes encrypted for %d in clear", len(p.Data), len(plain.Data))
	var back []number
	require.NoError(t, dc.FromPayloads(payloads, &back))
	assert.Equal(t, numbers, back)

	stripped := proto.Clone(p).(*commonpb.Payload)
	delete(stripped.Metadata, MetadataCompression)
	_, err = c.Decode([]*commonpb.Payload{stripped})
	require.Error(t, err, "the compression mark is authenticated")

	small, err := dc.ToPayloads("a small payload")
	require.NoError(t, err)
	assert.NotContains(t, small.Payloads[0].Metadata, MetadataCompression)
	marked := proto.Clone(small.Payloads[0]).(*commonpb.Payload)
	marked.Metadata[MetadataCompression] = []byte("deflate")
	_, err = c.Decode([]*commonpb.Payload{marked})
	require.Error(t, err, "a mark added to an uncompressed payload does not authenticate")
}
