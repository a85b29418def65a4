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
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/payer/words"
)

// HistoryRow is one payment of the customer's history: a payment through
// Remit, money the merchant recorded as received outside Remit, or a
// refund (a negative amount).
type HistoryRow struct {
	Date, InvoiceID, Number, Amount, Method string
	Badge                                   Badge
}

// HistoryLimit is how many payments the history shows.
const HistoryLimit = 100

// History lists the customer's payments and refunds, newest first, in
// lang. ctx acts for the customer: the data layer reads only their own
// rows.
func (s *Service) History(ctx context.Context, who Payer, lang string) ([]HistoryRow, error) {
	if err := who.Require(FeatureHistory); err != nil {
		return nil, err
	}
	t := words.T(lang)
	list, err := s.d.DB.Payment.Query().Order(ent.Desc(payment.FieldCreatedAt), ent.Desc(payment.FieldID)).Limit(HistoryLimit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	refunds, err := s.d.DB.Refund.Query().Order(ent.Desc(refund.FieldCreatedAt), ent.Desc(refund.FieldID)).Limit(HistoryLimit).WithPayment().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
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
	for _, r := range refunds {
		invIDs = append(invIDs, r.InvoiceID)
		if p := r.Edges.Payment; p != nil && p.PaymentMethodID != nil {
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
	methodOf := func(p *ent.Payment) string {
		if p.MethodType == payment.MethodTypeOutOfBand {
			return OutsideMethod(p.OutOfBandMethod, p.Reference, lang)
		}
		if p.PaymentMethodID != nil {
			if m := methods[*p.PaymentMethodID]; m != nil && m.Last4 != "" {
				return BrandName(m.Brand) + " •••• " + m.Last4
			}
		}
		return t[string(p.MethodType)]
	}
	for _, p := range list {
		// Money recorded outside Remit is dated when it was received.
		at := p.CreatedAt
		if p.MethodType == payment.MethodTypeOutOfBand && p.SucceededAt != nil {
			at = *p.SucceededAt
		}
		rows = append(rows, dated{at, HistoryRow{
			Date: words.Date(at, lang), InvoiceID: p.InvoiceID, Number: numbers[p.InvoiceID],
			Amount: words.Money(p.Amount, p.Currency, lang), Method: methodOf(p),
			Badge: Badge{t[string(p.Status)], strings.ToLower(string(p.Status))},
		}})
	}
	for _, r := range refunds {
		to := t["CARD"]
		if p := r.Edges.Payment; p != nil {
			to = methodOf(p)
		}
		rows = append(rows, dated{r.CreatedAt, HistoryRow{
			Date: words.Date(r.CreatedAt, lang), InvoiceID: r.InvoiceID, Number: numbers[r.InvoiceID],
			Amount: words.Money(-r.Amount, r.Currency, lang), Method: fmt.Sprintf(t["RefundTo"], to),
			Badge: Badge{t["REFUND_"+string(r.Status)], refundBadge[r.Status]},
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

// refundBadge is the badge class of a refund's status.
var refundBadge = map[refund.Status]string{
	refund.StatusPending: "processing", refund.StatusSucceeded: "neutral", refund.StatusFailed: "failed",
}
