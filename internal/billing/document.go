package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/brandimage"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/locales"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// French B2B invoices must state the late-payment penalty and the fixed
// recovery indemnity (C. com. L441-10, D441-5): a French seller whose
// template leaves them empty prints the legal defaults.
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
	return documentFrom(ctx, s.db, id)
}

// documentFrom assembles an invoice's document from db, which may be a
// transaction's client: finalizing and sending at once renders the
// invoice as the transaction has just issued it.
func documentFrom(ctx context.Context, db *ent.Client, id string) (*ent.Invoice, document.Invoice, error) {
	inv, err := db.Invoice.Query().
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
	// The account gives the branding, which documents always print as it
	// is now; an issued invoice's identities and terms are its snapshots.
	v, _ := viewer.FromContext(ctx)
	acct, err := db.Account.Get(ctx, v.AccountID)
	if err != nil {
		return nil, document.Invoice{}, fmt.Errorf("load account: %w", err)
	}
	seller, buyer, terms := inv.IssuerSnapshot, inv.CustomerSnapshot, inv.Terms
	if seller == nil || buyer == nil {
		cus, err := db.Customer.Query().Where(customer.ID(inv.CustomerID)).Only(ctx)
		if err != nil {
			return nil, document.Invoice{}, fmt.Errorf("load customer: %w", err)
		}
		seller, buyer, terms = issuerOf(acct), buyerOf(cus), termsOf(acct, cus)
	}
	if sellerCountry(seller) == "FR" && terms.LatePaymentPenalty == "" {
		// Issued before templates existed: the legal defaults it printed.
		terms.LatePaymentPenalty, terms.RecoveryIndemnity = frLatePenalty, frRecoveryIndemnity
	}
	brand := document.Branding{BrandColor: acct.BrandColor, AccentColor: acct.AccentColor}
	logo, err := db.BrandImage.Query().Where(brandimage.KindEQ(brandimage.KindLogo)).Only(ctx)
	switch {
	case err == nil:
		brand.Logo, brand.LogoMIME = logo.Data, logo.ContentType
	case !ent.IsNotFound(err):
		return nil, document.Invoice{}, fmt.Errorf("load logo: %w", err)
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
		Branding:          brand,
		PageSize:          terms.PageSize,

		LatePaymentPenalty:   terms.LatePaymentPenalty,
		RecoveryIndemnity:    terms.RecoveryIndemnity,
		EarlyPaymentDiscount: terms.EarlyPaymentDiscount,
		VATOnDebits:          terms.VATOnDebits,
	}
	switch {
	case inv.OperationCategory != nil:
		doc.OperationNature = string(*inv.OperationCategory)
	case acct.OperationCategory != nil && inv.Status == invoice.StatusDraft:
		doc.OperationNature = string(*acct.OperationCategory)
	}
	if inv.SupplyDate != nil {
		doc.SupplyDate = *inv.SupplyDate
	}
	if inv.FromInvoiceID != nil {
		orig, err := db.Invoice.Query().Where(invoice.ID(*inv.FromInvoiceID)).Select(invoice.FieldNumber).Only(ctx)
		if err != nil {
			return nil, document.Invoice{}, fmt.Errorf("load revised invoice: %w", err)
		}
		doc.Replaces = deref(orig.Number)
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
	doc.CreditNotes = inv.PrePaymentCreditNotesAmount
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
			TaxRates:    lineRates(l),
		}
		if l.PeriodStart != nil && l.PeriodEnd != nil {
			dl.PeriodStart, dl.PeriodEnd = *l.PeriodStart, *l.PeriodEnd
		}
		doc.Discount += l.InvoiceDiscountAmount
		doc.Lines = append(doc.Lines, dl)
	}
	for _, t := range inv.Taxes {
		doc.Taxes = append(doc.Taxes, document.TaxLine{
			Label: t.DisplayName, Percentage: t.Percentage, Taxable: t.TaxableAmount, Amount: t.Amount,
			Category: t.Category, ExemptionReason: t.ExemptionReason, ExemptionCode: t.ExemptionCode,
		})
	}
	if s := buyer.Shipping; s != nil && !s.Address.IsZero() {
		doc.DeliveryAddress, doc.DeliveryCountry = deliveryLines(s), s.Address.Country
	}
	switch inv.Status {
	case invoice.StatusPaid:
		if doc.Paid, err = settlementOf(ctx, inv); err != nil {
			return nil, document.Invoice{}, err
		}
	case invoice.StatusOpen, invoice.StatusUncollectible:
		doc.NextInstallment = nextInstallment(inv, clock.Now(ctx))
	}
	if slices.Contains(AcceptedMethodTypes(acct, inv), "BANK_TRANSFER") {
		doc.PaymentInstructions = acct.BankTransferInstructions
	}
	doc.BankTransfer = BankTransferOf(acct, inv, clock.Now(ctx))
	if len(inv.AmountsDue) > 0 {
		doc.PaymentTerms = scheduleText(inv, doc.Locale, clock.Now(ctx))
	} else if inv.DaysUntilDue != nil && *inv.DaysUntilDue > 0 {
		doc.PaymentTerms = fmt.Sprintf(termsWords[words.Lang(doc.Locale)].within, *inv.DaysUntilDue)
	}
	return inv, doc, nil
}

// termsWords are the payment terms the PDF prints, per language.
var termsWords = map[string]struct{ within, head, paid, part, late, name string }{
	"en": {"Payment due within %d days", "Payment schedule:", "paid", "partly paid", "overdue", "Installment %d"},
	"fr": {"Paiement à %d jours", "Échéancier :", "réglée", "réglée en partie", "en retard", "Échéance %d"},
	"de": {"Zahlbar innerhalb von %d Tagen", "Zahlungsplan:", "bezahlt", "teilweise bezahlt", "überfällig", "Rate %d"},
}

// scheduleText prints a payment plan as payment terms: each installment,
// its due date and what is paid of it.
func scheduleText(inv *ent.Invoice, locale string, now time.Time) string {
	lang := words.Lang(locale)
	w := termsWords[lang]
	head, paid, part, late, name := w.head, w.paid, w.part, w.late, w.name
	lines := []string{head}
	for i, it := range Installments(inv, now) {
		d := it.Description
		if d == "" {
			d = fmt.Sprintf(name, i+1)
		}
		l := "– " + d + " : " + money.Format(it.Amount, inv.Currency, lang)
		if it.DueDate != nil {
			l += " — " + words.Date(*it.DueDate, lang)
		}
		switch it.Status {
		case InstallmentPaid:
			l += " (" + paid + ")"
		case InstallmentPartiallyPaid:
			l += " (" + part + " : " + money.Format(it.AmountPaid, inv.Currency, lang) + ")"
		case InstallmentOverdue:
			l += " (" + late + ")"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// lineRates is what a line's tax column prints: each rate as applied, its
// percentage, and for a category other than S its code ("0 % AE"), so
// that a reverse-charge line never reads as charged at the rate it would
// have had. A line computed before categories prints its rates.
func lineRates(l *ent.InvoiceLine) []string {
	var out []string
	if len(l.TaxAmounts) > 0 && l.TaxAmounts[0].Category != "" {
		return taxAmountLabels(l.TaxAmounts)
	}
	for _, t := range l.Edges.TaxRates {
		out = append(out, t.Percentage+" %")
	}
	return out
}

// taxAmountLabels are the rates a line was taxed at as the PDF prints
// them: "20 %", or "0 % AE" for a category other than standard.
func taxAmountLabels(taxes []values.TaxAmount) []string {
	out := make([]string, 0, len(taxes))
	for _, t := range taxes {
		s := t.Percentage + " %"
		if t.Category != "" && t.Category != string(totals.Standard) {
			s += " " + t.Category
		}
		out = append(out, s)
	}
	return out
}

// deliveryLines is the shipping address as the PDF prints it: the
// recipient, then the street lines (the country is printed apart).
func deliveryLines(s *values.Shipping) []string {
	a := s.Address
	var out []string
	for _, l := range []string{s.Name, a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.State} {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// settlementOf says when and how a paid invoice was paid: its succeeded
// payments' methods, credit from the customer's balance, and what the
// merchant recorded as received outside Remit.
func settlementOf(ctx context.Context, inv *ent.Invoice) (*document.Settlement, error) {
	s := &document.Settlement{}
	if inv.PaidAt != nil {
		s.At = *inv.PaidAt
	}
	if inv.AppliedBalance < 0 {
		s.Methods = append(s.Methods, "balance")
	}
	pays, err := InvoicePayments(ctx, inv)
	if err != nil {
		return nil, fmt.Errorf("load payments: %w", err)
	}
	for _, p := range pays {
		if p.Status != payment.StatusSucceeded {
			continue
		}
		// Money recorded outside Remit (invoiceRecordPayment) is said as the
		// seller recorded it, not as a way of paying through Remit.
		if p.MethodType == payment.MethodTypeOutOfBand {
			s.Recorded, s.Reference = p.OutOfBandMethod, p.Reference
			continue
		}
		if m := string(p.MethodType); !slices.Contains(s.Methods, m) {
			s.Methods = append(s.Methods, m)
		}
	}
	if o := inv.OutOfBandPayment; o != nil {
		s.Recorded, s.Reference = o.Method, o.Reference
	}
	return s, nil
}

// nextInstallment is the first installment of a plan not yet paid in
// full, with what remains of it; nil without a plan.
func nextInstallment(inv *ent.Invoice, now time.Time) *document.Installment {
	all := Installments(inv, now)
	for i, it := range all {
		if it.Status == InstallmentPaid {
			continue
		}
		out := &document.Installment{Number: i + 1, Of: len(all), Label: it.Description, Amount: it.Amount - it.AmountPaid}
		if it.DueDate != nil {
			out.DueDate = *it.DueDate
		}
		return out
	}
	return nil
}

// termsOf is the payment terms and page size an invoice of cus prints
// under the account's template, with the French legal defaults.
func termsOf(acct *ent.Account, cus *ent.Customer) values.InvoiceTerms {
	t := values.InvoiceTerms{
		PageSize:             string(acct.PageSize),
		LatePaymentPenalty:   acct.LatePaymentPenalty,
		RecoveryIndemnity:    acct.RecoveryIndemnity,
		EarlyPaymentDiscount: acct.EarlyPaymentDiscount,
		Bank:                 bankAccountOf(acct),
		VATOnDebits:          acct.VatOnDebits,
	}
	if p := cus.InvoiceSettings.PageSize; p != nil {
		t.PageSize = *p
	}
	if frenchSeller(acct) {
		if t.LatePaymentPenalty == "" {
			t.LatePaymentPenalty = frLatePenalty
		}
		if t.RecoveryIndemnity == "" {
			t.RecoveryIndemnity = frRecoveryIndemnity
		}
	}
	return t
}

// template is what a new draft for a customer starts with: the account's
// invoice template under the customer's overrides.
type template struct {
	memo, footer string
	daysUntilDue int
	customFields []values.CustomField
	autoSend     bool
}

func templateOf(acct *ent.Account, cus *ent.Customer) template {
	t := template{
		memo: acct.DefaultMemo, footer: acct.DefaultFooter, daysUntilDue: acct.DefaultDaysUntilDue,
		customFields: acct.DefaultCustomFields, autoSend: acct.AutoSend,
	}
	o := cus.InvoiceSettings
	if o.Memo != nil {
		t.memo = *o.Memo
	}
	if o.Footer != nil {
		t.footer = *o.Footer
	}
	if o.DaysUntilDue != nil {
		t.daysUntilDue = *o.DaysUntilDue
	}
	if o.CustomFieldsSet {
		t.customFields = o.CustomFields
	}
	if o.AutoSend != nil {
		t.autoSend = *o.AutoSend
	}
	return t
}

// documentLocale prints in the buyer's first preferred language Remit
// writes (the one the hosted page and the portal pick too), else in their
// first preference (English), else in the seller's country's.
func documentLocale(buyer, seller *values.Party) string {
	if l, ok := locales.Preferred(buyer.Locales); ok {
		return l
	}
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
		LegalForm: p.LegalForm, ShareCapital: p.ShareCapital, Registration: p.Registration,
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

// Letterhead is what a document addressed to a customer rather than
// about one invoice (a statement of account) prints at its head: the
// account's identity and branding as they are now, the customer's
// identity, and the language and page size its invoices would print in.
type Letterhead struct {
	Seller, Buyer document.Party
	Locale        string
	PageSize      string
	Branding      document.Branding
}

// CustomerLetterhead assembles customer id's letterhead from db, under
// the viewer's privacy rules (a portal customer reads its own).
func CustomerLetterhead(ctx context.Context, db *ent.Client, id string) (Letterhead, error) {
	cus, err := db.Customer.Query().Where(customer.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return Letterhead{}, usererr.New(usererr.NotFound, "no such customer", "customer")
	}
	if err != nil {
		return Letterhead{}, fmt.Errorf("load customer: %w", err)
	}
	v, _ := viewer.FromContext(ctx)
	acct, err := db.Account.Get(ctx, v.AccountID)
	if err != nil {
		return Letterhead{}, fmt.Errorf("load account: %w", err)
	}
	seller, buyer := issuerOf(acct), buyerOf(cus)
	brand := document.Branding{BrandColor: acct.BrandColor, AccentColor: acct.AccentColor}
	logo, err := db.BrandImage.Query().Where(brandimage.KindEQ(brandimage.KindLogo)).Only(ctx)
	switch {
	case err == nil:
		brand.Logo, brand.LogoMIME = logo.Data, logo.ContentType
	case !ent.IsNotFound(err):
		return Letterhead{}, fmt.Errorf("load logo: %w", err)
	}
	return Letterhead{
		Seller: partyOf(seller), Buyer: partyOf(buyer), Locale: documentLocale(buyer, seller),
		PageSize: termsOf(acct, cus).PageSize, Branding: brand,
	}, nil
}
