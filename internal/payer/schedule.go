package payer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/usererr"
)

// DateLayout is how a payer writes the day of a scheduled payment: the
// HTML date input's value and the portal API's Date.
const DateLayout = "2006-01-02"

// ScheduleRequest is a payment a payer schedules for a date, or the new
// date or method of the one scheduled.
type ScheduleRequest struct {
	InvoiceID string
	// Date is the day to be charged on (its calendar date).
	Date time.Time
	// PaymentMethodID is one of the customer's saved methods (portal). On
	// the hosted page it may only be the method already scheduled, to
	// change the date: a link holder never picks the customer's saved
	// methods.
	PaymentMethodID string
	// Card is a new card, saved to the customer first and then scheduled.
	Card *payments.CardInput
}

// SchedulePayment schedules, or reschedules, the payment of invoice
// in.InvoiceID for its payer, on a saved method or a new card (saved
// first). The warnings say what the payer should know (a date after the
// due date: SCHEDULED_AFTER_DUE_DATE). Errors name the request's fields:
// invoice, date, paymentMethod, card.
func (s *Service) SchedulePayment(ctx context.Context, who Payer, in ScheduleRequest) (*ent.Invoice, []*usererr.Error, error) {
	if err := who.Require(FeaturePay); err != nil {
		return nil, nil, err
	}
	inv, err := s.target(ctx, who, in.InvoiceID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case in.Card != nil && in.PaymentMethodID != "":
		return nil, nil, usererr.New(usererr.Invalid, "give either paymentMethod or card, not both", "card")
	case in.Card == nil && in.PaymentMethodID == "":
		// Never the customer's default by omission: the payer says which.
		return nil, nil, usererr.New(usererr.Required, "choose a saved payment method or give a card", "paymentMethod")
	case who.Surface == Hosted && in.Card == nil && (inv.ScheduledPayment == nil || inv.ScheduledPayment.PaymentMethodID != in.PaymentMethodID):
		return nil, nil, usererr.New(usererr.PaymentMethodNotAccepted, "no such payment method for this invoice's customer", "paymentMethod")
	}
	if in.Card != nil {
		// Checked before the card is saved, so that a refusal saves
		// nothing.
		if err := s.schedulable(ctx, inv, in.Date); err != nil {
			return nil, nil, err
		}
		pm, err := s.saveCard(ctx, who, inv, in.Card)
		if err != nil {
			return nil, nil, err
		}
		in.PaymentMethodID = pm.ID
	}
	source := payment.SourcePortal
	if who.Surface == Hosted {
		source = payment.SourceHostedPage
	}
	out, warnings, err := s.d.Billing.SchedulePayment(ctx, billing.ScheduleInput{
		InvoiceID: inv.ID, Date: in.Date, PaymentMethodID: in.PaymentMethodID, Source: source,
	})
	if err != nil {
		return nil, nil, invoiceField(err)
	}
	return out, renameInvoice(warnings), nil
}

// CancelScheduledPayment drops the payment scheduled on invoice
// invoiceID, for its payer.
func (s *Service) CancelScheduledPayment(ctx context.Context, who Payer, invoiceID string) (*ent.Invoice, error) {
	if err := who.Require(FeaturePay); err != nil {
		return nil, err
	}
	inv, err := s.target(ctx, who, invoiceID)
	if err != nil {
		return nil, err
	}
	out, err := s.d.Billing.CancelScheduledPayment(ctx, inv.ID)
	if err != nil {
		return nil, invoiceField(err)
	}
	return out, nil
}

// CanSchedule tells whether who may schedule a payment of inv now: the
// merchant lets customers schedule, and the send-invoice invoice is open
// with something left to pay that no payment in flight covers.
func (s *Service) CanSchedule(ctx context.Context, who Payer, inv *ent.Invoice) (bool, error) {
	if !who.Allows(FeaturePay) || !billing.Schedulable(inv) {
		return false, nil
	}
	return s.d.Billing.SchedulingOffered(ctx)
}

// schedulable says why inv cannot be scheduled on date, as billing would,
// before anything is saved for it.
func (s *Service) schedulable(ctx context.Context, inv *ent.Invoice, date time.Time) error {
	return invoiceField(s.d.Billing.CheckSchedule(ctx, inv, date, s.d.Billing.Now(ctx, inv)))
}

// ScheduleRange is the first and the last day a payment may be scheduled
// for at now (billing.ScheduleRange).
func ScheduleRange(now time.Time) (first, last time.Time) { return billing.ScheduleRange(now) }

// ParseDate reads a day written as DateLayout (YYYY-MM-DD); a malformed
// one is a user error at field.
func ParseDate(s string, field ...string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, usererr.New(usererr.Invalid, "give the date as YYYY-MM-DD", field...)
	}
	return d, nil
}

// OnTimeBy is the last day a payment of inv is on time
// (billing.NextDueDate); a payment scheduled later gets billing's
// SCHEDULED_AFTER_DUE_DATE warning.
func OnTimeBy(inv *ent.Invoice) *time.Time { return billing.NextDueDate(inv) }

// saveCard saves a new card to inv's customer, to schedule it. In the
// portal it is the customer's own card change (AddCard: the portal's
// payment methods feature and a recent login); from a hosted link it is
// saved for the customer without becoming their default, so that a link
// holder never changes what the merchant charges next.
func (s *Service) saveCard(ctx context.Context, who Payer, inv *ent.Invoice, card *payments.CardInput) (*ent.PaymentMethod, error) {
	if who.Surface == Portal {
		return s.AddCard(ctx, who, card, false)
	}
	return s.d.Methods.Attach(ctx, paymentmethods.AttachInput{CustomerID: inv.CustomerID, Card: card, NeverDefault: true})
}

// target loads the invoice a payer acts on: for the portal, one of the
// customer's issued invoices (the data layer hides the others); for a
// hosted link, only the link's own invoice.
func (s *Service) target(ctx context.Context, who Payer, id string) (*ent.Invoice, error) {
	inv, err := s.d.DB.Invoice.Query().Where(invoice.ID(id)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such invoice", "invoice")
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice: %w", err)
	}
	if inv.Status == invoice.StatusDraft || (who.Surface == Hosted && (inv.HostedToken == nil || *inv.HostedToken != who.Token)) {
		return nil, usererr.New(usererr.NotFound, "no such invoice", "invoice")
	}
	return inv, nil
}

// invoiceField moves billing's errors about the invoice ("id") to the
// payer's field for it ("invoice").
func invoiceField(err error) error {
	ue := usererr.From(err)
	if ue == nil {
		return err
	}
	return usererr.List(renameInvoice(ue))
}

func renameInvoice(ue []*usererr.Error) []*usererr.Error {
	out := make([]*usererr.Error, len(ue))
	for i, e := range ue {
		if slices.Equal(e.Field, []string{"id"}) {
			e = usererr.New(e.Code, e.Message, "invoice")
		}
		out[i] = e
	}
	return out
}

// PageError is the code a page puts in its URL for a refused payer
// action: the user error's code, except a date refused for a schedule
// (SCHEDULE_DATE), which the payer reads as the range to choose from.
func PageError(err error) string {
	ue := usererr.From(err)
	if len(ue) == 0 {
		return ""
	}
	if ue[0].Code == usererr.Invalid && slices.Equal(ue[0].Field, []string{"date"}) {
		return "SCHEDULE_DATE"
	}
	return string(ue[0].Code)
}
