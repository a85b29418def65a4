package payer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/payer/words"
)

// HistoryRow is one payment of the customer's history: a payment through
// Remit, or money the merchant recorded as received outside Remit.
type HistoryRow struct {
	Date, InvoiceID, Number, Amount, Method string
	Badge                                   Badge
}

// HistoryLimit is how many payments the history shows.
const HistoryLimit = 100

// History lists the customer's payments, newest first, in lang. ctx acts
// for the customer: the data layer reads only their own rows.
func (s *Service) History(ctx context.Context, who Payer, lang string) ([]HistoryRow, error) {
	if err := who.Require(FeatureHistory); err != nil {
		return nil, err
	}
	t := words.T(lang)
	list, err := s.d.DB.Payment.Query().Order(ent.Desc(payment.FieldCreatedAt), ent.Desc(payment.FieldID)).Limit(HistoryLimit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	outside, err := s.d.DB.Invoice.Query().Where(invoice.OutOfBandPaymentNotNil()).
		Order(ent.Desc(invoice.FieldPaidAt)).Limit(HistoryLimit).WithPayments().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list invoices paid outside Remit: %w", err)
	}
	invIDs, pmIDs := []string{}, []string{}
	for _, p := range list {
		invIDs = append(invIDs, p.InvoiceID)
		if p.PaymentMethodID != nil {
			pmIDs = append(pmIDs, *p.PaymentMethodID)
		}
	}
	invs, err := s.d.DB.Invoice.Query().Where(invoice.IDIn(invIDs...)).Select(invoice.FieldNumber).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load invoices: %w", err)
	}
	numbers := map[string]string{}
	for _, inv := range append(invs, outside...) {
		if inv.Number != nil {
			numbers[inv.ID] = *inv.Number
		}
	}
	pms, err := s.d.DB.PaymentMethod.Query().Where(paymentmethod.IDIn(pmIDs...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load payment methods: %w", err)
	}
	methods := map[string]*ent.PaymentMethod{}
	for _, m := range pms {
		methods[m.ID] = m
	}
	type dated struct {
		at  time.Time
		row HistoryRow
	}
	var rows []dated
	for _, p := range list {
		method := t[string(p.MethodType)]
		if p.PaymentMethodID != nil {
			if m := methods[*p.PaymentMethodID]; m != nil && m.Last4 != "" {
				method = BrandName(m.Brand) + " •••• " + m.Last4
			}
		}
		rows = append(rows, dated{p.CreatedAt, HistoryRow{
			Date: words.Date(p.CreatedAt, lang), InvoiceID: p.InvoiceID, Number: numbers[p.InvoiceID],
			Amount: words.Money(p.Amount, p.Currency, lang), Method: method,
			Badge: Badge{t[string(p.Status)], strings.ToLower(string(p.Status))},
		}})
	}
	for _, inv := range outside {
		o := Outside(inv, inv.Edges.Payments)
		if o == nil {
			continue
		}
		rows = append(rows, dated{o.PaidAt, HistoryRow{
			Date: words.Date(o.PaidAt, lang), InvoiceID: inv.ID, Number: numbers[inv.ID],
			Amount: words.Money(o.Amount, o.Currency, lang), Method: OutsideMethod(o.Method, o.Reference, lang),
			Badge: Badge{t["SUCCEEDED"], "succeeded"},
		}})
	}
	slices.SortStableFunc(rows, func(a, b dated) int { return cmp.Compare(b.at.UnixNano(), a.at.UnixNano()) })
	out := make([]HistoryRow, 0, min(len(rows), HistoryLimit))
	for i, r := range rows {
		if i == HistoryLimit {
			break
		}
		out = append(out, r.row)
	}
	return out, nil
}
