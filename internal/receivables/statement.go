package receivables

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/cashbalancetransaction"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/usererr"
)

// MovementKind is what a statement line records.
type MovementKind string

const (
	// An invoice issued (finalized): its total is owed.
	MovementInvoice MovementKind = "INVOICE"
	// An invoice voided: its total is no longer owed.
	MovementInvoiceVoided MovementKind = "INVOICE_VOIDED"
	// A credit note issued: its total comes off what is owed (the part
	// refunded comes back as a refund).
	MovementCreditNote MovementKind = "CREDIT_NOTE"
	// A credit note voided: its total is owed again.
	MovementCreditNoteVoided MovementKind = "CREDIT_NOTE_VOIDED"
	// A payment that succeeded (or money recorded as received).
	MovementPayment MovementKind = "PAYMENT"
	// A refund that succeeded: money given back.
	MovementRefund MovementKind = "REFUND"
	// A manual adjustment of the customer's credit balance.
	MovementBalanceAdjustment MovementKind = "BALANCE_ADJUSTMENT"
	// Money received by transfer beyond what it paid, held on the
	// customer's cash balance.
	MovementCashReceived MovementKind = "CASH_BALANCE_FUNDED"
	// Cash balance used for a payment: it offsets that payment's line,
	// the money having been counted when it was received.
	MovementCashApplied MovementKind = "CASH_BALANCE_APPLIED"
	// Cash balance sent back to the customer.
	MovementCashRefunded MovementKind = "CASH_BALANCE_REFUNDED"
)

// Movement is one line of a statement: a debit (the customer owes more)
// or a credit (less), in minor units of the statement's currency.
type Movement struct {
	At   time.Time
	Kind MovementKind
	// ObjectID is the invoice, credit note, payment, refund or balance
	// transaction.
	ObjectID string
	// Number is the invoice's or credit note's number, or for a payment
	// or refund the number of its invoice.
	Number string
	// Description is free text the object carries (a payment's
	// reference, an adjustment's reason).
	Description string
	Debit       int64
	Credit      int64
	// Balance is the running balance after this line (set by Statement).
	Balance int64
}

// Source lists one kind of movement on a customer's account, in one
// currency, at or after from (when not zero) and before to. Each source
// owns the rows it reads; Statement merges them. What the statement's
// balance means (what the customer owes, net of credit held for it)
// holds as long as each change to it is one source's movement: a ledger
// added later (the customer cash balance) is one more Source in Config.
type Source interface {
	Movements(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error)
}

// SourceFunc is a function as a Source.
type SourceFunc func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error)

// Movements calls f.
func (f SourceFunc) Movements(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
	return f(ctx, c, currency, from, to)
}

// within is from <= col < to, without the lower bound when from is zero.
func within(col string, from, to time.Time) *sql.Predicate {
	if from.IsZero() {
		return sql.LT(col, to)
	}
	return sql.And(sql.GTE(col, from), sql.LT(col, to))
}

// builtinSources are the movements Remit records today. Credit applied
// from the customer's balance to an invoice, or given back when it is
// voided, and the credit a credit note puts on the balance are not
// movements: the invoice's total and the credit note's already count
// them (the statement's balance is what is owed net of credit held).
func builtinSources(db *ent.Client) []Source {
	return []Source{
		SourceFunc(func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
			invs, err := db.Invoice.Query().Where(invoice.CustomerID(c.ID), invoice.Currency(currency), invoice.StatusNEQ(invoice.StatusDraft),
				invoice.Or(
					func(s *sql.Selector) { s.Where(within(s.C(invoice.FieldFinalizedAt), from, to)) },
					func(s *sql.Selector) { s.Where(within(s.C(invoice.FieldVoidedAt), from, to)) },
				)).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read invoices: %w", err)
			}
			var out []Movement
			for _, inv := range invs {
				number := deref(inv.Number)
				if at := inv.FinalizedAt; at != nil && in(*at, from, to) {
					out = append(out, Movement{At: *at, Kind: MovementInvoice, ObjectID: inv.ID, Number: number, Debit: inv.Total})
				}
				if at := inv.VoidedAt; at != nil && in(*at, from, to) {
					out = append(out, Movement{At: *at, Kind: MovementInvoiceVoided, ObjectID: inv.ID, Number: number, Credit: inv.Total})
				}
			}
			return out, nil
		}),
		SourceFunc(func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
			cns, err := db.CreditNote.Query().Where(creditnote.CustomerID(c.ID), creditnote.Currency(currency),
				creditnote.Or(
					func(s *sql.Selector) { s.Where(within(s.C(creditnote.FieldCreatedAt), from, to)) },
					func(s *sql.Selector) { s.Where(within(s.C(creditnote.FieldVoidedAt), from, to)) },
				)).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read credit notes: %w", err)
			}
			var out []Movement
			for _, cn := range cns {
				if in(cn.CreatedAt, from, to) {
					out = append(out, Movement{At: cn.CreatedAt, Kind: MovementCreditNote, ObjectID: cn.ID, Number: cn.Number, Credit: cn.Total})
				}
				if at := cn.VoidedAt; at != nil && in(*at, from, to) {
					out = append(out, Movement{At: *at, Kind: MovementCreditNoteVoided, ObjectID: cn.ID, Number: cn.Number, Debit: cn.Total})
				}
			}
			return out, nil
		}),
		SourceFunc(func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
			ps, err := db.Payment.Query().Where(payment.CustomerID(c.ID), payment.Currency(currency), payment.StatusEQ(payment.StatusSucceeded),
				func(s *sql.Selector) {
					s.Where(sql.Or(within(s.C(payment.FieldSucceededAt), from, to),
						sql.And(sql.IsNull(s.C(payment.FieldSucceededAt)), within(s.C(payment.FieldCreatedAt), from, to))))
				}).WithInvoice(func(q *ent.InvoiceQuery) { q.Select(invoice.FieldID, invoice.FieldNumber) }).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read payments: %w", err)
			}
			out := make([]Movement, 0, len(ps))
			for _, p := range ps {
				at := p.CreatedAt
				if p.SucceededAt != nil {
					at = *p.SucceededAt
				}
				m := Movement{At: at, Kind: MovementPayment, ObjectID: p.ID, Description: p.Reference, Credit: p.Amount}
				if p.Edges.Invoice != nil {
					m.Number = deref(p.Edges.Invoice.Number)
				}
				out = append(out, m)
			}
			return out, nil
		}),
		SourceFunc(func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
			rs, err := db.Refund.Query().Where(refund.CustomerID(c.ID), refund.Currency(currency), refund.StatusEQ(refund.StatusSucceeded),
				func(s *sql.Selector) {
					s.Where(sql.Or(within(s.C(refund.FieldSucceededAt), from, to),
						sql.And(sql.IsNull(s.C(refund.FieldSucceededAt)), within(s.C(refund.FieldCreatedAt), from, to))))
				}).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read refunds: %w", err)
			}
			numbers, err := invoiceNumbers(ctx, db, rs, func(r *ent.Refund) string { return r.InvoiceID })
			if err != nil {
				return nil, err
			}
			out := make([]Movement, 0, len(rs))
			for _, r := range rs {
				at := r.CreatedAt
				if r.SucceededAt != nil {
					at = *r.SucceededAt
				}
				out = append(out, Movement{At: at, Kind: MovementRefund, ObjectID: r.ID, Number: numbers[r.InvoiceID], Debit: r.Amount})
			}
			return out, nil
		}),
		SourceFunc(func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
			cts, err := db.CashBalanceTransaction.Query().Where(cashbalancetransaction.CustomerID(c.ID), cashbalancetransaction.Currency(currency),
				func(s *sql.Selector) { s.Where(within(s.C(cashbalancetransaction.FieldCreatedAt), from, to)) }).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read cash balance transactions: %w", err)
			}
			out := make([]Movement, 0, len(cts))
			for _, ct := range cts {
				// Positive adds to the money held for the customer: a credit.
				m := Movement{At: ct.CreatedAt, Kind: cashKinds[ct.Type], ObjectID: ct.ID, Description: ct.Reference}
				if ct.Amount >= 0 {
					m.Credit = ct.Amount
				} else {
					m.Debit = -ct.Amount
				}
				out = append(out, m)
			}
			return out, nil
		}),
		SourceFunc(func(ctx context.Context, c *ent.Customer, currency string, from, to time.Time) ([]Movement, error) {
			bts, err := db.BalanceTransaction.Query().Where(balancetransaction.CustomerID(c.ID), balancetransaction.Currency(currency),
				balancetransaction.TypeEQ(balancetransaction.TypeAdjustment),
				func(s *sql.Selector) { s.Where(within(s.C(balancetransaction.FieldCreatedAt), from, to)) }).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read balance transactions: %w", err)
			}
			out := make([]Movement, 0, len(bts))
			for _, bt := range bts {
				m := Movement{At: bt.CreatedAt, Kind: MovementBalanceAdjustment, ObjectID: bt.ID, Description: bt.Description}
				// Positive is owed by the customer, negative credits it.
				if bt.Amount >= 0 {
					m.Debit = bt.Amount
				} else {
					m.Credit = -bt.Amount
				}
				out = append(out, m)
			}
			return out, nil
		}),
	}
}

func invoiceNumbers[T any](ctx context.Context, db *ent.Client, xs []T, id func(T) string) (map[string]string, error) {
	ids := make([]string, 0, len(xs))
	for _, x := range xs {
		ids = append(ids, id(x))
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	invs, err := db.Invoice.Query().Where(invoice.IDIn(ids...)).Select(invoice.FieldID, invoice.FieldNumber).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read invoices: %w", err)
	}
	for _, inv := range invs {
		out[inv.ID] = deref(inv.Number)
	}
	return out, nil
}

func in(t, from, to time.Time) bool { return (from.IsZero() || !t.Before(from)) && t.Before(to) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// kindOrder orders movements at the same instant: what is owed before
// what settles it.
var kindOrder = map[MovementKind]int{
	MovementInvoice: 0, MovementCreditNoteVoided: 1, MovementBalanceAdjustment: 2,
	MovementCreditNote: 3, MovementCashReceived: 4, MovementPayment: 5, MovementCashApplied: 6, MovementRefund: 7,
	MovementCashRefunded: 8, MovementInvoiceVoided: 9,
}

// cashKinds are the statement lines of the cash balance ledger's entries.
var cashKinds = map[cashbalancetransaction.Type]MovementKind{
	cashbalancetransaction.TypeFunded:           MovementCashReceived,
	cashbalancetransaction.TypeAppliedToPayment: MovementCashApplied,
	cashbalancetransaction.TypeRefunded:         MovementCashRefunded,
}

// StatementInput selects a statement: the customer's movements at or
// after From and before To.
type StatementInput struct {
	CustomerID string
	From, To   time.Time
}

// Statement is a customer's account over a period, in its currency.
type Statement struct {
	Customer *ent.Customer
	Currency string
	From, To time.Time
	// Opening is the balance at From (every movement before it), Closing
	// at To: what the customer owes, negative when it is in credit.
	Opening, Closing int64
	Movements        []Movement
	TotalDebit       int64
	TotalCredit      int64
	// OverdueAt is when Overdue is judged: To, or now when To is later.
	OverdueAt    time.Time
	Overdue      []OverdueInvoice
	OverdueTotal int64
}

// OverdueInvoice is an invoice past due at the statement's end.
type OverdueInvoice struct {
	InvoiceID string
	Number    string
	// DueDate is the earliest due date passed with money owed (an
	// installment's, for a plan).
	DueDate     time.Time
	DaysPastDue int
	// Remaining is what remained to pay; Overdue the part past due.
	Remaining int64
	Overdue   int64
}

// maxStatementSpan bounds a statement's period.
const maxStatementSpan = 10 * 366 * 24 * time.Hour

// Statement returns the customer's statement over [in.From, in.To). The
// viewer's privacy rules apply: a portal customer reads its own only.
func (s *Service) Statement(ctx context.Context, in StatementInput) (Statement, error) {
	var errs usererr.List
	if in.CustomerID == "" {
		errs = append(errs, usererr.New(usererr.Required, "give the customer", "customer"))
	}
	switch {
	case in.From.IsZero():
		errs = append(errs, usererr.New(usererr.Required, "give the start of the period", "from"))
	case in.To.IsZero():
		errs = append(errs, usererr.New(usererr.Required, "give the end of the period", "to"))
	case !in.From.Before(in.To):
		errs = append(errs, usererr.New(usererr.Invalid, "the period ends after it starts", "to"))
	case in.To.Sub(in.From) > maxStatementSpan:
		errs = append(errs, usererr.New(usererr.LimitExceeded, "a statement covers at most ten years", "to"))
	}
	if err := errs.Err(); err != nil {
		return Statement{}, err
	}
	c, err := s.db.Customer.Query().Where(customer.ID(in.CustomerID)).Only(ctx)
	if ent.IsNotFound(err) {
		return Statement{}, usererr.New(usererr.NotFound, "no such customer", "customer")
	}
	if err != nil {
		return Statement{}, fmt.Errorf("read customer: %w", err)
	}
	from, to := in.From.UTC(), in.To.UTC()
	st := Statement{Customer: c, Currency: c.Currency, From: from, To: to, Movements: []Movement{}, Overdue: []OverdueInvoice{}}
	if c.Currency == "" {
		// Never invoiced nor given a balance: nothing has moved.
		st.OverdueAt = to
		if now := clock.Now(ctx); now.Before(to) {
			st.OverdueAt = now
		}
		return st, nil
	}
	// The opening balance is every movement before From, from the same
	// sources, so opening + movements = closing by construction.
	for _, src := range s.sources {
		before, err := src.Movements(ctx, c, c.Currency, time.Time{}, from)
		if err != nil {
			return Statement{}, err
		}
		for _, m := range before {
			st.Opening += m.Debit - m.Credit
		}
		ms, err := src.Movements(ctx, c, c.Currency, from, to)
		if err != nil {
			return Statement{}, err
		}
		st.Movements = append(st.Movements, ms...)
	}
	slices.SortFunc(st.Movements, func(a, b Movement) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]), cmp.Compare(a.ObjectID, b.ObjectID))
	})
	bal := st.Opening
	for i := range st.Movements {
		m := &st.Movements[i]
		bal += m.Debit - m.Credit
		m.Balance = bal
		st.TotalDebit += m.Debit
		st.TotalCredit += m.Credit
	}
	st.Closing = bal
	if st.Overdue, st.OverdueAt, err = s.overdue(ctx, c, to); err != nil {
		return Statement{}, err
	}
	for _, o := range st.Overdue {
		st.OverdueTotal += o.Overdue
	}
	return st, nil
}

// overdue lists c's invoices past due at to (now, when to is later), as
// the aging report reads them then.
func (s *Service) overdue(ctx context.Context, c *ent.Customer, to time.Time) ([]OverdueInvoice, time.Time, error) {
	now := clock.Now(ctx)
	asOf, history := to, true
	if !to.Before(now) {
		asOf, history = now, false
	}
	items, err := s.items(ctx, asOf, history, []predicate.Invoice{invoice.CustomerID(c.ID), invoice.Currency(c.Currency), unsettled(asOf, history)})
	if err != nil {
		return nil, asOf, err
	}
	a := agesAt(asOf)
	out := []OverdueInvoice{}
	at := map[string]int{}
	for _, it := range items {
		i, ok := at[it.inv.ID]
		if !ok {
			i = len(out)
			at[it.inv.ID] = i
			out = append(out, OverdueInvoice{InvoiceID: it.inv.ID, Number: deref(it.inv.Number)})
		}
		o := &out[i]
		o.Remaining += it.amount
		if a.bucket(it.due) != NotDue && it.amount > 0 {
			o.Overdue += it.amount
			if o.DueDate.IsZero() || it.due.Before(o.DueDate) {
				o.DueDate = *it.due
				o.DaysPastDue = a.days(*it.due)
			}
		}
	}
	out = slices.DeleteFunc(out, func(o OverdueInvoice) bool { return o.Overdue <= 0 })
	slices.SortFunc(out, func(a, b OverdueInvoice) int {
		return cmp.Or(a.DueDate.Compare(b.DueDate), cmp.Compare(a.Number, b.Number))
	})
	return out, asOf, nil
}

// StatementPDF renders the statement in as a PDF/A document in the
// account's branding and the customer's language (its invoices'), with
// the name a download gives it.
func (s *Service) StatementPDF(ctx context.Context, in StatementInput) ([]byte, string, error) {
	st, err := s.Statement(ctx, in)
	if err != nil {
		return nil, "", err
	}
	head, err := billing.CustomerLetterhead(ctx, s.db, st.Customer.ID)
	if err != nil {
		return nil, "", err
	}
	doc := document.Statement{
		From: st.From, To: st.To, IssuedAt: clock.Now(ctx), Currency: st.Currency, Locale: head.Locale, PageSize: head.PageSize,
		Seller: head.Seller, Buyer: head.Buyer, Branding: head.Branding,
		Opening: st.Opening, Closing: st.Closing, OverdueAt: st.OverdueAt, OverdueTotal: st.OverdueTotal,
	}
	if doc.Currency == "" {
		doc.Currency = "EUR" // never invoiced: every amount is zero
	}
	for _, m := range st.Movements {
		doc.Lines = append(doc.Lines, document.StatementLine{At: m.At, Kind: string(m.Kind), Number: m.Number, Description: m.Description,
			Debit: m.Debit, Credit: m.Credit, Balance: m.Balance})
	}
	for _, o := range st.Overdue {
		doc.Overdue = append(doc.Overdue, document.StatementOverdue{Number: o.Number, DueDate: o.DueDate, DaysPastDue: o.DaysPastDue, Overdue: o.Overdue})
	}
	pdf, err := document.RenderStatement(ctx, doc)
	if err != nil {
		return nil, "", fmt.Errorf("render statement pdf: %w", err)
	}
	name := fmt.Sprintf("statement-%s-%s.pdf", st.From.Format("20060102"), st.To.Add(-time.Nanosecond).Format("20060102"))
	return pdf, name, nil
}
