// Package notifytest is the receiving end of notifications, for tests: a webhook receiver that
// checks every request's signature byte for byte and can go down (refusing connections, or
// answering 503) and come back, and an SMTP server (github.com/emersion/go-smtp) that keeps the
// messages it accepts. Both run in the test process and are real servers on 127.0.0.1.
package notifytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request a Webhook received.
type Request struct {
	At             time.Time
	Path           string
	IdempotencyKey string
	Attempt        string
	Signature      string
	// SignatureErr is why the signature did not verify (nil: it did). Such a request is answered 401.
	SignatureErr error
	Body         []byte
	Payload      map[string]any
	// Status is what the receiver answered.
	Status int
}

// Webhook is a receiver of signed notifications at URL.
type Webhook struct {
	URL    string
	addr   string
	secret string

	mu       sync.Mutex
	requests []Request
	status   int // answer to every verified request: 200, or what Fail set
	srv      *http.Server
	latency  time.Duration
	hook     func(Request)
}

// NewWebhook listens on a free port of 127.0.0.1 and verifies requests with secret; it stops when
// the test ends.
func NewWebhook(t testing.TB, secret string) *Webhook {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &Webhook{addr: ln.Addr().String(), secret: secret, status: http.StatusOK}
	w.URL = "http://" + w.addr + "/porting/notifications"
	w.serve(ln)
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.srv != nil {
			_ = w.srv.Close()
		}
	})
	return w
}

func (w *Webhook) serve(ln net.Listener) {
	w.srv = &http.Server{Handler: http.HandlerFunc(w.handle), ReadHeaderTimeout: 5 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(w.srv)
}

// Fail answers every request with status (e.g. 503) until Up.
func (w *Webhook) Fail(status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status = status
}

// Slow makes every answer wait d first.
func (w *Webhook) Slow(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.latency = d
}

// OnRequest has f called with each request, before it is answered (nil: none).
func (w *Webhook) OnRequest(f func(Request)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hook = f
}

// Refuse takes the receiver off the network: its listener and open connections are closed, and
// connections are refused until Up.
func (w *Webhook) Refuse() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srv != nil {
		_ = w.srv.Close()
		w.srv = nil
	}
}

// Up brings the receiver back (listening on the same address again) and answers 200.
func (w *Webhook) Up() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status = http.StatusOK
	if w.srv != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 { // the port was ours a moment ago; give the kernel a moment if it hesitates
		if ln, err = net.Listen("tcp", w.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("notifytest: listening on %s again: %w", w.addr, err)
	}
	w.serve(ln)
	return nil
}

func (w *Webhook) handle(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	req := Request{
		At: time.Now(), Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Attempt: r.Header.Get("Porting-Delivery-Attempt"), Signature: r.Header.Get("Porting-Signature"), Body: body,
	}
	w.mu.Lock()
	status, latency := w.status, w.latency
	w.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	switch {
	case err != nil:
		req.SignatureErr, status = err, http.StatusBadRequest
	case r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json":
		req.SignatureErr, status = fmt.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type")), http.StatusBadRequest
	default:
		if req.SignatureErr = verify(req.Signature, body, w.secret, req.At); req.SignatureErr != nil {
			status = http.StatusUnauthorized
		} else if jerr := json.Unmarshal(body, &req.Payload); jerr != nil {
			req.SignatureErr, status = jerr, http.StatusBadRequest
		}
	}
	req.Status = status
	w.mu.Lock()
	w.requests = append(w.requests, req)
	hook := w.hook
	w.mu.Unlock()
	if hook != nil {
		hook(req)
	}
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, http.StatusText(status))
}

// verify checks the signature the way a receiver must, written here independently of the notifier:
// the header must be exactly t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, t within 5 minutes.
func verify(header string, body []byte, secret string, now time.Time) error {
	ts, rest, ok := strings.Cut(header, ",")
	if !ok || !strings.HasPrefix(ts, "t=") || !strings.HasPrefix(rest, "v1=") {
		return fmt.Errorf("signature header %q is not t=…,v1=…", header)
	}
	t, err := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
	if err != nil {
		return fmt.Errorf("signature timestamp: %w", err)
	}
	if d := now.Sub(time.Unix(t, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("signature timestamp %d is %s from now", t, d)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10) + "." + string(body)))
	want := "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(m.Sum(nil))
	if header != want {
		return errors.New("signature does not match the body")
	}
	return nil
}

// Requests is every request received so far, in order.
func (w *Webhook) Requests() []Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Request(nil), w.requests...)
}

// Accepted counts, per Idempotency-Key, the requests answered 2xx: what a receiver that keeps the
// key would have acted on — exactly once each, if delivery is right.
func (w *Webhook) Accepted() map[string]int {
	out := map[string]int{}
	for _, r := range w.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			out[r.IdempotencyKey]++
		}
	}
	return out
}

// BadSignatures are the requests whose signature or body did not verify.
func (w *Webhook) BadSignatures() []Request {
	var out []Request
	for _, r := range w.Requests() {
		if r.SignatureErr != nil {
			out = append(out, r)
		}
	}
	return out
}
