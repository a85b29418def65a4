// Package mail sends email: the Message handed to a Sender, and the SMTP
// sender (see NewSMTP) built on github.com/wneessen/go-mail.
//
// A Sender reports why a message was not sent, and Permanent tells the
// outbox worker whether trying again could help: a 5xx reply to the message
// itself (unknown mailbox, message refused) is permanent, anything else —
// 4xx replies, a server that is down, a TLS or authentication problem, which
// an operator can fix — is temporary and retried.
package mail

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sender delivers one message. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Address is a mailbox: a bare address and an optional display name.
type Address struct {
	Name  string // display name, may be empty; encoded as needed
	Email string // addr-spec, e.g. billing@example.com
}

// Attachment is a file attached to a message.
type Attachment struct {
	Name        string `json:"name"`         // file name shown to the recipient
	ContentType string `json:"content_type"` // MIME type, e.g. application/pdf
	Data        []byte `json:"data"`         // content (base64 in JSON)
}

// Message is one email, ready to send.
type Message struct {
	// MessageID is the RFC 5322 Message-ID without angle brackets. Set it
	// so that every attempt carries the same one (receivers deduplicate
	// on it); when empty the sender makes one up.
	MessageID string
	// Date is the Date header; zero means the time of sending.
	Date time.Time

	From    Address
	ReplyTo string
	To      []string
	Cc      []string
	Bcc     []string // envelope recipients only: never written in the headers

	Subject string
	Text    string // text/plain part
	HTML    string // text/html part (an alternative to Text when both are set)

	Attachments []Attachment
}

// Error is a failed delivery with its classification.
type Error struct {
	// Permanent is true when the server refused this message for good
	// (5xx to MAIL FROM, RCPT TO or the content) or the message cannot be
	// built: retrying cannot help.
	Permanent bool
	// Code is the SMTP reply code, when the server gave one.
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether err says the message can never be delivered as
// it is. Errors that do not say so (network errors, timeouts, 4xx replies,
// unknown errors) are temporary: the message is retried.
func Permanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// permanent wraps err as a permanent error.
func permanent(code int, format string, args ...any) error {
	return &Error{Permanent: true, Code: code, Err: fmt.Errorf(format, args...)}
}

// temporary wraps err as a temporary error.
func temporary(code int, err error) error {
	return &Error{Code: code, Err: err}
}
