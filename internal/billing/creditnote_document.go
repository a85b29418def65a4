package billing

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/brandimage"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/viewer"
)

// CreditNoteDocument assembles what a credit note's PDF prints, with the
// invoice document engine: the seller and buyer the corrected invoice
// froze, the corrected invoice's number and date, the reason, the lines,
// the tax breakdown, and how the total was settled.
func (s *Service) CreditNoteDocument(ctx context.Context, id string) (document.Invoice, error) {
	_, _, doc, err := s.creditNoteDocumentOf(ctx, id)
	return doc, err
}

// creditNoteDocumentOf loads credit note id, with its lines, and the
// invoice it corrects, and assembles its document.
func (s *Service) creditNoteDocumentOf(ctx context.Context, id string) (*ent.Invoice, *ent.CreditNote, document.Invoice, error) {
	cn, err := s.db.CreditNote.Query().Where(creditnote.ID(id)).
		WithLines(func(q *ent.CreditNoteLineQuery) { q.Order(ent.Asc(creditnoteline.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, document.Invoice{}, usererr.New(usererr.NotFound, "no such credit note", "id")
	}
	if err != nil {
		return nil, nil, document.Invoice{}, fmt.Errorf("load credit note: %w", err)
	}
	inv, err := s.db.Invoice.Query().Where(invoice.ID(cn.InvoiceID)).Only(ctx)
	if err != nil {
		return nil, nil, document.Invoice{}, fmt.Errorf("load invoice: %w", err)
	}
	v, _ := viewer.FromContext(ctx)
	acct, err := s.db.Account.Get(ctx, v.AccountID)
	if err != nil {
		return nil, nil, document.Invoice{}, fmt.Errorf("load account: %w", err)
	}
	doc, err := creditNoteDocument(ctx, s.db, acct, inv, cn)
	return inv, cn, doc, err
}

// creditNoteDocument is the document of cn (its lines loaded), a credit
// note of inv, read through db (a transaction's client when issuing).
func creditNoteDocument(ctx context.Context, db *ent.Client, acct *ent.Account, inv *ent.Invoice, cn *ent.CreditNote) (document.Invoice, error) {
	seller, buyer := inv.IssuerSnapshot, inv.CustomerSnapshot
	if seller == nil || buyer == nil || inv.FinalizedAt == nil {
		return document.Invoice{}, fmt.Errorf("credit note %s: invoice %s was never issued", cn.ID, inv.ID)
	}
	brand := document.Branding{BrandColor: acct.BrandColor, AccentColor: acct.AccentColor}
	logo, err := db.BrandImage.Query().Where(brandimage.KindEQ(brandimage.KindLogo)).Only(ctx)
	switch {
	case err == nil:
		brand.Logo, brand.LogoMIME = logo.Data, logo.ContentType
	case !ent.IsNotFound(err):
		return document.Invoice{}, fmt.Errorf("load logo: %w", err)
	}
	doc := document.Invoice{
		Number:            cn.Number,
		Status:            string(cn.Status),
		IssueDate:         cn.CreatedAt,
		CreationDate:      cn.CreatedAt,
		Currency:          cn.Currency,
		Locale:            documentLocale(buyer, seller),
		PageSize:          inv.Terms.PageSize,
		Seller:            partyOf(seller),
		Buyer:             partyOf(buyer),
		BuyerTaxExempt:    buyer.TaxExempt,
		Subtotal:          cn.Subtotal,
		Discount:          cn.TotalDiscount,
		TotalExcludingTax: cn.TotalExcludingTax,
		TotalTax:          cn.TotalTax,
		Total:             cn.Total,
		Memo:              cn.Memo,
		Footer:            inv.Footer,
		Branding:          brand,
		CreditNote: &document.CreditNote{
			InvoiceNumber: deref(inv.Number),
			InvoiceDate:   *inv.FinalizedAt,
			PrePayment:    cn.PrePaymentAmount,
			Refunded:      cn.RefundAmount,
			Credited:      cn.CreditAmount,
			OutOfBand:     cn.OutOfBandAmount,
		},
	}
	if cn.Reason != nil {
		doc.CreditNote.Reason = string(*cn.Reason)
	}
	for _, l := range cn.Edges.Lines {
		dl := document.Line{Description: l.Description, Quantity: l.Quantity, UnitAmount: l.UnitAmount, Amount: l.Amount}
		dl.TaxRates = taxAmountLabels(l.TaxAmounts)
		doc.Lines = append(doc.Lines, dl)
	}
	for _, t := range cn.Taxes {
		doc.Taxes = append(doc.Taxes, document.TaxLine{
			Label: t.DisplayName, Percentage: t.Percentage, Taxable: t.TaxableAmount, Amount: t.Amount,
			Category: t.Category, ExemptionReason: t.ExemptionReason, ExemptionCode: t.ExemptionCode,
		})
	}
	return doc, nil
}

var creditNoteWords = map[string]map[string]string{
	"en": {
		"subject": "Credit note %s from %s", "hello": "Hello %s,",
		"body":     "Here is credit note %s from %s for %s, which corrects invoice %s.",
		"pre":      "%s was deducted from what invoice %s still owed.",
		"refund":   "%s will be refunded to your payment method.",
		"credit":   "%s was added to your account balance and will be deducted from your next invoice.",
		"oob":      "%s was refunded to you by other means.",
		"link":     "View the invoice and its credit notes:",
		"attached": "The credit note is attached as a PDF.", "thanks": "Thank you for your business.",
	},
	"fr": {
		"subject": "Avoir %s de %s", "hello": "Bonjour %s,",
		"body":     "Voici l'avoir %s de %s d'un montant de %s, qui rectifie la facture %s.",
		"pre":      "%s ont été déduits de ce qui restait dû sur la facture %s.",
		"refund":   "%s vous seront remboursés sur votre moyen de paiement.",
		"credit":   "%s ont été portés au crédit de votre compte et seront déduits de votre prochaine facture.",
		"oob":      "%s vous ont été remboursés par un autre moyen.",
		"link":     "Consulter la facture et ses avoirs :",
		"attached": "L'avoir est joint en PDF.", "thanks": "Merci de votre confiance.",
	},
	"de": {
		"subject": "Gutschrift %s von %s", "hello": "Guten Tag %s,",
		"body":     "anbei erhalten Sie die Gutschrift %s von %s über %s, die die Rechnung %s korrigiert.",
		"pre":      "%s wurden vom offenen Betrag der Rechnung %s abgezogen.",
		"refund":   "%s werden auf Ihr Zahlungsmittel erstattet.",
		"credit":   "%s wurden Ihrem Kundenkonto gutgeschrieben und werden von Ihrer nächsten Rechnung abgezogen.",
		"oob":      "%s wurden Ihnen auf anderem Weg erstattet.",
		"link":     "Rechnung und Gutschriften ansehen:",
		"attached": "Die Gutschrift ist als PDF beigefügt.", "thanks": "Vielen Dank für Ihren Auftrag.",
	},
}

var creditNoteHTML = htmltemplate.Must(htmltemplate.New("credit_note").Parse(`<!doctype html>
<html lang="{{.Lang}}"><body style="font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;line-height:1.5">
<div style="border-top:4px solid {{.Brand}};padding-top:1em">
<p style="font-size:1.2em;font-weight:600;color:{{.Brand}}">{{.Seller}}</p>
<p>{{.Hello}}</p>
{{range .Body}}<p>{{.}}</p>
{{end}}{{if .Link}}<p><a href="{{.Link}}" style="display:inline-block;padding:.6em 1em;background:{{.Brand}};color:{{.OnBrand}};border-radius:6px;text-decoration:none">{{.LinkLabel}}</a></p>{{end}}
<p>{{.Attached}}</p>
<p>{{.Thanks}}<br>{{.Seller}}</p>
</div>
</body></html>`))

// creditNoteRecipient is where the email of a credit note of inv goes:
// the customer's email, or "" for no email. want is the caller's choice:
// nil sends when the customer has an email, true requires one, false sends
// nothing.
func creditNoteRecipient(inv *ent.Invoice, want *bool) (string, error) {
	if want != nil && !*want {
		return "", nil
	}
	to := ""
	if inv.CustomerSnapshot != nil {
		to = strings.TrimSpace(inv.CustomerSnapshot.Email)
	}
	if to == "" && want != nil {
		return "", usererr.New(usererr.Required, "the invoice's customer has no email address: give email: false", "email")
	}
	return to, nil
}

// emailCreditNote queues, in tx, the email of credit note cn (its lines
// loaded) to to, with its PDF.
func (s *Service) emailCreditNote(ctx context.Context, tx *ent.Tx, acct *ent.Account, inv *ent.Invoice, cn *ent.CreditNote, to string) error {
	doc, err := creditNoteDocument(ctx, tx.Client(), acct, inv, cn)
	if err != nil {
		return err
	}
	pdf, err := s.renderCreditNote(ctx, tx.Client(), inv, cn, doc)
	if err != nil {
		return err
	}
	msg := composeCreditNoteEmail(ctx, inv, cn, doc, s.mailing)
	msg.To = []string{to}
	msg.Attachments = []mail.Attachment{{Name: cn.Number + ".pdf", ContentType: "application/pdf", Data: pdf}}
	_, err = s.outbox.Enqueue(ctx, tx, msg)
	return err
}

// composeCreditNoteEmail writes a credit note's email in its document's
// language, without recipients or attachment.
func composeCreditNoteEmail(ctx context.Context, inv *ent.Invoice, cn *ent.CreditNote, doc document.Invoice, m Mailing) outbox.Message {
	lang := emailLang(doc)
	w := creditNoteWords[lang]
	f := func(minor int64) string { return money.Format(minor, cn.Currency, lang) }
	number := deref(inv.Number)
	body := []string{fmt.Sprintf(w["body"], cn.Number, doc.Seller.Name, f(cn.Total), number)}
	if cn.PrePaymentAmount > 0 {
		body = append(body, fmt.Sprintf(w["pre"], f(cn.PrePaymentAmount), number))
	}
	for _, p := range []struct {
		key   string
		minor int64
	}{{"refund", cn.RefundAmount}, {"credit", cn.CreditAmount}, {"oob", cn.OutOfBandAmount}} {
		if p.minor > 0 {
			body = append(body, fmt.Sprintf(w[p.key], f(p.minor)))
		}
	}
	link := ""
	if inv.HostedToken != nil && inv.HostedTokenExpiresAt != nil && clock.Now(ctx).Before(*inv.HostedTokenExpiresAt) {
		link = m.hostedLink(inv)
	}
	hello := fmt.Sprintf(w["hello"], doc.Buyer.Name)
	text := hello + "\n\n" + strings.Join(body, "\n") + "\n\n"
	if link != "" {
		text += w["link"] + "\n" + link + "\n\n"
	}
	text += w["attached"] + "\n\n" + w["thanks"] + "\n" + doc.Seller.Name + "\n"
	brand := document.BrandColors(doc.Branding)
	var html bytes.Buffer
	_ = creditNoteHTML.Execute(&html, map[string]any{
		"Brand": htmltemplate.CSS(brand.Brand), "OnBrand": htmltemplate.CSS(brand.OnBrand),
		"Lang": lang, "Hello": hello, "Body": body, "Link": link,
		"LinkLabel": strings.TrimSuffix(strings.TrimSuffix(w["link"], ":"), " :"),
		"Attached":  w["attached"], "Thanks": w["thanks"], "Seller": doc.Seller.Name,
	})
	msg := outbox.Message{
		Kind:      "credit_note",
		InvoiceID: inv.ID,
		From:      mail.Address{Name: doc.Seller.Name, Email: m.From},
		Subject:   fmt.Sprintf(w["subject"], cn.Number, doc.Seller.Name),
		Text:      text,
		HTML:      html.String(),
	}
	if reply := doc.Seller.Email; reply != "" && validate.Email(reply) == nil {
		msg.ReplyTo = reply
	}
	return msg
}
