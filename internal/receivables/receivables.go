// Package receivables reads what customers owe: the aging report (what
// remains to pay, per currency and customer, by how long it has been past
// due) and customer statements (every movement on a customer's account
// over a period, with balances). Both are reproducible as of any past date
// from the history the rows keep: finalization, payment, void and
// uncollectible dates, succeeded payments and credit notes with their
// void dates.
package receivables

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// Config is what the Service reads.
type Config struct {
	DB *ent.Client
	// Sources are movement sources a statement lists besides the built-in
	// ones (invoices, credit notes, payments, refunds, balance
	// adjustments): the seam for ledgers added later, such as the
	// customer cash balance.
	Sources []Source
}

// Service reads receivables.
type Service struct {
	db      *ent.Client
	sources []Source
}

// New returns a Service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("receivables: DB is required")
	}
	return &Service{db: cfg.DB, sources: append(builtinSources(cfg.DB), cfg.Sources...)}, nil
}

// Bucket is an age band of the aging report.
type Bucket int

const (
	NotDue Bucket = iota
	Days1To30
	Days31To60
	Days61To90
	Days91To120
	Over120
	// Buckets is how many bands there are.
	Buckets
)

// String names a bucket as the CSV header and the API do.
func (b Bucket) String() string {
	return [...]string{"not_due", "days_1_30", "days_31_60", "days_61_90", "days_91_120", "over_120"}[b]
}

// Amounts is an amount per bucket, in minor units.
type Amounts [Buckets]int64

// Total is the sum over the buckets.
func (a Amounts) Total() int64 {
	var t int64
	for _, v := range a {
		t += v
	}
	return t
}

// PastDue is the sum over the past-due buckets.
func (a Amounts) PastDue() int64 { return a.Total() - a[NotDue] }

func (a *Amounts) add(b Amounts) {
	for i := range a {
		a[i] += b[i]
	}
}

// AgingInput selects an aging report. Zero fields do not filter; a nil
// AsOf is now.
type AgingInput struct {
	AsOf       *time.Time
	Currency   string
	CustomerID string
}

// Report is the aging report: one section per currency, in code order.
type Report struct {
	AsOf       time.Time
	Currencies []CurrencyAging
}

// CurrencyAging is one currency's part of the report: its customers (by
// name, then id) and their totals.
type CurrencyAging struct {
	Currency  string
	Customers []CustomerAging
	Totals    Amounts
}

// CustomerAging is what one customer owes in one currency, by age.
type CustomerAging struct {
	CustomerID   string
	CustomerName string
	Amounts      Amounts
}

// ages places due dates in buckets as of one instant. Days are whole
// days in UTC: an amount due on the 1st is 1 day past due on the 2nd,
// whatever the hours, and any amount whose due instant has passed is at
// least 1 day past due (never "not due" once the due date passed, as
// billing's standing says).
type ages struct {
	asOf time.Time
	// edges[i] is the earliest due date of bucket i+1 (Days1To30 …
	// Days91To120); anything before edges[3] is over 120 days.
	edges [4]time.Time
}

func agesAt(asOf time.Time) ages {
	asOf = asOf.UTC()
	day := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	return ages{asOf: asOf, edges: [4]time.Time{day.AddDate(0, 0, -30), day.AddDate(0, 0, -60), day.AddDate(0, 0, -90), day.AddDate(0, 0, -120)}}
}

// bucket is the band of an amount due at due (nil: no due date, an
// automatically charged invoice, never past due).
func (a ages) bucket(due *time.Time) Bucket {
	if due == nil || !a.asOf.After(*due) {
		return NotDue
	}
	for i, e := range a.edges {
		if !due.Before(e) {
			return Bucket(i + 1)
		}
	}
	return Over120
}

// days is how many whole UTC days due is past at asOf (0 when not past
// due).
func (a ages) days(due time.Time) int {
	if !a.asOf.After(due) {
		return 0
	}
	d := int(a.edges[0].AddDate(0, 0, 30).Sub(time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC).UTC()) / (24 * time.Hour))
	return max(d, 1)
}

// sqlBucket is bucket written in SQL over the due date column col, the
// edges bound as arguments.
func (a ages) sqlBucket(col string) sql.Querier {
	return sql.ExprFunc(func(b *sql.Builder) {
		b.WriteString("CASE WHEN ").WriteString(col).WriteString(" IS NULL OR ").WriteString(col).WriteString(" >= ").Arg(a.asOf).WriteString(" THEN 0")
		for i, e := range a.edges {
			b.WriteString(" WHEN ").WriteString(col).WriteString(" >= ").Arg(e).WriteString(fmt.Sprintf(" THEN %d", i+1))
		}
		b.WriteString(" ELSE 5 END")
	})
}

// Aging returns the aging report as of in.AsOf (now when nil).
//
// Now, the report reads open invoices only, from the awaiting-payment
// partial indexes, and what remains is each row's amount due less amount
// paid. As of a past instant it reads invoices finalized by then and not
// yet paid, voided or marked uncollectible, and what remains is what was
// due then (the amount due before pre-payment credit notes, less those
// issued by then and not yet voided) less the payments that had
// succeeded. Invoices without a payment plan are summed in SQL by bucket;
// a plan's installments age apart, each from its own due date, settled in
// due order as billing.Installments lays payments over them.
func (s *Service) Aging(ctx context.Context, in AgingInput) (Report, error) {
	now := clock.Now(ctx)
	asOf, history := now, false
	if in.AsOf != nil {
		if in.AsOf.After(now) {
			return Report{}, usererr.New(usererr.Invalid, "asOf is in the future: the report reads what happened", "asOf")
		}
		asOf, history = in.AsOf.UTC(), true
	}
	var preds []predicate.Invoice
	if in.Currency != "" {
		cur, err := money.Normalize(in.Currency)
		if err != nil {
			return Report{}, usererr.Newf(usererr.UnknownCurrency, []string{"currency"}, "%q is not an ISO 4217 currency", in.Currency)
		}
		preds = append(preds, invoice.Currency(cur))
	}
	if in.CustomerID != "" {
		ok, err := s.db.Customer.Query().Where(customer.ID(in.CustomerID)).Exist(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("read customer: %w", err)
		}
		if !ok {
			return Report{}, usererr.New(usererr.NotFound, "no such customer", "customer")
		}
		preds = append(preds, invoice.CustomerID(in.CustomerID))
	}
	preds = append(preds, unsettled(asOf, history))
	a := agesAt(asOf)
	sums := map[key]*Amounts{}
	at := func(k key) *Amounts {
		if sums[k] == nil {
			sums[k] = &Amounts{}
		}
		return sums[k]
	}
	rows, err := s.plainSums(ctx, a, preds, history)
	if err != nil {
		return Report{}, err
	}
	for _, r := range rows {
		at(key{r.Currency, r.CustomerID})[r.Bucket] += r.Amount
	}
	items, err := s.items(ctx, asOf, history, append(slices.Clone(preds), hasPlan(true)))
	if err != nil {
		return Report{}, err
	}
	for _, it := range items {
		at(key{it.inv.Currency, it.inv.CustomerID})[a.bucket(it.due)] += it.amount
	}
	return s.report(ctx, asOf, sums)
}

type key struct{ currency, customer string }

// report orders the sums into a Report, with the customers' names.
func (s *Service) report(ctx context.Context, asOf time.Time, sums map[key]*Amounts) (Report, error) {
	ids := make([]string, 0, len(sums))
	for k := range sums {
		ids = append(ids, k.customer)
	}
	names, err := s.names(ctx, ids)
	if err != nil {
		return Report{}, err
	}
	byCur := map[string]*CurrencyAging{}
	for k, v := range sums {
		if *v == (Amounts{}) {
			continue // settled amounts that cancel out: nothing owed
		}
		c := byCur[k.currency]
		if c == nil {
			c = &CurrencyAging{Currency: k.currency}
			byCur[k.currency] = c
		}
		c.Customers = append(c.Customers, CustomerAging{CustomerID: k.customer, CustomerName: names[k.customer], Amounts: *v})
		c.Totals.add(*v)
	}
	out := Report{AsOf: asOf, Currencies: []CurrencyAging{}}
	for _, c := range byCur {
		slices.SortFunc(c.Customers, func(a, b CustomerAging) int {
			if n := strings.Compare(strings.ToLower(a.CustomerName), strings.ToLower(b.CustomerName)); n != 0 {
				return n
			}
			return strings.Compare(a.CustomerID, b.CustomerID)
		})
		out.Currencies = append(out.Currencies, *c)
	}
	slices.SortFunc(out.Currencies, func(a, b CurrencyAging) int { return strings.Compare(a.Currency, b.Currency) })
	return out, nil
}

// names reads the names of customers ids, a batch at a time.
func (s *Service) names(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for chunk := range slices.Chunk(ids, 500) {
		cs, err := s.db.Customer.Query().Where(customer.IDIn(chunk...)).Select(customer.FieldID, customer.FieldName).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read customers: %w", err)
		}
		for _, c := range cs {
			out[c.ID] = c.Name
		}
	}
	return out, nil
}

// unsettled matches the invoices that awaited payment at asOf. Now, they
// are the open invoices, written so the awaiting-payment partial indexes
// serve the query. As of a past instant: finalized by then, and not yet
// paid, voided or marked uncollectible then (each leaves the report the
// instant it happened).
func unsettled(asOf time.Time, history bool) predicate.Invoice {
	if !history {
		return invoice.And(billing.AwaitingPayment(), invoice.StatusEQ(invoice.StatusOpen))
	}
	return invoice.And(
		invoice.StatusNEQ(invoice.StatusDraft),
		invoice.FinalizedAtNotNil(), invoice.FinalizedAtLTE(asOf),
		invoice.Or(invoice.PaidAtIsNil(), invoice.PaidAtGT(asOf)),
		invoice.Or(invoice.VoidedAtIsNil(), invoice.VoidedAtGT(asOf)),
		invoice.Or(invoice.MarkedUncollectibleAtIsNil(), invoice.MarkedUncollectibleAtGT(asOf)),
	)
}

// hasPlan matches invoices with (or, false, without) a payment plan. A
// row without one holds NULL, or the JSON null or [] a draft's update
// wrote.
func hasPlan(yes bool) predicate.Invoice {
	return func(s *sql.Selector) {
		col := s.C(invoice.FieldAmountsDue)
		if yes {
			s.Where(sql.P(func(b *sql.Builder) {
				b.WriteString("(").WriteString(col).WriteString(" IS NOT NULL AND ").WriteString(col).WriteString(" <> 'null' AND ").WriteString(col).WriteString(" <> '[]')")
			}))
			return
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(").WriteString(col).WriteString(" IS NULL OR ").WriteString(col).WriteString(" = 'null' OR ").WriteString(col).WriteString(" = '[]')")
		}))
	}
}

// sumRow is one group of plainSums.
type sumRow struct {
	Currency   string `sql:"currency"`
	CustomerID string `sql:"customer_id"`
	Bucket     Bucket `sql:"bucket"`
	Amount     int64  `sql:"amount"`
}

// plainSums sums what remains of the invoices without a plan that preds
// select, by currency, customer and bucket, in SQL.
func (s *Service) plainSums(ctx context.Context, a ages, preds []predicate.Invoice, history bool) ([]sumRow, error) {
	preds = append(slices.Clone(preds), hasPlan(false))
	group := func(sel *sql.Selector, amount sql.Querier) {
		sel.Select(sel.C(invoice.FieldCurrency), sel.C(invoice.FieldCustomerID))
		sel.AppendSelectExprAs(a.sqlBucket(sel.C(invoice.FieldDueDate)), "bucket")
		sel.AppendSelectExprAs(amount, "amount")
		sel.GroupBy(sel.C(invoice.FieldCurrency), sel.C(invoice.FieldCustomerID), "bucket")
	}
	sum := func(cols ...string) sql.Querier {
		return sql.ExprFunc(func(b *sql.Builder) {
			b.WriteString("CAST(SUM(")
			for i, c := range cols {
				if i > 0 {
					b.WriteString(" + ")
				}
				b.WriteString(c)
			}
			b.WriteString(") AS BIGINT)")
		})
	}
	var due []sumRow
	err := s.db.Invoice.Query().Where(preds...).Modify(func(sel *sql.Selector) {
		if !history {
			group(sel, sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("CAST(SUM(").WriteString(sel.C(invoice.FieldAmountDue)).WriteString(" - ").WriteString(sel.C(invoice.FieldAmountPaid)).WriteString(") AS BIGINT)")
			}))
			return
		}
		group(sel, sum(sel.C(invoice.FieldAmountDue), sel.C(invoice.FieldPrePaymentCreditNotesAmount)))
	}).Scan(ctx, &due)
	if err != nil {
		return nil, fmt.Errorf("sum invoices: %w", err)
	}
	if !history {
		return due, nil
	}
	// What was paid by asOf, and the credit notes standing then, come off
	// in the same groups.
	var paid, credited []sumRow
	err = s.db.Invoice.Query().Where(preds...).Modify(func(sel *sql.Selector) {
		t := sql.Table(payment.Table)
		sel.Join(t).On(sel.C(invoice.FieldID), t.C(payment.FieldInvoiceID))
		sel.Where(paidBy(t.C, a.asOf))
		group(sel, sum(t.C(payment.FieldAmount)))
	}).Scan(ctx, &paid)
	if err != nil {
		return nil, fmt.Errorf("sum payments: %w", err)
	}
	err = s.db.Invoice.Query().Where(preds...).Modify(func(sel *sql.Selector) {
		t := sql.Table(creditnote.Table)
		sel.Join(t).On(sel.C(invoice.FieldID), t.C(creditnote.FieldInvoiceID))
		sel.Where(standingAt(t, a.asOf))
		group(sel, sum(t.C(creditnote.FieldPrePaymentAmount)))
	}).Scan(ctx, &credited)
	if err != nil {
		return nil, fmt.Errorf("sum credit notes: %w", err)
	}
	for _, r := range paid {
		r.Amount = -r.Amount
		due = append(due, r)
	}
	for _, r := range credited {
		r.Amount = -r.Amount
		due = append(due, r)
	}
	return due, nil
}

// paidBy matches the payments of table t that had succeeded at asOf
// (money recorded outside Remit: received by then).
func paidBy(c func(string) string, asOf time.Time) *sql.Predicate {
	return sql.And(
		sql.EQ(c(payment.FieldStatus), payment.StatusSucceeded),
		sql.Or(
			sql.LTE(c(payment.FieldSucceededAt), asOf),
			sql.And(sql.IsNull(c(payment.FieldSucceededAt)), sql.LTE(c(payment.FieldCreatedAt), asOf)),
		),
	)
}

// standingAt matches the credit notes of table t issued by asOf and not
// voided then.
func standingAt(t *sql.SelectTable, asOf time.Time) *sql.Predicate {
	return sql.And(
		sql.LTE(t.C(creditnote.FieldCreatedAt), asOf),
		sql.Or(sql.IsNull(t.C(creditnote.FieldVoidedAt)), sql.GT(t.C(creditnote.FieldVoidedAt), asOf)),
	)
}

// item is an amount of an invoice that remained at asOf, due at due: the
// whole invoice, or one installment of its plan.
type item struct {
	inv    *ent.Invoice
	due    *time.Time
	amount int64
}

// items reads the invoices preds select and returns what remained of
// each at asOf, per installment for a plan. It reads each invoice, so it
// serves plans and one customer's invoices; plainSums serves the rest.
func (s *Service) items(ctx context.Context, asOf time.Time, history bool, preds []predicate.Invoice) ([]item, error) {
	invs, err := s.db.Invoice.Query().Where(preds...).Order(invoice.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read invoices: %w", err)
	}
	if len(invs) == 0 {
		return nil, nil
	}
	type past struct {
		paid, credited int64
		// reductions the credit notes issued since (or voided by then)
		// made to the plan: added back, they give the plan as it stood.
		back []int64
	}
	pasts := map[string]*past{}
	if history {
		ids := make([]string, len(invs))
		for i, inv := range invs {
			ids[i] = inv.ID
			pasts[inv.ID] = &past{}
		}
		for chunk := range slices.Chunk(ids, 500) {
			ps, err := s.db.Payment.Query().Where(payment.InvoiceIDIn(chunk...), func(sel *sql.Selector) {
				sel.Where(paidBy(sel.C, asOf))
			}).Select(payment.FieldInvoiceID, payment.FieldAmount).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read payments: %w", err)
			}
			for _, p := range ps {
				pasts[p.InvoiceID].paid += p.Amount
			}
			cns, err := s.db.CreditNote.Query().Where(creditnote.InvoiceIDIn(chunk...)).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("read credit notes: %w", err)
			}
			for _, cn := range cns {
				p := pasts[cn.InvoiceID]
				then := !cn.CreatedAt.After(asOf) && (cn.VoidedAt == nil || cn.VoidedAt.After(asOf))
				if then {
					p.credited += cn.PrePaymentAmount
				}
				// The current plan lacks the reductions of issued credit
				// notes; the plan then lacked those standing then.
				sign := int64(0)
				switch {
				case cn.Status == creditnote.StatusIssued && !then:
					sign = 1
				case cn.Status != creditnote.StatusIssued && then:
					sign = -1
				}
				if sign != 0 && len(cn.InstallmentReductions) > 0 {
					if p.back == nil {
						p.back = make([]int64, len(cn.InstallmentReductions))
					}
					for i, r := range cn.InstallmentReductions {
						if i < len(p.back) {
							p.back[i] += sign * r
						}
					}
				}
			}
		}
	}
	var out []item
	for _, inv := range invs {
		then := *inv
		if history {
			p := pasts[inv.ID]
			then.AmountDue = inv.AmountDue + inv.PrePaymentCreditNotesAmount - p.credited
			then.AmountPaid = p.paid
			if len(inv.AmountsDue) > 0 && len(p.back) == len(inv.AmountsDue) {
				then.AmountsDue = make([]values.Installment, len(inv.AmountsDue))
				for i, it := range inv.AmountsDue {
					it.Amount += p.back[i]
					then.AmountsDue[i] = it
				}
			}
		}
		if len(then.AmountsDue) == 0 {
			out = append(out, item{inv: inv, due: inv.DueDate, amount: billing.AmountRemaining(&then)})
			continue
		}
		then.Status = invoice.StatusOpen
		for _, it := range billing.Installments(&then, asOf) {
			if rest := it.Amount - it.AmountPaid; rest != 0 {
				out = append(out, item{inv: inv, due: it.DueDate, amount: rest})
			}
		}
	}
	return out, nil
}
