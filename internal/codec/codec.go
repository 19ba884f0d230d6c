// Package codec encrypts Temporal payloads with AES-256-GCM, so that what the workflows carry (LOAs
// with PINs and carrier account numbers, requests, query results) is stored by the Temporal server
// only as ciphertext (DESIGN §5).
//
// Every payload the SDK hands to the codec is encrypted whole (its metadata and data, serialized)
// and stored with the metadata encoding "binary/encrypted" and "encryption-key-id": the first 8 hex
// digits of the SHA-256 of the key. Search attributes never go through a codec (the server indexes
// them), so they stay readable.
//
// Keys rotate: the current key (PORTING_PAYLOAD_KEY) encrypts and decrypts; old keys
// (PORTING_PAYLOAD_KEYS_OLD, comma-separated) only decrypt, so running workflows whose history was
// written with an old key keep working. Plain payloads — JSON sent by the `temporal` CLI or another
// SDK without this codec — pass through Decode unchanged.
package codec

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Environment variables read by FromEnv.
const (
	EnvKey     = "PORTING_PAYLOAD_KEY"
	EnvOldKeys = "PORTING_PAYLOAD_KEYS_OLD"
)

// Payload metadata written by Encode.
const (
	// MetadataEncoding is the standard metadata key of a payload's encoding.
	MetadataEncoding = converter.MetadataEncoding
	// EncodingEncrypted marks a payload this codec encrypted.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that encrypted a payload (KeyID).
	MetadataKeyID = "encryption-key-id"
	// MetadataCompression is set ("deflate") on a payload compressed before it was encrypted.
	MetadataCompression = "encryption-compression"
	compressionDeflate  = "deflate"
)

// compressAbove: a payload whose serialized form is larger is compressed (DEFLATE) before it is
// encrypted. A bulk request of 20,000 numbers is about 1.3 MB of JSON, close to the server's 2 MB
// limit per payload; phone numbers compress about tenfold. Small payloads are left as they are.
const compressAbove = 4 << 10

// maxInflated bounds what one payload may inflate to (authenticated payloads only reach it).
const maxInflated = 64 << 20

// KeySize is the size of an AES-256 key.
const KeySize = 32

// ErrNoKey is returned by FromEnv when PORTING_PAYLOAD_KEY is not set.
var ErrNoKey = errors.New(EnvKey + " is not set")

// Codec is a converter.PayloadCodec that encrypts with the current key and decrypts with the
// current key or any old one, chosen by the payload's key ID.
type Codec struct {
	currentID string
	aeads     map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New builds a codec that encrypts with current and also decrypts with old keys. Every key is 32
// bytes.
func New(current []byte, old ...[]byte) (*Codec, error) {
	c := &Codec{aeads: map[string]cipher.AEAD{}}
	id, aead, err := newAEAD(current)
	if err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	c.currentID = id
	c.aeads[id] = aead
	for i, k := range old {
		id, aead, err := newAEAD(k)
		if err != nil {
			return nil, fmt.Errorf("old key %d: %w", i+1, err)
		}
		if _, dup := c.aeads[id]; !dup {
			c.aeads[id] = aead
		}
	}
	return c, nil
}

func newAEAD(key []byte) (string, cipher.AEAD, error) {
	if len(key) != KeySize {
		return "", nil, fmt.Errorf("an AES-256 key is %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", nil, err
	}
	return KeyID(key), aead, nil
}

// KeyID identifies a key without revealing it: the first 8 hex digits of its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// CurrentKeyID is the ID of the key that encrypts.
func (c *Codec) CurrentKeyID() string { return c.currentID }

// KeyIDs lists the IDs of every key that decrypts, the current one first.
func (c *Codec) KeyIDs() []string {
	ids := []string{c.currentID}
	var old []string
	for id := range c.aeads {
		if id != c.currentID {
			old = append(old, id)
		}
	}
	sort.Strings(old)
	return append(ids, old...)
}

// ParseKey decodes a key given in base64 (standard or URL alphabet, padded or not) and checks it
// is 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty key")
	}
	var key []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("not base64 (generate a key with: openssl rand -base64 32)")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("decodes to %d bytes, an AES-256 key is %d (generate one with: openssl rand -base64 32)", len(key), KeySize)
	}
	return key, nil
}

// FromEnv builds the codec from PORTING_PAYLOAD_KEY and PORTING_PAYLOAD_KEYS_OLD. It returns
// ErrNoKey when PORTING_PAYLOAD_KEY is unset or empty. Errors never contain key material.
func FromEnv() (*Codec, error) {
	return FromStrings(os.Getenv(EnvKey), os.Getenv(EnvOldKeys))
}

// FromStrings is FromEnv with the variables' values given: current is a base64 key, old a
// comma-separated list of base64 keys (may be empty).
func FromStrings(current, old string) (*Codec, error) {
	if strings.TrimSpace(current) == "" {
		return nil, ErrNoKey
	}
	key, err := ParseKey(current)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKey, err)
	}
	var olds [][]byte
	for i, s := range strings.Split(old, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", EnvOldKeys, i+1, err)
		}
		olds = append(olds, k)
	}
	return New(key, olds...)
}

// Encode encrypts each payload with the current key. A payload already encrypted by this codec
// (any key) is left as it is.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	aead := c.aeads[c.currentID]
	for i, p := range payloads {
		if isEncrypted(p) {
			out[i] = p
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("payload encryption: %w", err)
		}
		meta := map[string][]byte{
			MetadataEncoding: []byte(EncodingEncrypted),
			MetadataKeyID:    []byte(c.currentID),
		}
		compression := ""
		if len(plain) > compressAbove {
			if plain, err = deflate(plain); err != nil {
				return nil, fmt.Errorf("payload compression: %w", err)
			}
			compression = compressionDeflate
			meta[MetadataCompression] = []byte(compression)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("payload encryption: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: meta,
			// nonce || ciphertext+tag; the key ID (and the compression, when there is one) is
			// authenticated as additional data.
			Data: aead.Seal(nonce, nonce, plain, additionalData(c.currentID, compression)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads this codec encrypted, with the key their key ID names, and passes
// any other payload through unchanged. A payload encrypted with a key the codec does not have, or
// that does not authenticate, is an error.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !isEncrypted(p) {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with key %q, which is neither %s (key %s) nor one of %s",
				id, EnvKey, c.currentID, EnvOldKeys)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("encrypted payload (key %s) is too short", id)
		}
		nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
		compression := string(p.GetMetadata()[MetadataCompression])
		plain, err := aead.Open(nil, nonce, sealed, additionalData(id, compression))
		if err != nil {
			return nil, fmt.Errorf("encrypted payload (key %s) does not decrypt: %w", id, err)
		}
		switch compression {
		case "":
		case compressionDeflate:
			if plain, err = inflate(plain); err != nil {
				return nil, fmt.Errorf("encrypted payload (key %s): %w", id, err)
			}
		default:
			return nil, fmt.Errorf("encrypted payload (key %s): unknown compression %q", id, compression)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("encrypted payload (key %s): %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

// additionalData is what a payload's encryption authenticates besides its content: the key ID, and
// the compression when the payload is compressed (so that the mark cannot be removed or added).
func additionalData(keyID, compression string) []byte {
	if compression == "" {
		return []byte(keyID)
	}
	return []byte(keyID + "\x00" + compression)
}

func deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func inflate(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("does not inflate: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
	}
	return out, nil
}

func isEncrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[MetadataEncoding]) == EncodingEncrypted
}

// DataConverter is the SDK's default data converter with payloads encrypted by c.
func DataConverter(c *Codec) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}
