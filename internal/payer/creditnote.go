package payer

import (
	"context"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/payer/words"
)

// creditNotes lists inv's credit notes on v, with their PDFs' links.
func (s *Service) creditNotes(ctx context.Context, who Payer, inv *ent.Invoice, v *Invoice) error {
	list, err := billing.InvoiceCreditNotes(ctx, inv)
	if err != nil {
		return err
	}
	t := words.T(v.Lang)
	for _, cn := range list {
		row := CreditNote{
			Number: cn.Number, Date: words.Date(cn.CreatedAt, v.Lang), Amount: words.Money(cn.Total, cn.Currency, v.Lang),
			URL: who.creditNoteURL(cn.ID), Void: cn.Status == creditnote.StatusVoid,
		}
		if cn.Reason != nil {
			row.Reason = t["reason_"+string(*cn.Reason)]
		}
		v.CreditNotes = append(v.CreditNotes, row)
	}
	return nil
}
