package billing

import (
	"context"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
)

// retax makes a draft's totals those of its customer's tax status as it
// is at finalization. A draft is computed under the status its customer
// had when it last changed (the preview); when the status (or its reason
// or code) changed since, the totals are computed again and written with
// the finalization: the invoice's through u, each line's in one statement.
// This costs statements only then: the usual finalization reads no line.
// It returns the invoice's total and breakdown as issued.
func (s *Service) retax(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cus *ent.Customer, u *ent.InvoiceUpdate) (int64, []values.TaxAmount, bool, error) {
	ex := exemptionOf(cus)
	if sameExemption(inv.TaxExemption, ex) {
		return inv.Total, inv.Taxes, false, nil
	}
	st, err := s.loadState(ctx, tx, inv, nil, nil)
	if err != nil {
		return 0, nil, false, err
	}
	result, err := compute(st.header, st.lines, st.refs, ex)
	if err != nil {
		return 0, nil, false, err
	}
	setTotals(u.Mutation(), result)
	// Only the lines' tax shares depend on the buyer's status.
	for i, id := range st.ids {
		if err := tx.InvoiceLine.UpdateOneID(id).SetTaxAmounts(result.lines[i].taxes).Exec(ctx); err != nil {
			return 0, nil, false, fmt.Errorf("retax line %d: %w", i, err)
		}
	}
	return result.total, result.taxes, true, nil
}

// vatIDTypes are the tax ID types that are VAT numbers.
var vatIDTypes = []string{validate.TaxIDEUVAT, validate.TaxIDGBVAT, validate.TaxIDCHVAT, validate.TaxIDNOVAT}

// checkTaxIDs refuses to issue a reverse-charge (AE) or intra-community
// (K) invoice that does not name both parties' VAT numbers: EN 16931
// BR-AE-02 and BR-IC-02, CGI ann. II art. 242 nonies A 3° and 4°, and
// the buyer's is what makes the buyer liable for the VAT. Paths name the
// invoice's fields: its customer's tax IDs, its issuer's VAT number.
func checkTaxIDs(acct *ent.Account, cus *ent.Customer, taxes []values.TaxAmount) error {
	var cat totals.Category
	for _, t := range taxes {
		if c := totals.Category(t.Category); c == totals.ReverseCharge || (c == totals.IntraCommunity && cat == "") {
			cat = c
		}
	}
	if cat == "" {
		return nil
	}
	what := "a reverse-charge (autoliquidation) invoice"
	if cat == totals.IntraCommunity {
		what = "an intra-community supply of goods"
	}
	var errs usererr.List
	buyer := false
	for _, id := range cus.TaxIds {
		for _, t := range vatIDTypes {
			buyer = buyer || (id.Type == t && id.Value != "")
		}
	}
	if !buyer {
		errs = append(errs, usererr.Newf(usererr.TaxIDRequired, []string{"customer", "taxIds"},
			"%s names the buyer's VAT number: add one to the customer's taxIds (e.g. {type: \"eu_vat\", value: \"DE123456789\"}) before finalizing", what))
	}
	if acct.VatNumber == "" {
		errs = append(errs, usererr.Newf(usererr.TaxIDRequired, []string{"issuer", "vatNumber"},
			"%s names the seller's VAT number: set the account's vatNumber before finalizing", what))
	}
	return errs.Err()
}

// checkOutOfScope refuses to issue an invoice that mixes supplies outside
// the scope of VAT (category O) with any other VAT category: EN 16931
// BR-O-11 to BR-O-14 allow an O breakdown only alone, since an invoice
// outside the scope of VAT states no VAT at all. They go on two invoices.
func checkOutOfScope(taxes []values.TaxAmount) error {
	outside, other := false, ""
	for _, t := range taxes {
		switch c := totals.Category(t.Category); {
		case c == totals.OutOfScope:
			outside = true
		case c != "":
			other = t.Category
		}
	}
	if !outside || other == "" {
		return nil
	}
	return usererr.Newf(usererr.Invalid, []string{"lines"},
		"lines outside the scope of VAT (category O) cannot be invoiced with lines of VAT category %s (EN 16931 BR-O-11): issue them on a separate invoice", other)
}
