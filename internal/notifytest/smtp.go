package notifytest

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// Message is one message the SMTP server accepted.
type Message struct {
	From    string
	To      []string
	Raw     []byte
	Header  mail.Header
	Subject string // decoded
	Body    string // decoded (quoted-printable), CRLF as \n
}

// SMTP is an SMTP server on 127.0.0.1 that keeps what it accepts.
type SMTP struct {
	Addr string

	mu       sync.Mutex
	messages []Message
	reject   int // the next n messages get 451
	rejected int
}

// NewSMTP starts the server; it stops when the test ends.
func NewSMTP(t testing.TB) *SMTP {
	t.Helper()
	s := &SMTP{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "mx.test.invalid"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// RejectNext answers the next n messages' DATA with 451 (try again later).
func (s *SMTP) RejectNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = n
}

// Messages are the accepted messages, in order.
func (s *SMTP) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Rejected counts the messages answered 451.
func (s *SMTP) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

type session struct {
	srv  *SMTP
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.reject > 0 {
		s.srv.reject--
		s.srv.rejected++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox busy, try again later"}
	}
	m := Message{From: s.from, To: append([]string(nil), s.to...), Raw: raw}
	if parsed, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = parsed.Header
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
		body, _ := io.ReadAll(quotedprintable.NewReader(parsed.Body))
		m.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	s.srv.messages = append(s.srv.messages, m)
	return nil
}
