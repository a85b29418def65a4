// Package exports writes the account's lists as CSV for accountants and
// spreadsheets: invoices, customers, payments and credit notes, streamed
// in batches read by key (constant memory whatever the size), quoted as
// RFC 4180 says, in UTF-8 (with a byte-order mark for spreadsheet
// programs that need one), and with any text cell that a spreadsheet
// would run as a formula neutralised.
package exports

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/receivables"
)

// batch is how many rows one read brings.
const batch = 500

// Options shape an export.
type Options struct {
	// Location the date columns are written in; nil is UTC.
	Location *time.Location
	// BOM starts the file with a UTF-8 byte-order mark, which spreadsheet
	// programs take as "this is UTF-8".
	BOM bool
}

// Service writes exports.
type Service struct {
	db *ent.Client
	// key signs download links (SignedLink).
	key []byte
}

// New returns a Service over db, signing links with key.
func New(db *ent.Client, key []byte) (*Service, error) {
	if db == nil || len(key) == 0 {
		return nil, errors.New("exports: DB and a signing key are required")
	}
	return &Service{db: db, key: key}, nil
}

// sheet is a CSV being written.
type sheet struct {
	w    *csv.Writer
	buf  *bufio.Writer
	loc  *time.Location
	out  io.Writer
	rows int
}

func newSheet(w io.Writer, o Options, header []string) (*sheet, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	if o.BOM {
		if _, err := buf.WriteString("\uFEFF"); err != nil {
			return nil, err
		}
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	s := &sheet{w: csv.NewWriter(buf), buf: buf, loc: loc, out: w}
	s.w.UseCRLF = true // RFC 4180
	return s, s.w.Write(header)
}

// row writes one record.
func (s *sheet) row(cells []string) error {
	s.rows++
	return s.w.Write(cells)
}

// flush hands what is written to the client, batch by batch.
func (s *sheet) flush() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	if err := s.buf.Flush(); err != nil {
		return err
	}
	if f, ok := s.out.(interface{ Flush() }); ok {
		f.Flush()
	}
	return nil
}

// text neutralises a cell a spreadsheet would take for a formula
// (=, +, -, @, tab, carriage return first), by a leading apostrophe, as
// OWASP advises. Amounts and dates Remit writes are never text.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *sheet) date(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(s.loc).Format(time.RFC3339)
}

func amount(minor int64, currency string) string { return money.MajorString(minor, currency) }

// stream writes the rows of every batch read returns, after the last id
// of the one before, until one comes back empty, flushing each batch.
func stream[T any](sh *sheet, read func(after string) ([]T, error), id func(T) string, row func(T) []string) (int, error) {
	last := ""
	for {
		batch, err := read(last)
		if err != nil {
			return sh.rows, err
		}
		if len(batch) == 0 {
			return sh.rows, sh.flush()
		}
		for _, x := range batch {
			if err := sh.row(row(x)); err != nil {
				return sh.rows, err
			}
		}
		if err := sh.flush(); err != nil {
			return sh.rows, err
		}
		last = id(batch[len(batch)-1])
	}
}

// Invoices writes the invoices f selects, oldest first, with Stripe's
// export columns.
func (s *Service) Invoices(ctx context.Context, w io.Writer, f billing.Filter, o Options) (int, error) {
	sh, err := newSheet(w, o, []string{
		"id", "number", "customer_id", "customer_name", "customer_email", "status", "standing", "currency",
		"subtotal", "total_discount", "tax", "total", "amount_due", "amount_paid", "amount_remaining",
		"starting_balance", "created", "finalized", "due", "paid", "voided", "marked_uncollectible",
	})
	if err != nil {
		return 0, err
	}
	now := clock.Now(ctx)
	// A draft has no customer snapshot: its customer is read with its
	// batch.
	var names map[string]*ent.Customer
	read := func(after string) ([]*ent.Invoice, error) {
		invs, err := f.Apply(ctx, s.db.Invoice.Query().Where(invoice.IDGT(after)).Order(invoice.ByID()).Limit(batch)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read invoices: %w", err)
		}
		names, err = s.customers(ctx, invs)
		return invs, err
	}
	return stream(sh, read, func(inv *ent.Invoice) string { return inv.ID }, func(inv *ent.Invoice) []string {
		name, email := "", ""
		if snap := inv.CustomerSnapshot; snap != nil {
			name, email = snap.Name, snap.Email
		} else if cus := names[inv.CustomerID]; cus != nil {
			name, email = cus.Name, cus.Email
		}
		c := inv.Currency
		return []string{
			inv.ID, deref(inv.Number), inv.CustomerID, text(name), text(email), string(inv.Status),
			string(billing.StandingOf(inv, now)), c,
			amount(inv.Subtotal, c), amount(inv.TotalDiscount, c), amount(inv.TotalTax, c), amount(inv.Total, c),
			amount(inv.AmountDue, c), amount(inv.AmountPaid, c), amount(billing.AmountRemaining(inv), c),
			amount(inv.StartingBalance, c), sh.date(&inv.CreatedAt), sh.date(inv.FinalizedAt), sh.date(inv.DueDate),
			sh.date(inv.PaidAt), sh.date(inv.VoidedAt), sh.date(inv.MarkedUncollectibleAt),
		}
	})
}

// customers reads the customers of invs, by id.
func (s *Service) customers(ctx context.Context, invs []*ent.Invoice) (map[string]*ent.Customer, error) {
	ids := make([]string, 0, len(invs))
	for _, inv := range invs {
		if inv.CustomerSnapshot == nil {
			ids = append(ids, inv.CustomerID)
		}
	}
	out := map[string]*ent.Customer{}
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := s.db.Customer.Query().Where(customer.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

// Customers writes every customer, oldest first (deleted ones included,
// with the date).
func (s *Service) Customers(ctx context.Context, w io.Writer, o Options) (int, error) {
	sh, err := newSheet(w, o, []string{"id", "name", "email", "phone", "currency", "balance", "tax_exempt", "invoice_prefix", "country", "created", "deleted"})
	if err != nil {
		return 0, err
	}
	read := func(after string) ([]*ent.Customer, error) {
		cs, err := s.db.Customer.Query().Where(customer.IDGT(after)).Order(customer.ByID()).Limit(batch).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read customers: %w", err)
		}
		return cs, nil
	}
	return stream(sh, read, func(c *ent.Customer) string { return c.ID }, func(c *ent.Customer) []string {
		country := ""
		if c.Address != nil {
			country = c.Address.Country
		}
		balance := strconv.FormatInt(c.Balance, 10)
		if c.Currency != "" {
			balance = amount(c.Balance, c.Currency)
		}
		return []string{c.ID, text(c.Name), text(c.Email), text(c.Phone), c.Currency, balance, string(c.TaxExempt),
			c.InvoicePrefix, country, sh.date(&c.CreatedAt), sh.date(c.DeletedAt)}
	})
}

// Payments writes every payment, oldest first.
func (s *Service) Payments(ctx context.Context, w io.Writer, o Options) (int, error) {
	sh, err := newSheet(w, o, []string{"id", "invoice_id", "customer_id", "status", "method_type", "out_of_band_method", "reference",
		"currency", "amount", "amount_refunded", "failure_code", "source", "created", "succeeded", "failed"})
	if err != nil {
		return 0, err
	}
	read := func(after string) ([]*ent.Payment, error) {
		ps, err := s.db.Payment.Query().Where(payment.IDGT(after)).Order(payment.ByID()).Limit(batch).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read payments: %w", err)
		}
		return ps, nil
	}
	return stream(sh, read, func(p *ent.Payment) string { return p.ID }, func(p *ent.Payment) []string {
		return []string{p.ID, p.InvoiceID, p.CustomerID, string(p.Status), string(p.MethodType), p.OutOfBandMethod, text(p.Reference),
			p.Currency, amount(p.Amount, p.Currency), amount(p.AmountRefunded, p.Currency), p.FailureCode, string(p.Source),
			sh.date(&p.CreatedAt), sh.date(p.SucceededAt), sh.date(p.FailedAt)}
	})
}

// CreditNotes writes every credit note, oldest first.
func (s *Service) CreditNotes(ctx context.Context, w io.Writer, o Options) (int, error) {
	sh, err := newSheet(w, o, []string{"id", "number", "invoice_id", "customer_id", "status", "type", "reason", "currency",
		"subtotal", "tax", "total", "refund_amount", "credit_amount", "out_of_band_amount", "created", "voided"})
	if err != nil {
		return 0, err
	}
	read := func(after string) ([]*ent.CreditNote, error) {
		cns, err := s.db.CreditNote.Query().Where(creditnote.IDGT(after)).Order(creditnote.ByID()).Limit(batch).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read credit notes: %w", err)
		}
		return cns, nil
	}
	return stream(sh, read, func(cn *ent.CreditNote) string { return cn.ID }, func(cn *ent.CreditNote) []string {
		c := cn.Currency
		return []string{cn.ID, cn.Number, cn.InvoiceID, cn.CustomerID, string(cn.Status), string(cn.Type), reason(cn),
			c, amount(cn.Subtotal, c), amount(cn.TotalTax, c), amount(cn.Total, c), amount(cn.RefundAmount, c),
			amount(cn.CreditAmount, c), amount(cn.OutOfBandAmount, c), sh.date(&cn.CreatedAt), sh.date(cn.VoidedAt)}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func reason(cn *ent.CreditNote) string {
	if cn.Reason == nil {
		return ""
	}
	return string(*cn.Reason)
}

// Aging writes the aging report rep: a row per currency and customer,
// then each currency's total (customer_id empty, customer_name TOTAL).
func (s *Service) Aging(ctx context.Context, w io.Writer, rep receivables.Report, o Options) (int, error) {
	head := []string{"as_of", "currency", "customer_id", "customer_name"}
	for b := range receivables.Buckets {
		head = append(head, b.String())
	}
	sh, err := newSheet(w, o, append(head, "past_due", "total"))
	if err != nil {
		return 0, err
	}
	asOf := sh.date(&rep.AsOf)
	row := func(cur, id, name string, a receivables.Amounts) error {
		cells := []string{asOf, cur, id, text(name)}
		for _, v := range a {
			cells = append(cells, amount(v, cur))
		}
		return sh.row(append(cells, amount(a.PastDue(), cur), amount(a.Total(), cur)))
	}
	for _, c := range rep.Currencies {
		for _, r := range c.Customers {
			if err := row(c.Currency, r.CustomerID, r.CustomerName, r.Amounts); err != nil {
				return sh.rows, err
			}
		}
		if err := row(c.Currency, "", "TOTAL", c.Totals); err != nil {
			return sh.rows, err
		}
	}
	return sh.rows, sh.flush()
}
