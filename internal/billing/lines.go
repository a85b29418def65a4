package billing

import (
	"context"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/internal/usererr"
)

// AddLines appends lines to a draft.
func (s *Service) AddLines(ctx context.Context, invoiceID string, lines []LineInput) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, invoiceID, ActionEdit)
		if err != nil {
			return onField(err, "invoice")
		}
		if len(lines) == 0 {
			return usererr.New(usererr.Required, "give at least one line", "lines")
		}
		st, err := s.loadState(ctx, tx, inv, nil, lines)
		if err != nil {
			return err
		}
		if len(st.lines)+len(lines) > MaxLines {
			return usererr.Newf(usererr.LimitExceeded, []string{"lines"}, "an invoice has at most %d lines; it has %d", MaxLines, len(st.lines))
		}
		var errs usererr.List
		for i, l := range lines {
			st.lines = append(st.lines, buildLine(&errs, l, nil, inv.Currency, st.refs, "lines", fmt.Sprint(i)))
			st.ids = append(st.ids, "")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		out, err = s.save(ctx, tx, inv, st, false)
		return err
	})
	return detach(out, err)
}

// lineDraft loads, for editing, the draft a line belongs to.
func (s *Service) lineDraft(ctx context.Context, tx *ent.Tx, lineID string) (*ent.Invoice, error) {
	l, err := tx.InvoiceLine.Query().Where(invoiceline.ID(lineID)).Select(invoiceline.FieldInvoiceID).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such invoice line", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("load line: %w", err)
	}
	return s.load(ctx, tx, l.InvoiceID, ActionEdit)
}

// UpdateLine changes one line of a draft.
func (s *Service) UpdateLine(ctx context.Context, lineID string, in LineInput) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lineDraft(ctx, tx, lineID)
		if err != nil {
			return err
		}
		st, err := s.loadState(ctx, tx, inv, nil, []LineInput{in})
		if err != nil {
			return err
		}
		var errs usererr.List
		for i, id := range st.ids {
			if id == lineID {
				st.lines[i] = buildLine(&errs, in, &st.lines[i], inv.Currency, st.refs)
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		out, err = s.save(ctx, tx, inv, st, false)
		return err
	})
	return detach(out, err)
}

// RemoveLine deletes one line of a draft.
func (s *Service) RemoveLine(ctx context.Context, lineID string) (*ent.Invoice, error) {
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lineDraft(ctx, tx, lineID)
		if err != nil {
			return err
		}
		if err := tx.InvoiceLine.DeleteOneID(lineID).Exec(ctx); err != nil {
			return fmt.Errorf("delete line: %w", err)
		}
		st, err := s.loadState(ctx, tx, inv, nil, nil)
		if err != nil {
			return err
		}
		out, err = s.save(ctx, tx, inv, st, false)
		return err
	})
	return detach(out, err)
}
