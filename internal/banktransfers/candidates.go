package banktransfers

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/billing"
)

// Suggestion is what the merchant could do with an unmatched transfer.
type Suggestion string

const (
	// Apply the transfer to the invoice (bankTransferApply).
	SuggestApply Suggestion = "APPLY"
	// Refund it: it pays an invoice that was voided or already paid, or is
	// in another currency.
	SuggestRefund Suggestion = "REFUND"
	// Keep it on the customer's cash balance (bankTransferApply with no
	// allocations and the customer).
	SuggestCashBalance Suggestion = "CASH_BALANCE"
)

// maxCandidates bounds the suggestions of one transfer.
const maxCandidates = 5

// Candidate is an invoice an unmatched transfer may be for, and what to do.
type Candidate struct {
	Invoice    *ent.Invoice
	Amount     int64
	Suggestion Suggestion
}

// Candidates suggests how to settle an unmatched transfer: the invoices it
// names (to refund, or keep on the cash balance, when they cannot take it),
// the open invoices of the customer who sent from its account before, and
// open invoices of any customer awaiting exactly its amount.
func (s *Service) Candidates(ctx context.Context, t *ent.BankTransfer) ([]Candidate, error) {
	if t.Status != banktransfer.StatusUnmatched {
		return nil, nil
	}
	var out []Candidate
	seen := map[string]bool{}
	add := func(inv *ent.Invoice, amount int64, sg Suggestion) {
		if len(out) < maxCandidates && !seen[inv.ID+string(sg)] {
			seen[inv.ID+string(sg)] = true
			out = append(out, Candidate{inv, amount, sg})
		}
	}
	db := s.db
	named, _, err := s.namedInvoices(ctx, db, t.Remittance, referenceBodies(t.Remittance))
	if err != nil {
		return nil, err
	}
	for _, inv := range named {
		switch {
		case inv.Currency != t.Currency || inv.Status == invoice.StatusVoid:
			add(inv, t.Amount, SuggestRefund)
		case billing.AmountAvailable(inv) <= 0:
			add(inv, t.Amount, SuggestCashBalance)
			add(inv, t.Amount, SuggestRefund)
		default:
			add(inv, min(t.Amount, billing.AmountAvailable(inv)), SuggestApply)
		}
	}
	sender, err := s.sender(ctx, db, t)
	if err != nil {
		return nil, err
	}
	if sender != "" {
		open, err := openInvoices(ctx, db, sender, t.Currency, maxCandidates)
		if err != nil {
			return nil, err
		}
		for _, inv := range open {
			add(inv, min(t.Amount, billing.AmountAvailable(inv)), SuggestApply)
		}
	}
	exact, err := db.Invoice.Query().
		Where(invoice.StatusIn(invoice.StatusOpen, invoice.StatusUncollectible), invoice.Currency(t.Currency), awaiting(t.Amount)).
		Order(invoice.ByDueDate(), invoice.ByID()).Limit(maxCandidates).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoices awaiting the amount: %w", err)
	}
	for _, inv := range exact {
		add(inv, t.Amount, SuggestApply)
	}
	return out, nil
}

// awaiting selects invoices whose available amount (what remains less
// what is in flight, billing.AmountAvailable) is amount.
func awaiting(amount int64) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.Ident(s.C(invoice.FieldAmountDue)).WriteString(" - ").Ident(s.C(invoice.FieldAmountPaid)).
				WriteString(" - ").Ident(s.C(invoice.FieldAmountPending)).WriteOp(sql.OpEQ).Arg(amount)
		}))
	}
}
