package billing_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

const (
	expiryCardOK       = "4242424242424242"
	expiryCardDeclined = "4000000000000002" // keeps an automatic invoice open
)

// expiryEnv is one account on a fake clock, 2026-01-15: cards expiring
// "next month" expire in February 2026.
type expiryEnv struct {
	t    *testing.T
	app  *app.App
	clk  *clock.Fake
	ctx  context.Context // the account's test-mode merchant
	sys  context.Context // the scheduler's: the clock, no viewer
	acct string
}

func newExpiryEnv(t *testing.T, st *store.Store) *expiryEnv {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	a, err := app.New(context.Background(), app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mailing: billing.Mailing{From: "invoices@remit.test", PublicURL: "http://remit.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sys := clock.WithContext(context.Background(), clk)
	acct, err := a.Accounts.Create(sys, "Acme SAS")
	if err != nil {
		t.Fatal(err)
	}
	return &expiryEnv{t: t, app: a, clk: clk, sys: sys, acct: acct.ID,
		ctx: viewer.NewContext(sys, viewer.Merchant(acct.ID, viewer.Test, "key_test"))}
}

func (e *expiryEnv) customer(name, email, locale string) string {
	e.t.Helper()
	c, err := e.app.Customers.Create(e.ctx, customers.Input{Name: &name, Email: &email, PreferredLocales: []string{locale}, SetLocales: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Customer.ID
}

// card saves a card expiring month/year, a second later than the last
// (so cards are found in the order they were saved).
func (e *expiryEnv) card(cus, number string, month, year int, isDefault bool) *ent.PaymentMethod {
	e.t.Helper()
	e.clk.Advance(time.Second)
	pm, err := e.app.Methods.Attach(e.ctx, paymentmethods.AttachInput{CustomerID: cus, SetDefault: isDefault,
		Card: &payments.CardInput{Number: number, ExpMonth: month, ExpYear: year, CVC: "123"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return pm
}

// open finalizes an invoice of the customer, charged automatically (its
// default card is charged at once) or sent.
func (e *expiryEnv) open(cus string, method invoice.CollectionMethod) string {
	e.t.Helper()
	desc, cur, amount := "Hosting", "EUR", "20"
	inv, err := e.app.Billing.Create(e.ctx, billing.DraftInput{CustomerID: cus, Currency: &cur, CollectionMethod: &method,
		Lines: []billing.LineInput{{Description: &desc, UnitAmount: &amount}}})
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.app.Billing.Finalize(e.ctx, inv.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if out.Status != invoice.StatusOpen {
		e.t.Fatalf("invoice %s is %s, want OPEN", out.ID, out.Status)
	}
	return out.ID
}

func (e *expiryEnv) notify(testClock string, limit int) int {
	e.t.Helper()
	n, err := e.app.Billing.NotifyExpiringCards(e.sys, testClock, limit)
	if err != nil {
		e.t.Fatalf("NotifyExpiringCards: %v", err)
	}
	return n
}

func (e *expiryEnv) notices() []*ent.EmailMessage {
	e.t.Helper()
	out, err := e.app.DB.EmailMessage.Query().Where(emailmessage.Kind("card_expiring")).
		Order(ent.Asc(emailmessage.FieldCreatedAt), ent.Asc(emailmessage.FieldID)).All(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func cardExpiringOff() *values.CollectionSettings {
	off := false
	return &values.CollectionSettings{Emails: &values.CollectionEmails{CardExpiring: &off}}
}

// TestNotifyExpiringCards: a customer whose default card expires next
// month while an invoice waits to be charged automatically is told once,
// however often the job runs; not for a card expiring later, a card that
// is not the default, a customer without such an invoice, nor when the
// email is turned off for the customer or the account. Customers on a
// test clock are told only by the run for that clock. The search pages
// past cards whose email is off.
func TestNotifyExpiringCards(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := newExpiryEnv(t, st)
		auto, send := invoice.CollectionMethodChargeAutomatically, invoice.CollectionMethodSendInvoice

		// Saved first, so a run of one card meets it first: the email is
		// off for this customer.
		muted := e.customer("Muted", "muted@example.com", "en")
		mutedCard := e.card(muted, expiryCardDeclined, 2, 2026, true)
		e.open(muted, auto)
		if err := e.app.DB.Customer.UpdateOneID(muted).SetCollectionSettings(cardExpiringOff()).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}

		ada := e.customer("Ada", "ada@example.com", "en")
		adaCard := e.card(ada, expiryCardDeclined, 2, 2026, true)
		adaInv := e.open(ada, auto)
		if mutedCard.ID >= adaCard.ID {
			t.Fatalf("cards not in the order saved: %s, %s", mutedCard.ID, adaCard.ID)
		}

		later := e.customer("Later", "later@example.com", "en") // expires in two months
		e.card(later, expiryCardDeclined, 3, 2026, true)
		e.open(later, auto)

		spare := e.customer("Spare", "spare@example.com", "en") // the expiring card is not the default
		e.card(spare, expiryCardDeclined, 12, 2030, true)
		e.card(spare, expiryCardOK, 2, 2026, false)
		e.open(spare, auto)

		sent := e.customer("Sent", "sent@example.com", "en") // its invoice is not charged automatically
		e.card(sent, expiryCardOK, 2, 2026, true)
		e.open(sent, send)

		if n := e.notify("", 1); n != 1 {
			t.Fatalf("first run told %d customers, want Ada", n)
		}
		if n := e.notify("", 10); n != 0 {
			t.Fatalf("second run told %d customers, want none", n)
		}
		got := e.notices()
		if len(got) != 1 || got[0].To[0] != "ada@example.com" {
			t.Fatalf("card expiry emails %v, want one to Ada", got)
		}
		m := got[0]
		hosted, err := e.app.DB.Invoice.Get(e.ctx, adaInv)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "Your card Visa •••• 0002 expires at the end of 02/2026" ||
			!strings.Contains(m.TextBody, "Hello Ada,\n\nYour card Visa •••• 0002, which Acme SAS charges for your invoices, expires at the end of 02/2026.") ||
			!strings.Contains(m.TextBody, "please pay your open invoice with a new card here:\nhttp://remit.test/i/"+*hosted.HostedToken) {
			t.Errorf("email %q:\n%s", m.Subject, m.TextBody)
		}
		pm, err := e.app.DB.PaymentMethod.Get(e.ctx, adaCard.ID)
		if err != nil || pm.ExpiryNotifiedAt == nil || !pm.ExpiryNotifiedAt.Equal(e.clk.Now()) {
			t.Errorf("Ada's card: notified at %v (%v)", pm.ExpiryNotifiedAt, err)
		}
		evs, err := e.app.DB.Event.Query().Where(event.Type("payment_method.expiring")).All(e.ctx)
		if err != nil || len(evs) != 1 || evs[0].ObjectID != adaCard.ID || evs[0].ActorID != "scheduler" {
			t.Fatalf("events %v (%v), want one for Ada's card", evs, err)
		}
		var data map[string]any
		if err := json.Unmarshal(evs[0].Data, &data); err != nil || data["expiry_notified_at"] == nil || data["last4"] != "0002" {
			t.Errorf("event data %s", evs[0].Data)
		}

		// A customer on a test clock, told in French, with the portal on.
		tc, err := e.app.DB.TestClock.Create().SetFrozenTime(e.clk.Now()).Save(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		clocked, err := e.app.DB.Customer.Create().SetName("Jeanne").SetEmail("jeanne@example.com").
			SetPreferredLocales([]string{"fr"}).SetInvoicePrefix("JEANNE").SetTestClockID(tc.ID).Save(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.card(clocked.ID, expiryCardDeclined, 2, 2026, true)
		e.open(clocked.ID, auto)
		on := true
		pc, err := e.app.Portal.UpdateSettings(e.ctx, portal.SettingsInput{Enabled: &on})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.notify("", 10); n != 0 {
			t.Fatalf("the real-time run told %d customers on a test clock", n)
		}
		if n := e.notify(tc.ID, 10); n != 1 {
			t.Fatalf("the test clock's run told %d customers, want Jeanne", n)
		}
		m = e.notices()[1]
		if m.To[0] != "jeanne@example.com" || m.Subject != "Votre carte Visa •••• 0002 expire fin 02/2026" ||
			!strings.Contains(m.TextBody, "Bonjour Jeanne,\n\nVotre carte Visa •••• 0002, que Acme SAS débite pour vos factures, expire fin 02/2026.") ||
			!strings.Contains(m.TextBody, "ajoutez une nouvelle carte dans votre espace client :\nhttp://remit.test/portal/"+pc.Slug) {
			t.Errorf("French email to %v %q:\n%s", m.To, m.Subject, m.TextBody)
		}

		// Off for the whole account.
		if err := e.app.DB.Account.UpdateOneID(e.acct).SetCollectionSettings(cardExpiringOff()).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		bob := e.customer("Bob", "bob@example.com", "en")
		e.card(bob, expiryCardDeclined, 2, 2026, true)
		e.open(bob, auto)
		if n := e.notify("", 10); n != 0 {
			t.Fatalf("told %d customers with the email off for the account", n)
		}
		// Back on for the muted customer alone: told now, within the month.
		on = true
		if err := e.app.DB.Customer.UpdateOneID(muted).SetCollectionSettings(&values.CollectionSettings{
			Emails: &values.CollectionEmails{CardExpiring: &on}}).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.notify("", 10); n != 1 || len(e.notices()) != 3 || e.notices()[2].To[0] != "muted@example.com" {
			t.Fatalf("after turning the email back on for one customer: told %d", n)
		}

		// The next month, cards expiring in March are due.
		e.clk.Set(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
		if n := e.notify("", 10); n != 0 {
			t.Fatalf("told %d customers with the email off for the account", n)
		}
		if err := e.app.DB.Account.UpdateOneID(e.acct).ClearCollectionSettings().Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.notify("", 10); n != 1 || e.notices()[3].To[0] != "later@example.com" {
			t.Fatalf("in February: told %d, want Later, whose card expires in March", n)
		}
	})
}
