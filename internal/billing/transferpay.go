package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/cashbalancetransaction"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
)

// transferSource says which bank transfer a payment recorded outside
// Remit came from, directly or through the customer's cash balance.
type transferSource struct {
	id          string
	cashBalance bool
}

func (t transferSource) transferID() *string {
	if t.id == "" {
		return nil
	}
	return &t.id
}

// TransferPayment is what a bank transfer pays on one invoice.
type TransferPayment struct {
	TransferID string
	// Reference is the bank's reference of the entry, kept on the payment.
	Reference string
	// BookedAt is when the bank booked the money: the payment's date,
	// never before the invoice was issued nor in the future.
	BookedAt time.Time
	Amount   int64
}

// PayFromTransfer records amount of a bank transfer as a payment of the
// invoice (open or uncollectible, at most what is available), in the
// caller's transaction when ctx carries one (dbtx.RunContext): partial
// payments settle a plan's installments in due order, and a payment that
// completes the invoice makes it PAID.
func (s *Service) PayFromTransfer(ctx context.Context, invoiceID string, p TransferPayment) (*ent.Invoice, *ent.Payment, error) {
	var inv *ent.Invoice
	var pay *ent.Payment
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		cur, err := s.load(ctx, tx, invoiceID, ActionPay)
		if err != nil {
			return err
		}
		if p.Amount <= 0 || p.Amount > AmountAvailable(cur) {
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the invoice %s can take at most %s", numberOf(cur), money.MajorString(AmountAvailable(cur), cur.Currency))
		}
		o := outside{method: "bank_transfer", reference: p.Reference, source: transferSource{id: p.TransferID}}
		inv, pay, err = s.recordOutside(ctx, tx, cur, o, p.Amount, paymentDate(ctx, cur, p.BookedAt), false)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return inv, pay, nil
}

// paymentDate is a booking date as a payment's date: a bank books by
// day, so money booked the day an invoice was issued, or dated ahead by
// the bank, is paid when it was issued or now.
func paymentDate(ctx context.Context, inv *ent.Invoice, booked time.Time) time.Time {
	at := booked.UTC()
	if inv.FinalizedAt != nil && at.Before(*inv.FinalizedAt) {
		at = inv.FinalizedAt.UTC()
	}
	if now := clock.Now(ctx); at.After(now) {
		at = now
	}
	return at
}

func numberOf(inv *ent.Invoice) string {
	if inv.Number != nil {
		return *inv.Number
	}
	return inv.ID
}

// CashEntry is one movement of a customer's cash balance.
type CashEntry struct {
	Type       cashbalancetransaction.Type
	Amount     int64 // positive adds to the balance
	Currency   string
	TransferID string
	InvoiceID  string
	PaymentID  string
	Reference  string
}

// postCash moves the cash balance of c (locked by the caller, see
// customers.Lock) by e.Amount and writes its ledger entry and event. The
// balance never goes below zero: it is money held, not credit.
func postCash(ctx context.Context, tx *ent.Tx, c *ent.Customer, e CashEntry) (*ent.CashBalanceTransaction, error) {
	if c.Currency != "" && c.Currency != e.Currency {
		return nil, usererr.Newf(usererr.CurrencyMismatch, []string{"currency"}, "the customer's balances are in %s", c.Currency)
	}
	ending := c.CashBalance + e.Amount
	switch {
	case ending < 0:
		return nil, usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the customer's cash balance is %s", money.MajorString(c.CashBalance, e.Currency))
	case ending > money.MaxAmount:
		return nil, usererr.New(usererr.AmountTooLarge, "the cash balance would be too large", "amount")
	}
	u := tx.Customer.Update().Where(customer.ID(c.ID)).AddCashBalance(e.Amount)
	if c.Currency == "" {
		u.SetCurrency(e.Currency)
	}
	if err := u.Exec(ctx); err != nil {
		return nil, fmt.Errorf("move cash balance: %w", err)
	}
	c.CashBalance, c.Currency = ending, e.Currency
	create := tx.CashBalanceTransaction.Create().
		SetCustomerID(c.ID).SetType(e.Type).SetAmount(e.Amount).SetCurrency(e.Currency).
		SetEndingBalance(ending).SetReference(e.Reference)
	if e.TransferID != "" {
		create.SetBankTransferID(e.TransferID)
	}
	if e.InvoiceID != "" {
		create.SetInvoiceID(e.InvoiceID)
	}
	if e.PaymentID != "" {
		create.SetPaymentID(e.PaymentID)
	}
	row, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("record cash balance transaction: %w", err)
	}
	if err := events.Record(ctx, tx, events.CashBalanceTransactionCreated, row); err != nil {
		return nil, err
	}
	return row, nil
}

// FundCashBalance adds amount, received by the bank transfer transferID,
// to the customer's cash balance, in the caller's transaction when ctx
// carries one.
func (s *Service) FundCashBalance(ctx context.Context, customerID string, amount int64, currency, transferID string) (*ent.CashBalanceTransaction, error) {
	var row *ent.CashBalanceTransaction
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		c, err := customers.Lock(ctx, tx, s.dialect, customerID)
		if err != nil {
			return err
		}
		row, err = postCash(ctx, tx, c, CashEntry{Type: cashbalancetransaction.TypeFunded, Amount: amount, Currency: currency, TransferID: transferID})
		return err
	})
	return row, err
}

// ApplyCashBalance pays the invoice from its customer's cash balance:
// amount (major units), or as much as the balance and the invoice allow
// when empty.
func (s *Service) ApplyCashBalance(ctx context.Context, invoiceID, amount string) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, invoiceID, ActionPay)
		if err != nil {
			return err
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		c, err := customers.Lock(ctx, tx, s.dialect, inv.CustomerID)
		if err != nil {
			return err
		}
		want := min(c.CashBalance, AmountAvailable(inv))
		if amount != "" {
			if want, err = money.ParseAmount(amount, inv.Currency, "amount"); err != nil {
				return err
			}
		}
		switch {
		case c.Currency != inv.Currency:
			return usererr.Newf(usererr.CurrencyMismatch, []string{"invoice"}, "the customer's cash balance is in %s", c.Currency)
		case want <= 0 && amount == "":
			return usererr.New(usererr.AmountExceedsRemaining, "the customer has no cash balance to apply", "invoice")
		case want <= 0:
			return usererr.New(usererr.InvalidAmount, "the amount is more than zero", "amount")
		case want > c.CashBalance:
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the customer's cash balance is %s", money.MajorString(c.CashBalance, c.Currency))
		case want > AmountAvailable(inv):
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the invoice can take at most %s", money.MajorString(AmountAvailable(inv), inv.Currency))
		}
		out, err = s.payFromCash(ctx, tx, inv, c, want)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// payFromCash records amount of c's cash balance (c locked) as a payment
// of inv (loaded for payment in tx) and takes it from the balance.
func (s *Service) payFromCash(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, c *ent.Customer, amount int64) (*ent.Invoice, error) {
	o := outside{method: "bank_transfer", reference: "cash balance", source: transferSource{cashBalance: true}}
	out, pay, err := s.recordOutside(ctx, tx, inv, o, amount, clock.Now(ctx), false)
	if err != nil {
		return nil, err
	}
	_, err = postCash(ctx, tx, c, CashEntry{Type: cashbalancetransaction.TypeAppliedToPayment, Amount: -amount, Currency: inv.Currency, InvoiceID: inv.ID, PaymentID: pay.ID})
	return out, err
}

// RefundCashBalance records that amount (major units) of the customer's
// cash balance was sent back to them outside Remit, with the bank
// reference of that transfer.
func (s *Service) RefundCashBalance(ctx context.Context, customerID, amount, reference string) (*ent.CashBalanceTransaction, error) {
	var row *ent.CashBalanceTransaction
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		c, err := customers.Lock(ctx, tx, s.dialect, customerID)
		if err != nil {
			return err
		}
		if c.Currency == "" {
			return usererr.New(usererr.AmountExceedsRemaining, "the customer has no cash balance", "amount")
		}
		n, err := money.ParseAmount(amount, c.Currency, "amount")
		if err != nil {
			return err
		}
		if n <= 0 {
			return usererr.New(usererr.InvalidAmount, "the amount is more than zero", "amount")
		}
		if len([]rune(reference)) > 140 {
			return usererr.New(usererr.LimitExceeded, "reference is at most 140 characters", "reference")
		}
		row, err = postCash(ctx, tx, c, CashEntry{Type: cashbalancetransaction.TypeRefunded, Amount: -n, Currency: c.Currency, Reference: reference})
		return err
	})
	return row, err
}
