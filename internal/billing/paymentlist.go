package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/refund"
)

// InvoicePayments returns the payments of inv the way every view lists
// them: oldest first, by creation time then id. They are those loaded with
// inv when a list asked for them (entgql field collection), else one query;
// edge loading does not order, so the order is set here rather than in
// each query.
func InvoicePayments(ctx context.Context, inv *ent.Invoice) ([]*ent.Payment, error) {
	ps, err := inv.Payments(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ps, func(a, b *ent.Payment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return ps, nil
}

// InvoiceRefunds returns the refunds of inv's payments, oldest first.
func InvoiceRefunds(ctx context.Context, inv *ent.Invoice) ([]*ent.Refund, error) {
	rs, err := inv.QueryPayments().QueryRefunds().Order(ent.Asc(refund.FieldCreatedAt), ent.Asc(refund.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list refunds of invoice %s: %w", inv.ID, err)
	}
	return rs, nil
}

// PaymentRefunds returns the refunds of p, oldest first.
func PaymentRefunds(ctx context.Context, p *ent.Payment) ([]*ent.Refund, error) {
	rs, err := p.QueryRefunds().Order(ent.Asc(refund.FieldCreatedAt), ent.Asc(refund.FieldID)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	return rs, nil
}

// CreditNoteRefunds returns the refunds credit note cn asked for, oldest
// first.
func CreditNoteRefunds(ctx context.Context, db *ent.Client, cn *ent.CreditNote) ([]*ent.Refund, error) {
	rs, err := db.Refund.Query().
		Where(refund.InvoiceID(cn.InvoiceID), refund.CreditNoteID(cn.ID)). // the invoice's index
		Order(ent.Asc(refund.FieldCreatedAt), ent.Asc(refund.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list refunds of credit note %s: %w", cn.ID, err)
	}
	return rs, nil
}

// AmountRefunded is what succeeded refunds gave back on payments ps.
func AmountRefunded(ps []*ent.Payment) int64 {
	var n int64
	for _, p := range ps {
		n += p.AmountRefunded
	}
	return n
}
