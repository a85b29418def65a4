package billing

import (
	"cmp"
	"context"
	"slices"

	"github.com/remitbilling/remit/ent"
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
