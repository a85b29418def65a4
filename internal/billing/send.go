package billing

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
)

// MaxSendAhead bounds how far ahead a send can be scheduled.
const MaxSendAhead = 365 * 24 * time.Hour

// Mailing is where invoice emails come from and link to.
type Mailing struct {
	// From is the sender address of every invoice email; replies go to the
	// account's email when it has one.
	From string
	// PublicURL is the server's address as customers reach it, for the
	// hosted-page link ("https://billing.example.com").
	PublicURL string
}

// SendInput is who receives an invoice and when.
type SendInput struct {
	// To are recipients besides the customer's own email.
	To []string
	// SendAt schedules the email; nil sends now.
	SendAt *time.Time
}

// EmailPreview is an invoice email as it would be sent.
type EmailPreview struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

// PreviewEmail composes an invoice's email without sending anything, to
// the recipients it would go to: the customer (a draft's, as it is now)
// and, for a revision, whoever received the invoice it replaces. A draft
// has no number yet: a placeholder stands in for it.
func (s *Service) PreviewEmail(ctx context.Context, id string) (*EmailPreview, error) {
	inv, doc, err := s.document(ctx, id)
	if err != nil {
		return nil, err
	}
	if doc.Number == "" {
		doc.Number = numberPlaceholder[emailLang(doc)]
	}
	prior, err := priorRecipients(ctx, s.db, inv)
	if err != nil {
		return nil, err
	}
	p := composeInvoiceEmail(inv, doc, s.mailing)
	p.To = recipientsOf(doc.Buyer.Email, prior)
	return p, nil
}

// numberPlaceholder stands for a draft's number in a preview.
var numberPlaceholder = map[string]string{"en": "[number on finalization]", "fr": "[numéro à la finalisation]", "de": "[Nummer bei Ausstellung]"}

// priorRecipients are those who received the invoices a revision
// replaces: the "invoice updated" email goes to them too, so whoever got
// the original (an accounts payable address, say) hears it changed.
func priorRecipients(ctx context.Context, db *ent.Client, inv *ent.Invoice) ([]string, error) {
	var out []string
	// Revisions chain: a revision of a revision replaces both.
	for from, n := inv.FromInvoiceID, 0; from != nil && n < 50; n++ {
		msgs, err := db.EmailMessage.Query().
			Where(emailmessage.InvoiceID(*from), emailmessage.KindIn("invoice", "invoice_updated")).
			Order(ent.Asc(emailmessage.FieldCreatedAt), ent.Asc(emailmessage.FieldID)).
			Select(emailmessage.FieldTo).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load sent emails: %w", err)
		}
		for _, m := range msgs {
			out = append(out, m.To...)
		}
		orig, err := db.Invoice.Query().Where(invoice.ID(*from)).Select(invoice.FieldFromInvoiceID).Only(ctx)
		if err != nil {
			return nil, fmt.Errorf("load revised invoice: %w", err)
		}
		from = orig.FromInvoiceID
	}
	return out, nil
}

// recipientsOf lists the customer's email then the others, each once.
func recipientsOf(customer string, others []string) []string {
	out := []string{}
	if customer != "" {
		out = append(out, customer)
	}
	for _, to := range others {
		if to = strings.TrimSpace(to); to != "" && !contains(out, to) {
			out = append(out, to)
		}
	}
	return out
}

// Send emails an open invoice to its customer and any extra recipients,
// with its PDF attached and a link to its hosted page, now or at SendAt.
// The message is queued in the outbox in the same transaction that records
// the send in the invoice's history, and delivered by the worker.
func (s *Service) Send(ctx context.Context, id string, in SendInput) (*ent.Invoice, *ent.EmailMessage, error) {
	var errs usererr.List
	now := clock.Now(ctx)
	if in.SendAt != nil {
		switch at := in.SendAt.UTC(); {
		case !at.After(now):
			errs = append(errs, usererr.New(usererr.Invalid, "sendAt is in the past; omit it to send now", "sendAt"))
		case at.After(now.Add(MaxSendAhead)):
			errs = append(errs, usererr.New(usererr.Invalid, "sendAt is at most one year ahead", "sendAt"))
		}
	}
	if err := validRecipients(in.To); err != nil {
		errs = append(errs, err.(usererr.List)...)
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	inv, doc, err := s.document(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := sendable(inv); err != nil {
		return nil, nil, err
	}
	prior, err := priorRecipients(ctx, s.db, inv)
	if err != nil {
		return nil, nil, err
	}
	in.To = append(in.To, prior...)
	// Rendering is slow and needs no lock: do it before the transaction.
	msg, recipients, err := s.composeSend(ctx, s.db, inv, doc, in, true)
	if err != nil {
		return nil, nil, err
	}
	var queued *ent.EmailMessage
	err = s.run(ctx, func(tx *ent.Tx) error {
		// Re-check the status under the writer's lock: the invoice may
		// have been voided or paid since it was read.
		cur, err := s.load(ctx, tx, id, ActionDuplicate)
		if err != nil {
			return err
		}
		if err := sendable(cur); err != nil {
			return err
		}
		queued, err = s.enqueueSend(ctx, tx, cur, msg, recipients, in.SendAt)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return inv, queued.Unwrap(), nil
}

// sendIssued emails an invoice that tx has just finalized, rendering it as
// the transaction sees it. required makes a customer without an email an
// error; otherwise such an invoice is simply not sent.
func (s *Service) sendIssued(ctx context.Context, tx *ent.Tx, id string, in SendInput, required bool) error {
	inv, doc, err := documentFrom(ctx, tx.Client(), id)
	if err != nil {
		return err
	}
	prior, err := priorRecipients(ctx, tx.Client(), inv)
	if err != nil {
		return err
	}
	in.To = append(in.To, prior...)
	msg, recipients, err := s.composeSend(ctx, tx.Client(), inv, doc, in, required)
	if err != nil || len(recipients) == 0 {
		return err
	}
	_, err = s.enqueueSend(ctx, tx, inv, msg, recipients, nil)
	return err
}

// validRecipients checks extra recipients' addresses.
func validRecipients(to []string) error {
	var errs usererr.List
	for i, addr := range to {
		errs.Add(validate.Email(strings.TrimSpace(addr)), "to", fmt.Sprint(i))
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// sendable refuses to email an invoice that is not awaiting payment.
func sendable(inv *ent.Invoice) error {
	if inv.Status == invoice.StatusOpen || inv.Status == invoice.StatusUncollectible {
		return nil
	}
	verb := "a " + strings.ToLower(string(inv.Status)) + " invoice"
	if inv.Status == invoice.StatusDraft {
		verb = "a draft: finalize it first"
	}
	return usererr.New(usererr.InvalidTransition, "cannot send "+verb, "id")
}

// composeSend renders the invoice (read through db) and writes its
// email: the invoice email, or for a revision the "invoice updated"
// email. With no recipient at all it fails when required and returns no
// recipients otherwise.
func (s *Service) composeSend(ctx context.Context, db *ent.Client, inv *ent.Invoice, doc document.Invoice, in SendInput, required bool) (outbox.Message, []string, error) {
	m := s.mailing
	customer := ""
	if inv.CustomerSnapshot != nil {
		customer = inv.CustomerSnapshot.Email
	}
	recipients := recipientsOf(customer, in.To)
	if len(recipients) == 0 {
		if !required {
			return outbox.Message{}, nil, nil
		}
		return outbox.Message{}, nil, usererr.New(usererr.Required, "the customer has no email: give recipients in to", "to")
	}
	pdf, err := s.invoiceAttachment(ctx, db, inv, doc)
	if err != nil {
		return outbox.Message{}, nil, err
	}
	email := composeInvoiceEmail(inv, doc, m)
	kind := "invoice"
	if inv.FromInvoiceID != nil {
		kind = "invoice_updated"
	}
	msg := outbox.Message{
		Kind:        kind,
		InvoiceID:   inv.ID,
		From:        mail.Address{Name: doc.Seller.Name, Email: m.From},
		To:          recipients,
		Subject:     email.Subject,
		Text:        email.Text,
		HTML:        email.HTML,
		Attachments: []mail.Attachment{pdf},
	}
	if reply := doc.Seller.Email; reply != "" && validate.Email(reply) == nil {
		msg.ReplyTo = reply
	}
	if in.SendAt != nil {
		msg.SendAt = in.SendAt.UTC()
	}
	return msg, recipients, nil
}

// enqueueSend queues msg and records the send in the invoice's history.
func (s *Service) enqueueSend(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, msg outbox.Message, recipients []string, sendAt *time.Time) (*ent.EmailMessage, error) {
	queued, err := s.outbox.Enqueue(ctx, tx, msg)
	if err != nil {
		return nil, err
	}
	why := "to " + strings.Join(recipients, ", ")
	if msg.Kind == "invoice_updated" {
		why = "invoice updated email " + why
	}
	if sendAt != nil {
		why += "; scheduled for " + sendAt.UTC().Format(time.RFC3339)
	}
	return queued, note(ctx, tx, inv, step{HistorySend, "", events.InvoiceSent, why})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

var emailWords = map[string]map[string]string{
	"en": {"updatedSubject": "Updated invoice %s from %s", "replaces": "It replaces invoice %s, which is cancelled.",
		"subject": "Invoice %s from %s", "hello": "Hello %s,", "body": "Here is invoice %s from %s for %s, due %s.",
		"nodue": "Here is invoice %s from %s for %s.", "link": "View and download the invoice:", "attached": "The PDF is attached.", "thanks": "Thank you for your business."},
	"fr": {"updatedSubject": "Facture %s de %s mise à jour", "replaces": "Elle annule et remplace la facture %s.",
		"subject": "Facture %s de %s", "hello": "Bonjour %s,", "body": "Voici la facture %s de %s d'un montant de %s, à régler avant le %s.",
		"nodue": "Voici la facture %s de %s d'un montant de %s.", "link": "Consulter et télécharger la facture :", "attached": "La facture est jointe en PDF.", "thanks": "Merci de votre confiance."},
	"de": {"updatedSubject": "Korrigierte Rechnung %s von %s", "replaces": "Sie ersetzt die stornierte Rechnung %s.",
		"subject": "Rechnung %s von %s", "hello": "Guten Tag %s,", "body": "anbei erhalten Sie die Rechnung %s von %s über %s, zahlbar bis %s.",
		"nodue": "anbei erhalten Sie die Rechnung %s von %s über %s.", "link": "Rechnung ansehen und herunterladen:", "attached": "Die Rechnung ist als PDF beigefügt.", "thanks": "Vielen Dank für Ihren Auftrag."},
}

var emailHTML = htmltemplate.Must(htmltemplate.New("email").Parse(`<!doctype html>
<html lang="{{.Lang}}"><body style="font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;line-height:1.5">
<div style="border-top:4px solid {{.Brand}};padding-top:1em">
<p style="font-size:1.2em;font-weight:600;color:{{.Brand}}">{{.Seller}}</p>
<p>{{.Hello}}</p>
<p>{{.Body}}</p>
{{range $i, $l := .Transfer}}{{if $i}}<br>{{else}}<p>{{end}}{{$l}}{{end}}{{if .Transfer}}</p>{{end}}
{{if .Link}}<p><a href="{{.Link}}" style="display:inline-block;padding:.6em 1em;background:{{.Brand}};color:{{.OnBrand}};border-radius:6px;text-decoration:none">{{.LinkLabel}}</a></p>{{end}}
<p>{{.Attached}}</p>
<p>{{.Thanks}}<br>{{.Seller}}</p>
</div>
</body></html>`))

// emailLang is the language of an invoice's emails: its document's.
func emailLang(doc document.Invoice) string { return words.Lang(doc.Locale) }

// composeInvoiceEmail writes the invoice email in the document's language.
func composeInvoiceEmail(inv *ent.Invoice, doc document.Invoice, m Mailing) *EmailPreview {
	lang := emailLang(doc)
	w := emailWords[lang]
	amount := money.Format(doc.AmountDue, doc.Currency, lang)
	body := fmt.Sprintf(w["nodue"], doc.Number, doc.Seller.Name, amount)
	if !doc.DueDate.IsZero() {
		body = fmt.Sprintf(w["body"], doc.Number, doc.Seller.Name, amount, words.Date(doc.DueDate, lang))
	}
	link := m.hostedLink(inv)
	hello := fmt.Sprintf(w["hello"], doc.Buyer.Name)
	subject := fmt.Sprintf(w["subject"], doc.Number, doc.Seller.Name)
	replaces := ""
	if doc.Replaces != "" {
		subject = fmt.Sprintf(w["updatedSubject"], doc.Number, doc.Seller.Name)
		replaces = fmt.Sprintf(w["replaces"], doc.Replaces)
		body += " " + replaces
	}
	text := hello + "\n\n" + body + "\n\n"
	var transfer string
	if doc.AmountDue > 0 {
		transfer = transferText(doc.BankTransfer, lang)
	}
	if transfer != "" {
		text += transfer + "\n\n"
	}
	if link != "" {
		text += w["link"] + "\n" + link + "\n\n"
	}
	text += w["attached"] + "\n\n" + w["thanks"] + "\n" + doc.Seller.Name + "\n"
	var transferLines []string
	if transfer != "" {
		transferLines = strings.Split(transfer, "\n")
	}
	brand := document.BrandColors(doc.Branding)
	var html bytes.Buffer
	_ = emailHTML.Execute(&html, map[string]any{
		"Brand": htmltemplate.CSS(brand.Brand), "OnBrand": htmltemplate.CSS(brand.OnBrand),
		"Lang": lang, "Hello": hello, "Body": body, "Link": link, "LinkLabel": strings.TrimSuffix(strings.TrimSuffix(w["link"], ":"), " :"),
		"Attached": w["attached"], "Thanks": w["thanks"], "Seller": doc.Seller.Name,
		"Transfer": transferLines,
	})
	return &EmailPreview{Subject: subject, Text: text, HTML: html.String()}
}
