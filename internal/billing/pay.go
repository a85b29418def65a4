package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// Method types an invoice can accept. Bank transfers are paid by the
// customer from their bank, following the printed instructions, and
// recorded with invoiceMarkPaid; the others are charged through Remit.
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
	if len(inv.PaymentMethodTypes) == 0 {
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

// payFields are the invoice columns a payment reads and writes.
var payFields = []string{
	invoice.FieldStatus, invoice.FieldCustomerID, invoice.FieldCurrency, invoice.FieldAmountDue,
	invoice.FieldAmountPaid, invoice.FieldAmountPending, invoice.FieldAmountsDue,
}

// Processors picks the processor of a mode.
type Processors func(viewer.Mode) payments.Processor

// PayInput is a payment attempt on an invoice.
type PayInput struct {
	InvoiceID string
	// PaymentMethodID is one of the customer's methods; empty charges the
	// customer's default, unless Card is given.
	PaymentMethodID string
	// Card pays once with a card that is not saved (hosted page).
	Card *payments.CardInput
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

// Pay charges a payment method for an invoice. The payment row is written
// and the amount reserved before the processor is called; the outcome is
// applied after. A decline is not an error: the payment comes back FAILED,
// recorded on the invoice, and the customer is emailed.
func (s *Service) Pay(ctx context.Context, in PayInput) (*ent.Invoice, *ent.Payment, error) {
	if in.IdempotencyKey == "" {
		return nil, nil, usererr.New(usererr.IdempotencyKeyRequired, "payments need an Idempotency-Key header, so that a retry never charges twice")
	}
	if prev, err := s.db.Payment.Query().Where(payment.IdempotencyKey(in.IdempotencyKey)).Only(ctx); err == nil {
		if prev.InvoiceID != in.InvoiceID {
			return nil, nil, usererr.New(usererr.Invalid, "this Idempotency-Key was used for another invoice's payment", "id")
		}
		inv, err := s.Get(ctx, prev.InvoiceID)
		return inv, prev, err
	} else if !ent.IsNotFound(err) {
		return nil, nil, fmt.Errorf("look up payment: %w", err)
	}
	if in.Amount != nil && *in.Amount <= 0 {
		return nil, nil, usererr.New(usererr.InvalidAmount, "the amount is more than zero", "amount")
	}
	v, _ := viewer.FromContext(ctx)
	proc := s.processor(v.Mode)
	if _, refusing := proc.(payments.Refusing); refusing {
		return nil, nil, usererr.New(usererr.ProcessorUnavailable, "no payment processor is configured for live mode; use test mode or configure a provider")
	}
	inv, err := s.db.Invoice.Query().Where(invoice.ID(in.InvoiceID)).
		Select(invoice.FieldCustomerID, invoice.FieldCurrency, invoice.FieldPaymentMethodTypes).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, usererr.New(usererr.NotFound, "no such invoice", "id")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load invoice: %w", err)
	}
	acct, err := s.db.Account.Query().Where(account.ID(v.AccountID)).Select(account.FieldPaymentMethodTypes).Only(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load account: %w", err)
	}
	pm, err := s.methodFor(ctx, proc, inv, in)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(AcceptedMethodTypes(acct, inv), string(pm.Type)) {
		return nil, nil, usererr.Newf(usererr.PaymentMethodNotAccepted, []string{"paymentMethod"}, "this invoice does not accept %s payments", strings.ToLower(string(pm.Type)))
	}
	if c := debitCurrency(pm.Type); c != "" && c != inv.Currency {
		return nil, nil, usererr.Newf(usererr.CurrencyMismatch, []string{"paymentMethod"}, "%s debits are in %s; this invoice is in %s", pm.Type, c, inv.Currency)
	}

	// Reserve: the amount is checked against what remains, minus what is in
	// flight, under the invoice's lock.
	var p *ent.Payment
	err = s.run(ctx, func(tx *ent.Tx) error {
		cur, err := s.loadFields(ctx, tx, in.InvoiceID, ActionPay, payFields...)
		if err != nil {
			return err
		}
		available := AmountAvailable(cur)
		amount := PayableNow(cur)
		switch {
		case in.Amount != nil:
			amount = *in.Amount
		case in.All:
			amount = available
		}
		switch {
		case available <= 0 && cur.AmountPending > 0:
			return usererr.New(usererr.AmountExceedsRemaining, "a payment of the whole remaining amount is already in progress", "amount")
		case amount > available:
			return usererr.Newf(usererr.AmountExceedsRemaining, []string{"amount"}, "the amount is more than the %s remaining", money.MajorString(available, cur.Currency))
		case amount < money.MinimumCharge(cur.Currency) && amount != available:
			return usererr.Newf(usererr.InvalidAmount, []string{"amount"}, "the amount is below the minimum charge of %s", money.MajorString(money.MinimumCharge(cur.Currency), cur.Currency))
		}
		p, err = tx.Payment.Create().
			SetInvoiceID(cur.ID).
			SetCustomerID(cur.CustomerID).
			SetPaymentMethodID(pm.ID).
			SetMethodType(payment.MethodType(pm.Type)).
			SetAmount(amount).
			SetCurrency(cur.Currency).
			SetIdempotencyKey(in.IdempotencyKey).
			SetSource(orSource(in.Source)).
			Save(ctx)
		if err != nil {
			if ent.IsConstraintError(err) {
				return usererr.New(usererr.Invalid, "a payment with this Idempotency-Key is being made", "id")
			}
			return fmt.Errorf("create payment: %w", err)
		}
		return tx.Invoice.UpdateOne(cur).AddAmountPending(amount).Exec(ctx)
	})
	if err != nil {
		return nil, nil, err
	}
	res, err := proc.Charge(ctx, payments.ChargeRequest{
		Method:         payments.Method{Type: payments.MethodType(pm.Type), Token: pm.Token},
		Amount:         p.Amount,
		Currency:       p.Currency,
		IdempotencyKey: p.ID,
		OffSession:     in.Source == payment.SourceAutomatic,
	})
	if err != nil {
		if !definitive(err) {
			// Unknown outcome (timeout, network): the payment stays
			// PROCESSING and the settlement job asks the processor again
			// with the same key.
			return s.current(ctx, p.ID, err)
		}
		res = payments.ChargeResult{Status: payments.StatusFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
	}
	return s.applyResult(ctx, p, res)
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

func debitCurrency(t paymentmethod.Type) string {
	switch t {
	case paymentmethod.TypeSEPADebit:
		return "EUR"
	case paymentmethod.TypeACHDebit:
		return "USD"
	}
	return ""
}

func (s *Service) processor(m viewer.Mode) payments.Processor {
	if p := s.procs(m); p != nil {
		return p
	}
	return payments.Refusing{}
}

// methodFor resolves the payment method of an attempt: given, default, or
// a one-off card saved detached so the payment keeps its details.
func (s *Service) methodFor(ctx context.Context, proc payments.Processor, inv *ent.Invoice, in PayInput) (*ent.PaymentMethod, error) {
	if in.Card != nil {
		m, err := proc.Tokenize(ctx, *in.Card)
		if err != nil {
			return nil, paymentmethods.UserError(err)
		}
		now := clock.Now(ctx)
		return s.db.PaymentMethod.Create().
			SetCustomerID(inv.CustomerID).SetType(paymentmethod.TypeCard).SetToken(m.Token).
			SetBrand(m.Brand).SetLast4(m.Last4).SetExpMonth(m.ExpMonth).SetExpYear(m.ExpYear).
			SetFingerprint(m.Fingerprint).SetDetachedAt(now).
			Save(ctx)
	}
	id := in.PaymentMethodID
	if id == "" {
		cus, err := s.db.Customer.Query().Where(customer.ID(inv.CustomerID)).Select(customer.FieldDefaultPaymentMethodID).Only(ctx)
		if err != nil {
			return nil, fmt.Errorf("load customer: %w", err)
		}
		if cus.DefaultPaymentMethodID == nil {
			return nil, usererr.New(usererr.Required, "the customer has no default payment method; give paymentMethod", "paymentMethod")
		}
		id = *cus.DefaultPaymentMethodID
	}
	pm, err := s.db.PaymentMethod.Query().
		Where(paymentmethod.ID(id), paymentmethod.CustomerID(inv.CustomerID), paymentmethod.DetachedAtIsNil()).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.PaymentMethodNotAccepted, "no such payment method for this invoice's customer", "paymentMethod")
	}
	if err != nil {
		return nil, fmt.Errorf("load payment method: %w", err)
	}
	return pm, nil
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
	v, _ := viewer.FromContext(ctx)
	res, err := s.processor(v.Mode).Confirm(ctx, p.ProcessorReference, authenticated)
	if err != nil {
		return nil, nil, fmt.Errorf("confirm payment: %w", err)
	}
	return s.applyResult(ctx, p, res)
}

// applyResult records a processor outcome on p as Pay, Confirm or the
// settlement job last read it: the payment's status, and on success the
// invoice's amount paid (paid in full makes it PAID); on failure the
// invoice's history and an email to the customer. The payment changes only
// while it is still in flight (a conditional update, atomic on both
// databases), so applying an outcome twice changes nothing.
func (s *Service) applyResult(ctx context.Context, p *ent.Payment, res payments.ChargeResult) (*ent.Invoice, *ent.Payment, error) {
	now := clock.Now(ctx)
	out := *p
	err := s.run(ctx, func(tx *ent.Tx) error {
		// The whole row: the events below carry the invoice's snapshot.
		iq := tx.Invoice.Query().Where(invoice.ID(p.InvoiceID))
		if dbtx.Locking(s.dialect) {
			iq = iq.ForUpdate()
		}
		inv, err := iq.Only(ctx)
		if err != nil {
			return fmt.Errorf("load invoice: %w", err)
		}
		pu := tx.Payment.Update().Where(payment.ID(p.ID), payment.StatusIn(payment.StatusProcessing, payment.StatusRequiresAction))
		if res.Reference != "" {
			pu.SetProcessorReference(res.Reference)
			out.ProcessorReference = res.Reference
		}
		final := false
		switch res.Status {
		case payments.StatusSucceeded:
			pu.SetStatus(payment.StatusSucceeded).SetSucceededAt(now).ClearSettlesAt()
			out.Status, out.SucceededAt, out.SettlesAt, final = payment.StatusSucceeded, &now, nil, true
		case payments.StatusFailed, payments.StatusCanceled:
			st := payment.StatusFailed
			if res.Status == payments.StatusCanceled {
				st = payment.StatusCanceled
			}
			msg := firstNonEmpty(res.FailureMessage, res.DeclineCode)
			pu.SetStatus(st).SetFailedAt(now).ClearSettlesAt().SetFailureCode(res.FailureCode).SetFailureMessage(msg)
			out.Status, out.FailedAt, out.SettlesAt, out.FailureCode, out.FailureMessage, final = st, &now, nil, res.FailureCode, msg, true
		case payments.StatusRequiresAction:
			pu.SetStatus(payment.StatusRequiresAction)
			out.Status = payment.StatusRequiresAction
		case payments.StatusProcessing:
			if !res.SettlesAt.IsZero() {
				pu.SetSettlesAt(res.SettlesAt)
				out.SettlesAt = &res.SettlesAt
			}
		default:
			return fmt.Errorf("unknown payment status %q", res.Status)
		}
		n, err := pu.Save(ctx)
		if err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		if n == 0 {
			// Final already (another worker or a retry got here first).
			cur, err := tx.Payment.Get(ctx, p.ID)
			if err != nil {
				return fmt.Errorf("load payment: %w", err)
			}
			out = *cur
			return nil
		}
		if !final {
			if res.Status == payments.StatusRequiresAction {
				return events.Record(ctx, tx, events.InvoicePaymentActionRequired, inv)
			}
			return nil
		}
		label := describePayment(p, inv.Currency)
		if res.Status != payments.StatusSucceeded {
			code := res.FailureCode
			if res.DeclineCode != "" {
				code += "/" + res.DeclineCode
			}
			if err := tx.Invoice.UpdateOne(inv).AddAmountPending(-p.Amount).Exec(ctx); err != nil {
				return fmt.Errorf("release reserved amount: %w", err)
			}
			if err := events.Record(ctx, tx, events.PaymentFailed, &out); err != nil {
				return err
			}
			if err := note(ctx, tx, inv, step{HistoryPaymentFailed, "", events.InvoicePaymentFailed, label + " failed: " + code}); err != nil {
				return err
			}
			return s.enqueuePaymentFailed(ctx, tx, inv, p, res)
		}
		if err := events.Record(ctx, tx, events.PaymentSucceeded, &out); err != nil {
			return err
		}
		paid := inv.AmountPaid + p.Amount
		iu := update(tx, inv).AddAmountPending(-p.Amount).SetAmountPaid(paid)
		entry := step{HistoryPayment, "", events.InvoiceUpdated, label}
		if paid >= inv.AmountDue {
			entry.action, entry.event = actionSettle, events.InvoicePaid
		} else {
			entry.note += "; " + money.MajorString(inv.AmountDue-paid, inv.Currency) + " remaining"
		}
		_, err = transition(ctx, tx, inv, iu, entry)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	inv, err := s.Get(ctx, p.InvoiceID)
	if err != nil {
		return nil, nil, err
	}
	return inv, &out, nil
}

// describePayment reads as "€20.00 by visa •••• 4242".
func describePayment(p *ent.Payment, currency string) string {
	return money.MajorString(p.Amount, currency) + " " + currency + " by " + strings.ToLower(strings.ReplaceAll(string(p.MethodType), "_", " "))
}

var paymentFailedWords = map[string]map[string]string{
	"en": {"subject": "Payment failed for invoice %s from %s", "body": "Hello %s,\n\nYour payment of %s for invoice %s did not go through: %s. Nothing was charged.\n\nYou can pay with another method here:\n%s\n\n%s\n"},
	"fr": {"subject": "Échec du paiement de la facture %s de %s", "body": "Bonjour %s,\n\nVotre paiement de %s pour la facture %s n'a pas abouti : %s. Aucun montant n'a été débité.\n\nVous pouvez payer avec un autre moyen ici :\n%s\n\n%s\n"},
}

// enqueuePaymentFailed emails the customer that a payment failed, in the
// transaction that records the failure.
func (s *Service) enqueuePaymentFailed(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, p *ent.Payment, res payments.ChargeResult) error {
	buyer, seller := inv.CustomerSnapshot, inv.IssuerSnapshot
	if buyer == nil || buyer.Email == "" || seller == nil {
		return nil
	}
	lang := "en"
	if documentLocale(buyer, seller) == "fr" || strings.HasPrefix(documentLocale(buyer, seller), "fr") {
		lang = "fr"
	}
	w := paymentFailedWords[lang]
	link := ""
	if inv.HostedToken != nil {
		link = strings.TrimRight(s.mailing.PublicURL, "/") + "/i/" + *inv.HostedToken
	}
	// The reason in the payer's words, as the pages say it: never a raw
	// processor code, nor that a card was reported lost or stolen.
	reason := words.ReasonOf(res.FailureCode, lang)
	number := deref(inv.Number)
	_, err := s.outbox.Enqueue(ctx, tx, outbox.Message{
		Kind:      "payment_failed",
		InvoiceID: inv.ID,
		From:      mail.Address{Name: seller.Name, Email: s.mailing.From},
		To:        []string{buyer.Email},
		Subject:   fmt.Sprintf(w["subject"], number, seller.Name),
		Text:      fmt.Sprintf(w["body"], buyer.Name, money.Format(p.Amount, p.Currency, lang), number, reason, link, seller.Name),
	})
	return err
}

// RequiresActionTimeout is how long a payment may wait for the customer's
// authentication before it is canceled and its amount released.
const RequiresActionTimeout = time.Hour

// SettleDue resolves delayed debits whose settlement time has come, and
// asks the processor again about payments whose outcome was lost (a
// timeout while charging). It serves every account: run it from the
// worker.
func (s *Service) SettleDue(ctx context.Context, limit int) (int, error) {
	sys := viewer.Bypass(ctx, "the worker settles every account's payments")
	now := clock.Now(ctx)
	due, err := s.db.Payment.Query().
		Where(payment.StatusEQ(payment.StatusProcessing), payment.Or(
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
	stale, err := s.db.Payment.Query().
		Where(payment.StatusEQ(payment.StatusRequiresAction), payment.CreatedAtLT(now.Add(-RequiresActionTimeout))).
		Order(payment.ByCreatedAt()).
		Limit(limit).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find payments awaiting authentication: %w", err)
	}
	n := 0
	for _, p := range stale {
		vctx := viewer.NewContext(ctx, viewer.System(p.AccountID, p.Mode, "worker"))
		res := payments.ChargeResult{Status: payments.StatusCanceled, FailureCode: "authentication_timeout",
			FailureMessage: "the customer did not complete authentication in time"}
		if _, _, err := s.applyResult(vctx, p, res); err != nil {
			return n, err
		}
		n++
	}
	for _, p := range due {
		vctx := viewer.NewContext(ctx, viewer.System(p.AccountID, p.Mode, "worker"))
		proc := s.processor(p.Mode)
		var res payments.ChargeResult
		if p.ProcessorReference != "" {
			res, err = proc.Settle(vctx, p.ProcessorReference)
		} else {
			pm, perr := s.db.PaymentMethod.Get(vctx, deref(p.PaymentMethodID))
			if perr != nil {
				return n, fmt.Errorf("load payment method: %w", perr)
			}
			res, err = proc.Charge(vctx, payments.ChargeRequest{
				Method: payments.Method{Type: payments.MethodType(pm.Type), Token: pm.Token},
				Amount: p.Amount, Currency: p.Currency, IdempotencyKey: p.ID,
			})
		}
		if err != nil {
			if definitive(err) {
				res = payments.ChargeResult{Status: payments.StatusFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
			} else {
				continue // still unknown; try on the next run
			}
		}
		if res.Status == payments.StatusProcessing {
			continue
		}
		if _, _, err := s.applyResult(vctx, p, res); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
