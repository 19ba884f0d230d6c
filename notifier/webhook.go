package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/store"
)

// Payload is the JSON body of a webhook request (DESIGN §8): the notification, identified by id.
type Payload struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflow_id"`
	Kind       string    `json:"kind"`
	Recipient  string    `json:"recipient"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// payloadOf is the body sent for a delivery: the same bytes on every attempt (only the signature's
// timestamp changes).
func payloadOf(d store.ClaimedDelivery) ([]byte, error) {
	return json.Marshal(Payload{
		ID: d.Identity(), WorkflowID: d.WorkflowID, Kind: d.Kind, Recipient: d.Recipient,
		Subject: d.Subject, Body: d.Body, CreatedAt: d.CreatedAt.UTC(),
	})
}

// HeaderAttempt tells the receiver which attempt this is (1 the first); informative only: the
// Idempotency-Key is what identifies the notification.
const HeaderAttempt = "Porting-Delivery-Attempt"

// webhook posts signed notifications.
type webhook struct {
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

func newWebhook(timeout time.Duration) *webhook {
	return &webhook{
		client: &http.Client{
			// The whole exchange — connection, TLS, request, response headers and body — is bounded.
			Timeout: timeout,
			// A redirect is not a delivery: following it would turn the POST into a GET (301, 302)
			// or send the signed body somewhere the subscription did not name.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
		now:     time.Now,
	}
}

// send posts one delivery, signed with secret; nil only for a 2xx answer.
func (w *webhook) send(ctx context.Context, d store.ClaimedDelivery, secret string) error {
	if secret == "" {
		return errors.New("no signing secret for this webhook (" + EnvOperationsWebhookSecret + " unset on this worker?)")
	}
	body, err := payloadOf(d)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	id := d.Identity()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "numberporting-notifier/1")
	req.Header.Set(HeaderIdempotencyKey, id)
	req.Header.Set(HeaderSignature, Sign(secret, w.now().Unix(), body))
	req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempt))
	resp, err := w.client.Do(req)
	if err != nil {
		// A *url.Error: net/http leaves a URL's password out of it.
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return fmt.Errorf("no answer within %s (%s): %w", w.timeout, EnvTimeout, err)
		}
		return err
	}
	defer resp.Body.Close()
	// Read a little of the answer for the error message, then drop the rest so the connection can
	// be reused; never more than that, whatever the receiver sends.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := fmt.Sprintf("HTTP %s", resp.Status)
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed: subscribe the final URL)"
	}
	if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "?")); s != "" {
		msg += ": " + s
	}
	return errors.New(msg)
}
