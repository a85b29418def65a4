package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// MaxInstallments bounds a payment plan.
const MaxInstallments = 24

// InstallmentInput is one amount of a payment plan (seed "payment plans"):
// Amount in major units, due DaysUntilDue days after finalization or on
// DueDate.
type InstallmentInput struct {
	Amount       string
	DaysUntilDue *int
	DueDate      *time.Time
	Description  string
}

func checkInstallments(ctx context.Context, errs *usererr.List, in []InstallmentInput, currency string) []values.Installment {
	if len(in) > MaxInstallments {
		*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, []string{"amountsDue"}, "a payment plan has at most %d installments", MaxInstallments))
		return nil
	}
	if len(in) == 1 {
		*errs = append(*errs, usererr.New(usererr.Invalid, "a payment plan has at least two installments; use daysUntilDue or dueDate for one", "amountsDue"))
		return nil
	}
	now := clock.Now(ctx)
	out := make([]values.Installment, 0, len(in))
	for i, it := range in {
		path := []string{"amountsDue", fmt.Sprint(i)}
		amount, err := money.ParseAmount(it.Amount, currency, append(path, "amount")...)
		if err != nil {
			errs.Add(err)
		} else if amount <= 0 {
			*errs = append(*errs, usererr.New(usererr.InvalidAmount, "an installment is more than zero", append(path, "amount")...))
		}
		inst := values.Installment{Amount: amount, Description: strings.TrimSpace(it.Description)}
		switch {
		case (it.DaysUntilDue == nil) == (it.DueDate == nil):
			*errs = append(*errs, usererr.New(usererr.Invalid, "give daysUntilDue or dueDate for each installment", append(path, "daysUntilDue")...))
		case it.DaysUntilDue != nil:
			if d := *it.DaysUntilDue; d < 0 || d > MaxDaysUntilDue {
				*errs = append(*errs, usererr.Newf(usererr.Invalid, append(path, "daysUntilDue"), "daysUntilDue is between 0 and %d", MaxDaysUntilDue))
			}
			inst.DaysUntilDue = it.DaysUntilDue
		default:
			if !it.DueDate.After(now) {
				*errs = append(*errs, usererr.New(usererr.Invalid, "the due date must be in the future", append(path, "dueDate")...))
			}
			d := it.DueDate.UTC()
			inst.DueDate = &d
		}
		if len([]rune(inst.Description)) > 100 {
			*errs = append(*errs, usererr.New(usererr.LimitExceeded, "description is at most 100 characters", append(path, "description")...))
		}
		out = append(out, inst)
	}
	return out
}

// planMatches checks that a plan's installments add up to the amount due.
func planMatches(plan []values.Installment, due int64, currency string) error {
	if len(plan) == 0 {
		return nil
	}
	var sum int64
	for _, it := range plan {
		sum += it.Amount
	}
	if sum != due {
		return usererr.Newf(usererr.AmountsDueMismatch, []string{"amountsDue"},
			"the installments add up to %s but the amount due is %s", money.MajorString(sum, currency), money.MajorString(due, currency))
	}
	return nil
}

// scheduleInstallments fixes every installment's due date at finalization
// and returns the plan in due order with the last due date, which is the
// invoice's.
func scheduleInstallments(plan []values.Installment, now time.Time) ([]values.Installment, time.Time, error) {
	out := make([]values.Installment, len(plan))
	for i, it := range plan {
		if it.DaysUntilDue != nil {
			d := now.AddDate(0, 0, *it.DaysUntilDue)
			it.DueDate = &d
		}
		if it.DueDate.Before(now) {
			return nil, time.Time{}, usererr.New(usererr.Invalid, "an installment's due date has passed; update the plan before finalizing", "amountsDue", fmt.Sprint(i), "dueDate")
		}
		out[i] = it
	}
	slices.SortStableFunc(out, func(a, b values.Installment) int { return a.DueDate.Compare(*b.DueDate) })
	return out, *out[len(out)-1].DueDate, nil
}

// InstallmentStatus is where one installment stands.
type InstallmentStatus string

const (
	InstallmentOpen          InstallmentStatus = "OPEN"
	InstallmentPartiallyPaid InstallmentStatus = "PARTIALLY_PAID"
	InstallmentPaid          InstallmentStatus = "PAID"
	InstallmentOverdue       InstallmentStatus = "OVERDUE"
)

// Installment is an installment with what has been paid of it: payments
// settle installments in due order.
type Installment struct {
	values.Installment
	Currency   string
	AmountPaid int64
	Status     InstallmentStatus
}

// Installments lays the invoice's payments over its plan.
func Installments(inv *ent.Invoice, now time.Time) []Installment {
	paid := inv.AmountPaid
	out := make([]Installment, len(inv.AmountsDue))
	for i, it := range inv.AmountsDue {
		p := min(paid, it.Amount)
		paid -= p
		st := InstallmentOpen
		switch {
		case p == it.Amount || inv.Status == invoice.StatusPaid:
			st, p = InstallmentPaid, it.Amount
		case inv.Status == invoice.StatusOpen && it.DueDate != nil && now.After(*it.DueDate):
			st = InstallmentOverdue
		case p > 0:
			st = InstallmentPartiallyPaid
		}
		out[i] = Installment{Installment: it, Currency: inv.Currency, AmountPaid: p, Status: st}
	}
	return out
}

// AmountAvailable is what remains to pay less what is in flight: the most
// a new payment may collect.
func AmountAvailable(inv *ent.Invoice) int64 { return AmountRemaining(inv) - inv.AmountPending }

// PayableNow is what a payment without an amount collects: the rest of
// the next installment of a plan, else all that is available.
func PayableNow(inv *ent.Invoice) int64 {
	if len(inv.AmountsDue) > 0 {
		return NextInstallmentAmount(inv)
	}
	return AmountAvailable(inv)
}

// NextInstallmentAmount is what the next unpaid installment still needs,
// after what is paid and in flight.
func NextInstallmentAmount(inv *ent.Invoice) int64 {
	covered := inv.AmountPaid + inv.AmountPending
	for _, it := range inv.AmountsDue {
		if covered >= it.Amount {
			covered -= it.Amount
			continue
		}
		return it.Amount - covered
	}
	return 0
}

// Standing is an invoice's status as people read it. An open invoice is,
// in this order of precedence: overdue when a due date (or an
// installment's) passed with money owed; pending while a payment is in
// flight (a debit settling, a charge awaiting authentication); retrying
// when a failed automatic charge will be retried; scheduled when its
// customer scheduled a payment; partially paid once money came in; else
// open.
type Standing string

const (
	StandingDraft         Standing = "DRAFT"
	StandingOpen          Standing = "OPEN"
	StandingPartiallyPaid Standing = "PARTIALLY_PAID"
	StandingOverdue       Standing = "OVERDUE"
	StandingPending       Standing = "PENDING"
	StandingRetrying      Standing = "RETRYING"
	StandingScheduled     Standing = "SCHEDULED"
	StandingPaid          Standing = "PAID"
	StandingVoid          Standing = "VOID"
	StandingUncollectible Standing = "UNCOLLECTIBLE"
)

// StandingOf computes an invoice's standing at now.
func StandingOf(inv *ent.Invoice, now time.Time) Standing {
	if inv.Status != invoice.StatusOpen {
		return Standing(inv.Status)
	}
	switch {
	case overdueAt(inv, now):
		return StandingOverdue
	case inv.AmountPending > 0:
		return StandingPending
	case inv.NextPaymentAttemptAt != nil:
		return StandingRetrying
	case inv.ScheduledPaymentAt != nil:
		return StandingScheduled
	case inv.AmountPaid > 0:
		return StandingPartiallyPaid
	}
	return StandingOpen
}

// overdueAt reports whether open invoice inv owes money past a due date
// (or an installment's) at now.
func overdueAt(inv *ent.Invoice, now time.Time) bool {
	if len(inv.AmountsDue) > 0 {
		for _, it := range Installments(inv, now) {
			if it.Status == InstallmentOverdue {
				return true
			}
		}
		return false
	}
	return inv.DueDate != nil && now.After(*inv.DueDate) && AmountRemaining(inv) > 0
}

// StandingIn matches invoices in one of standings at now, in SQL, with
// StandingOf's precedence. A payment plan whose earlier installment is
// past due while its last due date is not reads OVERDUE from StandingOf
// but not here (the row has no column for it).
func StandingIn(now time.Time, standings []Standing) predicate.Invoice {
	open := invoice.StatusEQ(invoice.StatusOpen)
	overdue := invoice.And(open, invoice.DueDateNotNil(), invoice.DueDateLT(now))
	notOverdue := invoice.And(open, invoice.Not(overdue))
	pending := invoice.AmountPendingGT(0)
	retrying := invoice.And(invoice.AmountPending(0), invoice.NextPaymentAttemptAtNotNil())
	scheduled := invoice.And(invoice.AmountPending(0), invoice.NextPaymentAttemptAtIsNil(), invoice.ScheduledPaymentAtNotNil())
	plain := invoice.And(invoice.AmountPending(0), invoice.NextPaymentAttemptAtIsNil(), invoice.ScheduledPaymentAtIsNil())
	var preds []predicate.Invoice
	for _, st := range standings {
		switch st {
		case StandingOverdue:
			preds = append(preds, overdue)
		case StandingPending:
			preds = append(preds, invoice.And(notOverdue, pending))
		case StandingRetrying:
			preds = append(preds, invoice.And(notOverdue, retrying))
		case StandingScheduled:
			preds = append(preds, invoice.And(notOverdue, scheduled))
		case StandingPartiallyPaid:
			preds = append(preds, invoice.And(notOverdue, plain, invoice.AmountPaidGT(0)))
		case StandingOpen:
			preds = append(preds, invoice.And(notOverdue, plain, invoice.AmountPaid(0)))
		default:
			preds = append(preds, invoice.StatusEQ(invoice.Status(st)))
		}
	}
	if len(preds) == 0 {
		return invoice.ID("") // nothing
	}
	return invoice.Or(preds...)
}
