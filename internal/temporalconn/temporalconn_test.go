package temporalconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func selfSigned(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "porting-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
}

func TestFromEnvDefaults(t *testing.T) {
	clearEnv(t)
	c := FromEnv()
	require.Equal(t, Config{Address: DefaultAddress, Namespace: DefaultNamespace}, c)
	_, err := c.ClientOptions(nil)
	require.ErrorIs(t, err, ErrNoPayloadKey, "no payload key, no client")

	t.Setenv(EnvInsecurePlaintext, "true")
	c = FromEnv()
	require.True(t, c.InsecurePlaintextPayloads)
	opts, err := c.ClientOptions(nil)
	require.NoError(t, err)
	require.Nil(t, opts.DataConverter, "plain payloads, as asked")
	require.Equal(t, DefaultAddress, opts.HostPort)
	require.Nil(t, opts.ConnectionOptions.TLS)
	require.Nil(t, opts.Credentials)
}

func TestTLSFromFilesAndPEM(t *testing.T) {
	cert, key := selfSigned(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	require.NoError(t, os.WriteFile(certFile, []byte(cert), 0o600))
	require.NoError(t, os.WriteFile(keyFile, []byte(key), 0o600))

	// Files for the key pair, inline PEM for the CA.
	c := Config{Address: "x:7233", Namespace: "ns", TLSCert: certFile, TLSKey: keyFile, TLSCA: cert, TLSServerName: "temporal.internal",
		InsecurePlaintextPayloads: true}
	opts, err := c.ClientOptions(nil)
	require.NoError(t, err)
	tlsCfg := opts.ConnectionOptions.TLS
	require.NotNil(t, tlsCfg)
	require.Len(t, tlsCfg.Certificates, 1)
	require.NotNil(t, tlsCfg.RootCAs)
	require.Equal(t, "temporal.internal", tlsCfg.ServerName)
}

func TestAPIKeyImpliesTLS(t *testing.T) {
	opts, err := Config{Address: "ns.acct.tmprl.cloud:7233", Namespace: "ns.acct", APIKey: "secret", InsecurePlaintextPayloads: true}.ClientOptions(nil)
	require.NoError(t, err)
	require.NotNil(t, opts.ConnectionOptions.TLS)
	require.NotNil(t, opts.Credentials)
}

func TestTLSErrors(t *testing.T) {
	cert, _ := selfSigned(t)
	_, err := Config{Address: "x", TLSCert: cert, InsecurePlaintextPayloads: true}.ClientOptions(nil)
	require.ErrorContains(t, err, "must be set together")

	_, err = Config{Address: "x", InsecurePlaintextPayloads: true, TLSCA: filepath.Join(t.TempDir(), "missing.pem")}.ClientOptions(nil)
	require.ErrorContains(t, err, EnvTLSCA)

	_, err = Config{Address: "x", InsecurePlaintextPayloads: true, TLSCA: "-----BEGIN NOTHING-----\n-----END NOTHING-----\n"}.ClientOptions(nil)
	require.ErrorContains(t, err, "no PEM certificate")
}
