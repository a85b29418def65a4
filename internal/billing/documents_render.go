package billing

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// Kinds of documents an email can name for rendering at delivery
// (outbox.Message.Render).
const (
	DocumentInvoice = "invoice" // ID: the invoice
	DocumentReceipt = "receipt" // ID: the payment
)

// RenderDocument renders a document an email names, for the email worker
// (worker.DocumentRenderer): an invoice's PDF as it now stands, or the
// receipt of a succeeded payment. ctx carries the viewer of the email's
// account and mode.
func (s *Service) RenderDocument(ctx context.Context, ref values.DocumentRef) (mail.Attachment, error) {
	switch ref.Kind {
	case DocumentInvoice:
		inv, doc, err := s.document(ctx, ref.ID)
		if err != nil {
			return mail.Attachment{}, err
		}
		return s.invoiceAttachment(ctx, s.db, inv, doc)
	case DocumentReceipt:
		rc, err := s.receipt(ctx, ref.ID)
		if err != nil {
			return mail.Attachment{}, err
		}
		pdf, err := document.RenderReceipt(ctx, rc)
		if err != nil {
			return mail.Attachment{}, fmt.Errorf("render receipt pdf: %w", err)
		}
		return mail.Attachment{Name: receiptFileName[words.Lang(rc.Locale)] + rc.Number + ".pdf", ContentType: "application/pdf", Data: pdf}, nil
	}
	return mail.Attachment{}, fmt.Errorf("no document of kind %q", ref.Kind)
}

// invoiceAttachment is the PDF of inv (read through db), whose document
// is doc, as an email attaches it.
func (s *Service) invoiceAttachment(ctx context.Context, db *ent.Client, inv *ent.Invoice, doc document.Invoice) (mail.Attachment, error) {
	pdf, err := s.renderInvoice(ctx, db, inv, doc)
	if err != nil {
		return mail.Attachment{}, err
	}
	return mail.Attachment{Name: doc.Number + ".pdf", ContentType: "application/pdf", Data: pdf}, nil
}

var receiptFileName = map[string]string{"en": "receipt-", "fr": "recu-", "de": "zahlungsbestaetigung-"}

// receipt assembles the receipt of the succeeded payment id.
//
// Its number is the payment's id. Receipts need no series of their own
// (unlike invoices, no law asks them to be numbered without gaps), and a
// rank among the invoice's payments would be computed when the receipt is
// rendered: a debit settling after a later card payment, or money
// recorded outside Remit with an earlier date, would give two receipts
// one number. The id never changes, and it is what the merchant's API
// and pages show for the payment.
//
// The seller, buyer, language, page size and branding are the invoice
// document's. What was paid to date counts the payments that succeeded
// up to this one (in the order they succeeded), so a receipt rendered
// after a later payment still reads as of its own.
func (s *Service) receipt(ctx context.Context, id string) (document.Receipt, error) {
	p, err := s.db.Payment.Query().Where(payment.ID(id)).WithPaymentMethod().Only(ctx)
	if ent.IsNotFound(err) {
		return document.Receipt{}, usererr.New(usererr.NotFound, "no such payment", "id")
	}
	if err != nil {
		return document.Receipt{}, fmt.Errorf("load payment: %w", err)
	}
	if p.Status != payment.StatusSucceeded {
		return document.Receipt{}, fmt.Errorf("payment %s is %s: only a succeeded payment has a receipt", p.ID, p.Status)
	}
	inv, doc, err := s.document(ctx, p.InvoiceID)
	if err != nil {
		return document.Receipt{}, err
	}
	later, err := s.db.Payment.Query().
		Where(payment.InvoiceID(inv.ID), payment.StatusEQ(payment.StatusSucceeded), payment.IDNEQ(p.ID)).
		All(ctx)
	if err != nil {
		return document.Receipt{}, fmt.Errorf("load payments: %w", err)
	}
	paid := inv.AmountPaid
	for _, o := range later {
		if succeededAfter(o, p) {
			paid -= o.Amount
		}
	}
	return document.Receipt{
		Number:        p.ID,
		InvoiceNumber: doc.Number,
		PaidAt:        paidAt(p),
		Currency:      p.Currency,
		Locale:        doc.Locale,
		PageSize:      doc.PageSize,
		Seller:        doc.Seller,
		Buyer:         doc.Buyer,
		Amount:        p.Amount,
		Method:        methodOf(p, p.Edges.PaymentMethod),
		AmountDue:     inv.AmountDue,
		PaidToDate:    paid,
		Remaining:     inv.AmountDue - paid,
		Branding:      doc.Branding,
	}, nil
}

// paidAt is when p succeeded (money recorded outside Remit: when it was
// received).
func paidAt(p *ent.Payment) time.Time {
	if p.SucceededAt != nil {
		return *p.SucceededAt
	}
	return p.CreatedAt
}

// succeededAfter orders succeeded payments as the money came.
func succeededAfter(a, b *ent.Payment) bool {
	return cmp.Or(paidAt(a).Compare(paidAt(b)), cmp.Compare(a.ID, b.ID)) > 0
}

// methodOf is how p was paid, with its saved method pm (nil for money
// recorded outside Remit).
func methodOf(p *ent.Payment, pm *ent.PaymentMethod) document.PaymentMethod {
	m := document.PaymentMethod{Type: string(p.MethodType), OutOfBand: p.OutOfBandMethod, Reference: p.Reference}
	if pm != nil {
		m.Brand, m.Last4 = pm.Brand, pm.Last4
	}
	return m
}
