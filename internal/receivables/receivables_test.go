package receivables

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

var day0 = time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)

func TestBuckets(t *testing.T) {
	a := agesAt(day0) // 2026-03-10 15:00
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	for _, c := range []struct {
		due  *time.Time
		want Bucket
		days int
	}{
		{nil, NotDue, 0},
		{at("2026-03-10T15:00:00Z"), NotDue, 0}, // due this instant: not yet past
		{at("2026-03-11T00:00:00Z"), NotDue, 0},
		{at("2026-03-10T14:59:59Z"), Days1To30, 1}, // passed today: a day late at least
		{at("2026-03-09T23:59:59Z"), Days1To30, 1},
		{at("2026-02-08T00:00:00Z"), Days1To30, 30},
		{at("2026-02-07T23:59:59Z"), Days31To60, 31},
		{at("2026-01-09T00:00:00Z"), Days31To60, 60},
		{at("2026-01-08T12:00:00Z"), Days61To90, 61},
		{at("2025-12-10T00:00:00Z"), Days61To90, 90},
		{at("2025-12-09T00:00:00Z"), Days91To120, 91},
		{at("2025-11-10T00:00:00Z"), Days91To120, 120},
		{at("2025-11-09T23:00:00Z"), Over120, 121},
		{at("2020-01-01T00:00:00Z"), Over120, 2260},
	} {
		if got := a.bucket(c.due); got != c.want {
			t.Errorf("bucket(%v) = %v, want %v", c.due, got, c.want)
		}
		if c.due != nil {
			if got := a.days(*c.due); got != c.days {
				t.Errorf("days(%v) = %d, want %d", c.due, got, c.days)
			}
		}
	}
}

// ledger writes a history straight through ent, as billing leaves it.
type ledger struct {
	t   *testing.T
	ctx context.Context
	db  *ent.Client
	clk *clock.Fake
	n   int
}

func newLedger(t *testing.T, st *store.Store) *ledger {
	clk := clock.NewFake(day0)
	ctx := clock.WithContext(context.Background(), clk)
	acct, err := accounts.New(st.Client).Create(ctx, "Acme SAS")
	if err != nil {
		t.Fatal(err)
	}
	ctx = viewer.NewContext(ctx, viewer.System(acct.ID, viewer.Test, "receivables test"))
	return &ledger{t: t, ctx: ctx, db: st.Client, clk: clk}
}

func (l *ledger) customer(name, currency string) string {
	l.n++
	c, err := l.db.Customer.Create().SetName(name).SetCurrency(currency).SetInvoicePrefix(fmt.Sprintf("C%04d", l.n)).Save(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	return c.ID
}

// invoice issues an invoice of amount at finalized, due at due, with an
// optional plan (amounts and due dates).
func (l *ledger) invoice(cus, currency string, amount int64, finalized, due time.Time, plan ...values.Installment) *ent.Invoice {
	l.n++
	c := l.db.Invoice.Create().SetCustomerID(cus).SetCurrency(currency).SetNumber(fmt.Sprintf("INV-%04d", l.n)).
		SetStatus(invoice.StatusOpen).SetTotal(amount).SetSubtotal(amount).SetTotalExcludingTax(amount).SetAmountDue(amount).
		SetFinalizedAt(finalized).SetDueDate(due).SetCreatedAt(finalized.Add(-time.Hour))
	if len(plan) > 0 {
		c.SetAmountsDue(plan)
	}
	inv, err := c.Save(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	return inv
}

func (l *ledger) reload(inv *ent.Invoice) *ent.Invoice {
	out, err := l.db.Invoice.Get(l.ctx, inv.ID)
	if err != nil {
		l.t.Fatal(err)
	}
	return out
}

// pay records a succeeded payment at at, paying the invoice off when
// nothing remains.
func (l *ledger) pay(inv *ent.Invoice, amount int64, at time.Time) {
	inv = l.reload(inv)
	if _, err := l.db.Payment.Create().SetInvoiceID(inv.ID).SetCustomerID(inv.CustomerID).SetMethodType(payment.MethodTypeOutOfBand).
		SetAmount(amount).SetCurrency(inv.Currency).SetStatus(payment.StatusSucceeded).SetSucceededAt(at).Save(l.ctx); err != nil {
		l.t.Fatal(err)
	}
	u := inv.Update().SetAmountPaid(inv.AmountPaid + amount)
	if inv.AmountPaid+amount >= inv.AmountDue {
		u.SetStatus(invoice.StatusPaid).SetPaidAt(at)
	}
	if _, err := u.Save(l.ctx); err != nil {
		l.t.Fatal(err)
	}
}

// credit issues a pre-payment credit note at at (off the last
// installments of a plan first, as billing does).
func (l *ledger) credit(inv *ent.Invoice, amount int64, at time.Time) *ent.CreditNote {
	inv = l.reload(inv)
	l.n++
	c := l.db.CreditNote.Create().SetInvoiceID(inv.ID).SetCustomerID(inv.CustomerID).SetNumber(fmt.Sprintf("CN-%04d", l.n)).
		SetCurrency(inv.Currency).SetType(creditnote.TypePrePayment).SetTotal(amount).SetSubtotal(amount).
		SetPrePaymentAmount(amount).SetCreatedAt(at)
	u := inv.Update().SetAmountDue(inv.AmountDue - amount).SetPrePaymentCreditNotesAmount(inv.PrePaymentCreditNotesAmount + amount)
	if len(inv.AmountsDue) > 0 {
		plan := append([]values.Installment{}, inv.AmountsDue...)
		red := make([]int64, len(plan))
		left := amount
		for i := len(plan) - 1; i >= 0 && left > 0; i-- {
			take := min(left, plan[i].Amount)
			plan[i].Amount -= take
			red[i] = take
			left -= take
		}
		c.SetInstallmentReductions(red)
		u.SetAmountsDue(plan)
	}
	cn, err := c.Save(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := u.Save(l.ctx); err != nil {
		l.t.Fatal(err)
	}
	return cn
}

func (l *ledger) voidCredit(cn *ent.CreditNote, at time.Time) {
	inv := l.reload(&ent.Invoice{ID: cn.InvoiceID})
	if _, err := cn.Update().SetStatus(creditnote.StatusVoid).SetVoidedAt(at).Save(l.ctx); err != nil {
		l.t.Fatal(err)
	}
	u := inv.Update().SetAmountDue(inv.AmountDue + cn.PrePaymentAmount).SetPrePaymentCreditNotesAmount(inv.PrePaymentCreditNotesAmount - cn.PrePaymentAmount)
	if len(cn.InstallmentReductions) == len(inv.AmountsDue) && len(inv.AmountsDue) > 0 {
		plan := append([]values.Installment{}, inv.AmountsDue...)
		for i, r := range cn.InstallmentReductions {
			plan[i].Amount += r
		}
		u.SetAmountsDue(plan)
	}
	if _, err := u.Save(l.ctx); err != nil {
		l.t.Fatal(err)
	}
}

func (l *ledger) settle(inv *ent.Invoice, st invoice.Status, at time.Time) {
	u := l.reload(inv).Update().SetStatus(st)
	switch st {
	case invoice.StatusVoid:
		u.SetVoidedAt(at)
	case invoice.StatusUncollectible:
		u.SetMarkedUncollectibleAt(at)
	}
	if _, err := u.Save(l.ctx); err != nil {
		l.t.Fatal(err)
	}
}

func (l *ledger) aging(in AgingInput) Report {
	svc, err := New(Config{DB: l.db})
	if err != nil {
		l.t.Fatal(err)
	}
	r, err := svc.Aging(l.ctx, in)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

// amounts is the report as currency → customer → amounts.
func amounts(r Report) map[string]map[string]Amounts {
	out := map[string]map[string]Amounts{}
	for _, c := range r.Currencies {
		out[c.Currency] = map[string]Amounts{}
		var tot Amounts
		for _, row := range c.Customers {
			out[c.Currency][row.CustomerID] = row.Amounts
			tot.add(row.Amounts)
		}
		if tot != c.Totals {
			panic(fmt.Sprintf("%s: totals %v, rows add up to %v", c.Currency, c.Totals, tot))
		}
	}
	return out
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func TestAging(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		l := newLedger(t, st)
		alice, bob := l.customer("Alice SARL", "EUR"), l.customer("Bob Inc", "USD")
		past := day0.Add(-days(200))
		l.invoice(alice, "EUR", 1000, past, day0.Add(days(5)))              // not due
		l.invoice(alice, "EUR", 2000, past, day0.Add(-days(3)))             // 1–30
		partial := l.invoice(alice, "EUR", 3000, past, day0.Add(-days(45))) // 31–60, 1000 paid
		l.pay(partial, 1000, day0.Add(-days(10)))
		l.invoice(alice, "EUR", 4000, past, day0.Add(-days(75)))  // 61–90
		l.invoice(alice, "EUR", 5000, past, day0.Add(-days(100))) // 91–120
		l.invoice(bob, "USD", 6000, past, day0.Add(-days(150)))   // over 120
		paid := l.invoice(bob, "USD", 7000, past, day0.Add(-days(20)))
		l.pay(paid, 7000, day0.Add(-days(1)))
		void := l.invoice(bob, "USD", 8000, past, day0.Add(-days(20)))
		l.settle(void, invoice.StatusVoid, day0.Add(-days(2)))
		bad := l.invoice(bob, "USD", 9000, past, day0.Add(-days(20)))
		l.settle(bad, invoice.StatusUncollectible, day0.Add(-days(2)))
		// A plan: 3 × 1000 due 40 days ago, 10 days ago and in 20 days,
		// 1500 paid (the first installment and half the second), 400 of
		// credit off the last.
		d := func(n int) *time.Time { v := day0.Add(days(n)); return &v }
		plan := l.invoice(bob, "USD", 3000, past, *d(20),
			values.Installment{Amount: 1000, DueDate: d(-40)}, values.Installment{Amount: 1000, DueDate: d(-10)}, values.Installment{Amount: 1000, DueDate: d(20)})
		l.pay(plan, 1500, day0.Add(-days(5)))
		l.credit(plan, 400, day0.Add(-days(4)))

		want := map[string]map[string]Amounts{
			"EUR": {alice: {1000, 2000, 2000, 4000, 5000, 0}},
			"USD": {bob: {600, 500, 0, 0, 0, 6000}},
		}
		now := l.aging(AgingInput{})
		if got := amounts(now); !reflect.DeepEqual(got, want) {
			t.Fatalf("today: %v, want %v", got, want)
		}
		if now.Currencies[0].Customers[0].CustomerName != "Alice SARL" {
			t.Errorf("name %q", now.Currencies[0].Customers[0].CustomerName)
		}
		// The history's reading of this instant agrees with the rows'.
		asOf := day0
		if got := amounts(l.aging(AgingInput{AsOf: &asOf})); !reflect.DeepEqual(got, want) {
			t.Fatalf("as of now from the history: %v, want %v", got, want)
		}
		if got := amounts(l.aging(AgingInput{Currency: "usd"})); !reflect.DeepEqual(got, map[string]map[string]Amounts{"USD": want["USD"]}) {
			t.Errorf("USD only: %v", got)
		}
		if got := amounts(l.aging(AgingInput{CustomerID: alice})); !reflect.DeepEqual(got, map[string]map[string]Amounts{"EUR": want["EUR"]}) {
			t.Errorf("alice only: %v", got)
		}
		// Today's totals are the amounts remaining on open invoices.
		open, err := l.db.Invoice.Query().Where(invoice.StatusEQ(invoice.StatusOpen)).All(l.ctx)
		if err != nil {
			t.Fatal(err)
		}
		rest := map[string]int64{}
		for _, inv := range open {
			rest[inv.Currency] += billing.AmountRemaining(inv)
		}
		for _, c := range now.Currencies {
			if c.Totals.Total() != rest[c.Currency] {
				t.Errorf("%s: report %d, open invoices %d", c.Currency, c.Totals.Total(), rest[c.Currency])
			}
		}

		svc, _ := New(Config{DB: l.db})
		future := day0.Add(time.Hour)
		_, err = svc.Aging(l.ctx, AgingInput{AsOf: &future})
		_, err2 := svc.Aging(l.ctx, AgingInput{Currency: "XYZ"})
		_, err3 := svc.Aging(l.ctx, AgingInput{CustomerID: "cus_nope"})
		for i, c := range []struct {
			err  error
			code usererr.Code
			path string
		}{{err, usererr.Invalid, "asOf"}, {err2, usererr.UnknownCurrency, "currency"}, {err3, usererr.NotFound, "customer"}} {
			ue := usererr.From(c.err)
			if len(ue) != 1 || ue[0].Code != c.code || fmt.Sprint(ue[0].Field) != "["+c.path+"]" {
				t.Errorf("case %d: %v", i, c.err)
			}
		}
	})
}

// TestAgingAsOfIsReproducible builds a random history, reads the report
// as of a past instant from the rows as they then stood (today's reading
// at that time), then lets more happen — payments, credit notes and their
// voids, voids, uncollectible invoices, new invoices — and reads it again
// as of that instant from the history: the same.
func TestAgingAsOfIsReproducible(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		l := newLedger(t, st)
		rng := rand.New(rand.NewPCG(1, 2))
		cus := []string{l.customer("A", "EUR"), l.customer("B", "EUR"), l.customer("C", "USD")}
		start := day0.Add(-days(300))
		var invs []*ent.Invoice
		var cns []*ent.CreditNote
		step := func(at time.Time) {
			switch k := rng.IntN(10); {
			case k < 4 || len(invs) == 0:
				c := cus[rng.IntN(len(cus))]
				cur := "EUR"
				if c == cus[2] {
					cur = "USD"
				}
				due := at.Add(days(rng.IntN(60)) + time.Duration(rng.IntN(86400))*time.Second)
				if rng.IntN(3) == 0 {
					d1, d2 := at.Add(days(10)), at.Add(days(40))
					invs = append(invs, l.invoice(c, cur, 2000, at, d2, values.Installment{Amount: 1200, DueDate: &d1}, values.Installment{Amount: 800, DueDate: &d2}))
				} else {
					invs = append(invs, l.invoice(c, cur, int64(100+rng.IntN(10000)), at, due))
				}
			case k < 7:
				inv := l.reload(invs[rng.IntN(len(invs))])
				if inv.Status == invoice.StatusOpen {
					l.pay(inv, 1+rng.Int64N(billing.AmountRemaining(inv)), at)
				}
			case k < 8:
				inv := l.reload(invs[rng.IntN(len(invs))])
				if inv.Status == invoice.StatusOpen && billing.AmountRemaining(inv) > 1 {
					cns = append(cns, l.credit(inv, 1+rng.Int64N(billing.AmountRemaining(inv)-1), at))
				}
			case k < 9 && len(cns) > 0:
				cn := cns[rng.IntN(len(cns))]
				if cn.Status == creditnote.StatusIssued {
					l.voidCredit(cn, at)
					cn.Status = creditnote.StatusVoid
				}
			default:
				inv := l.reload(invs[rng.IntN(len(invs))])
				if inv.Status == invoice.StatusOpen && inv.AmountPaid == 0 {
					st := invoice.StatusVoid
					if rng.IntN(2) == 0 {
						st = invoice.StatusUncollectible
					}
					l.settle(inv, st, at)
				}
			}
		}
		at := start
		for range 150 {
			at = at.Add(time.Duration(rng.IntN(2*86400)) * time.Second)
			step(at)
		}
		l.clk.Set(at.Add(time.Minute))
		asOf := at.Add(time.Minute)
		then := l.aging(AgingInput{})
		if got, want := amounts(l.aging(AgingInput{AsOf: &asOf})), amounts(then); !reflect.DeepEqual(got, want) {
			t.Fatalf("history as of now %v, rows %v", got, want)
		}
		for range 150 {
			at = at.Add(time.Duration(rng.IntN(86400)) * time.Second)
			step(at)
		}
		l.clk.Set(at.Add(time.Minute))
		later := l.aging(AgingInput{AsOf: &asOf})
		if got, want := amounts(later), amounts(then); !reflect.DeepEqual(got, want) {
			t.Fatalf("as of %v after more history:\n%v\nwas\n%v", asOf, got, want)
		}
		if len(then.Currencies) == 0 {
			t.Fatal("an empty report proves nothing")
		}
	})
}
