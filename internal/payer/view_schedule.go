package payer

import (
	"context"
	"fmt"
	"slices"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/usererr"
)

// scheduled puts on v the payment the customer scheduled, if any, and
// what the page says of the payer's last schedule action (o.Done,
// o.Warning).
func (s *Service) scheduled(ctx context.Context, who Payer, inv *ent.Invoice, v *Invoice, o ViewOptions) error {
	t := words.T(v.Lang)
	if o.Warning == string(usererr.ScheduledAfterDueDate) {
		if by := OnTimeBy(inv); by != nil {
			v.Warning = &Notice{fmt.Sprintf(t["ScheduledLate"], words.Date(*by, v.Lang)), "action"}
		}
	}
	if o.Done == "unscheduled" && o.Error == "" && inv.ScheduledPayment == nil {
		v.Outcome = &Notice{t["ScheduleCanceled"], "ok"}
	}
	sp := inv.ScheduledPayment
	if sp == nil {
		return nil
	}
	date := words.Date(sp.At, v.Lang)
	if o.Done == "scheduled" && o.Error == "" {
		v.Outcome = &Notice{fmt.Sprintf(t["ScheduledDone"], date), "ok"}
	}
	f := func(minor int64) string { return words.Money(minor, inv.Currency, v.Lang) }
	amount := fmt.Sprintf(t["DueThatDay"], f(billing.PayableNow(inv)))
	if sp.Amount > 0 {
		amount = f(sp.Amount)
	}
	method := ""
	pm, err := s.d.DB.PaymentMethod.Get(ctx, sp.PaymentMethodID)
	switch {
	case err == nil:
		method = MethodLabel(pm, v.Lang)
	case !ent.IsNotFound(err):
		return fmt.Errorf("load scheduled payment method: %w", err)
	}
	v.Scheduled = &Scheduled{Title: fmt.Sprintf(t["ScheduledFor"], date), Date: date, Method: method, Amount: amount}
	if url := who.invoiceURL(inv.ID); url != "" && who.Allows(FeaturePay) {
		v.Scheduled.CancelURL = url + "/schedule/cancel"
	}
	return nil
}

// scheduleForm puts on v the form that schedules a payment of inv (or
// changes the one scheduled) when the payer may schedule one and has a
// way to pay it: a saved method the invoice accepts (portal; on the
// hosted page, only the one already scheduled), or a new card.
func (s *Service) scheduleForm(ctx context.Context, who Payer, inv *ent.Invoice, v *Invoice, accepted []string, processorForm bool) error {
	url := who.invoiceURL(inv.ID)
	if url == "" {
		return nil
	}
	ok, err := s.CanSchedule(ctx, who, inv)
	if err != nil || !ok {
		return err
	}
	t := words.T(v.Lang)
	now := s.d.Billing.Now(ctx, inv)
	first, last := ScheduleRange(now)
	form := &ScheduleForm{
		URL: url + "/schedule", Label: t["ScheduleButton"],
		Min: first.Format(DateLayout), Max: last.Format(DateLayout),
		// A new card in Remit's own fields, only where Remit's processor
		// takes them: one with its own form saves methods through it (the
		// portal's payment methods).
		NewCard: !processorForm && slices.Contains(accepted, "CARD") && (who.Surface == Hosted || who.Allows(FeatureMethods)),
	}
	if by := OnTimeBy(inv); by != nil {
		form.OnTime = fmt.Sprintf(t["OnTimeBy"], words.Date(*by, v.Lang))
		if d := billing.ScheduleDay(*by); !d.Before(first) && !d.After(last) {
			form.Value = d.Format(DateLayout)
		}
	}
	current := ""
	if sp := inv.ScheduledPayment; sp != nil {
		form.Value, form.Label, current = sp.At.Format(DateLayout), t["RescheduleButton"], sp.PaymentMethodID
	}
	if form.Methods, err = s.scheduleMethods(ctx, who, current, accepted, v.Lang); err != nil {
		return err
	}
	if len(form.Methods) > 0 || form.NewCard {
		v.Schedule = form
	}
	return nil
}

// scheduleMethods are the saved methods the payer may schedule with, the
// one scheduled (current) first, else the default: in the portal the
// customer's methods of a type the invoice accepts; on the hosted page
// only the one scheduled, whose date the link holder may change.
func (s *Service) scheduleMethods(ctx context.Context, who Payer, current string, accepted []string, lang string) ([]Card, error) {
	if who.Surface == Hosted {
		if current == "" {
			return nil, nil
		}
		pm, err := s.d.DB.PaymentMethod.Get(ctx, current)
		if err != nil {
			return nil, fmt.Errorf("load scheduled payment method: %w", err)
		}
		return []Card{{ID: pm.ID, Label: MethodLabel(pm, lang)}}, nil
	}
	out, err := s.savedMethods(ctx, who, lang, func(m *ent.PaymentMethod) bool { return slices.Contains(accepted, string(m.Type)) })
	if err != nil {
		return nil, err
	}
	rank := func(c Card) int {
		switch {
		case c.ID == current:
			return 0
		case c.Default && current == "":
			return 0
		case c.Default:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b Card) int { return rank(a) - rank(b) })
	return out, nil
}
