package temporalconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/contactcenter/numberporting/internal/codec"
)

type pki struct {
	caPEM                  string
	serverCert             tls.Certificate
	clientCert, clientKey  string
	caPool                 *x509.CertPool
	ca                     *x509.Certificate
	caKey                  *ecdsa.PrivateKey
	serverName, clientName string
}

func issue(t *testing.T, p *pki, cn string, serial int64, server bool) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "porting test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &pki{ca: ca, caKey: caKey, serverName: "temporal.test", clientName: "porting-worker"}
	p.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(ca)
	sc, sk := issue(t, p, p.serverName, 2, true)
	p.serverCert, err = tls.X509KeyPair([]byte(sc), []byte(sk))
	require.NoError(t, err)
	p.clientCert, p.clientKey = issue(t, p, p.clientName, 3, false)
	return p
}

// seen is what the fake frontend saw of a call.
type seen struct {
	method, authorization, clientCN string
}

// fakeFrontend is a gRPC server over mTLS that records who called and refuses every call.
func fakeFrontend(t *testing.T, p *pki) (addr string, calls func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{p.serverCert},
			ClientCAs:    p.caPool,
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
		})),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			s := seen{}
			s.method, _ = grpc.MethodFromServerStream(stream)
			if md, ok := metadata.FromIncomingContext(stream.Context()); ok && len(md.Get("authorization")) > 0 {
				s.authorization = md.Get("authorization")[0]
			}
			if pr, ok := peer.FromContext(stream.Context()); ok {
				if info, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
					s.clientCN = info.State.PeerCertificates[0].Subject.CommonName
				}
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
			return status.Error(codes.PermissionDenied, "fake frontend")
		}),
	)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

// The TLS settings reach the wire: the client presents its certificate, verifies the server's
// against the CA under the configured server name, and sends the API key as a bearer token.
func TestMTLSAndAPIKeyOnTheWire(t *testing.T) {
	p := newPKI(t)
	addr, calls := fakeFrontend(t, p)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := Config{
		Address: addr, Namespace: "ns",
		TLSCert: p.clientCert, TLSKey: p.clientKey, TLSCA: p.caPEM, TLSServerName: p.serverName,
		APIKey:     "api-key-123",
		PayloadKey: base64.StdEncoding.EncodeToString(key),
	}
	_, err := Dial(context.Background(), cfg, nil, 10*time.Second)
	var unreachable *UnreachableError
	require.ErrorAs(t, err, &unreachable)
	assert.Contains(t, err.Error(), addr)
	assert.Contains(t, err.Error(), "fake frontend", "the call went through TLS and reached the server")

	got := calls()
	require.NotEmpty(t, got)
	assert.Equal(t, "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo", got[0].method)
	assert.Equal(t, "porting-worker", got[0].clientCN)
	assert.Equal(t, "Bearer api-key-123", got[0].authorization)
}

func TestTLSHandshakeFailures(t *testing.T) {
	p := newPKI(t)
	addr, calls := fakeFrontend(t, p)
	base := Config{Address: addr, Namespace: "ns", InsecurePlaintextPayloads: true}

	// The server's certificate is not for the name we expect.
	wrongName := base
	wrongName.TLSCert, wrongName.TLSKey, wrongName.TLSCA, wrongName.TLSServerName = p.clientCert, p.clientKey, p.caPEM, "other.test"
	_, err := Dial(context.Background(), wrongName, nil, 5*time.Second)
	require.Error(t, err)

	// System roots do not know the test CA.
	systemRoots := base
	systemRoots.TLSCert, systemRoots.TLSKey, systemRoots.TLSServerName = p.clientCert, p.clientKey, p.serverName
	_, err = Dial(context.Background(), systemRoots, nil, 5*time.Second)
	require.Error(t, err)

	// Server-only TLS against a server that requires a client certificate.
	noClientCert := base
	noClientCert.TLSCA, noClientCert.TLSServerName = p.caPEM, p.serverName
	_, err = Dial(context.Background(), noClientCert, nil, 5*time.Second)
	require.Error(t, err)

	assert.Empty(t, calls(), "no call got past the handshake")
}

func TestPayloadCodecInClientOptions(t *testing.T) {
	clearEnv(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t.Setenv(EnvPayloadKey, base64.StdEncoding.EncodeToString(key))
	c := FromEnv()
	opts, err := c.ClientOptions(nil)
	require.NoError(t, err)
	require.NotNil(t, opts.DataConverter)
	p, err := opts.DataConverter.ToPayload(map[string]string{"pin": "1234"})
	require.NoError(t, err)
	assert.Equal(t, codec.EncodingEncrypted, string(p.Metadata[codec.MetadataEncoding]))
	assert.Equal(t, codec.KeyID(key), string(p.Metadata[codec.MetadataKeyID]))

	// Plain JSON from other clients still decodes.
	var v map[string]string
	require.NoError(t, opts.DataConverter.FromPayload(&commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"by":"cli"}`)}, &v))
	assert.Equal(t, "cli", v["by"])

	// With a key, the opt-out changes nothing: payloads are still encrypted.
	t.Setenv(EnvInsecurePlaintext, "yes")
	opts, err = FromEnv().ClientOptions(nil)
	require.NoError(t, err)
	require.NotNil(t, opts.DataConverter)

	// A malformed key is refused even with the opt-out, naming the variable and not the value.
	t.Setenv(EnvPayloadKey, "c2hvcnQ=")
	_, err = FromEnv().ClientOptions(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), EnvPayloadKey)
	assert.NotContains(t, err.Error(), "c2hvcnQ=")
	t.Setenv(EnvPayloadKey, base64.StdEncoding.EncodeToString(key))
	t.Setenv(EnvOldPayloadKeys, "???")
	_, err = FromEnv().ClientOptions(nil)
	assert.ErrorContains(t, err, EnvOldPayloadKeys)
}

func TestNoPayloadKeyMessage(t *testing.T) {
	msg := ErrNoPayloadKey.Error()
	for _, want := range []string{EnvPayloadKey, "openssl rand -base64 32", "--insecure-plaintext-payloads", EnvInsecurePlaintext + "=true"} {
		assert.Contains(t, msg, want)
	}
	_, err := Config{Address: "x"}.Codec()
	assert.True(t, errors.Is(err, ErrNoPayloadKey))
}

func TestEnvBool(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "yes": true, "on": true, "": false, "false": false, "0": false, "no": false, "maybe": false} {
		t.Setenv("PORTING_TEST_BOOL", v)
		assert.Equal(t, want, EnvBool("PORTING_TEST_BOOL"), v)
	}
}

func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{EnvAddress, EnvNamespace, EnvTLSCert, EnvTLSKey, EnvTLSCA, EnvTLSServerName, EnvAPIKey,
		EnvPayloadKey, EnvOldPayloadKeys, EnvInsecurePlaintext} {
		t.Setenv(k, "")
	}
}
