// Package banktransfers receives money sent by bank transfer: each credit
// of an imported bank statement (or, in test mode, a simulated one) is
// kept once, matched to the invoices it pays and the customer's cash
// balance, or left for the merchant to settle by hand.
package banktransfers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
)

// Config is what a Service needs.
type Config struct {
	DB *ent.Client
	// Dialect is DB's SQL dialect.
	Dialect string
	// Billing records the payments transfers make and moves cash balances.
	Billing *billing.Service
}

// Validate reports a missing dependency.
func (c Config) Validate() error {
	var errs []error
	if c.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if c.Dialect != dialect.SQLite && c.Dialect != dialect.Postgres {
		errs = append(errs, fmt.Errorf("unknown dialect %q", c.Dialect))
	}
	if c.Billing == nil {
		errs = append(errs, errors.New("Billing is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("banktransfers: %w", err)
	}
	return nil
}

// Service receives, matches and settles bank transfers.
type Service struct {
	db      *ent.Client
	dialect string
	billing *billing.Service
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{db: cfg.DB, dialect: cfg.Dialect, billing: cfg.Billing}, nil
}

// Credit is money that arrived on the merchant's account, as the bank's
// statement tells it (a credit entry), and where Remit got it from.
type Credit struct {
	banking.Entry
	Source banktransfer.Source
}

// remittance is everything the payer wrote, structured reference first.
func (c Credit) remittance() string {
	if c.CreditorReference != "" && !strings.Contains(c.Remittance, c.CreditorReference) {
		return strings.TrimSpace(c.CreditorReference + " " + c.Remittance)
	}
	return c.Remittance
}

// Receive keeps c once (a credit whose key was received before changes
// nothing: fresh is false and the transfer is the one kept) and matches it
// in the same transaction, so a transfer is never matched twice, even by
// two imports of overlapping statements at once.
func (s *Service) Receive(ctx context.Context, c Credit) (*ent.BankTransfer, bool, error) {
	t, fresh, err := s.receive(ctx, c)
	if len(usererr.From(err)) > 0 && dbtx.FromContext(ctx) == nil {
		// Matching reads invoices before settling locks them: a payment
		// made in between can leave an invoice less to take than planned.
		// Matched again on what is there now, it settles or waits.
		t, fresh, err = s.receive(ctx, c)
	}
	return t, fresh, err
}

func (s *Service) receive(ctx context.Context, c Credit) (t *ent.BankTransfer, fresh bool, err error) {
	err = dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		if t, err = tx.BankTransfer.Query().Where(banktransfer.EntryKey(c.Key)).Only(ctx); err == nil {
			return nil
		} else if !ent.IsNotFound(err) {
			return fmt.Errorf("look up transfer: %w", err)
		}
		t, err = tx.BankTransfer.Create().
			SetEntryKey(c.Key).SetEntryReference(c.BankReference).
			SetAmount(c.Amount).SetCurrency(c.Currency).SetBookedAt(c.BookedAt.UTC()).
			SetCounterpartyName(limit(c.CounterpartyName, 140)).SetCounterpartyIban(c.CounterpartyIBAN).
			SetRemittance(limit(c.remittance(), 1000)).SetSource(c.Source).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("keep transfer: %w", err)
		}
		fresh = true
		if err := events.Record(ctx, tx, events.BankTransferReceived, t); err != nil {
			return err
		}
		m, err := s.match(ctx, tx.Client(), t)
		if err != nil {
			return err
		}
		if m.reason != "" {
			t, err = tx.BankTransfer.UpdateOne(t).SetUnmatchedReason(string(m.reason)).Save(ctx)
			return err
		}
		t, err = s.settle(ctx, tx, t, m, "")
		return err
	})
	if ent.IsConstraintError(err) && !fresh {
		// Another import kept the same entry meanwhile (PostgreSQL: the
		// unique key made this one wait for it, then refused it).
		t, err = s.db.BankTransfer.Query().Where(banktransfer.EntryKey(c.Key)).Only(ctx)
		return t, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return t, fresh, nil
}

// settle pays m's allocations from t and puts what is left on the
// customer's cash balance, in tx, and records the transfer MATCHED.
func (s *Service) settle(ctx context.Context, tx *ent.Tx, t *ent.BankTransfer, m matching, note string) (*ent.BankTransfer, error) {
	applied := int64(0)
	ref := t.EntryReference
	if ref == "" {
		ref = t.ID
	}
	for _, a := range m.allocations {
		if _, _, err := s.billing.PayFromTransfer(ctx, a.invoiceID, billing.TransferPayment{
			TransferID: t.ID, Reference: ref, BookedAt: t.BookedAt, Amount: a.amount,
		}); err != nil {
			return nil, err
		}
		applied += a.amount
	}
	rest := t.Amount - applied
	if rest > 0 {
		if _, err := s.billing.FundCashBalance(ctx, m.customerID, rest, t.Currency, t.ID); err != nil {
			return nil, err
		}
	}
	out, err := tx.BankTransfer.UpdateOne(t).
		SetStatus(banktransfer.StatusMatched).SetMatchedBy(m.rule).SetCustomerID(m.customerID).
		SetAmountApplied(applied).SetAmountToCashBalance(rest).
		SetUnmatchedReason("").SetNote(note).SetSettledAt(clock.Now(ctx)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("settle transfer: %w", err)
	}
	return out, events.Record(ctx, tx, events.BankTransferMatched, out)
}

// Allocation is what a transfer settled by hand pays on one invoice.
type Allocation struct {
	InvoiceID string
	// Amount in major units.
	Amount string
}

// ApplyInput settles an unmatched transfer by hand.
type ApplyInput struct {
	TransferID  string
	Allocations []Allocation
	// CustomerID receives what the allocations leave on its cash
	// balance; it defaults to the invoices' customer.
	CustomerID string
	Note       string
}

// Apply pays the allocations from an unmatched transfer and puts the rest
// on the customer's cash balance.
func (s *Service) Apply(ctx context.Context, in ApplyInput) (*ent.BankTransfer, error) {
	var out *ent.BankTransfer
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		t, err := s.unmatched(ctx, tx, in.TransferID)
		if err != nil {
			return err
		}
		if len([]rune(in.Note)) > 500 {
			return usererr.New(usererr.LimitExceeded, "note is at most 500 characters", "note")
		}
		m := matching{rule: banktransfer.MatchedByManual, customerID: in.CustomerID}
		total := int64(0)
		seen := map[string]bool{}
		for i, a := range in.Allocations {
			field := []string{"allocations", fmt.Sprint(i)}
			if seen[a.InvoiceID] {
				return usererr.New(usererr.Invalid, "each invoice once", append(field, "invoice")...)
			}
			seen[a.InvoiceID] = true
			inv, err := tx.Invoice.Get(ctx, a.InvoiceID)
			if ent.IsNotFound(err) {
				return usererr.New(usererr.NotFound, "no such invoice", append(field, "invoice")...)
			} else if err != nil {
				return fmt.Errorf("load invoice: %w", err)
			}
			switch {
			case inv.Currency != t.Currency:
				return usererr.Newf(usererr.CurrencyMismatch, append(field, "invoice"), "the invoice is in %s, the transfer in %s", inv.Currency, t.Currency)
			case m.customerID != "" && m.customerID != inv.CustomerID:
				return usererr.New(usererr.Invalid, "a transfer pays invoices of one customer", append(field, "invoice")...)
			}
			m.customerID = inv.CustomerID
			n, err := money.ParseAmount(a.Amount, t.Currency, append(field, "amount")...)
			if err != nil {
				return err
			}
			switch {
			case n <= 0:
				return usererr.New(usererr.InvalidAmount, "the amount is more than zero", append(field, "amount")...)
			case n > billing.AmountAvailable(inv):
				return usererr.Newf(usererr.AmountExceedsRemaining, append(field, "amount"), "the invoice can take at most %s", money.MajorString(billing.AmountAvailable(inv), inv.Currency))
			}
			total += n
			m.allocations = append(m.allocations, allocation{invoiceID: inv.ID, amount: n})
		}
		switch {
		case total > t.Amount:
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"allocations"}, "the allocations add up to more than the %s received", money.MajorString(t.Amount, t.Currency))
		case total < t.Amount && m.customerID == "":
			return usererr.New(usererr.Required, "name the customer whose cash balance takes what the allocations leave", "customer")
		}
		if in.CustomerID != "" {
			if _, err := tx.Customer.Get(ctx, in.CustomerID); ent.IsNotFound(err) {
				return usererr.New(usererr.NotFound, "no such customer", "customer")
			} else if err != nil {
				return fmt.Errorf("load customer: %w", err)
			}
		}
		out, err = s.settle(ctx, tx, t, m, strings.TrimSpace(in.Note))
		return err
	})
	return out, err
}

// Ignore sets an unmatched transfer aside (money that was not a payment,
// or was sent back outside Remit), with why.
func (s *Service) Ignore(ctx context.Context, id, note string) (*ent.BankTransfer, error) {
	var out *ent.BankTransfer
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		t, err := s.unmatched(ctx, tx, id)
		if err != nil {
			return err
		}
		if len([]rune(note)) > 500 {
			return usererr.New(usererr.LimitExceeded, "note is at most 500 characters", "note")
		}
		if out, err = tx.BankTransfer.UpdateOne(t).SetStatus(banktransfer.StatusIgnored).
			SetNote(strings.TrimSpace(note)).SetSettledAt(clock.Now(ctx)).Save(ctx); err != nil {
			return fmt.Errorf("ignore transfer: %w", err)
		}
		return events.Record(ctx, tx, events.BankTransferIgnored, out)
	})
	return out, err
}

// unmatched loads a transfer of the caller that waits to be settled.
func (s *Service) unmatched(ctx context.Context, tx *ent.Tx, id string) (*ent.BankTransfer, error) {
	q := tx.BankTransfer.Query().Where(banktransfer.ID(id))
	if dbtx.Locking(s.dialect) {
		q.Modify(dbtx.ForNoKeyUpdate)
	}
	t, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such bank transfer", "transfer")
	} else if err != nil {
		return nil, fmt.Errorf("load transfer: %w", err)
	}
	if t.Status != banktransfer.StatusUnmatched {
		return nil, usererr.Newf(usererr.InvalidTransition, []string{"transfer"}, "the transfer is already %s", strings.ToLower(string(t.Status)))
	}
	return t, nil
}

func limit(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
