package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-message/mail"
)

// Parsed is a received message decoded with github.com/emersion/go-message.
type Parsed struct {
	Header      mail.Header
	Subject     string   // decoded
	MessageID   string   // without angle brackets
	From        []string // "Name <addr>" (name decoded) or "addr"
	To          []string
	Cc          []string
	ReplyTo     []string
	Text        string
	HTML        string
	Attachments []Attachment
}

// Attachment is one decoded attachment.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Parse decodes the message data of r.
func (r Received) Parse() (*Parsed, error) {
	mr, err := mail.CreateReader(bytes.NewReader(r.Data))
	if err != nil {
		return nil, fmt.Errorf("mailtest: parse: %w", err)
	}
	defer mr.Close()
	p := &Parsed{Header: mr.Header}
	if p.Subject, err = mr.Header.Subject(); err != nil {
		return nil, fmt.Errorf("mailtest: subject: %w", err)
	}
	if p.MessageID, err = mr.Header.MessageID(); err != nil {
		return nil, fmt.Errorf("mailtest: message-id: %w", err)
	}
	for _, h := range []struct {
		key string
		dst *[]string
	}{{"From", &p.From}, {"To", &p.To}, {"Cc", &p.Cc}, {"Reply-To", &p.ReplyTo}} {
		list, err := mr.Header.AddressList(h.key)
		if err != nil {
			return nil, fmt.Errorf("mailtest: %s: %w", h.key, err)
		}
		for _, a := range list {
			if a.Name == "" {
				*h.dst = append(*h.dst, a.Address)
			} else {
				*h.dst = append(*h.dst, a.Name+" <"+a.Address+">")
			}
		}
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("mailtest: part: %w", err)
		}
		body, err := io.ReadAll(part.Body)
		if err != nil {
			return nil, fmt.Errorf("mailtest: part body: %w", err)
		}
		switch h := part.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			switch ct {
			case "text/plain":
				p.Text = string(body)
			case "text/html":
				p.HTML = string(body)
			}
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			p.Attachments = append(p.Attachments, Attachment{Name: name, ContentType: ct, Data: body})
		}
	}
	return p, nil
}
