package billing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// InvoiceCollectionSettings are the settings inv lives under.
func (s *Service) InvoiceCollectionSettings(ctx context.Context, inv *ent.Invoice) (collection.Settings, error) {
	return s.collectionSettings(ctx, nil, inv, nil)
}

// CustomerCollectionSettings are the settings cus's invoices live under,
// before any invoice's own overrides.
func (s *Service) CustomerCollectionSettings(ctx context.Context, cus *ent.Customer) (collection.Settings, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return collection.Settings{}, fmt.Errorf("load account: %w", err)
	}
	return collection.Resolve(acct.CollectionSettings, cus.CollectionSettings), nil
}

// UpdateInvoiceCollectionSettings overrides, for draft or open invoice
// id alone, the parts of the collection settings that patch sets, and
// plans the invoice's next step again under them.
func (s *Service) UpdateInvoiceCollectionSettings(ctx context.Context, id string, patch *values.CollectionSettings) (*ent.Invoice, error) {
	if err := collection.Validate(patch, "settings"); err != nil {
		return nil, err
	}
	if patch != nil && patch.ScheduledPayments != nil {
		return nil, usererr.New(usererr.Invalid, "whether customers may schedule payments is the account's setting", "settings", "scheduledPayments")
	}
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lockInvoice(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		if inv.Status != invoice.StatusDraft && inv.Status != invoice.StatusOpen {
			return usererr.Newf(usererr.InvalidTransition, []string{"id"}, "the invoice is %s: nothing is chased any more", inv.Status)
		}
		if ctx, err = s.invoiceClock(ctx, tx, inv); err != nil {
			return err
		}
		u := update(tx, inv).SetCollectionSettings(collection.Merge(inv.CollectionSettings, patch))
		next := applied(inv, u.Mutation())
		set, err := s.collectionSettings(ctx, tx, next, nil)
		if err != nil {
			return err
		}
		if err := collection.CheckResolved(set, "settings"); err != nil {
			return err
		}
		replan(u, set, inv)
		out, err = transition(ctx, tx, inv, u, step{HistoryCollectionSettings, "", events.InvoiceUpdated, "collection settings changed"})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// UpcomingKind is what the collections job will do.
type UpcomingKind string

const (
	UpcomingReminder  UpcomingKind = "REMINDER"
	UpcomingRetry     UpcomingKind = "PAYMENT_RETRY"
	UpcomingScheduled UpcomingKind = "SCHEDULED_PAYMENT"
	UpcomingNotice    UpcomingKind = "SCHEDULED_PAYMENT_NOTICE"
)

// Upcoming is one planned automatic action.
type Upcoming struct {
	Kind        UpcomingKind
	At          time.Time
	Description string
}

// UpcomingActions are what the collections job will do next for inv, in
// time order: its next reminder, its next retry, its scheduled payment
// and the notice before it. They are what next_collection_at is the
// earliest of, so this is what the job will find.
func (s *Service) UpcomingActions(ctx context.Context, inv *ent.Invoice) ([]Upcoming, error) {
	if inv.Status != invoice.StatusOpen {
		return []Upcoming{}, nil
	}
	set, err := s.InvoiceCollectionSettings(ctx, inv)
	if err != nil {
		return nil, err
	}
	out := []Upcoming{}
	if r := nextReminder(set, inv); r != nil {
		out = append(out, Upcoming{UpcomingReminder, r.At, "reminder " + reminderWhen(*r)})
	}
	if inv.NextPaymentAttemptAt != nil {
		out = append(out, Upcoming{UpcomingRetry, *inv.NextPaymentAttemptAt, fmt.Sprintf("automatic retry %d", inv.AttemptCount)})
	}
	if sp := inv.ScheduledPayment; sp != nil {
		if !sp.NoticeSent {
			out = append(out, Upcoming{UpcomingNotice, noticeAt(sp), "tell the customer the scheduled payment is coming"})
		}
		out = append(out, Upcoming{UpcomingScheduled, sp.At, "charge the payment the customer scheduled"})
	}
	slices.SortStableFunc(out, func(a, b Upcoming) int { return a.At.Compare(b.At) })
	return out, nil
}
