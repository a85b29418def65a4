package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
)

// Steps of an invoice's history that credit notes make.
const (
	HistoryCreditNote     HistoryAction = "credit_note"
	HistoryCreditNoteVoid HistoryAction = "credit_note_void"
)

// GetCreditNote returns a credit note of the caller.
func (s *Service) GetCreditNote(ctx context.Context, id string) (*ent.CreditNote, error) {
	cn, err := s.db.CreditNote.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such credit note", "id")
	}
	return cn, err
}

// CreditNoteLines returns a credit note's lines in order: those it came
// with (a preview, a credit note just issued), else read.
func CreditNoteLines(ctx context.Context, cn *ent.CreditNote) ([]*ent.CreditNoteLine, error) {
	if lines, err := cn.Edges.LinesOrErr(); err == nil {
		return lines, nil
	}
	return cn.QueryLines().Order(ent.Asc(creditnoteline.FieldPosition)).All(ctx)
}

// InvoiceCreditNotes returns an invoice's credit notes, oldest first: the
// ones a list loaded with its invoices (edge loading does not order, so
// the order is set here), else read.
func InvoiceCreditNotes(ctx context.Context, inv *ent.Invoice) ([]*ent.CreditNote, error) {
	cns, err := inv.CreditNotes(ctx)
	if err != nil {
		return nil, fmt.Errorf("credit notes of invoice %s: %w", inv.ID, err)
	}
	slices.SortStableFunc(cns, func(a, b *ent.CreditNote) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return cns, nil
}

// CreditNoteUpdate changes what stays editable on an issued credit note:
// nil leaves a field as it is; metadata merges (an empty value removes
// the key).
type CreditNoteUpdate struct {
	Memo     *string
	Metadata map[string]string
}

// UpdateCreditNote changes the memo and metadata of a credit note; the
// rest never changes once issued.
func (s *Service) UpdateCreditNote(ctx context.Context, id string, in CreditNoteUpdate) (*ent.CreditNote, error) {
	var out *ent.CreditNote
	err := s.run(ctx, func(tx *ent.Tx) error {
		cn, err := s.lockCreditNote(ctx, tx, id)
		if err != nil {
			return err
		}
		var errs usererr.List
		u := tx.CreditNote.UpdateOne(cn)
		if in.Memo != nil {
			memo := strings.TrimSpace(*in.Memo)
			if len([]rune(memo)) > MaxMemo {
				errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{"memo"}, "memo is at most %d characters", MaxMemo))
			}
			u.SetMemo(memo)
		}
		if in.Metadata != nil {
			merged := map[string]string{}
			for k, v := range cn.Metadata {
				merged[k] = v
			}
			for k, v := range in.Metadata {
				if v == "" {
					delete(merged, k)
				} else {
					merged[k] = v
				}
			}
			errs.Add(validate.Metadata(merged), "metadata")
			u.SetMetadata(merged)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if out, err = u.Save(ctx); err != nil {
			return fmt.Errorf("update credit note: %w", err)
		}
		return events.Record(ctx, tx, events.CreditNoteUpdated, out)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// VoidCreditNote cancels a credit note while its invoice is open, as at
// Stripe: what it took off the amount due is due again (on the same
// installments of a payment plan), the balance it credited is taken back,
// and it stays on record, VOID, with its number. A credit note whose
// invoice is paid, void or uncollectible, or that refunded money, cannot
// be voided: money that left does not come back by voiding a document.
func (s *Service) VoidCreditNote(ctx context.Context, id string) (*ent.CreditNote, error) {
	var out *ent.CreditNote
	err := dbtx.RunContext(ctx, s.db, func(ctx context.Context, tx *ent.Tx) error {
		cn, err := tx.CreditNote.Query().Where(creditnote.ID(id)).Select(creditnote.FieldInvoiceID).Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no such credit note", "id")
		}
		if err != nil {
			return fmt.Errorf("load credit note: %w", err)
		}
		// The invoice first, then the credit note: whatever changes a
		// credit note's effect on its invoice holds the invoice's lock.
		inv, err := s.lockInvoice(ctx, tx, cn.InvoiceID, "id")
		if err != nil {
			return err
		}
		if cn, err = s.lockCreditNote(ctx, tx, id); err != nil {
			return err
		}
		switch {
		case cn.Status == creditnote.StatusVoid:
			return usererr.New(usererr.InvalidTransition, "this credit note is void already", "id")
		case inv.Status != invoice.StatusOpen:
			return usererr.Newf(usererr.InvalidTransition, []string{"id"},
				"a credit note can be voided only while its invoice is open; invoice %s is %s", deref(inv.Number), strings.ToLower(string(inv.Status)))
		case cn.RefundAmount > 0:
			return usererr.New(usererr.InvalidTransition, "this credit note refunded money, which voiding cannot take back", "id")
		}
		now := clock.Now(ctx)
		if out, err = tx.CreditNote.UpdateOne(cn).SetStatus(creditnote.StatusVoid).SetVoidedAt(now).Save(ctx); err != nil {
			return fmt.Errorf("void credit note: %w", err)
		}
		u := update(tx, inv).
			SetAmountDue(inv.AmountDue + cn.PrePaymentAmount).
			SetPrePaymentCreditNotesAmount(inv.PrePaymentCreditNotesAmount - cn.PrePaymentAmount).
			SetPostPaymentCreditNotesAmount(inv.PostPaymentCreditNotesAmount - cn.PostPaymentAmount)
		if len(cn.InstallmentReductions) > 0 && len(cn.InstallmentReductions) == len(inv.AmountsDue) {
			plan := append([]values.Installment{}, inv.AmountsDue...)
			for i, r := range cn.InstallmentReductions {
				plan[i].Amount += r
			}
			u.SetAmountsDue(plan)
		}
		note := "credit note " + cn.Number + " voided"
		if cn.PrePaymentAmount > 0 {
			note += "; " + money.MajorString(cn.PrePaymentAmount, inv.Currency) + " " + inv.Currency + " due again"
		}
		if _, err := transition(ctx, tx, inv, u, step{HistoryCreditNoteVoid, "", events.InvoiceUpdated, note}); err != nil {
			return err
		}
		if cn.CreditAmount > 0 {
			if err := s.creditBalance(ctx, tx, inv, cn, cn.CreditAmount, "Credit note "+cn.Number+" voided"); err != nil {
				return onField(err, "id")
			}
		}
		return events.Record(ctx, tx, events.CreditNoteVoided, out)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// lockCreditNote reads a credit note of the caller in tx, locked where the
// database needs it.
func (s *Service) lockCreditNote(ctx context.Context, tx *ent.Tx, id string) (*ent.CreditNote, error) {
	q := tx.CreditNote.Query().Where(creditnote.ID(id))
	if dbtx.Locking(s.dialect) {
		q.Modify(dbtx.ForNoKeyUpdate)
	}
	cn, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such credit note", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("load credit note: %w", err)
	}
	return cn, nil
}
