package notifier

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/store"
)

// email sends notifications over SMTP with the standard library's client (net/smtp: frozen, but
// complete for submitting one plain-text message, and no dependency): STARTTLS whenever the
// server offers it, PLAIN authentication when configured, every conversation bounded by a deadline
// on its connection.
type email struct {
	addr, host string
	from       *mail.Address
	auth       smtp.Auth
	timeout    time.Duration
	now        func() time.Time
}

func newEmail(c Config) (*email, error) {
	if c.SMTPAddr == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(c.SMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSMTPAddr, err)
	}
	from, err := mail.ParseAddress(c.SMTPFrom)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvSMTPFrom, err)
	}
	e := &email{addr: c.SMTPAddr, host: host, from: from, timeout: c.Timeout, now: time.Now}
	if c.SMTPUsername != "" {
		// net/smtp's PLAIN refuses to send the password over an unencrypted connection other than
		// to localhost.
		e.auth = smtp.PlainAuth("", c.SMTPUsername, c.SMTPPassword, host)
	}
	return e, nil
}

// send hands one notification to the SMTP server; nil once the server has accepted the message.
func (e *email) send(ctx context.Context, d store.ClaimedDelivery) (err error) {
	if e == nil {
		return errors.New("email is not set up on this worker (" + EnvSMTPAddr + " and " + EnvSMTPFrom + ")")
	}
	msg := e.message(d)
	deadline := e.now().Add(e.timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	dialer := net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return err
	}
	// The whole conversation, not only the dial, must end by the deadline: net/smtp has no
	// context of its own.
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return err
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", e.addr, err)
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("smtp %s: %s: %w", e.addr, what, err)
		}
		return nil
	}
	if err := step("EHLO", c.Hello(heloName())); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := step("STARTTLS", c.StartTLS(&tls.Config{ServerName: e.host, MinVersion: tls.VersionTLS12})); err != nil {
			return err
		}
	}
	if e.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp %s: %s is set but the server offers no AUTH", e.addr, EnvSMTPUsername)
		}
		if err := step("AUTH", c.Auth(e.auth)); err != nil {
			return err
		}
	}
	if err := step("MAIL FROM", c.Mail(e.from.Address)); err != nil {
		return err
	}
	if err := step("RCPT TO", c.Rcpt(d.Target)); err != nil {
		return err
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return step("DATA", err)
	}
	// The server's answer to the end of DATA is its acceptance: from here on, the message is its.
	if err := step("end of DATA", w.Close()); err != nil {
		return err
	}
	_ = c.Quit() // accepted already: a failed QUIT changes nothing
	return nil
}

// heloName is this machine's name for EHLO (some servers refuse "localhost" from elsewhere).
func heloName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// MessageID is the Message-ID of a notification's email: its identity at the sender's domain,
// the same on every attempt, so a mail client shows a message that was sent twice once.
func MessageID(identity, from string) string {
	domain := "porting.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return "<" + identity + "@" + domain + ">"
}

// message is the whole RFC 5322 message: plain text in UTF-8, quoted-printable.
func (e *email) message(d store.ClaimedDelivery) []byte {
	id := d.Identity()
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", e.from.String())
	header("To", d.Target)
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(d.Subject)))
	header("Date", e.now().Format(time.RFC1123Z))
	header("Message-ID", MessageID(id, e.from.Address))
	header(HeaderIdempotencyKey, id)
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies to it
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := d.Body + "\n\n--\n" +
		"Port: " + d.WorkflowID + "\n" +
		"Kind: " + d.Kind + "\n" +
		"Queued: " + d.CreatedAt.UTC().Format(time.RFC3339) + "\n" +
		"Notification: " + id + "\n"
	_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

// oneLine keeps a header value on one line, whatever the subject holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
