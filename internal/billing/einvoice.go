package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/einvoice"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
	"github.com/shopspring/decimal"
)

// EInvoice is the EN 16931 e-invoice of an issued invoice, built only
// from what finalization froze (seller, buyer, terms, lines, taxes,
// totals), through the same document the PDF prints, so the XML and the
// PDF say the same. A draft has none.
func (s *Service) EInvoice(ctx context.Context, id string) (einvoice.Document, error) {
	return eInvoiceFrom(ctx, s.db, id)
}

// eInvoiceFrom is EInvoice read through db (a transaction's client while
// the invoice is being issued).
func eInvoiceFrom(ctx context.Context, db *ent.Client, id string) (einvoice.Document, error) {
	inv, doc, err := documentFrom(ctx, db, id)
	if err != nil {
		return einvoice.Document{}, err
	}
	v, _ := viewer.FromContext(ctx)
	acct, err := db.Account.Get(ctx, v.AccountID)
	if err != nil {
		return einvoice.Document{}, fmt.Errorf("load account: %w", err)
	}
	return eInvoiceOf(ctx, db, acct, inv, doc)
}

// eInvoiceOf is the e-invoice of inv (read through db with its lines and
// their tax rates) whose printed document is doc: what the PDF prints,
// said in EN 16931's terms.
func eInvoiceOf(ctx context.Context, db *ent.Client, acct *ent.Account, inv *ent.Invoice, doc document.Invoice) (einvoice.Document, error) {
	if inv.Status == invoice.StatusDraft || inv.IssuerSnapshot == nil || inv.CustomerSnapshot == nil {
		return einvoice.Document{}, usererr.New(usererr.InvalidTransition, "a draft has no e-invoice: finalize it first", "id")
	}
	e := einvoice.Document{
		Type: einvoice.Invoice, Number: doc.Number, IssueDate: doc.IssueDate, DueDate: doc.DueDate, Currency: inv.Currency,
		Seller: eParty(inv.IssuerSnapshot), Buyer: eParty(inv.CustomerSnapshot),
		PaymentTerms: doc.PaymentTerms,
		Notes:        paymentNotes(doc),
	}
	if doc.Replaces != "" {
		orig, err := db.Invoice.Query().Where(invoice.ID(*inv.FromInvoiceID)).Select(invoice.FieldFinalizedAt).Only(ctx)
		if err != nil {
			return einvoice.Document{}, fmt.Errorf("load revised invoice: %w", err)
		}
		e.Type = einvoice.Corrective
		ref := einvoice.Reference{Number: doc.Replaces}
		if orig.FinalizedAt != nil {
			ref.Date = *orig.FinalizedAt
		}
		e.Preceding = []einvoice.Reference{ref}
	}
	if ref := inv.CreditorReference(); ref != nil {
		e.RemittanceInfo = *ref
	}
	if b := doc.BankTransfer; b != nil {
		e.Payment = append(e.Payment, einvoice.PaymentMeans{
			Code: einvoice.MeansSEPACreditTransfer, IBAN: strings.ReplaceAll(b.IBAN, " ", ""), BIC: b.BIC, AccountName: b.Beneficiary,
		})
	}
	// EN 16931 allows one payment means code per document (CII-SR-467,
	// UBL-SR-47): the direct debit an automatic charge is made under, else
	// the transfer details when there are, else the card.
	if dd := inv.Terms.DirectDebit; dd != nil {
		e.Payment = []einvoice.PaymentMeans{{Code: einvoice.MeansSEPADirectDebit}}
		e.MandateReference = dd.MandateReference
	}
	if len(e.Payment) == 0 && slices.Contains(AcceptedMethodTypes(acct, inv), "CARD") {
		e.Payment = append(e.Payment, einvoice.PaymentMeans{Code: einvoice.MeansBankCard})
	}
	delivery(&e, inv.CustomerSnapshot)
	frenchMentions(&e, acct, inv)

	var lines []eLine
	for _, l := range inv.Edges.Lines {
		el := eLine{name: l.Description, quantity: l.Quantity, unit: l.UnitAmount, net: l.Amount - l.DiscountAmount,
			lineDiscount: l.DiscountAmount, share: l.InvoiceDiscountAmount, taxes: l.TaxAmounts}
		if l.PeriodStart != nil && l.PeriodEnd != nil {
			el.period = &einvoice.Period{Start: *l.PeriodStart, End: *l.PeriodEnd}
		}
		lines = append(lines, el)
	}
	if err := fill(&e, lines, inv.Taxes, doc.Locale, inv.TotalExcludingTax, inv.TotalTax, inv.Total); err != nil {
		return einvoice.Document{}, err
	}
	// Credit from the customer's balance at finalization was paid before
	// the invoice (a debit, negative, was added to it). Later payments and
	// credit notes are not the invoice's: it stays the one first sent.
	e.Totals.Prepaid = -inv.AppliedBalance
	e.Totals.Due = inv.Total + inv.AppliedBalance
	return e, checked(e)
}

// CreditNoteEInvoice is the e-invoice of a credit note (type 381): the
// seller and buyer its invoice froze, its lines and taxes, and the
// invoice it credits (BG-3).
func (s *Service) CreditNoteEInvoice(ctx context.Context, id string) (einvoice.Document, error) {
	return creditNoteEInvoiceFrom(ctx, s.db, id)
}

// creditNoteEInvoiceFrom is CreditNoteEInvoice read through db.
func creditNoteEInvoiceFrom(ctx context.Context, db *ent.Client, id string) (einvoice.Document, error) {
	cn, err := db.CreditNote.Query().Where(creditnote.ID(id)).
		WithLines(func(q *ent.CreditNoteLineQuery) { q.Order(ent.Asc(creditnoteline.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return einvoice.Document{}, usererr.New(usererr.NotFound, "no such credit note", "id")
	}
	if err != nil {
		return einvoice.Document{}, fmt.Errorf("load credit note: %w", err)
	}
	inv, err := db.Invoice.Query().Where(invoice.ID(cn.InvoiceID)).Only(ctx)
	if err != nil {
		return einvoice.Document{}, fmt.Errorf("load invoice: %w", err)
	}
	v, _ := viewer.FromContext(ctx)
	acct, err := db.Account.Get(ctx, v.AccountID)
	if err != nil {
		return einvoice.Document{}, fmt.Errorf("load account: %w", err)
	}
	doc, err := creditNoteDocument(ctx, db, acct, inv, cn)
	if err != nil {
		return einvoice.Document{}, err
	}
	e := einvoice.Document{
		Type: einvoice.CreditNote, Number: doc.Number, IssueDate: doc.IssueDate, Currency: cn.Currency,
		Seller: eParty(inv.IssuerSnapshot), Buyer: eParty(inv.CustomerSnapshot),
		Preceding: []einvoice.Reference{{Number: doc.CreditNote.InvoiceNumber, Date: doc.CreditNote.InvoiceDate}},
	}
	if cn.Memo != "" {
		e.Notes = append(e.Notes, einvoice.Note{Text: cn.Memo})
	}
	// What the invoice sold and the payment mentions it carried hold for
	// its credit note too (BR-FR-08, BR-FR-05).
	if c := inv.OperationCategory; c != nil {
		e.OperationCategory = operationCodes[*c]
	}
	e.VATOnDebits = inv.Terms.VATOnDebits
	mentions := doc
	mentions.LatePaymentPenalty, mentions.RecoveryIndemnity, mentions.EarlyPaymentDiscount = inv.Terms.LatePaymentPenalty, inv.Terms.RecoveryIndemnity, inv.Terms.EarlyPaymentDiscount
	e.Notes = append(e.Notes, paymentNotes(mentions)...)
	delivery(&e, inv.CustomerSnapshot)
	// A line credited keeps the service period of the invoice line it
	// credits (an intra-community supply needs one, BR-IC-11).
	invLines, err := db.InvoiceLine.Query().Where(invoiceline.InvoiceID(inv.ID)).All(ctx)
	if err != nil {
		return einvoice.Document{}, fmt.Errorf("load invoice lines: %w", err)
	}
	periods := map[string]*einvoice.Period{}
	for _, l := range invLines {
		if l.PeriodStart != nil && l.PeriodEnd != nil {
			periods[l.ID] = &einvoice.Period{Start: *l.PeriodStart, End: *l.PeriodEnd}
		}
	}
	var lines []eLine
	for _, l := range cn.Edges.Lines {
		// A credit by amount has no quantity: one unit of what it credits.
		el := eLine{name: l.Description, quantity: l.Quantity, unit: l.UnitAmount, net: l.Amount, share: l.DiscountAmount, taxes: l.TaxAmounts}
		if l.InvoiceLineID != nil {
			el.period = periods[*l.InvoiceLineID]
		}
		lines = append(lines, el)
	}
	if err := fill(&e, lines, cn.Taxes, doc.Locale, cn.TotalExcludingTax, cn.TotalTax, cn.Total); err != nil {
		return einvoice.Document{}, err
	}
	e.Totals.Due = cn.Total
	return e, checked(e)
}

// eLine is an invoice or credit note line as the e-invoice needs it: its
// net after line discounts, its share of the invoice discount and its
// taxes, in minor units.
type eLine struct {
	name, quantity, unit string
	net, lineDiscount    int64
	share                int64
	taxes                []values.TaxAmount
	period               *einvoice.Period
}

// fill maps lines and the VAT breakdown to EN 16931. The invoice discount
// a line received becomes a document allowance of the line's VAT category
// and rate (BR-S-08 and its siblings group them so). A line priced VAT
// inclusive has the tax allocated to it taken out of its net, so that
// each group's lines less its allowances make its taxable amount.
func fill(e *einvoice.Document, lines []eLine, taxes []values.TaxAmount, locale string, exclusive, tax, total int64) error {
	type key struct{ cat, rate string }
	allowances := map[key]int64{}
	var order []key
	for i, l := range lines {
		if len(l.taxes) != 1 {
			return usererr.Newf(usererr.Invalid, []string{"lines", fmt.Sprint(i)},
				"line %d has %d taxes: an EN 16931 e-invoice line has exactly one VAT rate", i+1, len(l.taxes))
		}
		t := l.taxes[0]
		cat := string(totals.CategoryOr(totals.Category(t.Category), decimal.RequireFromString(orZeroPct(t.Percentage))))
		net := l.net
		if t.Inclusive {
			net -= t.Amount
		}
		qty := l.quantity
		if qty == "" {
			qty = "1"
		}
		el := einvoice.Line{ID: fmt.Sprint(i + 1), Name: l.name, Quantity: qty, NetAmount: net, Category: cat, Rate: t.Percentage, Period: l.period}
		if cat == string(totals.OutOfScope) {
			el.Rate = ""
		}
		switch {
		case !t.Inclusive && l.unit != "":
			el.NetPrice = l.unit
			if l.lineDiscount > 0 {
				el.Allowances = []einvoice.Allowance{{Amount: l.lineDiscount, Reason: discountWord(locale), ReasonCode: "95"}}
			}
		default:
			// No price of its own, or a gross one: the net price is what
			// the line nets per unit.
			q, err := decimal.NewFromString(qty)
			if err != nil || !q.IsPositive() {
				return fmt.Errorf("line %d: quantity %q", i+1, qty)
			}
			digits, _ := money.Digits(e.Currency)
			el.NetPrice = decimal.New(net, int32(-digits)).DivRound(q, 6).String()
		}
		e.Lines = append(e.Lines, el)
		if l.share != 0 {
			k := key{cat, el.Rate}
			if _, ok := allowances[k]; !ok {
				order = append(order, k)
			}
			allowances[k] += l.share
		}
		if l.period != nil {
			if e.Period == nil {
				e.Period = &einvoice.Period{Start: l.period.Start, End: l.period.End}
			}
			if l.period.Start.Before(e.Period.Start) {
				e.Period.Start = l.period.Start
			}
			if l.period.End.After(e.Period.End) {
				e.Period.End = l.period.End
			}
		}
		e.Totals.LineNet += net
	}
	for _, k := range order {
		e.Allowances = append(e.Allowances, einvoice.Allowance{
			Amount: allowances[k], Reason: discountWord(locale), ReasonCode: "95", Category: k.cat, Rate: k.rate,
		})
		e.Totals.Allowances += allowances[k]
	}
	for _, t := range taxes {
		cat := totals.CategoryOr(totals.Category(t.Category), decimal.RequireFromString(orZeroPct(t.Percentage)))
		v := einvoice.VATBreakdown{
			Category: string(cat), Rate: t.Percentage, Taxable: t.TaxableAmount, Tax: t.Amount,
			ExemptionReason: t.ExemptionReason, ExemptionCode: t.ExemptionCode, InclusivePrices: t.Inclusive,
		}
		if cat == totals.OutOfScope {
			v.Rate = ""
		}
		if cat.NeedsExemption() && v.ExemptionReason == "" && v.ExemptionCode == "" {
			v.ExemptionCode = cat.DefaultExemptionCode()
		}
		e.VAT = append(e.VAT, v)
	}
	e.Totals.TaxExclusive, e.Totals.Tax, e.Totals.TaxInclusive = exclusive, tax, total
	// Out of scope of VAT means no VAT identifier on either side (BR-O-02).
	for _, v := range e.VAT {
		if v.Category == string(totals.OutOfScope) {
			e.Seller.VATID, e.Buyer.VATID = "", ""
		}
	}
	return nil
}

// checked is nil when e is a valid EN 16931 document, else a user error
// naming what the invoice lacks.
func checked(e einvoice.Document) error {
	if err := e.Check(); err != nil {
		return usererr.New(usererr.Invalid, "this document cannot be an EN 16931 e-invoice: "+err.Error(), "id")
	}
	return nil
}

func orZeroPct(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

var discountWords = map[string]string{"en": "Discount", "fr": "Remise", "de": "Rabatt"}

func discountWord(locale string) string { return discountWords[words.Lang(locale)] }

// eParty is a frozen party as EN 16931 names it: the legal name, the
// trading name when it differs, the structured address and identifiers.
func eParty(p *values.Party) einvoice.Party {
	dp := partyOf(p) // the VAT number as the PDF prints it
	out := einvoice.Party{Name: p.Name, VATID: dp.VATNumber, Email: p.Email, SIREN: p.SIREN, SIRET: p.SIRET}
	if p.LegalName != "" && p.LegalName != p.Name {
		out.Name, out.TradingName = p.LegalName, p.Name
	}
	for _, t := range p.TaxIDs {
		if t.Type == validate.TaxIDFRSIRET && out.SIRET == "" {
			out.SIRET = t.Value
		}
	}
	out.SIREN = SIRENOf(out.SIREN, out.SIRET, p.TaxIDs)
	out.LegalInfo = legalInfo(p)
	if a := p.Address; a != nil {
		out.Address = eAddress(*a)
	}
	return out
}

func eAddress(a values.Address) einvoice.Address {
	out := einvoice.Address{City: a.City, PostCode: a.PostalCode, Subdivision: a.State, Country: a.Country}
	for _, l := range []string{a.Line1, a.Line2} {
		if l != "" {
			out.Lines = append(out.Lines, l)
		}
	}
	return out
}

// delivery is the buyer's shipping address frozen at finalization, as
// the deliver-to party (BG-13, BG-15).
// frenchMentions adds what the invoice says of its operation (BT-23, the
// delivery date BT-72, the invoicing period BG-14) and the buyer's
// purchase order (BT-13, from the custom field the account names).
func frenchMentions(e *einvoice.Document, acct *ent.Account, inv *ent.Invoice) {
	if c := inv.OperationCategory; c != nil {
		e.OperationCategory = operationCodes[*c]
	}
	e.VATOnDebits = inv.Terms.VATOnDebits
	if d := inv.SupplyDate; d != nil {
		if e.Delivery == nil {
			e.Delivery = &einvoice.Delivery{}
		}
		e.Delivery.Date = *d
	}
	if inv.ServicePeriodStart != nil && inv.ServicePeriodEnd != nil {
		e.Period = &einvoice.Period{Start: *inv.ServicePeriodStart, End: *inv.ServicePeriodEnd}
	}
	if name := acct.PurchaseOrderField; name != "" {
		for _, f := range inv.CustomFields {
			if strings.EqualFold(f.Name, name) {
				e.PurchaseOrder = f.Value
			}
		}
	}
}

// operationCodes are the French billing frames (BT-23) of what an
// invoice sells, for an invoice to be paid (B1 goods, S1 services, M1
// both).
var operationCodes = map[invoice.OperationCategory]string{
	invoice.OperationCategoryGoods: "B1", invoice.OperationCategoryServices: "S1", invoice.OperationCategoryMixed: "M1",
}

// legalInfo is a company's legal form, share capital and trade register
// entry as one text (BT-33), as the PDF's legal line prints them.
func legalInfo(p *values.Party) string {
	var parts []string
	for _, v := range []string{p.LegalForm, p.ShareCapital, p.Registration} {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

func delivery(e *einvoice.Document, buyer *values.Party) {
	if s := buyer.Shipping; s != nil && !s.Address.IsZero() {
		a := eAddress(s.Address)
		e.Delivery = &einvoice.Delivery{Name: s.Name, Address: &a}
	}
}

// paymentNoteWords are the payment mentions' wording per language:
// penalty and recovery take the rate and the indemnity; legalRate says,
// outside French, what the French legal default rate is.
var paymentNoteWords = map[string]struct{ penalty, recovery, noDiscount, legalRate string }{
	"fr": {"Tout retard de paiement entraîne des pénalités au taux de %s.",
		"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : %s.",
		"Pas d'escompte pour paiement anticipé.", ""},
	"de": {"Bei Zahlungsverzug werden Verzugszinsen fällig (Zinssatz: %s).",
		"Pauschale für Beitreibungskosten bei Zahlungsverzug: %s.",
		"Kein Skonto bei vorzeitiger Zahlung.", "das Dreifache des französischen gesetzlichen Zinssatzes"},
	"en": {"Late payment incurs penalties at %s.",
		"Fixed compensation for recovery costs in case of late payment: %s.",
		"No discount for early payment.", "three times the French legal interest rate"},
}

// paymentNotes are the French payment mentions the PDF prints, one note
// each with its subject code (BR-FR-05: PMD, PMT, AAB).
func paymentNotes(doc document.Invoice) []einvoice.Note {
	rate := strings.TrimSpace(doc.LatePaymentPenalty)
	if rate == "" {
		return nil
	}
	indemnity := strings.TrimSpace(doc.RecoveryIndemnity)
	if indemnity == "" {
		indemnity = frRecoveryIndemnity
	}
	w, ok := paymentNoteWords[words.Lang(doc.Locale)]
	if !ok {
		w = paymentNoteWords["en"]
	}
	if w.legalRate != "" && strings.EqualFold(rate, frLatePenalty) {
		rate = w.legalRate
	}
	early := strings.TrimSpace(doc.EarlyPaymentDiscount)
	if early == "" {
		early = w.noDiscount
	}
	return []einvoice.Note{
		{Subject: einvoice.SubjectPenalty, Text: fmt.Sprintf(w.penalty, rate)},
		{Subject: einvoice.SubjectRecovery, Text: fmt.Sprintf(w.recovery, indemnity)},
		{Subject: einvoice.SubjectDiscount, Text: early},
	}
}
