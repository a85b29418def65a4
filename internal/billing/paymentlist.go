package billing

import (
	"cmp"
	"context"
	"slices"

	"github.com/remitbilling/remit/ent"
)

// InvoicePayments returns the payments of inv in the order they were made
// (InPaymentOrder): those loaded with inv when a list asked for them
// (entgql field collection), else one query.
func InvoicePayments(ctx context.Context, inv *ent.Invoice) ([]*ent.Payment, error) {
	ps, err := inv.Payments(ctx)
	if err != nil {
		return nil, err
	}
	return InPaymentOrder(ps), nil
}

// InPaymentOrder sorts payments the way every view lists an invoice's
// payments: oldest first, by creation time then id. Edge loading does not
// order, so the order is set here rather than in each query.
func InPaymentOrder(ps []*ent.Payment) []*ent.Payment {
	slices.SortStableFunc(ps, func(a, b *ent.Payment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return ps
}
