package graph

import (
	"github.com/remitbilling/remit/graph/model"
	"github.com/remitbilling/remit/internal/billing"
)

// creditNoteInput maps creditNoteCreate's (and creditNotePreview's) input.
func creditNoteInput(in model.CreditNoteCreateInput) billing.CreditNoteInput {
	out := billing.CreditNoteInput{
		InvoiceID: in.Invoice, Amount: in.Amount, Reason: in.Reason, Memo: in.Memo,
		RefundAmount: in.RefundAmount, CreditAmount: in.CreditAmount, OutOfBandAmount: in.OutOfBandAmount,
		Email: in.Email, Metadata: in.Metadata,
	}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, billing.CreditNoteLineInput{
			InvoiceLineID: l.InvoiceLine, Quantity: l.Quantity, Amount: l.Amount,
			Description: l.Description, UnitAmount: l.UnitAmount,
			TaxRateIDs: l.TaxRates, SetTaxRates: l.TaxRates != nil,
		})
	}
	return out
}

// nonEmpty is s, or null when empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
