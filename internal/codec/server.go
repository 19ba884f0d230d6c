package codec

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// Environment variables of the codec endpoint (served by the worker).
const (
	EnvCodecAddr       = "PORTING_CODEC_ADDR"
	EnvCodecToken      = "PORTING_CODEC_TOKEN"
	EnvCodecCORSOrigin = "PORTING_CODEC_CORS_ORIGIN"
)

// DefaultCORSOrigin is the dev server's Temporal UI.
const DefaultCORSOrigin = "http://localhost:8233"

// maxBodyBytes bounds a /encode or /decode request (a workflow history page of payloads).
const maxBodyBytes = 32 << 20

// corsHeaders are the request headers the Temporal UI sends to a codec endpoint.
const corsHeaders = "Content-Type, X-Namespace, Authorization"

// ServerOptions configure the codec endpoint.
type ServerOptions struct {
	// Token is the bearer token every POST must carry (Authorization: Bearer <token>). Required.
	Token string
	// CORSOrigins are the browser origins allowed to call the endpoint (the Temporal UI's), e.g.
	// "http://localhost:8233"; "*" allows any origin (without credentials).
	CORSOrigins []string
}

// ParseOrigins splits PORTING_CODEC_CORS_ORIGIN's comma-separated list; empty means DefaultCORSOrigin.
func ParseOrigins(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return []string{DefaultCORSOrigin}
	}
	return out
}

// NewHTTPHandler serves the Temporal codec endpoint (POST …/encode and …/decode, the protocol of
// converter.NewPayloadCodecHTTPHandler) for the Temporal UI and `temporal --codec-endpoint`. Every
// POST needs the bearer token (401 otherwise); CORS preflights (OPTIONS) from the allowed origins are
// answered without it, as browsers send them without credentials.
func NewHTTPHandler(c *Codec, opts ServerOptions) (http.Handler, error) {
	if c == nil {
		return nil, errors.New("the codec endpoint needs a payload key (" + EnvKey + ")")
	}
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("the codec endpoint needs a bearer token: set " + EnvCodecToken)
	}
	origins := opts.CORSOrigins
	if len(origins) == 0 {
		origins = []string{DefaultCORSOrigin}
	}
	tokenSum := sha256.Sum256([]byte(opts.Token))
	return &codecServer{
		codec:    converter.NewPayloadCodecHTTPHandler(c),
		tokenSum: tokenSum[:],
		origins:  origins,
	}, nil
}

type codecServer struct {
	codec    http.Handler
	tokenSum []byte
	origins  []string
}

func (s *codecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && s.allowOrigin(w, origin)

	if r.Method == http.MethodOptions {
		if !allowed {
			http.Error(w, "origin not allowed (set "+EnvCodecCORSOrigin+")", http.StatusForbidden)
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="porting-codec"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	s.codec.ServeHTTP(w, r)
}

// allowOrigin sets the CORS response headers when origin is allowed.
func (s *codecServer) allowOrigin(w http.ResponseWriter, origin string) bool {
	w.Header().Add("Vary", "Origin")
	for _, o := range s.origins {
		switch {
		case o == "*":
			w.Header().Set("Access-Control-Allow-Origin", "*")
			return true
		case strings.EqualFold(o, origin):
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			return true
		}
	}
	return false
}

func (s *codecServer) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum) == 1
}
