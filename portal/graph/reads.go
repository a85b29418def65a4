package graph

import (
	"context"
	"slices"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
)

// standingFilter turns standings into an invoice predicate. PAID, VOID and
// UNCOLLECTIBLE are statuses. The others split the open invoices by
// payments (made, in flight, retried, scheduled) and due dates (of a
// payment plan's installments too), which billing.StandingOf decides: the
// customer's open invoices (a few, scoped by the data layer) are read,
// with the columns StandingOf reads, and judged here.
func standingFilter(ctx context.Context, db *ent.Client, standings []string) (predicate.Invoice, error) {
	var statuses []invoice.Status
	var openStandings []billing.Standing
	for _, s := range standings {
		switch billing.Standing(s) {
		case billing.StandingPaid:
			statuses = append(statuses, invoice.StatusPaid)
		case billing.StandingVoid:
			statuses = append(statuses, invoice.StatusVoid)
		case billing.StandingUncollectible:
			statuses = append(statuses, invoice.StatusUncollectible)
		case billing.StandingOpen, billing.StandingPartiallyPaid, billing.StandingOverdue,
			billing.StandingPending, billing.StandingRetrying, billing.StandingScheduled:
			openStandings = append(openStandings, billing.Standing(s))
		}
	}
	var preds []predicate.Invoice
	if len(statuses) > 0 {
		preds = append(preds, invoice.StatusIn(statuses...))
	}
	if len(openStandings) > 0 {
		open, err := db.Invoice.Query().Where(invoice.StatusEQ(invoice.StatusOpen)).
			Select(invoice.FieldStatus, invoice.FieldDueDate, invoice.FieldAmountsDue, invoice.FieldAmountDue, invoice.FieldAmountPaid,
				invoice.FieldAmountPending, invoice.FieldNextPaymentAttemptAt, invoice.FieldScheduledPaymentAt).
			All(ctx)
		if err != nil {
			return nil, err
		}
		now := clock.Now(ctx)
		var ids []string
		for _, inv := range open {
			if slices.Contains(openStandings, billing.StandingOf(inv, now)) {
				ids = append(ids, inv.ID)
			}
		}
		if len(ids) > 0 {
			preds = append(preds, invoice.IDIn(ids...))
		}
	}
	if len(preds) == 0 {
		return invoice.ID(""), nil // matches nothing
	}
	return invoice.Or(preds...), nil
}
