package billing

import (
	"context"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/usererr"
)

// Void cancels an open or uncollectible invoice. Its number stays used:
// a voided invoice remains on record.
func (s *Service) Void(ctx context.Context, id string) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, id, ActionVoid)
		if err != nil {
			return err
		}
		if err := s.voidLocked(ctx, tx, inv, nil, clock.Now(ctx), ""); err != nil {
			return err
		}
		out, err = tx.Invoice.Get(ctx, id)
		return err
	})
	return detach(out, err)
}

// MarkUncollectible records that an open invoice is unlikely to be paid. It
// can still be paid or voided.
func (s *Service) MarkUncollectible(ctx context.Context, id string) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, id, ActionMarkUncollectible)
		if err != nil {
			return err
		}
		if _, err := transition(ctx, tx, inv, update(tx, inv), step{HistoryMarkUncollectible, ActionMarkUncollectible, events.InvoiceMarkedUncollectible, ""}); err != nil {
			return err
		}
		out, err = tx.Invoice.Get(ctx, id)
		return err
	})
	return detach(out, err)
}

// Delete removes a draft. It never had a number, so nothing is lost from
// the sequence.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, id, ActionDelete)
		if err != nil {
			return err
		}
		if err := tx.Invoice.DeleteOne(inv).Exec(ctx); err != nil {
			return fmt.Errorf("delete draft: %w", err)
		}
		return events.Record(ctx, tx, events.InvoiceDeleted, inv)
	})
}

// Revise starts a revision of an open or uncollectible invoice: a new draft
// copied from it and linked to it. Finalizing the revision voids the
// original.
func (s *Service) Revise(ctx context.Context, id string) (*ent.Invoice, error) {
	return s.copyOf(ctx, id, ActionRevise)
}

// Duplicate starts a new, unrelated draft from any invoice.
func (s *Service) Duplicate(ctx context.Context, id string) (*ent.Invoice, error) {
	return s.copyOf(ctx, id, ActionDuplicate)
}

func (s *Service) copyOf(ctx context.Context, id string, action Action) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		src, err := s.load(ctx, tx, id, action)
		if err != nil {
			return err
		}
		cus, err := tx.Customer.Query().Where(customer.ID(src.CustomerID), customer.DeletedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.Invalid, "the customer of this invoice was deleted", "id")
		}
		if err != nil {
			return fmt.Errorf("load customer: %w", err)
		}
		st, err := s.loadState(ctx, tx, src, nil, nil)
		if err != nil {
			return err
		}
		h := st.header
		// A copied due date may have passed; fall back to the same delay.
		if h.dueDate != nil && src.FinalizedAt != nil {
			days := int(h.dueDate.Sub(*src.FinalizedAt).Hours() / 24)
			h.daysUntilDue, h.dueDate = &days, nil
		} else if h.dueDate != nil && !h.dueDate.After(clock.Now(ctx)) {
			h.dueDate = nil
		}
		result, err := compute(h, st.lines, st.refs, exemptionOf(cus))
		if err != nil {
			return err
		}
		create := newDraft(tx, cus, h, result)
		entry := step{history: HistoryRevise, event: events.InvoiceCreated}
		if action == ActionRevise {
			create.SetFromInvoiceID(src.ID)
			entry.note = "revision of " + deref(src.Number)
		} else {
			create.SetDuplicatedFromID(src.ID)
			entry.history, entry.note = HistoryDuplicate, "duplicate of "+firstNonEmpty(deref(src.Number), src.ID)
		}
		out, err = create.Save(ctx)
		if err != nil {
			return fmt.Errorf("create copy: %w", err)
		}
		if _, err := insertLines(ctx, tx, out, 0, st.lines, h.defaultRateIDs, result); err != nil {
			return err
		}
		return note(ctx, tx, out, entry)
	})
	return detach(out, err)
}

// orEmpty returns m, or an empty map for nil: the API's metadata is a
// non-null object, so a stored null would fail every read of the invoice.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
