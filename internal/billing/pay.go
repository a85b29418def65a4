package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// Method types an invoice can accept. Bank transfers are paid by the
// customer from their bank, following the printed instructions, and
// recorded with invoiceRecordPayment (or invoiceMarkPaid); the others are
// charged through Remit.
var MethodTypes = []string{"CARD", "SEPA_DEBIT", "ACH_DEBIT", "BANK_TRANSFER"}

// DefaultMethodTypes are accepted when the account chose none.
var DefaultMethodTypes = []string{"CARD", "SEPA_DEBIT", "ACH_DEBIT", "BANK_TRANSFER"}

func checkMethodTypes(errs *usererr.List, in []string, field string) []string {
	out := []string{}
	for i, t := range in {
		t = strings.ToUpper(strings.TrimSpace(t))
		if !slices.Contains(MethodTypes, t) {
			*errs = append(*errs, usererr.Newf(usererr.Invalid, []string{field, fmt.Sprint(i)}, "payment method type is one of %s", strings.Join(MethodTypes, ", ")))
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// AcceptedMethodTypes are the types an invoice accepts: its own list
// within the account's.
func AcceptedMethodTypes(acct *ent.Account, inv *ent.Invoice) []string {
	allowed := acct.PaymentMethodTypes
	if len(allowed) == 0 {
		allowed = DefaultMethodTypes
	}
	if inv == nil || len(inv.PaymentMethodTypes) == 0 {
		return allowed
	}
	var out []string
	for _, t := range inv.PaymentMethodTypes {
		if slices.Contains(allowed, t) {
			out = append(out, t)
		}
	}
	return out
}

// PayInput is a payment attempt on an invoice.
type PayInput struct {
	InvoiceID string
	// PaymentMethodID is one of the customer's methods; empty charges the
	// customer's default, unless Card is given.
	PaymentMethodID string
	// Card pays once with a card that is not saved (hosted page).
	Card *payments.CardInput
	// Collected pays once with a method the processor's own form
	// collected (Stripe's PaymentMethod id), not saved for later.
	Collected string
	// Amount in minor units; nil pays PayableNow: the next installment of
	// a plan, or everything that remains.
	Amount *int64
	// All pays everything that remains, plan or not (when Amount is nil).
	All bool
	// IdempotencyKey makes retries safe: a second attempt with the same
	// key returns the first payment.
	IdempotencyKey string
	Source         payment.Source
}

// Pay charges a payment method for an invoice. A decline is not an error:
// the payment comes back FAILED, recorded on the invoice, and the customer
// is emailed.
//
// With a processor that answers in this process (test mode's simulator,
// payments.InProcess) a payment is one write transaction: the invoice is
// read once, locked where the database needs it, charged, and the payment
// inserted with its outcome beside the invoice's one update and the
// events. With a processor over the network the payment row is written
// and its amount reserved first, the processor called outside any
// transaction, and the outcome applied after (applyResult), so that no
// money moves without a record.
//
// The Idempotency-Key is the payment row's unique key. A first attempt
// does not look it up: a retry finds its payment when the attempt fails
// (the invoice it paid has nothing left to pay, or its own row is in the
// way) and gets that payment back, as it now stands.
func (s *Service) Pay(ctx context.Context, in PayInput) (*ent.Invoice, *ent.Payment, error) {
	if in.IdempotencyKey == "" {
		return nil, nil, usererr.New(usererr.IdempotencyKeyRequired, "payments need an Idempotency-Key header, so that a retry never charges twice")
	}
	v, _ := viewer.FromContext(ctx)
	proc, err := s.processor(ctx, v.AccountID, v.Mode)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.attempt(ctx, proc, in)
	if err != nil {
		return s.replay(ctx, in, err)
	}
	if a.charged {
		return a.inv, a.payment, nil
	}
	res, err := proc.Charge(ctx, chargeRequest(a.payment.ID, a.payment.InvoiceID, a.method, a.payment.Amount, a.payment.Currency, orSource(in.Source)))
	if err != nil {
		if !definitive(err) {
			// Unknown outcome (timeout, network): the payment stays
			// PROCESSING and the settlement job asks the processor again
			// with the same key.
			return s.current(ctx, a.payment.ID, err)
		}
		res = payments.ChargeResult{Status: payments.StatusFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
	}
	return s.applyResult(ctx, a.payment, res)
}

// chargeRequest asks to charge payment id of invoice invoiceID with pm.
// The payment's id is the idempotency key, so every retry of one payment
// (after a timeout, from the settlement job) is the same charge to the
// processor, and it travels in the metadata so a webhook finds the
// payment even when its reference was never stored.
func chargeRequest(id, invoiceID string, pm *ent.PaymentMethod, amount int64, currency string, source payment.Source) payments.ChargeRequest {
	return payments.ChargeRequest{
		Method:         payments.Method{Type: payments.MethodType(pm.Type), Token: pm.Token},
		Amount:         amount,
		Currency:       currency,
		IdempotencyKey: id,
		OffSession:     source == payment.SourceAutomatic || source == payment.SourceScheduled,
		Metadata:       map[string]string{payments.MetadataPaymentID: id, payments.MetadataInvoiceID: invoiceID},
	}
}

// paymentIDPrefix is the prefix of payment ids (the schema's IDMixin): an
// in-process charge is keyed by the id of the payment it is about to
// insert, as the settlement job keys a retry of it.
const paymentIDPrefix = "py"

// attempted is what attempt did: a payment charged and recorded with its
// outcome (charged), or one reserved for its method to be charged.
type attempted struct {
	inv     *ent.Invoice
	payment *ent.Payment
	method  *ent.PaymentMethod
	charged bool
}

// attempt checks a payment and writes it, in one transaction: charged
// there and recorded with its outcome when proc answers in process, else
// reserved (the payment PROCESSING, its amount held on the invoice) for
// Pay to charge. The checks come in the order callers see their errors:
// the invoice exists, the method is the customer's and accepted, the
// invoice can be paid, the amount fits.
func (s *Service) attempt(ctx context.Context, proc payments.Processor, in PayInput) (attempted, error) {
	var a attempted
	if in.Amount != nil && *in.Amount <= 0 {
		return a, usererr.New(usererr.InvalidAmount, "the amount is more than zero", "amount")
	}
	if _, refusing := proc.(payments.Refusing); refusing {
		return a, usererr.New(usererr.ProcessorUnavailable, "no payment processor is configured for live mode; use test mode or configure a provider")
	}
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return a, fmt.Errorf("load account: %w", err)
	}
	var card *payments.Method
	switch {
	case in.Collected != "":
		// Before the transaction, as tokenization: a network call. No
		// customer is named, so a method saved on any customer's behalf
		// is refused: one payment takes only a method collected for it.
		m, err := paymentmethods.Collected(ctx, proc, payments.Customer{}, in.Collected, false)
		if err != nil {
			return a, err
		}
		card = &m
	case in.Card != nil:
		// Before the transaction: a real processor's tokenization is a
		// network call.
		m, err := proc.Tokenize(ctx, *in.Card)
		if err != nil {
			return a, paymentmethods.UserError(err)
		}
		card = &m
	}
	_, inProcess := proc.(payments.InProcess)
	err = s.run(ctx, func(tx *ent.Tx) error {
		// The whole row, once: the events carry the invoice's snapshot.
		// With its customer's collection settings, which the outcome
		// needs, in the same statement.
		q := tx.Invoice.Query().Where(invoice.ID(in.InvoiceID)).Modify(withCustomerSettings)
		if dbtx.Locking(s.dialect) {
			q.Modify(dbtx.ForNoKeyUpdate)
		}
		inv, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no such invoice", "id")
		}
		if err != nil {
			return fmt.Errorf("load invoice: %w", err)
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		pm, err := methodFor(ctx, tx, inv, in, card)
		if err != nil {
			return err
		}
		if err := methodAccepted(acct, inv, pm); err != nil {
			return err
		}
		// The amount is checked against what remains, minus what is in
		// flight, under the invoice's lock.
		if !Can(inv.Status, ActionPay) {
			return usererr.New(usererr.InvalidTransition, (&TransitionError{Status: inv.Status, Action: ActionPay}).Error(), "id")
		}
		if err := paymentGuard(inv, ActionPay); err != nil {
			return err
		}
		available := AmountAvailable(inv)
		amount := PayableNow(inv)
		switch {
		case in.Amount != nil:
			amount = *in.Amount
		case in.All:
			amount = available
		}
		switch {
		case available <= 0 && inv.AmountPending > 0:
			return usererr.New(usererr.AmountExceedsRemaining, "a payment of the whole remaining amount is already in progress", "amount")
		case amount > available:
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the amount is more than the %s remaining", money.MajorString(available, inv.Currency))
		case amount < money.MinimumCharge(inv.Currency) && amount != available:
			return usererr.Newf(usererr.InvalidAmount, []string{"amount"}, "the amount is below the minimum charge of %s", money.MajorString(money.MinimumCharge(inv.Currency), inv.Currency))
		}
		pc := tx.Payment.Create().
			SetID(ids.New(paymentIDPrefix, clock.Now(ctx))).
			SetNillableTestClockID(inv.TestClockID).
			SetInvoiceID(inv.ID).
			SetCustomerID(inv.CustomerID).
			SetPaymentMethodID(pm.ID).
			SetMethodType(payment.MethodType(pm.Type)).
			SetAmount(amount).
			SetCurrency(inv.Currency).
			SetIdempotencyKey(in.IdempotencyKey).
			SetSource(orSource(in.Source))
		a.method = pm
		if !inProcess {
			if a.payment, err = insertPayment(ctx, pc); err != nil {
				return err
			}
			u := update(tx, inv).AddAmountPending(amount)
			if offSession(a.payment) {
				set, err := s.collectionSettings(ctx, tx, inv, nil)
				if err != nil {
					return err
				}
				afterAttempt(set, inv, a.payment, payments.ChargeResult{Status: payments.StatusProcessing}, u, true, clock.Now(ctx))
				replan(u, set, inv)
			}
			return u.Exec(ctx)
		}
		id, _ := pc.Mutation().ID()
		res, err := proc.Charge(ctx, chargeRequest(id, inv.ID, pm, amount, inv.Currency, orSource(in.Source)))
		if err != nil {
			if definitive(err) {
				res = payments.ChargeResult{Status: payments.StatusFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
			} else {
				// Unknown outcome: PROCESSING, for the settlement job to
				// ask again with the same key.
				res = payments.ChargeResult{Status: payments.StatusProcessing}
			}
		}
		if err := setOutcome(pc.Mutation(), res, clock.Now(ctx)); err != nil {
			return err
		}
		if a.payment, err = insertPayment(ctx, pc); err != nil {
			return err
		}
		a.payment.Edges.PaymentMethod = pm // for the receipt, without a read
		a.inv, err = s.recordOutcome(ctx, tx, inv, a.payment, res, false)
		a.charged = true
		return err
	})
	if err != nil {
		return attempted{}, err
	}
	// Read in the transaction, returned after it: rebound to the client so
	// resolvers can load their edges (the method, set for the receipt, is
	// loaded again by whoever asks).
	a.payment.Edges.PaymentMethod = nil
	a.payment = a.payment.Unwrap()
	if a.inv != nil {
		a.inv = a.inv.Unwrap()
	}
	return a, nil
}

// insertPayment saves a new payment.
func insertPayment(ctx context.Context, pc *ent.PaymentCreate) (*ent.Payment, error) {
	p, err := pc.Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, usererr.New(usererr.Invalid, "a payment with this Idempotency-Key is being made", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("create payment: %w", err)
	}
	return p, nil
}

// replay answers a failed attempt whose Idempotency-Key already has a
// payment: the retry of that payment gets it back, with its invoice. An
// attempt whose key is new fails with its own error.
func (s *Service) replay(ctx context.Context, in PayInput, cause error) (*ent.Invoice, *ent.Payment, error) {
	prev, err := s.db.Payment.Query().Where(payment.IdempotencyKey(in.IdempotencyKey)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, cause
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up payment: %w", err)
	}
	if prev.InvoiceID != in.InvoiceID {
		return nil, nil, usererr.New(usererr.Invalid, "this Idempotency-Key was used for another invoice's payment", "id")
	}
	inv, err := s.Get(ctx, prev.InvoiceID)
	return inv, prev, err
}

func orSource(s payment.Source) payment.Source {
	if s == "" {
		return payment.SourceAPI
	}
	return s
}

// definitive tells processor errors that mean "this charge can never
// succeed as sent" from those that leave the outcome unknown.
func definitive(err error) bool {
	for _, e := range []error{payments.ErrInvalidToken, payments.ErrInvalidRequest, payments.ErrUnsupported, payments.ErrInvalidReference} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// methodAccepted checks that pm can pay inv: a type the invoice accepts,
// in the debit's currency.
func methodAccepted(acct *ent.Account, inv *ent.Invoice, pm *ent.PaymentMethod) error {
	if !slices.Contains(AcceptedMethodTypes(acct, inv), string(pm.Type)) {
		return usererr.Newf(usererr.PaymentMethodNotAccepted, []string{"paymentMethod"}, "this invoice does not accept %s payments", strings.ToLower(string(pm.Type)))
	}
	if c := debitCurrency(pm.Type); c != "" && c != inv.Currency {
		return usererr.Newf(usererr.CurrencyMismatch, []string{"paymentMethod"}, "%s debits are in %s; this invoice is in %s", pm.Type, c, inv.Currency)
	}
	return nil
}

func debitCurrency(t paymentmethod.Type) string {
	switch t {
	case paymentmethod.TypeSEPADebit:
		return "EUR"
	case paymentmethod.TypeACHDebit:
		return "USD"
	}
	return ""
}

// processor is the one serving accountID in mode.
func (s *Service) processor(ctx context.Context, accountID string, m viewer.Mode) (payments.Processor, error) {
	p, err := s.procs.For(ctx, accountID, m)
	if err != nil {
		return nil, fmt.Errorf("find payment processor: %w", err)
	}
	return p, nil
}

// methodFor resolves the payment method of an attempt on inv, in tx: the
// one given, the customer's default (found through the customer row in
// the same statement), or a one-off card, saved detached so the payment
// keeps its details.
func methodFor(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, in PayInput, card *payments.Method) (*ent.PaymentMethod, error) {
	if card != nil {
		c := tx.PaymentMethod.Create().
			SetCustomerID(inv.CustomerID).SetType(paymentmethod.Type(card.Type)).SetToken(card.Token).
			SetBrand(card.Brand).SetLast4(card.Last4).SetExpMonth(card.ExpMonth).SetExpYear(card.ExpYear).
			SetFingerprint(card.Fingerprint).SetBankCode(card.BankCode).SetCountry(card.Country).
			SetDetachedAt(clock.Now(ctx))
		if card.Type.Delayed() {
			// The processor's form collected the debit's mandate.
			c.SetMandateReference(card.MandateReference).SetMandateAcceptedAt(clock.Now(ctx))
		}
		return c.Save(ctx)
	}
	q := tx.PaymentMethod.Query().Where(paymentmethod.CustomerID(inv.CustomerID), paymentmethod.DetachedAtIsNil())
	if in.PaymentMethodID != "" {
		q.Where(paymentmethod.ID(in.PaymentMethodID))
	} else {
		q.Where(defaultOf(inv.CustomerID))
	}
	pm, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		if in.PaymentMethodID == "" {
			has, err := tx.Customer.Query().Where(customer.ID(inv.CustomerID), customer.DefaultPaymentMethodIDNotNil()).Exist(ctx)
			if err != nil {
				return nil, fmt.Errorf("load customer: %w", err)
			}
			if !has {
				return nil, usererr.New(usererr.Required, "the customer has no default payment method; give paymentMethod", "paymentMethod")
			}
		}
		return nil, usererr.New(usererr.PaymentMethodNotAccepted, "no such payment method for this invoice's customer", "paymentMethod")
	}
	if err != nil {
		return nil, fmt.Errorf("load payment method: %w", err)
	}
	return pm, nil
}

// defaultOf matches the default payment method of a customer:
// id IN (SELECT default_payment_method_id FROM customers WHERE id = ?).
func defaultOf(customerID string) predicate.PaymentMethod {
	return func(s *sql.Selector) {
		b := sql.Dialect(s.Dialect())
		c := b.Table(customer.Table)
		s.Where(sql.In(s.C(paymentmethod.FieldID),
			b.Select(c.C(customer.FieldDefaultPaymentMethodID)).From(c).Where(sql.EQ(c.C(customer.FieldID), customerID))))
	}
}

// setOutcome sets on a payment's mutation what res says of it: its status
// and, as they apply, the processor's reference, when it succeeded or
// failed and why, and when a debit settles.
func setOutcome(m *ent.PaymentMutation, res payments.ChargeResult, now time.Time) error {
	if res.Reference != "" {
		m.SetProcessorReference(res.Reference)
	}
	switch res.Status {
	case payments.StatusSucceeded:
		m.SetStatus(payment.StatusSucceeded)
		m.SetSucceededAt(now)
		m.ClearSettlesAt()
	case payments.StatusFailed, payments.StatusCanceled:
		st := payment.StatusFailed
		if res.Status == payments.StatusCanceled {
			st = payment.StatusCanceled
		}
		m.SetStatus(st)
		m.SetFailedAt(now)
		m.ClearSettlesAt()
		m.SetFailureCode(res.FailureCode)
		m.SetFailureMessage(firstNonEmpty(res.FailureMessage, res.DeclineCode))
	case payments.StatusRequiresAction:
		m.SetStatus(payment.StatusRequiresAction)
	case payments.StatusProcessing:
		m.SetStatus(payment.StatusProcessing)
		if !res.SettlesAt.IsZero() {
			m.SetSettlesAt(res.SettlesAt)
		}
	default:
		return fmt.Errorf("unknown payment status %q", res.Status)
	}
	return nil
}

// recordOutcome writes, in tx, what the outcome res of p (the payment as
// it now stands) does to its invoice inv, and returns the invoice as it
// then stands. A success adds to what is paid, through transition (PAID
// once nothing remains); a failure is a step of the invoice's history and
// an email to the customer; a charge still in flight (3-D Secure, a debit
// settling later) holds its amount on the invoice. reserved says whether
// p's amount is held already (written before the processor was called):
// an outcome that ends the payment releases it.
func (s *Service) recordOutcome(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, p *ent.Payment, res payments.ChargeResult, reserved bool) (*ent.Invoice, error) {
	ctx, err := s.invoiceClock(ctx, tx, inv)
	if err != nil {
		return nil, err
	}
	set, err := s.collectionSettings(ctx, tx, inv, nil)
	if err != nil {
		return nil, err
	}
	now := clock.Now(ctx)
	// An in-process charge is recorded once with its first outcome; one
	// reserved first (a processor over the network, or an outcome that
	// came later) had its attempt counted when it was reserved.
	first := !reserved
	iu := update(tx, inv)
	switch res.Status {
	case payments.StatusSucceeded:
		if err := events.Record(ctx, tx, events.PaymentSucceeded, p); err != nil {
			return nil, err
		}
		paid := inv.AmountPaid + p.Amount
		iu.SetAmountPaid(paid)
		if reserved {
			iu.AddAmountPending(-p.Amount)
		}
		afterAttempt(set, inv, p, res, iu, first, now)
		entry := step{HistoryPayment, "", events.InvoiceUpdated, describePayment(p, inv.Currency)}
		if paid >= inv.AmountDue {
			entry.action, entry.event = actionSettle, events.InvoicePaid
		} else {
			entry.note += "; " + money.MajorString(inv.AmountDue-paid, inv.Currency) + " remaining"
			replan(iu, set, inv)
		}
		after, err := transition(ctx, tx, inv, iu, entry)
		if err != nil {
			return nil, err
		}
		if set.Emails.Receipt {
			if err := s.enqueueReceipt(ctx, tx, after, p); err != nil {
				return nil, err
			}
		}
		return after, nil
	case payments.StatusFailed, payments.StatusCanceled:
		if reserved {
			iu.AddAmountPending(-p.Amount)
		}
		if err := events.Record(ctx, tx, events.PaymentFailed, p); err != nil {
			return nil, err
		}
		code := res.FailureCode
		if res.DeclineCode != "" {
			code += "/" + res.DeclineCode
		}
		text := describePayment(p, inv.Currency) + " failed: " + code
		why, exhausted := afterAttempt(set, inv, p, res, iu, first, now)
		if why != "" {
			text += "; " + why
		}
		replan(iu, set, inv)
		steps := []step{{HistoryPaymentFailed, "", events.InvoicePaymentFailed, text}}
		if exhausted != nil {
			steps = append(steps, *exhausted)
		}
		var after *ent.Invoice
		if changed(iu) || exhausted != nil {
			after, err = transition(ctx, tx, inv, iu, steps...)
		} else {
			after, err = inv, note(ctx, tx, inv, steps[0])
		}
		if err != nil {
			return nil, err
		}
		if !set.Emails.PaymentFailed {
			return after, nil
		}
		return after, s.enqueuePaymentFailed(ctx, tx, after, p, res)
	case payments.StatusRequiresAction, payments.StatusProcessing:
		if !reserved {
			iu.AddAmountPending(p.Amount)
		}
		afterAttempt(set, inv, p, res, iu, first, now)
		replan(iu, set, inv)
		if changed(iu) {
			if err := iu.Exec(ctx); err != nil {
				return nil, fmt.Errorf("reserve amount: %w", err)
			}
			inv = applied(inv, iu.Mutation())
		}
		if res.Status != payments.StatusRequiresAction {
			return inv, nil
		}
		if err := events.Record(ctx, tx, events.InvoicePaymentActionRequired, inv); err != nil {
			return nil, err
		}
		if offSession(p) && set.Emails.ActionRequired {
			return inv, s.enqueueActionRequired(ctx, tx, inv, p)
		}
		return inv, nil
	}
	return nil, fmt.Errorf("unknown payment status %q", res.Status)
}

// changed reports whether u changes anything.
func changed(u *ent.InvoiceUpdate) bool {
	m := u.Mutation()
	return len(m.Fields()) > 0 || len(m.AddedFields()) > 0 || len(m.ClearedFields()) > 0
}

// offSession reports whether p was made without the customer present:
// an automatic charge or one they scheduled.
func offSession(p *ent.Payment) bool {
	return p.Source == payment.SourceAutomatic || p.Source == payment.SourceScheduled
}

// current returns a payment and its invoice as stored, with err logged
// nowhere: the caller gets a PROCESSING payment to look at later.
func (s *Service) current(ctx context.Context, id string, _ error) (*ent.Invoice, *ent.Payment, error) {
	p, err := s.db.Payment.Get(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("load payment: %w", err)
	}
	inv, err := s.Get(ctx, p.InvoiceID)
	return inv, p, err
}

// Confirm completes a payment awaiting customer authentication (3-D
// Secure), as the customer's bank would after the challenge.
func (s *Service) Confirm(ctx context.Context, paymentID string, authenticated bool) (*ent.Invoice, *ent.Payment, error) {
	p, err := s.db.Payment.Get(ctx, paymentID)
	if ent.IsNotFound(err) {
		return nil, nil, usererr.New(usererr.NotFound, "no such payment", "id")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load payment: %w", err)
	}
	if p.Status != payment.StatusRequiresAction {
		return nil, nil, usererr.Newf(usererr.InvalidTransition, []string{"id"}, "the payment is %s, not awaiting authentication", strings.ToLower(string(p.Status)))
	}
	proc, err := s.processor(ctx, p.AccountID, p.Mode)
	if err != nil {
		return nil, nil, err
	}
	res, err := proc.Confirm(ctx, p.ProcessorReference, authenticated)
	if err != nil {
		return nil, nil, fmt.Errorf("confirm payment: %w", err)
	}
	if res.Status == payments.StatusRequiresAction {
		// Still awaiting the payer (a processor whose challenge runs in
		// the payer's browser, asked before it ended): nothing happened.
		return s.current(ctx, p.ID, nil)
	}
	return s.applyResult(ctx, p, res)
}

// applyResult records a processor outcome on p as Pay, Confirm or the
// settlement job last read it: the payment's status, and what the outcome
// does to the invoice (recordOutcome; p's amount was reserved when it was
// written). The payment changes only while it is still in flight (a
// conditional update, atomic on both databases), so applying an outcome
// twice changes nothing. It returns the invoice and the payment as they
// then stand, without reading them back.
func (s *Service) applyResult(ctx context.Context, p *ent.Payment, res payments.ChargeResult) (*ent.Invoice, *ent.Payment, error) {
	out := *p
	var inv *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		// The whole row: the events carry the invoice's snapshot.
		iq := tx.Invoice.Query().Where(invoice.ID(p.InvoiceID))
		if dbtx.Locking(s.dialect) {
			iq.Modify(dbtx.ForNoKeyUpdate)
		}
		cur, err := iq.Only(ctx)
		if err != nil {
			return fmt.Errorf("load invoice: %w", err)
		}
		inv = cur
		pu := tx.Payment.Update().Where(payment.ID(p.ID), payment.StatusIn(payment.StatusProcessing, payment.StatusRequiresAction))
		if err := setOutcome(pu.Mutation(), res, clock.Now(ctx)); err != nil {
			return err
		}
		n, err := pu.Save(ctx)
		if err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		if n == 0 {
			// Final already (another worker or a retry got here first).
			now, err := tx.Payment.Get(ctx, p.ID)
			if err != nil {
				return fmt.Errorf("load payment: %w", err)
			}
			out = *now.Unwrap()
			return nil
		}
		applyOutcome(&out, pu.Mutation())
		inv, err = s.recordOutcome(ctx, tx, cur, &out, res, true)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return inv.Unwrap(), &out, nil
}

// applyOutcome carries onto p the fields an outcome's update m set or
// cleared (setOutcome), as the row now holds them.
func applyOutcome(p *ent.Payment, m *ent.PaymentMutation) {
	if v, ok := m.Status(); ok {
		p.Status = v
	}
	if v, ok := m.ProcessorReference(); ok {
		p.ProcessorReference = v
	}
	if v, ok := m.SucceededAt(); ok {
		p.SucceededAt = &v
	}
	if v, ok := m.FailedAt(); ok {
		p.FailedAt = &v
	}
	if v, ok := m.SettlesAt(); ok {
		p.SettlesAt = &v
	}
	if m.SettlesAtCleared() {
		p.SettlesAt = nil
	}
	if v, ok := m.FailureCode(); ok {
		p.FailureCode = v
	}
	if v, ok := m.FailureMessage(); ok {
		p.FailureMessage = v
	}
	if v, ok := m.UpdatedAt(); ok {
		p.UpdatedAt = v
	}
}

// describePayment reads as "€20.00 by visa •••• 4242".
func describePayment(p *ent.Payment, currency string) string {
	return money.MajorString(p.Amount, currency) + " " + currency + " by " + strings.ToLower(strings.ReplaceAll(string(p.MethodType), "_", " "))
}

var paymentFailedWords = map[string]map[string]string{
	"en": {"subject": "Payment failed for invoice %s from %s", "body": "Hello %s,\n\nYour payment of %s for invoice %s did not go through: %s. Nothing was charged.\n\nYou can pay with another method here:\n%s\n\n%s\n"},
	"fr": {"subject": "Échec du paiement de la facture %s de %s", "body": "Bonjour %s,\n\nVotre paiement de %s pour la facture %s n'a pas abouti : %s. Aucun montant n'a été débité.\n\nVous pouvez payer avec un autre moyen ici :\n%s\n\n%s\n"},
	"de": {"subject": "Zahlung der Rechnung %s von %s fehlgeschlagen", "body": "Guten Tag %s,\n\nIhre Zahlung von %s für die Rechnung %s ist fehlgeschlagen: %s. Es wurde nichts abgebucht.\n\nSie können hier mit einem anderen Zahlungsmittel bezahlen:\n%s\n\n%s\n"},
}

// enqueuePaymentFailed emails the customer that a payment failed, in the
// transaction that records the failure.
func (s *Service) enqueuePaymentFailed(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, p *ent.Payment, res payments.ChargeResult) error {
	m, ok := s.customerMail(inv)
	if !ok {
		return nil
	}
	w := paymentFailedWords[m.lang]
	// The reason in the payer's words, as the pages say it: never a raw
	// processor code, nor that a card was reported lost or stolen.
	reason := words.ReasonOf(res.FailureCode, m.lang)
	_, err := s.outbox.Enqueue(ctx, tx, m.message("payment_failed", inv, s.mailing.From,
		fmt.Sprintf(w["subject"], m.number, m.seller.Name),
		fmt.Sprintf(w["body"], m.buyer.Name, money.Format(p.Amount, p.Currency, m.lang), m.number, reason, m.link, m.seller.Name)))
	return err
}

// RequiresActionTimeout is how long a payment may wait for the customer's
// authentication before it is canceled and its amount released.
const RequiresActionTimeout = time.Hour

// OffSessionActionTimeout is the same for a payment made without the
// customer (an automatic charge, a scheduled payment): they learn of it
// by email, so they get three days; then the retry schedule goes on.
const OffSessionActionTimeout = 72 * time.Hour

// SettleDue resolves delayed debits whose settlement time has come, and
// asks the processor again about payments whose outcome was lost (a
// timeout while charging). It serves every account: run it from the
// worker, for payments on real time (testClockID empty) or on one test
// clock.
func (s *Service) SettleDue(ctx context.Context, testClockID string, limit int) (int, error) {
	sys := viewer.Bypass(ctx, "the worker settles every account's payments")
	now := clock.Now(ctx)
	onClock := payment.TestClockIDIsNil()
	if testClockID != "" {
		onClock = payment.TestClockID(testClockID)
	}
	due, err := s.db.Payment.Query().
		Where(onClock, payment.StatusEQ(payment.StatusProcessing), payment.Or(
			payment.SettlesAtLTE(now),
			payment.And(payment.SettlesAtIsNil(), payment.CreatedAtLT(now.Add(-time.Minute))),
		)).
		Order(payment.ByCreatedAt()).
		Limit(limit).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find payments to settle: %w", err)
	}
	// A payment left awaiting authentication holds its amount; after an
	// hour without an answer it is canceled so the invoice can be paid.
	offSession := payment.SourceIn(payment.SourceAutomatic, payment.SourceScheduled)
	stale, err := s.db.Payment.Query().
		Where(onClock, payment.StatusEQ(payment.StatusRequiresAction), payment.Or(
			payment.And(payment.Not(offSession), payment.CreatedAtLT(now.Add(-RequiresActionTimeout))),
			payment.And(offSession, payment.CreatedAtLT(now.Add(-OffSessionActionTimeout))),
		)).
		Order(payment.ByCreatedAt()).
		Limit(limit).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find payments awaiting authentication: %w", err)
	}
	n := 0
	for _, p := range stale {
		vctx := viewer.NewContext(ctx, viewer.System(p.AccountID, p.Mode, "worker"))
		res, ok, err := s.giveUp(vctx, p)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		if _, _, err := s.applyResult(vctx, p, res); err != nil {
			return n, err
		}
		n++
	}
	for _, p := range due {
		vctx := viewer.NewContext(ctx, viewer.System(p.AccountID, p.Mode, "worker"))
		proc, err := s.processor(vctx, p.AccountID, p.Mode)
		if err != nil {
			return n, err
		}
		var res payments.ChargeResult
		if p.ProcessorReference != "" {
			res, err = proc.Settle(vctx, p.ProcessorReference)
		} else {
			pm, perr := s.db.PaymentMethod.Get(vctx, deref(p.PaymentMethodID))
			if perr != nil {
				return n, fmt.Errorf("load payment method: %w", perr)
			}
			res, err = proc.Charge(vctx, chargeRequest(p.ID, p.InvoiceID, pm, p.Amount, p.Currency, p.Source))
		}
		if err != nil {
			if definitive(err) {
				res = payments.ChargeResult{Status: payments.StatusFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
			} else {
				// Still unknown: ask again later, not on every run.
				if err := s.reconcileLater(vctx, p, payments.ChargeResult{}, now); err != nil {
					return n, err
				}
				continue
			}
		}
		if res.Status == payments.StatusProcessing {
			if err := s.reconcileLater(vctx, p, res, now); err != nil {
				return n, err
			}
			continue
		}
		if _, _, err := s.applyResult(vctx, p, res); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// giveUp is the outcome of a payment that waited too long for its payer's
// authentication: canceled, and canceled at the processor too when it can
// be, so that a challenge completed later takes no money. A charge that
// went through meanwhile is recorded as it stands. ok is false when the
// processor could not be asked: the next run tries again.
func (s *Service) giveUp(ctx context.Context, p *ent.Payment) (res payments.ChargeResult, ok bool, err error) {
	res = payments.ChargeResult{Status: payments.StatusCanceled, FailureCode: "authentication_timeout",
		FailureMessage: "the customer did not complete authentication in time"}
	proc, err := s.processor(ctx, p.AccountID, p.Mode)
	if err != nil {
		return res, false, err
	}
	c, can := proc.(payments.Canceler)
	if !can || p.ProcessorReference == "" {
		return res, true, nil
	}
	now, err := c.Cancel(ctx, p.ProcessorReference)
	switch {
	case err != nil && !definitive(err):
		return res, false, nil
	case err == nil && (now.Status == payments.StatusSucceeded || now.Status == payments.StatusProcessing):
		return now, true, nil
	}
	return res, true, nil
}

// Bounds of the wait between two questions to a processor about a payment
// still PROCESSING (or a refund still pending) that it gave no settlement
// date for (a real provider's
// debit, or a charge whose answer was lost): its webhook normally tells
// first, and this is the reconciliation if it never does.
const (
	minReconcileWait = time.Minute
	maxReconcileWait = 6 * time.Hour
)

// reconcileWait is how long to wait before asking again about something
// created at created: half its age, within the bounds above.
func reconcileWait(created, now time.Time) time.Duration {
	return min(max(now.Sub(created)/2, minReconcileWait), maxReconcileWait)
}

// reconcileLater sets when the settlement job next asks about p, still in
// flight: when res says it settles, else after half the payment's age
// (a minute for a new one, at most six hours for one days old), so a
// lost webhook is caught early and a week-long debit costs few calls.
func (s *Service) reconcileLater(ctx context.Context, p *ent.Payment, res payments.ChargeResult, now time.Time) error {
	next := res.SettlesAt
	if next.IsZero() {
		next = now.Add(reconcileWait(p.CreatedAt, now))
	}
	u := s.db.Payment.Update().Where(payment.ID(p.ID), payment.StatusEQ(payment.StatusProcessing)).SetSettlesAt(next)
	if res.Reference != "" && p.ProcessorReference == "" {
		u.SetProcessorReference(res.Reference)
	}
	if err := u.Exec(ctx); err != nil {
		return fmt.Errorf("schedule reconciliation: %w", err)
	}
	return nil
}
