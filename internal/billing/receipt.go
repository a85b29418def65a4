package billing

import (
	"context"

	"github.com/remitbilling/remit/ent"
)

// enqueueReceipt queues the receipt of the succeeded payment p of inv
// (the invoice as the payment left it), in the transaction that records
// the payment. Filled in by the receipts change.
func (s *Service) enqueueReceipt(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, p *ent.Payment) error {
	return nil
}
