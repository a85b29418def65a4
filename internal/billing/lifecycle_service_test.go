package billing_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// svc is the application on a fresh database, acting as one account's
// test key: the billing rules called directly, without HTTP.
type svc struct {
	app      *app.App
	ctx      context.Context
	customer string
	card     string
}

func newSvc(t *testing.T, dialect string) *svc {
	t.Helper()
	st := storetest.Open(t, dialect)
	clk := clock.NewFake(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	a, err := app.New(context.Background(), app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mailing: billing.Mailing{From: "invoices@remit.test", PublicURL: "http://remit.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := clock.WithContext(context.Background(), clk)
	acct, err := a.Accounts.Create(base, "Acme SAS")
	if err != nil {
		t.Fatal(err)
	}
	s := &svc{app: a, ctx: viewer.NewContext(base, viewer.Merchant(acct.ID, viewer.Test, "key_test"))}
	email, name := "ada@example.com", "Ada"
	c, err := a.Customers.Create(s.ctx, customers.Input{Email: &email, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	s.customer = c.Customer.ID
	pm, err := a.Methods.Attach(s.ctx, paymentmethods.AttachInput{CustomerID: s.customer,
		Card: &payments.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2034, CVC: "123"}})
	if err != nil {
		t.Fatal(err)
	}
	s.card = pm.ID
	return s
}

// invoiceIn returns a new invoice of 120.00 EUR brought to status.
func (s *svc) invoiceIn(t *testing.T, status invoice.Status) string {
	t.Helper()
	desc, amount, cur := "Consulting", "120.00", "EUR"
	inv, err := s.app.Billing.Create(s.ctx, billing.DraftInput{CustomerID: s.customer, Currency: &cur,
		Lines: []billing.LineInput{{Description: &desc, UnitAmount: &amount}}})
	if err != nil {
		t.Fatal(err)
	}
	b := s.app.Billing
	steps := map[invoice.Status][]func() error{
		invoice.StatusOpen: {func() error { _, err := b.Finalize(s.ctx, inv.ID); return err }},
		invoice.StatusPaid: {
			func() error { _, err := b.Finalize(s.ctx, inv.ID); return err },
			func() error {
				_, err := b.MarkPaid(s.ctx, inv.ID, billing.MarkPaidInput{Method: "bank_transfer"})
				return err
			},
		},
		invoice.StatusVoid: {
			func() error { _, err := b.Finalize(s.ctx, inv.ID); return err },
			func() error { _, err := b.Void(s.ctx, inv.ID); return err },
		},
		invoice.StatusUncollectible: {
			func() error { _, err := b.Finalize(s.ctx, inv.ID); return err },
			func() error { _, err := b.MarkUncollectible(s.ctx, inv.ID); return err },
		},
	}
	for _, step := range steps[status] {
		if err := step(); err != nil {
			t.Fatalf("bring %s to %s: %v", inv.ID, status, err)
		}
	}
	return inv.ID
}

// eventTypes lists the types of the events recorded after the first skip.
func (s *svc) eventTypes(t *testing.T, skip int) []string {
	t.Helper()
	evs, err := s.app.DB.Event.Query().Order(event.ByID()).All(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs[skip:] {
		out = append(out, e.Type)
	}
	return out
}

func (s *svc) eventCount(t *testing.T) int {
	t.Helper()
	n, err := s.app.DB.Event.Query().Count(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLifecycleMatrix tries every action on an invoice in every status,
// through the billing service: an action the state machine allows leads
// to the status it says and records exactly the events listed; one it
// refuses answers a typed user error, records nothing and changes nothing.
func TestLifecycleMatrix(t *testing.T) {
	type act struct {
		action billing.Action
		run    func(s *svc, id string) error
		events []string // when allowed
		to     invoice.Status
	}
	memo := "Merci"
	footer := "Thank you"
	acts := []act{
		{billing.ActionFinalize, func(s *svc, id string) error { _, err := s.app.Billing.Finalize(s.ctx, id); return err },
			[]string{"invoice.finalized"}, invoice.StatusOpen},
		{billing.ActionMarkPaid, func(s *svc, id string) error {
			_, err := s.app.Billing.MarkPaid(s.ctx, id, billing.MarkPaidInput{Method: "check", Reference: "CHQ-1"})
			return err
		}, []string{"payment.succeeded", "invoice.paid"}, invoice.StatusPaid},
		{billing.ActionVoid, func(s *svc, id string) error { _, err := s.app.Billing.Void(s.ctx, id); return err },
			[]string{"invoice.voided"}, invoice.StatusVoid},
		{billing.ActionMarkUncollectible, func(s *svc, id string) error {
			_, err := s.app.Billing.MarkUncollectible(s.ctx, id)
			return err
		}, []string{"invoice.marked_uncollectible"}, invoice.StatusUncollectible},
		{billing.ActionDelete, func(s *svc, id string) error { return s.app.Billing.Delete(s.ctx, id) },
			[]string{"invoice.deleted"}, ""},
		{billing.ActionRevise, func(s *svc, id string) error { _, err := s.app.Billing.Revise(s.ctx, id); return err },
			[]string{"invoice.created"}, ""},
		{billing.ActionDuplicate, func(s *svc, id string) error { _, err := s.app.Billing.Duplicate(s.ctx, id); return err },
			[]string{"invoice.created"}, ""},
		{billing.ActionEditMemo, func(s *svc, id string) error {
			_, err := s.app.Billing.Update(s.ctx, id, billing.DraftInput{Memo: &memo})
			return err
		}, []string{"invoice.updated"}, ""},
		{billing.ActionEdit, func(s *svc, id string) error {
			_, err := s.app.Billing.Update(s.ctx, id, billing.DraftInput{Footer: &footer})
			return err
		}, []string{"invoice.updated"}, ""},
		{billing.ActionPay, func(s *svc, id string) error {
			_, _, err := s.app.Billing.Pay(s.ctx, billing.PayInput{InvoiceID: id, PaymentMethodID: s.card, IdempotencyKey: "pay-" + id})
			return err
		}, []string{"payment.succeeded", "invoice.paid"}, invoice.StatusPaid},
	}
	statuses := []invoice.Status{invoice.StatusDraft, invoice.StatusOpen, invoice.StatusPaid, invoice.StatusVoid, invoice.StatusUncollectible}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := newSvc(t, d)
			for _, from := range statuses {
				for _, a := range acts {
					id := s.invoiceIn(t, from)
					before := s.eventCount(t)
					err := a.run(s, id)
					allowed := billing.Can(from, a.action)
					name := string(from) + "/" + string(a.action)
					if !allowed {
						ue := usererr.From(err)
						if len(ue) != 1 || (ue[0].Code != usererr.InvalidTransition && ue[0].Code != usererr.InvoiceNotEditable) {
							t.Errorf("%s: refused with %v, want INVALID_TRANSITION or INVOICE_NOT_EDITABLE", name, err)
						}
						if got := s.eventTypes(t, before); len(got) != 0 {
							t.Errorf("%s: refused but recorded %v", name, got)
						}
						if inv, err := s.app.Billing.Get(s.ctx, id); err != nil || inv.Status != from {
							t.Errorf("%s: refused but the invoice is now %v (%v)", name, inv.Status, err)
						}
						continue
					}
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if got := s.eventTypes(t, before); !slices.Equal(got, a.events) {
						t.Errorf("%s: recorded %v, want %v", name, got, a.events)
					}
					want := from
					if a.to != "" {
						want = a.to
					}
					inv, err := s.app.Billing.Get(s.ctx, id)
					switch {
					case a.action == billing.ActionDelete:
						if !ent.IsNotFound(err) && usererr.From(err) == nil {
							t.Errorf("%s: the draft is still there (%v)", name, err)
						}
					case err != nil:
						t.Errorf("%s: read back: %v", name, err)
					case inv.Status != want:
						t.Errorf("%s: status %s, want %s", name, inv.Status, want)
					}
				}
			}
		})
	}
}

// TestAppliedIsWhatIsStored checks that what a transition returns without
// reading the row back (billing's applied) is what the database holds,
// field by field: for a plain finalization, one that marks the invoice
// paid at once (nothing due), and after a payment.
func TestAppliedIsWhatIsStored(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := newSvc(t, d)
			cur, desc := "EUR", "Consulting"
			for _, amount := range []string{"120.00", "0.00"} {
				days := 15
				inv, err := s.app.Billing.Create(s.ctx, billing.DraftInput{CustomerID: s.customer, Currency: &cur, DaysUntilDue: &days,
					Metadata: map[string]string{"po": "42"}, Lines: []billing.LineInput{{Description: &desc, UnitAmount: &amount}}})
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.app.Billing.Finalize(s.ctx, inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				want, err := s.app.Billing.Get(s.ctx, inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				sameInvoice(t, "finalize "+amount, got, want)
			}
		})
	}
}

// sameInvoice compares every stored field of two invoices.
func sameInvoice(t *testing.T, what string, got, want *ent.Invoice) {
	t.Helper()
	g, w := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := range g.NumField() {
		f := g.Type().Field(i)
		if !f.IsExported() || f.Name == "Edges" {
			continue
		}
		a, b := g.Field(i).Interface(), w.Field(i).Interface()
		if !reflect.DeepEqual(normal(a), normal(b)) {
			t.Errorf("%s: %s = %v, stored %v", what, f.Name, a, b)
		}
	}
}

// normal makes times comparable across a round trip through the database
// (location and monotonic reading aside).
func normal(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Round(0)
	case *time.Time:
		if v == nil {
			return v
		}
		u := v.UTC().Round(0)
		return &u
	}
	return v
}
