// Package temporalconn builds the Temporal client options the worker and the starter share:
// address, namespace, TLS (mTLS or server-only), API key and payload encryption, from flags and
// the environment.
package temporalconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"

	"github.com/contactcenter/numberporting/internal/codec"
)

// Defaults of the wire contract (DESIGN §7).
const (
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
)

// Environment variables read by FromEnv.
const (
	EnvAddress       = "TEMPORAL_ADDRESS"
	EnvNamespace     = "TEMPORAL_NAMESPACE"
	EnvTLSCert       = "TEMPORAL_TLS_CERT"
	EnvTLSKey        = "TEMPORAL_TLS_KEY"
	EnvTLSCA         = "TEMPORAL_TLS_CA"
	EnvTLSServerName = "TEMPORAL_TLS_SERVER_NAME"
	EnvAPIKey        = "TEMPORAL_API_KEY"

	// EnvPayloadKey is the payload encryption key (base64 of 32 bytes); EnvOldPayloadKeys are
	// former keys, comma-separated, kept to decrypt what they encrypted.
	EnvPayloadKey     = codec.EnvKey
	EnvOldPayloadKeys = codec.EnvOldKeys
	// EnvInsecurePlaintext=true lets the worker and the starter run without a payload key.
	EnvInsecurePlaintext = "PORTING_INSECURE_PLAINTEXT_PAYLOADS"
	// FlagInsecurePlaintext is the command-line flag of the same meaning.
	FlagInsecurePlaintext = "insecure-plaintext-payloads"
)

// Config says how to reach a Temporal frontend.
type Config struct {
	Address   string
	Namespace string
	// TLSCert and TLSKey are a client certificate and key for mTLS: a file path or the PEM itself.
	TLSCert, TLSKey string
	// TLSCA is the CA bundle that signed the server's certificate: a file path or the PEM itself.
	// Empty means the system roots.
	TLSCA string
	// TLSServerName overrides the name the server's certificate is checked against.
	TLSServerName string
	// APIKey authenticates to Temporal Cloud (or a server configured for API keys); it implies TLS.
	APIKey string

	// PayloadKey encrypts and decrypts payloads (base64 of 32 bytes, see package codec).
	PayloadKey string
	// OldPayloadKeys are former payload keys, comma-separated: they only decrypt.
	OldPayloadKeys string
	// InsecurePlaintextPayloads allows running without PayloadKey: payloads are then stored in
	// clear by the Temporal server. With a PayloadKey it changes nothing.
	InsecurePlaintextPayloads bool

	// MetricsHandler receives the SDK's metrics (nil: none). Not read from the environment.
	MetricsHandler client.MetricsHandler
	// Interceptors are the client's interceptors (tracing; nil: none). Not read from the
	// environment. The SDK applies those that are also worker interceptors to the client's workers.
	Interceptors []interceptor.ClientInterceptor
}

// FromEnv reads the configuration from the environment, with the contract's defaults.
func FromEnv() Config {
	return Config{
		Address:       Getenv(EnvAddress, DefaultAddress),
		Namespace:     Getenv(EnvNamespace, DefaultNamespace),
		TLSCert:       os.Getenv(EnvTLSCert),
		TLSKey:        os.Getenv(EnvTLSKey),
		TLSCA:         os.Getenv(EnvTLSCA),
		TLSServerName: os.Getenv(EnvTLSServerName),
		APIKey:        os.Getenv(EnvAPIKey),

		PayloadKey:                os.Getenv(EnvPayloadKey),
		OldPayloadKeys:            os.Getenv(EnvOldPayloadKeys),
		InsecurePlaintextPayloads: EnvBool(EnvInsecurePlaintext),
	}
}

// EnvBool reads a boolean environment variable (1, t, true, yes, on; anything else is false).
func EnvBool(key string) bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(key)))
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v == "yes" || v == "on"
}

// ErrNoPayloadKey is the refusal to run without a payload key (and without the explicit opt-out).
var ErrNoPayloadKey = errors.New(EnvPayloadKey + " is not set: set it to the base64 of a 32-byte key, the same for the worker " +
	"and the starter (generate one with: openssl rand -base64 32), or pass --" + FlagInsecurePlaintext +
	" (env " + EnvInsecurePlaintext + "=true) to let PINs and account numbers reach Temporal unencrypted")

// Codec builds the payload codec: nil (plain payloads) only when there is no key and
// InsecurePlaintextPayloads is set, else ErrNoPayloadKey or a key error.
func (c Config) Codec() (*codec.Codec, error) {
	cd, err := codec.FromStrings(c.PayloadKey, c.OldPayloadKeys)
	switch {
	case errors.Is(err, codec.ErrNoKey) && c.InsecurePlaintextPayloads:
		return nil, nil
	case errors.Is(err, codec.ErrNoKey):
		return nil, ErrNoPayloadKey
	case err != nil:
		return nil, err
	}
	return cd, nil
}

// Getenv returns the environment variable key, or def when it is unset or empty.
func Getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// TLSEnabled reports whether the connection uses TLS.
func (c Config) TLSEnabled() bool {
	return c.TLSCert != "" || c.TLSKey != "" || c.TLSCA != "" || c.TLSServerName != "" || c.APIKey != ""
}

// TLSConfig builds the TLS configuration, or nil for a plain connection.
func (c Config) TLSConfig() (*tls.Config, error) {
	if !c.TLSEnabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServerName}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, fmt.Errorf("%s and %s must be set together", EnvTLSCert, EnvTLSKey)
	}
	if c.TLSCert != "" {
		certPEM, err := pemOrFile(c.TLSCert, EnvTLSCert)
		if err != nil {
			return nil, err
		}
		keyPEM, err := pemOrFile(c.TLSKey, EnvTLSKey)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", EnvTLSCert, EnvTLSKey, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if c.TLSCA != "" {
		caPEM, err := pemOrFile(c.TLSCA, EnvTLSCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("%s: no PEM certificate found", EnvTLSCA)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// pemOrFile returns v itself when it holds PEM data, else the contents of the file v names.
func pemOrFile(v, name string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// ClientOptions builds the SDK client options; logger may be nil (the SDK's default logger).
// Payloads are encrypted with the configured key (Codec); without one it fails with
// ErrNoPayloadKey unless InsecurePlaintextPayloads is set.
func (c Config) ClientOptions(logger log.Logger) (client.Options, error) {
	if c.Address == "" {
		return client.Options{}, errors.New("Temporal address is empty")
	}
	cd, err := c.Codec()
	if err != nil {
		return client.Options{}, err
	}
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return client.Options{}, err
	}
	opts := client.Options{
		HostPort:          c.Address,
		Namespace:         c.Namespace,
		Logger:            logger,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsCfg},
		MetricsHandler:    c.MetricsHandler,
		Interceptors:      c.Interceptors,
	}
	if cd != nil {
		opts.DataConverter = codec.DataConverter(cd)
	}
	if c.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
	}
	return opts, nil
}

// Dial connects to Temporal and checks the server answers within timeout (0: no limit but ctx's).
// The error names the address tried.
func Dial(ctx context.Context, c Config, logger log.Logger, timeout time.Duration) (client.Client, error) {
	opts, err := c.ClientOptions(logger)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, &UnreachableError{Address: c.Address, Namespace: c.Namespace, Err: err}
	}
	return cl, nil
}

// UnreachableError says Temporal could not be reached at Address.
type UnreachableError struct {
	Address, Namespace string
	Err                error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Temporal at %s (namespace %s): %v", e.Address, e.Namespace, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }
