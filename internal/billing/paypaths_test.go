package billing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// overNetwork is the simulator seen as a processor across a network: it
// does not implement payments.InProcess, so billing reserves a payment in
// one transaction, charges outside it and records the outcome in another.
// Each charge checks that its payment was written, PROCESSING, with its
// amount held on the invoice, before the processor was called.
type overNetwork struct {
	payments.Processor
	db      *ent.Client
	t       *testing.T
	charges int
}

func (p *overNetwork) Charge(ctx context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	p.charges++
	pay, err := p.db.Payment.Get(ctx, req.IdempotencyKey)
	if err != nil {
		p.t.Errorf("charge %s before its payment was written: %v", req.IdempotencyKey, err)
	} else {
		inv, err := p.db.Invoice.Get(ctx, pay.InvoiceID)
		if err != nil {
			p.t.Fatal(err)
		}
		if pay.Status != payment.StatusProcessing || inv.AmountPending < req.Amount {
			p.t.Errorf("charge of %d: payment %s, %d pending on the invoice", req.Amount, pay.Status, inv.AmountPending)
		}
	}
	return p.Processor.Charge(ctx, req)
}

// TestPayInProcessAndOverNetwork pays the same invoices with the test
// cards through both ways Pay has to charge: in the transaction that
// records the payment (the simulator, in process), and between a
// reservation and the recording of the outcome (a processor over the
// network). Both must leave the same payments, invoices and events; a
// retry with the same key returns the same payment without charging.
func TestPayInProcessAndOverNetwork(t *testing.T) {
	t.Parallel()
	type outcome struct {
		payment  payment.Status
		invoice  invoice.Status
		paid     int64
		pending  int64
		events   []string
		charges  int
		failCode string
	}
	run := func(t *testing.T, dialect string, network bool) map[string]outcome {
		st := storetest.Open(t, dialect)
		clk := clock.NewFake(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
		sim := payments.NewSimulator(clk, []byte("fingerprints"))
		var proc payments.Processor = sim
		net := &overNetwork{Processor: sim, db: st.Client, t: t}
		if network {
			proc = net
		}
		a, err := app.New(context.Background(), app.Config{
			DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk,
			Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			Mailing:    billing.Mailing{From: "invoices@remit.test", PublicURL: "http://remit.test"},
			Processors: payments.ByMode(func(viewer.Mode) payments.Processor { return proc }),
		})
		if err != nil {
			t.Fatal(err)
		}
		base := clock.WithContext(context.Background(), clk)
		acct, err := a.Accounts.Create(base, "Acme SAS")
		if err != nil {
			t.Fatal(err)
		}
		ctx := viewer.NewContext(base, viewer.Merchant(acct.ID, viewer.Test, "key_test"))
		out := map[string]outcome{}
		for _, tc := range []struct {
			name, card string
			confirm    bool
		}{
			{"succeeds", "4242424242424242", false},
			{"declined", "4000000000000002", false},
			{"3-D Secure", "4000002500003155", false},
			{"3-D Secure confirmed", "4000002500003155", true},
		} {
			email, name := "ada@example.com", "Ada"
			c, err := a.Customers.Create(ctx, customers.Input{Email: &email, Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Methods.Attach(ctx, paymentmethods.AttachInput{CustomerID: c.Customer.ID, SetDefault: true,
				Card: &payments.CardInput{Number: tc.card, ExpMonth: 12, ExpYear: 2034, CVC: "123"}}); err != nil {
				t.Fatal(err)
			}
			desc, amount, cur := "Consulting", "120.00", "EUR"
			inv, err := a.Billing.Create(ctx, billing.DraftInput{CustomerID: c.Customer.ID, Currency: &cur,
				Lines: []billing.LineInput{{Description: &desc, UnitAmount: &amount}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Billing.Finalize(ctx, inv.ID); err != nil {
				t.Fatal(err)
			}
			before := net.charges
			key := "key-" + tc.name
			got, p, err := a.Billing.Pay(ctx, billing.PayInput{InvoiceID: inv.ID, IdempotencyKey: key})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			// What Pay answers is what is stored.
			stored, err := a.DB.Invoice.Get(ctx, inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != stored.Status || got.AmountPaid != stored.AmountPaid || got.AmountPending != stored.AmountPending || !got.UpdatedAt.Equal(stored.UpdatedAt) {
				t.Errorf("%s: Pay answered the invoice %s paid %d pending %d at %v, stored %s %d %d at %v", tc.name,
					got.Status, got.AmountPaid, got.AmountPending, got.UpdatedAt, stored.Status, stored.AmountPaid, stored.AmountPending, stored.UpdatedAt)
			}
			if tc.confirm {
				if got, p, err = a.Billing.Confirm(ctx, p.ID, true); err != nil {
					t.Fatalf("%s: confirm: %v", tc.name, err)
				}
			}
			storedPay, err := a.DB.Payment.Get(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != storedPay.Status || p.ProcessorReference != storedPay.ProcessorReference || p.FailureCode != storedPay.FailureCode {
				t.Errorf("%s: answered payment %s %q %q, stored %s %q %q", tc.name, p.Status, p.ProcessorReference, p.FailureCode,
					storedPay.Status, storedPay.ProcessorReference, storedPay.FailureCode)
			}
			// A retry returns the same payment and charges nothing.
			charges := net.charges
			_, again, err := a.Billing.Pay(ctx, billing.PayInput{InvoiceID: inv.ID, IdempotencyKey: key})
			if err != nil || again.ID != p.ID {
				t.Errorf("%s: retry: %v, payment %v, want %s", tc.name, err, again, p.ID)
			}
			if net.charges != charges {
				t.Errorf("%s: a retry charged", tc.name)
			}
			evs, err := a.DB.Event.Query().Where(event.ObjectIDIn(inv.ID, p.ID), event.TypeNEQ("invoice.created"), event.TypeNEQ("invoice.finalized")).
				Order(ent.Asc(event.FieldID)).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
			}
			stored, _ = a.DB.Invoice.Get(ctx, inv.ID)
			out[tc.name] = outcome{payment: p.Status, invoice: stored.Status, paid: stored.AmountPaid, pending: stored.AmountPending,
				events: types, charges: net.charges - before, failCode: p.FailureCode}
		}
		return out
	}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			inProcess, network := run(t, d, false), run(t, d, true)
			want := map[string]outcome{
				"succeeds":             {payment.StatusSucceeded, invoice.StatusPaid, 12000, 0, []string{"payment.succeeded", "invoice.paid"}, 1, ""},
				"declined":             {payment.StatusFailed, invoice.StatusOpen, 0, 0, []string{"payment.failed", "invoice.payment_failed"}, 1, "card_declined"},
				"3-D Secure":           {payment.StatusRequiresAction, invoice.StatusOpen, 0, 12000, []string{"invoice.payment_action_required"}, 1, ""},
				"3-D Secure confirmed": {payment.StatusSucceeded, invoice.StatusPaid, 12000, 0, []string{"invoice.payment_action_required", "payment.succeeded", "invoice.paid"}, 1, ""},
			}
			for name, w := range want {
				inW := w
				inW.charges = 0 // counted by the network processor only
				for way, c := range map[string]struct{ got, want outcome }{"in process": {inProcess[name], inW}, "over the network": {network[name], w}} {
					if fmt.Sprint(c.got) != fmt.Sprint(c.want) || !slices.Equal(c.got.events, c.want.events) {
						t.Errorf("%s, %s: %+v, want %+v", name, way, c.got, c.want)
					}
				}
			}
		})
	}
}
