package billing

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/ent/sequence"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// MaxSequence is the largest invoice sequence number, as at Stripe.
const MaxSequence = 1_000_000_000

// FinalizeOptions say whether finalization also emails the invoice.
type FinalizeOptions struct {
	// Send emails the invoice once issued (an "invoice updated" email for
	// a revision); nil follows the template's auto-send setting, which
	// skips customers without an email instead of failing.
	Send *bool
	// To are recipients besides the customer's email.
	To []string
}

// Finalize issues a draft without emailing it.
func (s *Service) Finalize(ctx context.Context, id string) (*ent.Invoice, error) {
	no := false
	return s.FinalizeWith(ctx, id, FinalizeOptions{Send: &no})
}

// FinalizeWith issues a draft: it assigns the next number of its sequence,
// freezes the seller's and buyer's details and terms, applies the
// customer's credit balance, and marks the invoice paid when nothing (or
// less than the currency's minimum charge) is due. Finalizing a revision
// voids the invoice it revises. When the invoice is to be emailed, the
// message is queued in the same transaction. All of it commits together or
// not at all.
func (s *Service) FinalizeWith(ctx context.Context, id string, opts FinalizeOptions) (*ent.Invoice, error) {
	if err := validRecipients(opts.To); err != nil {
		return nil, err
	}
	// The seller's identity is read before the write transaction (SQLite
	// admits one writer): it is what the account says as finalization is
	// asked for.
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	var out *ent.Invoice
	err = s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.loadFields(ctx, tx, id, ActionFinalize, withFinalizeFacts)
		if err != nil {
			return err
		}
		if !hasLines(inv) {
			return usererr.New(usererr.Invalid, "an invoice needs at least one line to be finalized", "lines")
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		now := clock.Now(ctx)
		// The customer is locked only when finalizing may write it (its
		// balance applied, a too-small amount carried to it, a revised
		// invoice's balance given back, its currency set): invoices
		// finalized for one customer otherwise go side by side on
		// PostgreSQL. Then it is read again, locked. Unlocked, it is the
		// customer the draft was written for while its row is unchanged.
		cus, err := s.knownCustomers.ReadAt(ctx, tx, s.dialect, inv.CustomerID, customerRevision(inv))
		mayWrite := func(total int64) bool {
			return cus.Balance != 0 || cus.Currency == "" || inv.FromInvoiceID != nil ||
				(total > 0 && total < money.MinimumCharge(inv.Currency)) || autoCash(acct, cus)
		}
		locked := false
		if err == nil && dbtx.Locking(s.dialect) && mayWrite(inv.Total) {
			cus, err = customers.Lock(ctx, tx, s.dialect, inv.CustomerID)
			locked = true
		}
		if err != nil {
			return onField(err, "id")
		}
		if cus.Currency != "" && cus.Currency != inv.Currency {
			return usererr.Newf(usererr.CurrencyMismatch, []string{"currency"},
				"the customer is billed in %s; this draft is in %s", cus.Currency, inv.Currency)
		}
		if acct.EinvoiceStrict {
			if err := mandatoryMentions(acct, cus, inv).Err(); err != nil {
				return err
			}
		}
		var original *ent.Invoice
		if inv.FromInvoiceID != nil {
			original, err = s.load(ctx, tx, *inv.FromInvoiceID, ActionVoid)
			if err != nil {
				return usererr.New(usererr.InvalidTransition, "the revised invoice can no longer be voided (it was paid or voided since); this revision cannot be issued", "id")
			}
		}

		u := update(tx, inv)
		// The VAT of the customer's tax status now: an EXEMPT or REVERSE
		// customer's taxed lines become E or AE at 0 %.
		total, taxes, retaxed, err := s.retax(ctx, tx, inv, cus, u)
		if err != nil {
			return err
		}
		if err := checkTaxIDs(acct, cus, taxes); err != nil {
			return err
		}
		if err := checkOutOfScope(taxes); err != nil {
			return err
		}
		if !locked && dbtx.Locking(s.dialect) && mayWrite(total) {
			if cus, err = customers.Lock(ctx, tx, s.dialect, inv.CustomerID); err != nil {
				return onField(err, "id")
			}
		}
		if inv.CollectionMethod == invoice.CollectionMethodSendInvoice {
			due := inv.DueDate
			if due == nil {
				days := templateOf(acct, cus).daysUntilDue
				if inv.DaysUntilDue != nil {
					days = *inv.DaysUntilDue
				}
				d := now.AddDate(0, 0, days)
				due = &d
			}
			if due.Before(now) {
				return usererr.New(usererr.Invalid, "the due date has passed; set a new one before finalizing", "dueDate")
			}
			u.SetDueDate(*due)
		}

		number, err := s.nextNumber(ctx, tx, acct, cus)
		if err != nil {
			return err
		}
		u.SetNumber(number).SetTransferReference(banking.Body(number))
		u.SetHostedToken(newHostedToken()).SetHostedTokenExpiresAt(hostedExpiry(now, dueDate(u)))
		terms := termsOf(acct, cus)
		if terms.DirectDebit, err = directDebitOf(ctx, tx, inv, cus); err != nil {
			return err
		}
		u.SetIssuerSnapshot(issuerOf(acct)).SetCustomerSnapshot(buyerOf(cus)).SetTerms(terms)
		if inv.OperationCategory == nil && acct.OperationCategory != nil {
			u.SetOperationCategory(invoice.OperationCategory(*acct.OperationCategory))
		}

		// A revision replaces its original, which is voided first so the
		// balance it used goes back to the customer and on to the revision.
		if original != nil {
			if err := s.voidLocked(ctx, tx, original, cus, now, "superseded by revision "+number); err != nil {
				return err
			}
			if err := tx.Invoice.UpdateOne(original).SetLatestRevisionID(inv.ID).Exec(ctx); err != nil {
				return fmt.Errorf("link revision: %w", err)
			}
		}

		// The customer's balance: credit reduces what is due, a debit adds
		// to it. The ledger records what moved.
		applied, due := totals.ApplyBalance(total, cus.Balance)
		u.SetStartingBalance(cus.Balance).SetAppliedBalance(applied).SetAmountDue(due)
		if len(inv.AmountsDue) > 0 {
			if inv.CollectionMethod == invoice.CollectionMethodChargeAutomatically {
				return usererr.New(usererr.AmountsDueNotAllowed, "payment plans need collectionMethod SEND_INVOICE", "amountsDue")
			}
			if err := planMatches(inv.AmountsDue, due, inv.Currency); err != nil {
				if retaxed {
					return usererr.Newf(usererr.AmountsDueMismatch, []string{"amountsDue"},
						"the customer's tax status changed since the draft was computed: the amount due is now %s; update the plan's amounts", money.MajorString(due, inv.Currency))
				}
				if applied != 0 {
					return usererr.Newf(usererr.AmountsDueMismatch, []string{"amountsDue"},
						"the customer's balance changes the amount due to %s; update the plan's amounts", money.MajorString(due, inv.Currency))
				}
				return err
			}
			plan, last, err := scheduleInstallments(inv.AmountsDue, now)
			if err != nil {
				return err
			}
			u.SetAmountsDue(plan).SetDueDate(last).SetHostedTokenExpiresAt(hostedExpiry(now, &last))
		}
		if cus.Currency == "" {
			if err := tx.Customer.UpdateOne(cus).SetCurrency(inv.Currency).Exec(ctx); err != nil {
				return fmt.Errorf("lock customer currency: %w", err)
			}
			cus.Currency = inv.Currency
		}
		if applied != 0 {
			if _, err := customers.Post(ctx, tx, cus, customers.Entry{
				Amount: -applied, Currency: inv.Currency, Type: balancetransaction.TypeAppliedToInvoice,
				Description: "Applied to invoice " + number, InvoiceID: inv.ID,
			}); err != nil {
				return err
			}
		}
		paid, tooSmall := false, false
		switch {
		case due == 0:
			paid = true
		case due > 0 && due < money.MinimumCharge(inv.Currency):
			// Too small to charge: carried to the customer's balance and
			// collected with the next invoice, as Stripe does.
			paid, tooSmall = true, true
			if _, err := customers.Post(ctx, tx, cus, customers.Entry{
				Amount: due, Currency: inv.Currency, Type: balancetransaction.TypeInvoiceTooSmall,
				Description: "Invoice " + number + " below the minimum chargeable amount", InvoiceID: inv.ID,
			}); err != nil {
				return err
			}
		}
		u.SetEndingBalance(cus.Balance)
		if !paid {
			// Reminders count from now; the first one is planned.
			set, err := s.collectionSettings(ctx, tx, inv, cus)
			if err != nil {
				return err
			}
			u.SetLastReminderAt(now)
			issued := *inv
			issued.Status = invoice.StatusOpen
			replan(u, set, &issued)
		}
		// Finalized, then maybe paid, at the same instant: in that order.
		steps := []step{{HistoryFinalize, ActionFinalize, events.InvoiceFinalized, "number " + number}}
		if paid {
			u.SetAmountPaid(due)
			why := "nothing due"
			if tooSmall {
				why = "amount due below the minimum charge; moved to the customer's balance"
			}
			steps = append(steps, step{HistoryMarkPaid, actionSettle, events.InvoicePaid, why})
		}
		if out, err = transition(ctx, tx, inv, u, steps...); err != nil {
			return err
		}
		if !paid && autoCash(acct, cus) && cus.Currency == out.Currency {
			if out, err = s.payFromCash(ctx, tx, out, cus, min(cus.CashBalance, AmountAvailable(out))); err != nil {
				return err
			}
			paid = out.Status == invoice.StatusPaid
		}
		send := templateOf(acct, cus).autoSend
		if opts.Send != nil {
			send = *opts.Send
		}
		if !send || paid {
			return nil
		}
		return s.sendIssued(ctx, tx, id, SendInput{To: opts.To}, opts.Send != nil)
	})
	if err != nil {
		return nil, err
	}
	// transition knows what the invoice became: no read back.
	out = out.Unwrap()
	if out.CollectionMethod != invoice.CollectionMethodChargeAutomatically || out.Status != invoice.StatusOpen {
		return out, nil
	}
	return s.chargeAtFinalization(ctx, out)
}

// directDebitOf is the SEPA mandate an automatically charged invoice is
// to be debited under: its customer's default method when that is a SEPA
// debit (read only then), nil otherwise.
func directDebitOf(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cus *ent.Customer) (*values.DirectDebit, error) {
	if inv.CollectionMethod != invoice.CollectionMethodChargeAutomatically || cus.DefaultPaymentMethodID == nil {
		return nil, nil
	}
	pm, err := tx.PaymentMethod.Get(ctx, *cus.DefaultPaymentMethodID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load default payment method: %w", err)
	}
	if pm.Type != paymentmethod.TypeSEPADebit || pm.DetachedAt != nil {
		return nil, nil
	}
	return &values.DirectDebit{MandateReference: pm.MandateReference, Last4: pm.Last4}, nil
}

// autoCash says whether finalizing pays the invoice from the customer's
// cash balance: the account asks for it and there is some.
func autoCash(acct *ent.Account, cus *ent.Customer) bool {
	return acct.CashBalanceAutoApply && cus.CashBalance > 0
}

// The extra columns withFinalizeFacts selects.
const (
	hasLinesColumn         = "has_lines"
	customerRevisionColumn = "customer_revision"
)

// withFinalizeFacts makes the read of the invoice to finalize also say, in
// the same statement, whether it has lines (finalization refuses an empty
// invoice) and its customer's revision (NULL once the customer is
// deleted), so that the customer kept since the draft is not read again
// while its row is unchanged.
func withFinalizeFacts(s *sql.Selector) {
	lines := sql.Table(invoiceline.Table)
	s.AppendSelectExprAs(
		sql.Exists(sql.Select(lines.C(invoiceline.FieldID)).From(lines).
			Where(sql.ColumnsEQ(lines.C(invoiceline.FieldInvoiceID), s.C(invoice.FieldID)))),
		hasLinesColumn)
	customers := sql.Table(customer.Table)
	s.AppendSelectExprAs(
		sql.Select(customers.C(customer.FieldRevision)).From(customers).
			Where(sql.And(
				sql.ColumnsEQ(customers.C(customer.FieldID), s.C(invoice.FieldCustomerID)),
				sql.IsNull(customers.C(customer.FieldDeletedAt)))),
		customerRevisionColumn)
}

// customerRevision reads what withFinalizeFacts selected: nil when the
// customer is deleted or the column was not selected.
func customerRevision(inv *ent.Invoice) *int64 {
	v, err := inv.Value(customerRevisionColumn)
	if err != nil {
		return nil
	}
	if r, ok := v.(int64); ok {
		return &r
	}
	return nil
}

// hasLines reads what withFinalizeFacts selected (a boolean on PostgreSQL, an
// integer on SQLite).
func hasLines(inv *ent.Invoice) bool {
	v, err := inv.Value(hasLinesColumn)
	if err != nil {
		return false
	}
	switch b := v.(type) {
	case bool:
		return b
	case int64:
		return b != 0
	}
	return false
}

// chargeAtFinalization charges a charge_automatically invoice once, with
// the customer's default method. Finalization stands whatever happens: a
// failure is recorded on the invoice (and emailed by Pay).
func (s *Service) chargeAtFinalization(ctx context.Context, inv *ent.Invoice) (*ent.Invoice, error) {
	_, _, err := s.Pay(ctx, PayInput{InvoiceID: inv.ID, IdempotencyKey: "finalize:" + inv.ID, Source: payment.SourceAutomatic})
	if ue := usererr.From(err); len(ue) > 0 {
		if rerr := s.run(ctx, func(tx *ent.Tx) error {
			return note(ctx, tx, inv, step{HistoryPaymentFailed, "", events.InvoicePaymentFailed, "automatic charge not attempted: " + ue[0].Message})
		}); rerr != nil {
			return nil, rerr
		}
	} else if err != nil {
		return nil, err
	}
	return s.Get(ctx, inv.ID)
}

// dueDate is the due date a finalization sets, if any.
func dueDate(u *ent.InvoiceUpdate) *time.Time {
	if d, ok := u.Mutation().DueDate(); ok {
		return &d
	}
	return nil
}

// nextNumber advances the gapless sequence of the invoice's prefix inside
// the finalizing transaction, so a rolled-back finalization never consumes a
// number and a deleted draft never had one. Sequences are keyed by prefix:
// a prefix reused later continues where it stopped instead of repeating
// numbers.
func (s *Service) nextNumber(ctx context.Context, tx *ent.Tx, acct *ent.Account, cus *ent.Customer) (string, error) {
	prefix := acct.InvoicePrefix
	if acct.NumberingScheme == account.NumberingSchemeCustomer {
		prefix = cus.InvoicePrefix
	}
	n, err := s.advanceSequence(ctx, tx, prefix)
	if err != nil {
		return "", err
	}
	if n > MaxSequence {
		return "", usererr.New(usererr.LimitExceeded, "the invoice number sequence is exhausted; change the invoice prefix", "id")
	}
	number := fmt.Sprintf("%s-%04d", prefix, n)
	if err := validate.InvoiceNumber(number); err != nil {
		return "", fmt.Errorf("number %q: %w", number, err)
	}
	return number, nil
}

// advanceSequence takes the next number of the gapless sequence scope of
// the viewer's account and mode, inside the caller's transaction.
func (s *Service) advanceSequence(ctx context.Context, tx *ent.Tx, scope string) (int64, error) {
	// Insert the counter or bump it, and read it, in one statement: on
	// PostgreSQL the row lock it takes serializes concurrent finalizations
	// until commit. Raw SQL because ent's upsert cannot return; the scope
	// columns are therefore set here from the viewer, as privacy would.
	v, _ := viewer.FromContext(ctx)
	now := clock.Now(ctx)
	query, args := sql.Dialect(s.dialect).
		Insert(sequence.Table).
		Columns(sequence.FieldID, sequence.FieldAccountID, sequence.FieldMode, sequence.FieldScope,
			sequence.FieldNext, sequence.FieldCreatedAt, sequence.FieldUpdatedAt).
		Values(ids.New("seq", now), v.AccountID, string(v.Mode), scope, 2, now, now).
		OnConflict(
			sql.ConflictColumns(sequence.FieldAccountID, sequence.FieldMode, sequence.FieldScope),
			sql.ResolveWith(func(u *sql.UpdateSet) {
				u.Add(sequence.FieldNext, 1)
				u.SetExcluded(sequence.FieldUpdatedAt)
			}),
		).
		Returning(sequence.FieldNext).
		Query()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("advance sequence: %w", err)
	}
	defer rows.Close()
	var next int64
	if !rows.Next() {
		return 0, fmt.Errorf("advance sequence: no row returned: %w", rows.Err())
	}
	if err := rows.Scan(&next); err != nil {
		return 0, fmt.Errorf("read sequence: %w", err)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("read sequence: %w", err)
	}
	return next - 1, nil
}

func issuerOf(a *ent.Account) *values.Party {
	p := &values.Party{
		Name: a.Name, LegalName: a.LegalName, Email: a.Email, Phone: a.Phone,
		SIREN: a.Siren, SIRET: a.Siret, VATNumber: a.VatNumber,
		LegalForm: a.LegalForm, ShareCapital: a.ShareCapital, Registration: a.Registration,
	}
	if !a.Address.IsZero() {
		addr := a.Address
		p.Address = &addr
	}
	return p
}

func buyerOf(c *ent.Customer) *values.Party {
	return &values.Party{
		Name: c.Name, Email: c.Email, Phone: c.Phone,
		Address: c.Address, Shipping: c.Shipping,
		TaxIDs: c.TaxIds, TaxExempt: string(c.TaxExempt), Locales: c.PreferredLocales,
		TaxExemptionReason: c.TaxExemptionReason, TaxExemptionCode: c.TaxExemptionCode,
	}
}

// voidLocked voids an invoice the caller has loaded in tx. The customer's
// balance the invoice used at finalization goes back to the customer
// (Stripe's unapplied_from_invoice); cus is the invoice's customer when
// the caller holds it already, else nil.
func (s *Service) voidLocked(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cus *ent.Customer, now time.Time, note string) error {
	if !Can(inv.Status, ActionVoid) {
		return usererr.New(usererr.InvalidTransition, (&TransitionError{Status: inv.Status, Action: ActionVoid}).Error(), "id")
	}
	if _, err := transition(ctx, tx, inv, update(tx, inv).SetVoidedAt(now), step{HistoryVoid, ActionVoid, events.InvoiceVoided, note}); err != nil {
		return err
	}
	if inv.AppliedBalance != 0 {
		if cus == nil {
			var err error
			// A customer deleted since keeps its ledger: lock it all the same.
			q := tx.Customer.Query().Where(customer.ID(inv.CustomerID))
			if dbtx.Locking(s.dialect) {
				q = q.ForUpdate()
			}
			if cus, err = q.Only(ctx); err != nil {
				return fmt.Errorf("load customer: %w", err)
			}
		}
		if _, err := customers.Post(ctx, tx, cus, customers.Entry{
			Amount: inv.AppliedBalance, Currency: inv.Currency, Type: balancetransaction.TypeUnappliedFromInvoice,
			Description: "Unapplied from voided invoice " + deref(inv.Number), InvoiceID: inv.ID,
		}); err != nil {
			return err
		}
	}
	return nil
}
