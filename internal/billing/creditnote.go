package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
)

// Credit notes correct an issued invoice (seed reference §5.3): an invoice
// is never edited once issued; what it over-billed is credited by a
// credit note with its own gapless number, which says how its total
// settles. The pre-payment part reduces what the invoice still owes (the
// invoice is paid when nothing remains, through the one transition path);
// the post-payment part gives back money received: refunded to the
// payments (ReserveRefunds), credited to the customer's balance, or
// recorded as returned outside Remit.

// creditNoteIDPrefix is the prefix of credit note ids (the schema's
// IDMixin): the id is taken before the row is written, for the refunds
// that name it.
const creditNoteIDPrefix = "cn"

// CreditNoteLineInput is one line of a credit note: the credit of an
// invoice line (InvoiceLineID with Quantity or Amount), or a custom line
// (Description, UnitAmount, Quantity, tax rates).
type CreditNoteLineInput struct {
	InvoiceLineID *string
	// Quantity of the invoice line to credit, or of a custom line
	// (default 1); a decimal with up to 4 decimals.
	Quantity *string
	// Amount of the invoice line to credit, in major units: the line's
	// amount as the invoice counts it (net of discounts, tax excluded
	// unless its rate is inclusive).
	Amount *string
	// Description and UnitAmount (major units) of a custom line.
	Description *string
	UnitAmount  *string
	// TaxRateIDs are a custom line's rates when SetTaxRates (an empty
	// list: untaxed); otherwise the invoice's default rates apply.
	TaxRateIDs  []string
	SetTaxRates bool
}

// CreditNoteInput is a credit note to issue (or preview) on an invoice.
type CreditNoteInput struct {
	InvoiceID string
	// Lines credit invoice lines or add custom lines; without lines,
	// Amount credits a lump sum (tax included), split over the invoice's
	// tax rates pro rata to what each rate's lines total. With both,
	// Amount must be the lines' total.
	Lines  []CreditNoteLineInput
	Amount *string
	Reason *creditnote.Reason
	Memo   *string
	// The post-payment part, in major units: refunded to the invoice's
	// payments, credited to the customer's balance, returned outside
	// Remit. What the total leaves is the pre-payment part.
	RefundAmount, CreditAmount, OutOfBandAmount *string
	// Email the credit note to the customer: nil sends it when the
	// customer has an email, true requires one, false never sends.
	Email    *bool
	Metadata map[string]string
}

// creditRequest is a validated CreditNoteInput with what it refers to,
// read before the write transaction.
type creditRequest struct {
	in       CreditNoteInput
	inv      *ent.Invoice // as read before the transaction, with its lines
	amount   *int64
	refund   int64
	credit   int64
	oob      int64
	items    []creditItem
	refs     refs
	memo     string
	metadata map[string]string
}

// creditItem is a validated line of the input.
type creditItem struct {
	// line is the invoice line credited; nil for a custom line.
	line     *ent.InvoiceLine
	method   creditnoteline.Method
	quantity decimal.Decimal // QUANTITY, and custom lines
	amount   int64           // AMOUNT
	// A custom line's description, unit amount and rates.
	description string
	unitAmount  decimal.Decimal
	rateIDs     []string
}

// creditable reports whether an invoice in status can be credited.
func creditable(status invoice.Status) bool {
	return status == invoice.StatusOpen || status == invoice.StatusPaid || status == invoice.StatusUncollectible
}

func notCreditable(status invoice.Status) error {
	return usererr.Newf(usererr.InvalidTransition, []string{"invoice"},
		"a credit note corrects an issued invoice that is open, paid or uncollectible; this one is %s", strings.ToLower(string(status)))
}

// readCreditRequest validates in and reads the invoice and tax rates it
// names. An issued invoice's lines never change, so they are read here,
// outside the write transaction; what can change (the status, what is
// due, earlier credit notes) is read again under the invoice's lock.
func (s *Service) readCreditRequest(ctx context.Context, in CreditNoteInput) (*creditRequest, error) {
	inv, err := s.db.Invoice.Query().Where(invoice.ID(in.InvoiceID)).
		WithLines(func(q *ent.InvoiceLineQuery) { q.Order(ent.Asc(invoiceline.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such invoice", "invoice")
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice: %w", err)
	}
	if !creditable(inv.Status) {
		return nil, notCreditable(inv.Status)
	}
	r := &creditRequest{in: in, inv: inv}
	var errs usererr.List
	if in.Memo != nil {
		r.memo = strings.TrimSpace(*in.Memo)
		if len([]rune(r.memo)) > MaxMemo {
			errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{"memo"}, "memo is at most %d characters", MaxMemo))
		}
	}
	if in.Metadata != nil {
		r.metadata = map[string]string{}
		for k, v := range in.Metadata {
			if v != "" {
				r.metadata[k] = v
			}
		}
		errs.Add(validate.Metadata(r.metadata), "metadata")
	}
	if in.Amount != nil {
		a, err := money.ParseAmount(*in.Amount, inv.Currency, "amount")
		switch {
		case err != nil:
			if !errs.Add(err) {
				return nil, err
			}
		case a <= 0:
			errs = append(errs, usererr.New(usererr.InvalidAmount, "a credit note credits more than zero", "amount"))
		default:
			r.amount = &a
		}
	}
	for _, f := range []struct {
		in   *string
		out  *int64
		name string
	}{{in.RefundAmount, &r.refund, "refundAmount"}, {in.CreditAmount, &r.credit, "creditAmount"}, {in.OutOfBandAmount, &r.oob, "outOfBandAmount"}} {
		if f.in == nil {
			continue
		}
		a, err := money.ParseAmount(*f.in, inv.Currency, f.name)
		switch {
		case err != nil:
			if !errs.Add(err) {
				return nil, err
			}
		case a < 0:
			errs = append(errs, usererr.Newf(usererr.InvalidAmount, []string{f.name}, "%s is not negative", f.name))
		default:
			*f.out = a
		}
	}
	switch {
	case len(in.Lines) == 0 && in.Amount == nil:
		errs = append(errs, usererr.New(usererr.Required, "give the lines to credit, or an amount", "lines"))
	case len(in.Lines) > MaxLines:
		errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{"lines"}, "a credit note has at most %d lines", MaxLines))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	byID := make(map[string]*ent.InvoiceLine, len(inv.Edges.Lines))
	for _, l := range inv.Edges.Lines {
		byID[l.ID] = l
	}
	var rateIDs []string
	needDefaults := false
	seen := map[string]bool{}
	for i, l := range in.Lines {
		at := func(f string) []string { return []string{"lines", fmt.Sprint(i), f} }
		var it creditItem
		if l.InvoiceLineID != nil {
			switch {
			case l.Description != nil:
				errs = append(errs, usererr.New(usererr.Invalid, "a credit of an invoice line takes the line's description; give one only for a custom line", at("description")...))
			case l.UnitAmount != nil:
				errs = append(errs, usererr.New(usererr.Invalid, "a credit of an invoice line takes the line's price; give unitAmount only for a custom line", at("unitAmount")...))
			case l.SetTaxRates:
				errs = append(errs, usererr.New(usererr.Invalid, "a credit of an invoice line takes the line's taxes; give taxRates only for a custom line", at("taxRates")...))
			}
			line, ok := byID[*l.InvoiceLineID]
			switch {
			case !ok:
				errs = append(errs, usererr.New(usererr.NotFound, "no such line on this invoice", at("invoiceLine")...))
				continue
			case seen[line.ID]:
				errs = append(errs, usererr.New(usererr.Invalid, "this invoice line is credited twice in one credit note; give it once", at("invoiceLine")...))
				continue
			}
			seen[line.ID] = true
			it.line = line
			switch {
			case (l.Quantity == nil) == (l.Amount == nil):
				errs = append(errs, usererr.New(usererr.Invalid, "credit an invoice line by quantity or by amount: give one of them", at("quantity")...))
			case l.Quantity != nil:
				it.method = creditnoteline.MethodQuantity
				if q, ok := parseQuantity(*l.Quantity); ok {
					it.quantity = q
				} else {
					errs = append(errs, usererr.New(usererr.Invalid, "quantity is above 0 with at most 4 decimals", at("quantity")...))
				}
			default:
				it.method = creditnoteline.MethodAmount
				a, err := money.ParseAmount(*l.Amount, inv.Currency, at("amount")...)
				switch {
				case err != nil:
					if !errs.Add(err) {
						return nil, err
					}
				case a <= 0:
					errs = append(errs, usererr.New(usererr.InvalidAmount, "the amount to credit is more than zero", at("amount")...))
				default:
					it.amount = a
				}
			}
		} else {
			if l.Amount != nil {
				errs = append(errs, usererr.New(usererr.Invalid, "a custom line credits quantity × unitAmount; amount credits an invoice line (give invoiceLine)", at("amount")...))
			}
			it.quantity = decimal.NewFromInt(1)
			if l.Quantity != nil {
				if q, ok := parseQuantity(*l.Quantity); ok {
					it.quantity = q
				} else {
					errs = append(errs, usererr.New(usererr.Invalid, "quantity is above 0 with at most 4 decimals", at("quantity")...))
				}
			}
			if l.Description != nil {
				it.description = strings.TrimSpace(*l.Description)
			}
			switch {
			case it.description == "":
				errs = append(errs, usererr.New(usererr.Required, "describe the custom line (or give invoiceLine to credit a line of the invoice)", at("description")...))
			case len([]rune(it.description)) > MaxDescription:
				errs = append(errs, usererr.Newf(usererr.LimitExceeded, at("description"), "description is at most %d characters", MaxDescription))
			}
			if l.UnitAmount == nil {
				errs = append(errs, usererr.New(usererr.Required, "give the custom line's unitAmount", at("unitAmount")...))
			} else {
				u, err := money.ParseUnitAmount(*l.UnitAmount, inv.Currency, false, at("unitAmount")...)
				errs.Add(err)
				it.unitAmount = u
			}
			if l.SetTaxRates {
				it.rateIDs = append([]string{}, l.TaxRateIDs...)
				rateIDs = append(rateIDs, l.TaxRateIDs...)
			} else {
				needDefaults = true
			}
		}
		r.items = append(r.items, it)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var defaults []string
	if needDefaults {
		if defaults, err = inv.QueryDefaultTaxRates().IDs(ctx); err != nil {
			return nil, fmt.Errorf("load default tax rates: %w", err)
		}
		rateIDs = append(rateIDs, defaults...)
	}
	if r.refs, err = s.loadRefs(ctx, s.db, nil, rateIDs); err != nil {
		return nil, err
	}
	for i, l := range in.Lines {
		if l.InvoiceLineID != nil {
			continue
		}
		if l.SetTaxRates {
			r.refs.checkRates(&errs, l.TaxRateIDs, MaxLineTaxRates, "lines", fmt.Sprint(i), "taxRates")
		} else {
			r.items[i].rateIDs = defaults
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// parseQuantity reads a quantity above 0 with at most 4 decimals.
func parseQuantity(s string) (decimal.Decimal, bool) {
	q, err := money.ParseDecimal(s)
	if err != nil || !q.IsPositive() || !q.Equal(q.Round(4)) || q.GreaterThan(decimal.NewFromInt(1_000_000_000)) {
		return decimal.Decimal{}, false
	}
	return q, true
}

// CreateCreditNote issues a credit note on an open, paid or uncollectible
// invoice: in one transaction, under the invoice's lock, it checks what
// remains to credit, takes the next number of the credit note sequence,
// writes the credit note and its lines, reduces what the invoice owes by
// the pre-payment part (paying the invoice when nothing remains), credits
// the customer's balance, reserves the refunds, records the events and
// queues the email with the PDF. The refunds are executed once it has
// committed.
func (s *Service) CreateCreditNote(ctx context.Context, in CreditNoteInput) (*ent.CreditNote, error) {
	return s.issueCreditNote(ctx, in, false)
}

// PreviewCreditNote is CreateCreditNote written nowhere: the same
// transaction, checks and totals (refunds reserved, a number taken), rolled
// back instead of committed, and no email. The credit note it returns has
// no id and no number; its invoice is the invoice as it stands.
func (s *Service) PreviewCreditNote(ctx context.Context, in CreditNoteInput) (*ent.CreditNote, error) {
	return s.issueCreditNote(ctx, in, true)
}

// errPreview rolls a preview's transaction back.
var errPreview = errors.New("credit note preview: rolled back")

func (s *Service) issueCreditNote(ctx context.Context, in CreditNoteInput, preview bool) (*ent.CreditNote, error) {
	req, err := s.readCreditRequest(ctx, in)
	if err != nil {
		return nil, err
	}
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	var (
		out     *ent.CreditNote
		refunds []string
	)
	err = dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		inv, err := s.lockInvoice(ctx, tx, in.InvoiceID, "invoice")
		if err != nil {
			return err
		}
		if !creditable(inv.Status) {
			return notCreditable(inv.Status)
		}
		// An issued invoice's lines never change: those read before.
		inv.Edges.Lines = req.inv.Edges.Lines
		d, err := s.composeCredit(ctx, tx.Client(), req, inv)
		if err != nil {
			return err
		}
		to, err := creditNoteRecipient(inv, in.Email)
		if err != nil {
			return err
		}
		n, err := s.advanceSequence(ctx, tx, creditNoteScope(acct.InvoicePrefix))
		if err != nil {
			return err
		}
		if n > MaxSequence {
			return usererr.New(usererr.LimitExceeded, "the credit note number sequence is exhausted; change the invoice prefix", "invoice")
		}
		number := fmt.Sprintf("%s-%04d", creditNoteScope(acct.InvoicePrefix), n)
		if err := validate.InvoiceNumber(number); err != nil {
			return fmt.Errorf("credit note number %q: %w", number, err)
		}
		n0 := d.note(inv, req)
		n0.ID, n0.Number = ids.New(creditNoteIDPrefix, clock.Now(ctx)), number
		cn, err := createNote(tx, n0).Save(ctx)
		if err != nil {
			return fmt.Errorf("create credit note: %w", err)
		}
		lines, err := d.insertLines(ctx, tx, cn)
		if err != nil {
			return err
		}
		if _, err := s.applyCredit(ctx, tx, inv, cn, d); err != nil {
			return err
		}
		if req.credit > 0 {
			if err := s.creditBalance(ctx, tx, inv, cn, -req.credit, "Credit note "+number); err != nil {
				return onField(err, "creditAmount")
			}
		}
		if req.refund > 0 {
			reason := ""
			if in.Reason != nil {
				reason = string(*in.Reason)
			}
			refunds, err = s.ReserveRefunds(ctx, RefundRequest{
				InvoiceID: inv.ID, Amount: req.refund, Reason: reason, CreditNoteID: cn.ID, Field: "refundAmount",
			})
			if err != nil {
				return err
			}
		}
		if err := events.Record(ctx, tx, events.CreditNoteCreated, cn); err != nil {
			return err
		}
		if preview {
			p := d.note(inv, req)
			p.CreatedAt, p.UpdatedAt = cn.CreatedAt, cn.UpdatedAt
			p.Edges.LoadedLines(d.lineEntities(p))
			p.Edges.LoadedInvoice(inv.Unwrap())
			out = p
			return errPreview
		}
		cn.Edges.LoadedLines(lines)
		if to != "" {
			if err := s.emailCreditNote(ctx, tx, acct, inv, cn, to); err != nil {
				return err
			}
		}
		out = cn
		return nil
	})
	if preview && errors.Is(err, errPreview) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if len(refunds) > 0 {
		// The refunds are recorded (PENDING) with the credit note: their
		// outcome no longer decides whether it exists.
		if err := s.ExecuteRefunds(ctx, refunds); err != nil {
			slog.ErrorContext(ctx, "credit note refunds", "credit_note", out.ID, "refunds", refunds, "error", err)
		}
	}
	lines := out.Edges.Lines
	out = out.Unwrap()
	for i, l := range lines {
		lines[i] = l.Unwrap()
	}
	out.Edges.LoadedLines(lines)
	return out, nil
}

// creditNoteScope is the prefix of an account's credit note numbers and
// the name of their sequence: an invoice prefix has no "-", so it never
// names an invoice sequence.
func creditNoteScope(invoicePrefix string) string { return invoicePrefix + "-AV" }

// lockInvoice reads a whole invoice of the caller inside tx, locked where
// the database needs it, as finalization and payments do.
func (s *Service) lockInvoice(ctx context.Context, tx *ent.Tx, id, field string) (*ent.Invoice, error) {
	q := tx.Invoice.Query().Where(invoice.ID(id))
	if dbtx.Locking(s.dialect) {
		q.Modify(dbtx.ForNoKeyUpdate)
	}
	inv, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such invoice", field)
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice: %w", err)
	}
	return inv, nil
}

// applyCredit writes what credit note cn (draft d) does to its invoice
// inv: the pre-payment part comes off the amount due (and off the last
// installments of a payment plan), both parts are counted on the invoice,
// and the invoice is paid when nothing remains — a step of its history
// either way, through the one transition path.
func (s *Service) applyCredit(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cn *ent.CreditNote, d *creditDraft) (*ent.Invoice, error) {
	u := update(tx, inv).
		SetAmountDue(inv.AmountDue - d.pre).
		SetPrePaymentCreditNotesAmount(inv.PrePaymentCreditNotesAmount + d.pre).
		SetPostPaymentCreditNotesAmount(inv.PostPaymentCreditNotesAmount + d.post)
	if d.plan != nil {
		u.SetAmountsDue(d.plan)
	}
	entry := step{HistoryCreditNote, "", events.InvoiceUpdated, creditNote(cn, inv.Currency)}
	if d.pre > 0 && inv.AmountDue-d.pre-inv.AmountPaid <= 0 && inv.AmountPending == 0 {
		entry.action, entry.event = actionSettle, events.InvoicePaid
		entry.note += "; nothing remains to pay"
	}
	return transition(ctx, tx, inv, u, entry)
}

// creditNote describes a credit note in an invoice's history: "credit note
// ACME-AV-0001 of 120.00 USD: 100.00 off the amount due, 20.00 to the
// customer's balance".
func creditNote(cn *ent.CreditNote, currency string) string {
	f := func(minor int64) string { return money.MajorString(minor, currency) }
	var parts []string
	if cn.PrePaymentAmount > 0 {
		parts = append(parts, f(cn.PrePaymentAmount)+" off the amount due")
	}
	if cn.RefundAmount > 0 {
		parts = append(parts, f(cn.RefundAmount)+" refunded")
	}
	if cn.CreditAmount > 0 {
		parts = append(parts, f(cn.CreditAmount)+" to the customer's balance")
	}
	if cn.OutOfBandAmount > 0 {
		parts = append(parts, f(cn.OutOfBandAmount)+" returned outside Remit")
	}
	return "credit note " + cn.Number + " of " + f(cn.Total) + " " + currency + ": " + strings.Join(parts, ", ")
}

// creditBalance moves the balance of inv's customer by amount (negative
// credits it) for credit note cn, and records the change: the ledger entry
// and the customer's event. A customer deleted since keeps its ledger.
func (s *Service) creditBalance(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cn *ent.CreditNote, amount int64, description string) error {
	cus, err := customers.Lock(ctx, tx, s.dialect, inv.CustomerID)
	if err != nil {
		if len(usererr.From(err)) > 0 {
			return usererr.New(usererr.NotFound, "the invoice's customer was deleted: its balance cannot be credited", "customer")
		}
		return err
	}
	if _, err := customers.Post(ctx, tx, cus, customers.Entry{
		Amount: amount, Currency: inv.Currency, Type: balancetransaction.TypeCreditNote,
		Description: description, InvoiceID: inv.ID, CreditNoteID: cn.ID,
	}); err != nil {
		return err
	}
	return events.Record(ctx, tx, events.CustomerUpdated, cus)
}

// lumpDescription names the line of a credit by amount alone.
func lumpDescription(lang, number string) string {
	return lumpWords[words.Lang(lang)] + number
}

var lumpWords = map[string]string{"en": "Credit on invoice ", "fr": "Avoir sur la facture ", "de": "Gutschrift zur Rechnung "}

// taxesOf turns values' tax amounts into a credit's stored form (a copy).
func taxesOf(in []values.TaxAmount) []values.TaxAmount {
	if len(in) == 0 {
		return []values.TaxAmount{}
	}
	return append([]values.TaxAmount{}, in...)
}
