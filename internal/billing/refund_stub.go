package billing

// ─── TEMPORARY: DELETE THIS FILE WHEN MERGING THE REFUND BRANCH ───────────
//
// Credit notes (creditnote*.go) call the refund work's API, which lives on
// another branch of issue 13. Until it is merged, this file declares
// exactly that API with a refusal in place of refunds, so credit notes
// build and work without refunds. The integrator deletes this file and
// writes refundedApart (below) over the refunds table.

import (
	"context"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/usererr"
)

// RefundRequest asks for Amount of an invoice's payments back (all of
// PaymentID's when set), for a credit note when CreditNoteID is set.
// Field names the input field errors are reported at.
type RefundRequest struct {
	InvoiceID, PaymentID        string
	Amount                      int64
	Reason, CreditNoteID, Field string
}

// ReserveRefunds writes, inside the caller's transaction (ctx from
// dbtx.RunContext), PENDING refunds and their events, and returns their
// ids; *usererr.Error REFUND_EXCEEDS_PAYMENT at Field when the payments
// cannot cover Amount.
//
// STUB: refunds are not available in this branch.
func (s *Service) ReserveRefunds(ctx context.Context, req RefundRequest) ([]string, error) {
	if req.Amount > 0 {
		return nil, usererr.New(usererr.RefundUnavailable, "refunds are not available yet: give the amount as creditAmount or outOfBandAmount", req.Field)
	}
	return nil, nil
}

// ExecuteRefunds calls the processor for reserved refunds and records the
// outcomes, after the reserving transaction committed.
//
// STUB: nothing to execute.
func (s *Service) ExecuteRefunds(ctx context.Context, ids []string) error { return nil }

// refundedApart is what refunds made outside credit notes (paymentRefund)
// took back of invoice id: a credit note can never credit it again. Read
// in the caller's transaction, under the invoice's lock.
//
// STUB: no refunds exist in this branch. Deleting this file deletes it
// too, on purpose: the build then fails where credit notes need it, and the
// integrator writes it with the refunds table (the invoice's refunds not
// made by a credit note — credit_note_id null — that are pending or
// succeeded).
func refundedApart(ctx context.Context, db *ent.Client, invoiceID string) (int64, error) {
	return 0, nil
}
