package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// French B2B invoices must state the late-payment penalty and the fixed
// recovery indemnity (C. com. L441-10, D441-5); until invoice templates
// make them configurable, French sellers get the legal defaults.
const (
	frLatePenalty       = "trois fois le taux d'intérêt légal"
	frRecoveryIndemnity = "40 €"
)

// Document assembles what the PDF of an invoice prints. An issued invoice
// prints the seller and buyer it froze at finalization; a draft previews
// with the current ones.
func (s *Service) Document(ctx context.Context, id string) (document.Invoice, error) {
	_, doc, err := s.document(ctx, id)
	return doc, err
}

// document loads an invoice with its lines and assembles its document.
func (s *Service) document(ctx context.Context, id string) (*ent.Invoice, document.Invoice, error) {
	inv, err := s.db.Invoice.Query().
		Where(invoice.ID(id)).
		WithLines(func(q *ent.InvoiceLineQuery) {
			q.Order(ent.Asc(invoiceline.FieldPosition)).WithTaxRates()
		}).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, document.Invoice{}, usererr.New(usererr.NotFound, "no such invoice", "id")
	}
	if err != nil {
		return nil, document.Invoice{}, fmt.Errorf("load invoice: %w", err)
	}
	seller, buyer := inv.IssuerSnapshot, inv.CustomerSnapshot
	if seller == nil || buyer == nil {
		v, _ := viewer.FromContext(ctx)
		acct, err := s.db.Account.Get(ctx, v.AccountID)
		if err != nil {
			return nil, document.Invoice{}, fmt.Errorf("load account: %w", err)
		}
		cus, err := s.db.Customer.Query().Where(customer.ID(inv.CustomerID)).Only(ctx)
		if err != nil {
			return nil, document.Invoice{}, fmt.Errorf("load customer: %w", err)
		}
		seller, buyer = issuerOf(acct), buyerOf(cus)
	}
	doc := document.Invoice{
		Number:            deref(inv.Number),
		Status:            string(inv.Status),
		Draft:             inv.Status == invoice.StatusDraft,
		Currency:          inv.Currency,
		Locale:            documentLocale(buyer, seller),
		Seller:            partyOf(seller),
		Buyer:             partyOf(buyer),
		BuyerTaxExempt:    buyer.TaxExempt,
		Subtotal:          inv.Subtotal,
		TotalExcludingTax: inv.TotalExcludingTax,
		TotalTax:          inv.TotalTax,
		Total:             inv.Total,
		Memo:              inv.Memo,
		Footer:            inv.Footer,
	}
	if inv.FinalizedAt != nil {
		doc.IssueDate, doc.CreationDate = *inv.FinalizedAt, *inv.FinalizedAt
	} else {
		doc.CreationDate = inv.UpdatedAt
	}
	if inv.DueDate != nil {
		doc.DueDate = *inv.DueDate
	}
	// Credit applied from the customer's balance reads as already paid.
	doc.AmountPaid = inv.AmountPaid - min(inv.AppliedBalance, 0)
	doc.AmountDue = AmountRemaining(inv)
	for _, f := range inv.CustomFields {
		doc.CustomFields = append(doc.CustomFields, document.CustomField{Name: f.Name, Value: f.Value})
	}
	for _, l := range inv.Edges.Lines {
		dl := document.Line{
			Description: l.Description,
			Quantity:    l.Quantity,
			UnitAmount:  l.UnitAmount,
			Amount:      l.Amount - l.DiscountAmount,
		}
		for _, t := range l.Edges.TaxRates {
			dl.TaxRates = append(dl.TaxRates, t.Percentage+" %")
		}
		if l.PeriodStart != nil && l.PeriodEnd != nil {
			dl.PeriodStart, dl.PeriodEnd = *l.PeriodStart, *l.PeriodEnd
		}
		doc.Discount += l.InvoiceDiscountAmount
		doc.Lines = append(doc.Lines, dl)
	}
	for _, t := range inv.Taxes {
		doc.Taxes = append(doc.Taxes, document.TaxLine{Label: t.DisplayName, Percentage: t.Percentage, Taxable: t.TaxableAmount, Amount: t.Amount})
	}
	if inv.DaysUntilDue != nil && *inv.DaysUntilDue > 0 {
		if strings.HasPrefix(doc.Locale, "fr") {
			doc.PaymentTerms = fmt.Sprintf("Paiement à %d jours", *inv.DaysUntilDue)
		} else {
			doc.PaymentTerms = fmt.Sprintf("Payment due within %d days", *inv.DaysUntilDue)
		}
	}
	if sellerCountry(seller) == "FR" {
		doc.LatePaymentPenalty, doc.RecoveryIndemnity = frLatePenalty, frRecoveryIndemnity
	}
	return inv, doc, nil
}

// documentLocale prints in the buyer's preferred language, else in the
// seller's country's.
func documentLocale(buyer, seller *values.Party) string {
	if len(buyer.Locales) > 0 {
		return buyer.Locales[0]
	}
	if sellerCountry(seller) == "FR" {
		return "fr"
	}
	return "en"
}

func sellerCountry(p *values.Party) string {
	if p.Address != nil {
		return p.Address.Country
	}
	return ""
}

func partyOf(p *values.Party) document.Party {
	out := document.Party{
		Name: p.Name, LegalName: p.LegalName, Email: p.Email, Phone: p.Phone,
		SIREN: p.SIREN, SIRET: p.SIRET, VATNumber: p.VATNumber,
	}
	if a := p.Address; a != nil {
		for _, l := range []string{a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.State} {
			if l != "" {
				out.Address = append(out.Address, l)
			}
		}
		out.Country = a.Country
	}
	for _, t := range p.TaxIDs {
		if t.Type == "eu_vat" && out.VATNumber == "" {
			out.VATNumber = t.Value
			continue
		}
		out.TaxIDs = append(out.TaxIDs, document.TaxID{Label: taxIDLabel(t.Type), Value: t.Value})
	}
	return out
}

func taxIDLabel(typ string) string {
	switch typ {
	case "fr_siren":
		return "SIREN"
	case "fr_siret":
		return "SIRET"
	case "eu_vat":
		return "VAT"
	}
	return strings.ToUpper(strings.ReplaceAll(typ, "_", " "))
}
