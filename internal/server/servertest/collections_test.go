package servertest_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/viewer"
)

const (
	cardLost      = "4000000000009987"
	card3DSAlways = "4000002760003184"
)

// collT drives collections through the merchant API, on a test clock.
type collT struct {
	*payT
	clock string
}

const collInvoiceQuery = `query($id: ID!) { invoice(id: $id) {
  id number status standing pastDue dueDate attemptCount reminderCount nextPaymentAttemptAt
  amountRemaining { amount }
  upcomingActions { type at description }
  payments { status failureCode paymentMethod { id } }
  history { action note }
} }`

func newCollT(t *testing.T, e *apitest.Env, frozen string) *collT {
	t.Helper()
	c := &collT{payT: newPayT(t, e)}
	pl := c.must("testClockCreate", `mutation($t: Time!) { testClockCreate(input: {frozenTime: $t, name: "dunning"}) { testClock { id frozenTime status } userErrors { code field message } } }`,
		map[string]any{"t": frozen})
	c.clock = apitest.Str(t, pl, "testClock", "id")
	if got := apitest.Str(t, pl, "testClock", "status"); got != "READY" {
		t.Fatalf("new clock %s", got)
	}
	return c
}

// mailedClock is a collections test's SMTP server, the delivery of its
// outbox, and a test clock frozen at 2026-03-01 09:00 UTC.
func mailedClock(t *testing.T, e *apitest.Env) (*mailtest.Server, func() int, *collT) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{})
	return smtp, mailWorker(t, e, smtp), newCollT(t, e, "2026-03-01T09:00:00Z")
}

// settings updates the account's collection settings.
func (c *collT) settings(in map[string]any) map[string]any {
	c.t.Helper()
	return c.must("accountCollectionSettingsUpdate", `mutation($s: CollectionSettingsInput!) { accountCollectionSettingsUpdate(input: {settings: $s}) {
  collectionSettings { reminders { enabled offsetDays installmentDaysBefore } retries { enabled policy tries window scheduleDays directDebit whenExhausted } scheduledPayments }
  userErrors { code field message } } }`, map[string]any{"s": in})
}

// customer creates a customer on the clock.
func (c *collT) customer(email, locale string) string {
	c.t.Helper()
	pl := c.must("customerCreate", `mutation($m: String!, $l: String!, $k: ID) { customerCreate(input: {customer: {name: "Jenny Rosen", email: $m, preferredLocales: [$l]}, testClock: $k}) { customer { id testClock { id } } userErrors { code field message } } }`,
		map[string]any{"m": email, "l": locale, "k": c.clock})
	if apitest.Str(c.t, pl, "customer", "testClock", "id") != c.clock {
		c.t.Fatalf("customer not on the clock: %v", pl)
	}
	return apitest.Str(c.t, pl, "customer", "id")
}

// advance moves the clock to at.
func (c *collT) advance(at string) {
	c.t.Helper()
	pl := c.must("testClockAdvance", `mutation($id: ID!, $to: Time!) { testClockAdvance(input: {id: $id, to: $to}) { testClock { frozenTime status } userErrors { code field message } } }`,
		map[string]any{"id": c.clock, "to": at})
	if apitest.Str(c.t, pl, "testClock", "status") != "READY" {
		c.t.Fatalf("advance to %s: %v", at, pl)
	}
}

func (c *collT) inv(id string) map[string]any {
	c.t.Helper()
	return c.query(collInvoiceQuery, map[string]any{"id": id})["invoice"].(map[string]any)
}

func historyNotes(t *testing.T, inv map[string]any, action string) []string {
	var out []string
	for _, h := range apitest.Get(t, inv, "history").([]any) {
		h := h.(map[string]any)
		if h["action"] == action {
			out = append(out, h["note"].(string))
		}
	}
	return out
}

// mailsTo returns the subjects and texts of the messages to addr whose
// subject starts with prefix.
func mailsTo(t *testing.T, smtp *mailtest.Server, addr, prefix string) (subjects, texts []string) {
	t.Helper()
	for _, m := range smtp.Messages() {
		if len(m.To) != 1 || m.To[0] != addr {
			continue
		}
		msg, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(msg.Subject, prefix) {
			subjects = append(subjects, msg.Subject)
			texts = append(texts, strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(msg.Text))
		}
	}
	return subjects, texts
}

// TestRemindersOnATestClock: a send-invoice invoice with reminders three
// days before, on, and seven days after its due date gets each once, on
// the clock's time, in the customer's language, with the amount remaining
// and the hosted page's link; nothing before its time, nothing after the
// last rule.
func TestRemindersOnATestClock(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		smtp, deliver, c := mailedClock(t, e)
		set := c.settings(map[string]any{"reminders": map[string]any{"offsetDays": []int{7, -3, 0}}})
		if got := apitest.Get(t, set, "collectionSettings", "reminders", "offsetDays").([]any); len(got) != 3 || got[0].(float64) != -3 {
			t.Fatalf("settings %v", set)
		}
		cus := c.customer("jenny@example.com", "fr")
		id := c.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 10})
		inv := c.inv(id)
		if due := apitest.Str(t, inv, "dueDate"); !strings.HasPrefix(due, "2026-03-11T09:00:00") {
			t.Fatalf("due date %s: not on the clock's time", due)
		}
		if a := apitest.Get(t, inv, "upcomingActions", 0).(map[string]any); a["type"] != "REMINDER" || !strings.HasPrefix(a["at"].(string), "2026-03-08T09:00:00") {
			t.Errorf("upcoming %v", apitest.Get(t, inv, "upcomingActions"))
		}

		c.advance("2026-03-07T00:00:00Z")
		for deliver() > 0 {
		}
		if subs, _ := mailsTo(t, smtp, "jenny@example.com", "Rappel"); len(subs) != 0 {
			t.Fatalf("reminded early: %v", subs)
		}
		c.advance("2026-03-12T00:00:00Z")
		// Paid in part before the late reminder: it says what remains.
		c.must("invoiceRecordPayment", `mutation($id: ID!) { invoiceRecordPayment(input: {id: $id, amount: "40.00", method: "bank_transfer"}) { invoice { id } userErrors { code field message } } }`, map[string]any{"id": id})
		c.advance("2026-04-30T00:00:00Z")
		for deliver() > 0 {
		}
		number := apitest.Str(t, inv, "number")
		subs, texts := mailsTo(t, smtp, "jenny@example.com", "Rappel")
		late, _ := mailsTo(t, smtp, "jenny@example.com", "Retard")
		if len(subs) != 2 || len(late) != 1 {
			t.Fatalf("reminders %v + %v, want two before and one after", subs, late)
		}
		// Delivered concurrently: in any order.
		if all := strings.Join(subs, "|"); !strings.Contains(all, "arrive à échéance le 11/03/2026") || !strings.Contains(all, "arrive à échéance aujourd'hui") {
			t.Errorf("subjects %v", subs)
		}
		before := texts[0]
		if !strings.Contains(before, "dans 3 jours") {
			before = texts[1]
		}
		if !strings.Contains(before, "dans 3 jours") || !strings.Contains(before, "100,00 €") || !strings.Contains(before, "/i/") {
			t.Errorf("first reminder:\n%s", before)
		}
		_, lateTexts := mailsTo(t, smtp, "jenny@example.com", "Retard")
		if !strings.Contains(lateTexts[0], number) || !strings.Contains(lateTexts[0], "60,00 €") || !strings.Contains(lateTexts[0], "7 jours") {
			t.Errorf("late reminder:\n%s", lateTexts[0])
		}
		inv = c.inv(id)
		notes := historyNotes(t, inv, "reminder")
		want := []string{"reminder sent 3 days before the due date", "reminder sent on the due date", "reminder sent 7 days after the due date"}
		if strings.Join(notes, "|") != strings.Join(want, "|") || apitest.Get(t, inv, "reminderCount").(float64) != 3 {
			t.Errorf("history %v", notes)
		}
		if apitest.Str(t, inv, "standing") != "OVERDUE" || inv["pastDue"] != true || len(apitest.Get(t, inv, "upcomingActions").([]any)) != 0 {
			t.Errorf("after the last reminder: %v", inv)
		}
		evs := listEvents(t, e, e.Key, map[string]any{"types": []string{"invoice.reminder_sent", "invoice.will_be_due", "invoice.overdue"}})
		counts := map[string]int{}
		for _, ev := range evs {
			counts[ev.Type]++
		}
		if counts["invoice.reminder_sent"] != 3 || counts["invoice.will_be_due"] != 1 || counts["invoice.overdue"] != 1 {
			t.Errorf("events %v", counts)
		}
	})
}

// TestRetriesUntilTheCustomerAddsACard: an automatic charge declined (a
// soft decline) is retried on the smart schedule with the customer's
// default method at the time: once the customer adds a card in the portal,
// the next retry charges it and the invoice is paid.
func TestRetriesUntilTheCustomerAddsACard(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		c := newCollT(t, e, "2026-03-01T09:00:00Z")
		cus := c.customer("jenny@example.com", "en")
		declining := c.card(cus, cardDeclined)
		id := c.open(cus, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
		inv := c.inv(id)
		if inv["standing"] != "RETRYING" || inv["attemptCount"].(float64) != 1 || !strings.HasPrefix(str(inv["nextPaymentAttemptAt"]), "2026-03-03T09:00:00") {
			t.Fatalf("after the first decline: %v", inv)
		}
		failed, ok := lastOf(listEvents(t, e, e.Key, map[string]any{"types": []string{"invoice.payment_failed"}}), "invoice.payment_failed", id)
		if !ok || !strings.HasPrefix(str(failed.Data["next_payment_attempt_at"]), "2026-03-03T09:00:00") || failed.Data["attempt_count"].(float64) != 1 {
			t.Errorf("invoice.payment_failed: %v", failed.Data)
		}
		c.advance("2026-03-04T00:00:00Z")
		inv = c.inv(id)
		if inv["attemptCount"].(float64) != 2 || !strings.HasPrefix(str(inv["nextPaymentAttemptAt"]), "2026-03-05T09:00:00") {
			t.Fatalf("after the first retry: %v", inv)
		}
		slug := enablePortal(t, e, e.Key)
		portal := newPapi(t, e).login(slug, "jenny@example.com")
		added := portal.payload("paymentMethodAdd", `mutation($c: CardInput!) { paymentMethodAdd(input: {card: $c, setDefault: true}) { paymentMethod { id } userErrors { code } } }`,
			map[string]any{"c": testCard(cardOK)}, nil)
		card := apitest.Str(t, added, "paymentMethod", "id")
		c.advance("2026-03-06T00:00:00Z")
		inv = c.inv(id)
		pays := apitest.Get(t, inv, "payments").([]any)
		last := pays[len(pays)-1].(map[string]any)
		if inv["status"] != "PAID" || inv["attemptCount"].(float64) != 3 || len(pays) != 3 || apitest.Str(t, last, "paymentMethod", "id") != card {
			t.Fatalf("after the customer's new card: %v", inv)
		}
		if first := pays[0].(map[string]any); apitest.Str(t, first, "paymentMethod", "id") != declining {
			t.Errorf("first attempt with %v", first)
		}
		if inv["nextPaymentAttemptAt"] != nil || len(apitest.Get(t, inv, "upcomingActions").([]any)) != 0 {
			t.Errorf("a paid invoice keeps a plan: %v", inv)
		}
	})
}

// TestNoRetryAfterAHardDecline: a lost card is never charged again.
func TestNoRetryAfterAHardDecline(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	c := newCollT(t, e, "2026-03-01T09:00:00Z")
	cus := c.customer("jenny@example.com", "en")
	c.card(cus, cardLost)
	id := c.open(cus, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
	c.advance("2026-04-01T00:00:00Z")
	inv := c.inv(id)
	if inv["status"] != "OPEN" || inv["standing"] != "OPEN" || inv["nextPaymentAttemptAt"] != nil || len(apitest.Get(t, inv, "payments").([]any)) != 1 {
		t.Fatalf("after a hard decline: %v", inv)
	}
	if notes := historyNotes(t, inv, "payment_failed"); len(notes) != 1 || !strings.Contains(notes[0], "not retried") {
		t.Errorf("history %v", notes)
	}
}

// TestExhaustedRetriesMarkUncollectible: with a custom schedule of two
// retries and MARK_UNCOLLECTIBLE, the third failure marks the invoice
// uncollectible, and nothing more is tried.
func TestExhaustedRetriesMarkUncollectible(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		c := newCollT(t, e, "2026-03-01T09:00:00Z")
		set := c.settings(map[string]any{"retries": map[string]any{"policy": "CUSTOM", "scheduleDays": []int{1, 2}, "whenExhausted": "MARK_UNCOLLECTIBLE"}})
		if apitest.Str(t, set, "collectionSettings", "retries", "whenExhausted") != "MARK_UNCOLLECTIBLE" {
			t.Fatalf("settings %v", set)
		}
		cus := c.customer("jenny@example.com", "en")
		c.card(cus, cardDeclined)
		id := c.open(cus, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
		c.advance("2026-03-10T00:00:00Z")
		inv := c.inv(id)
		if inv["status"] != "UNCOLLECTIBLE" || inv["attemptCount"].(float64) != 3 || len(apitest.Get(t, inv, "payments").([]any)) != 3 {
			t.Fatalf("after the retries: %v", inv)
		}
		if notes := historyNotes(t, inv, "mark_uncollectible"); len(notes) != 1 || !strings.Contains(notes[0], "exhausted after 3 attempts") {
			t.Errorf("history %v", notes)
		}
	})
}

// TestInstallmentReminders: each installment of a payment plan is
// reminded a week before its due date, in place of the one-off schedule.
func TestInstallmentReminders(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	smtp, deliver, c := mailedClock(t, e)
	cus := c.customer("jenny@example.com", "en")
	id := c.open(cus, "EUR", "300.00", map[string]any{"amountsDue": []any{
		map[string]any{"amount": "100.00", "daysUntilDue": 10, "description": "Deposit"},
		map[string]any{"amount": "200.00", "daysUntilDue": 40, "description": "Balance"},
	}})
	c.advance("2026-03-12T00:00:00Z")
	// A missed installment: the invoice is past due, as its standing says.
	if inv := c.inv(id); inv["standing"] != "OVERDUE" || inv["pastDue"] != true {
		t.Fatalf("installment 1 missed: standing %v, pastDue %v", inv["standing"], inv["pastDue"])
	}
	c.must("invoiceRecordPayment", `mutation($id: ID!) { invoiceRecordPayment(input: {id: $id, amount: "100.00", method: "bank_transfer"}) { invoice { id } userErrors { code field message } } }`, map[string]any{"id": id})
	if inv := c.inv(id); inv["standing"] != "PARTIALLY_PAID" || inv["pastDue"] != false {
		t.Fatalf("installment 1 paid: standing %v, pastDue %v", inv["standing"], inv["pastDue"])
	}
	c.advance("2026-04-15T00:00:00Z")
	for deliver() > 0 {
	}
	notes := historyNotes(t, c.inv(id), "reminder")
	want := []string{"reminder sent 7 days before the due date of installment 1", "reminder sent 7 days before the due date of installment 2"}
	if strings.Join(notes, "|") != strings.Join(want, "|") {
		t.Fatalf("reminders %v", notes)
	}
	_, texts := mailsTo(t, smtp, "jenny@example.com", "Reminder")
	if all := strings.Join(texts, "\n"); len(texts) != 2 || !strings.Contains(all, "Installment 1 of invoice") || !strings.Contains(all, "Installment 2 of invoice ACMESAS-0001 (€200.00) is due on Apr 10, 2026") {
		t.Errorf("installment reminders %q", texts)
	}
}

// TestOffSessionAuthentication: an automatic charge that needs 3-D Secure
// emails the customer a link to confirm it, holds the invoice PENDING, and
// after three days unanswered is canceled and retried.
func TestOffSessionAuthentication(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	smtp, deliver, c := mailedClock(t, e)
	cus := c.customer("jenny@example.com", "en")
	c.card(cus, card3DSAlways)
	id := c.open(cus, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
	inv := c.inv(id)
	if inv["standing"] != "PENDING" {
		t.Fatalf("awaiting authentication: %v", inv)
	}
	for deliver() > 0 {
	}
	_, texts := mailsTo(t, smtp, "jenny@example.com", "Confirm your payment")
	if len(texts) != 1 || !strings.Contains(texts[0], "/i/") || !strings.Contains(texts[0], "€100.00") {
		t.Fatalf("action-required emails %q", texts)
	}
	c.advance("2026-03-04T08:00:00Z")
	if inv = c.inv(id); inv["standing"] != "PENDING" {
		t.Fatalf("canceled early: %v", inv)
	}
	c.advance("2026-03-04T10:00:00Z")
	inv = c.inv(id)
	pays := apitest.Get(t, inv, "payments").([]any)
	if pays[0].(map[string]any)["status"] != "CANCELED" || inv["standing"] != "RETRYING" {
		t.Fatalf("after three days unanswered: %v", inv)
	}
}

// TestNothingForASettledInvoice: an invoice voided after its reminder was
// planned gets no reminder, and nothing stays planned for it.
func TestNothingForASettledInvoice(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	c := newCollT(t, e, "2026-03-01T09:00:00Z")
	cus := c.customer("jenny@example.com", "en")
	id := c.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 10})
	c.must("invoiceVoid", `mutation($id: ID!) { invoiceVoid(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
	c.advance("2026-04-30T00:00:00Z")
	inv := c.inv(id)
	if len(historyNotes(t, inv, "reminder")) != 0 || len(apitest.Get(t, inv, "upcomingActions").([]any)) != 0 {
		t.Fatalf("a void invoice was chased: %v", inv)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestTwoSchedulersExactlyOnce runs two server processes' schedulers
// against one database at once: every due reminder is emailed once and
// every due retry charged once, whatever their interleaving.
func TestTwoSchedulersExactlyOnce(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		smtp := mailtest.Start(t, mailtest.Options{})
		sender := func() mail.Sender {
			s, err := mail.NewSMTP(smtp.URL())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		c := newCollT(t, e, "2026-01-15T09:00:00Z") // the clock is only for settings; customers live on real time
		c.settings(map[string]any{"reminders": map[string]any{"offsetDays": []int{1}}})
		const reminded, retried = 12, 6
		cus := newCustomer(t, e, "jenny@example.com", "en")
		var sent, charged []string
		for range reminded {
			sent = append(sent, c.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 5}))
		}
		payer := newCustomer(t, e, "oscar@example.com", "en")
		c.card(payer, cardDeclined)
		for range retried {
			charged = append(charged, c.open(payer, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"}))
		}
		// Processes build their own app and delivery; both deliver to the
		// same SMTP server.
		first := e.SecondProcess(apitest.Options{Sender: sender()})
		second := e.SecondProcess(apitest.Options{Sender: sender()})
		e.Clock.Advance(7*24*time.Hour + time.Hour)
		ctx := clock.WithContext(context.Background(), e.Clock)
		var wg sync.WaitGroup
		for _, a := range []*app.App{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					n, err := a.Worker.Tick(ctx)
					if err != nil {
						t.Errorf("tick: %v", err)
						return
					}
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		subjects, _ := mailsTo(t, smtp, "jenny@example.com", "Overdue")
		if len(subjects) != reminded {
			t.Errorf("%d reminder emails for %d invoices", len(subjects), reminded)
		}
		sys := viewer.Bypass(context.Background(), "test")
		for _, id := range sent {
			n, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.InvoiceID(id), emailmessage.Kind("invoice_reminder")).Count(sys)
			if err != nil || n != 1 {
				t.Errorf("invoice %s: %d reminders queued (%v)", id, n, err)
			}
		}
		for _, id := range charged {
			inv := c.inv(id)
			pays := apitest.Get(t, inv, "payments").([]any)
			// The charge at finalization, then one retry: the three
			// slots missed in the week are skipped, not made at once.
			if len(pays) != 2 || inv["attemptCount"].(float64) != 2 {
				t.Errorf("invoice %s: %d payments, %v attempts", id, len(pays), inv["attemptCount"])
			}
		}
	})
}

// TestDebitRetriedForInsufficientFunds: a SEPA debit that fails for
// insufficient funds when it settles, on the clock's time, is retried when
// direct-debit retries are on, and not when they are off.
func TestDebitRetriedForInsufficientFunds(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	c := newCollT(t, e, "2026-03-01T09:00:00Z")
	on := c.customer("jenny@example.com", "en")
	c.sepa(on, ibanNSF)
	retried := c.open(on, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
	off := c.customer("oscar@example.com", "en")
	c.must("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {collectionSettings: {retries: {directDebit: false}}}}) { customer { collectionSettings { retries { directDebit } } } userErrors { code field message } } }`, map[string]any{"id": off})
	c.sepa(off, ibanNSF)
	kept := c.open(off, "EUR", "100.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
	if inv := c.inv(retried); inv["standing"] != "PENDING" {
		t.Fatalf("a debit in flight: %v", inv["standing"])
	}
	c.advance("2026-03-05T00:00:00Z")
	if inv := c.inv(retried); inv["standing"] != "RETRYING" || apitest.Str(t, inv, "payments", 0, "failureCode") != "insufficient_funds" {
		t.Errorf("debit with retries: %v", inv)
	}
	if inv := c.inv(kept); inv["standing"] != "OPEN" || inv["nextPaymentAttemptAt"] != nil {
		t.Errorf("debit without retries: %v", inv)
	}
}

// TestTestClocksAreTestModeOnly: a live key can neither make a clock nor
// put a customer on one, and deleting a clock removes its customers'
// data.
func TestTestClocksAreTestModeOnly(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	c := newCollT(t, e, "2026-03-01T09:00:00Z")
	live := e.NewKey(e.Account, viewer.Live)
	res := e.Do(apitest.Request{Key: live, Query: `mutation { testClockCreate(input: {frozenTime: "2026-03-01T00:00:00Z"}) { testClock { id } userErrors { code } } }`})
	if codes := apitest.ErrorCodes(t, res.Data["testClockCreate"].(map[string]any)); len(codes) != 1 || codes[0] != "INVALID" {
		t.Errorf("live clock: %s", res.RawBody)
	}
	res = e.Do(apitest.Request{Key: live, Query: `mutation($k: ID) { customerCreate(input: {customer: {name: "Live"}, testClock: $k}) { customer { id } userErrors { code field } } }`, Variables: map[string]any{"k": c.clock}})
	if codes := apitest.ErrorCodes(t, res.Data["customerCreate"].(map[string]any)); len(codes) != 1 || codes[0] != "INVALID" {
		t.Errorf("live customer on a clock: %s", res.RawBody)
	}
	cus := c.customer("jenny@example.com", "en")
	c.card(cus, cardOK)
	id := c.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 10})
	c.must("testClockDelete", `mutation($id: ID!) { testClockDelete(input: {id: $id}) { deletedId userErrors { code } } }`, map[string]any{"id": c.clock})
	gone := c.query(`query($c: ID!, $i: ID!) { c: node(id: $c) { id } i: node(id: $i) { id } }`, map[string]any{"c": cus, "i": id})
	if gone["c"] != nil || gone["i"] != nil {
		t.Errorf("after deleting the clock: %v", gone)
	}
}

// TestAFailingStepHoldsUpNoOther: an invoice whose reminder cannot be
// queued (its customer's address is broken) is reported and put back for
// later; the other invoices' reminders go out.
func TestAFailingStepHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := newCustomer(t, e, "jenny@example.com", "en")
	broken := p.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 5})
	fine := p.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 5})
	sys := viewer.Bypass(context.Background(), "test")
	inv, err := e.Store.Client.Invoice.Get(sys, broken)
	if err != nil {
		t.Fatal(err)
	}
	snap := *inv.CustomerSnapshot
	snap.Email = "not an address"
	if err := e.Store.Client.Invoice.UpdateOneID(broken).SetCustomerSnapshot(&snap).Exec(sys); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(3 * 24 * time.Hour)
	ctx := clock.WithContext(context.Background(), e.Clock)
	n, err := e.Server.Billing().RunCollections(ctx, "", 100)
	if err == nil || !strings.Contains(err.Error(), broken) || n != 2 {
		t.Fatalf("RunCollections: %d, %v; want both handled and the broken one reported", n, err)
	}
	got := func(id string) int {
		k, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.InvoiceID(id), emailmessage.Kind("invoice_reminder")).Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if got(fine) != 1 || got(broken) != 0 {
		t.Errorf("reminders: fine %d, broken %d", got(fine), got(broken))
	}
	after, err := e.Store.Client.Invoice.Get(sys, broken)
	if err != nil || after.NextCollectionAt == nil || !after.NextCollectionAt.After(e.Clock.Now()) {
		t.Errorf("the broken invoice is not put back for later: %v, %v", after.NextCollectionAt, err)
	}
	if n, err := e.Server.Billing().RunCollections(ctx, "", 100); n != 0 || err != nil {
		t.Errorf("again at once: %d, %v; want nothing until the backoff passes", n, err)
	}
}

// TestScheduledPaymentChargedOnItsDate: a customer on a test clock
// schedules a payment in the portal; they are emailed at once and three
// days before; the invoice is SCHEDULED until the worker charges it on its
// date with the method chosen, and PAID after.
func TestScheduledPaymentChargedOnItsDate(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		smtp, deliver, c := mailedClock(t, e)
		c.settings(map[string]any{"scheduledPayments": true})
		slug := enablePortal(t, e, e.Key)
		cus := c.customer("jenny@example.com", "en")
		card := c.card(cus, cardOK)
		id := c.open(cus, "EUR", "250.00", map[string]any{"daysUntilDue": 30})
		portal := newPapi(t, e).login(slug, "jenny@example.com")
		pl := portal.payload("invoiceSchedulePayment", papiSchedule, map[string]any{"in": map[string]any{"invoice": id, "date": "2026-03-20", "paymentMethod": card}}, nil)
		if ue := pl["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("schedule: %v", ue)
		}
		inv := c.inv(id)
		if inv["standing"] != "SCHEDULED" {
			t.Fatalf("scheduled: %v", inv)
		}
		acts := apitest.Get(t, inv, "upcomingActions").([]any)
		if len(acts) < 2 || acts[0].(map[string]any)["type"] != "SCHEDULED_PAYMENT_NOTICE" || !strings.HasPrefix(acts[0].(map[string]any)["at"].(string), "2026-03-17T00:00:00") {
			t.Errorf("upcoming %v", acts)
		}
		c.advance("2026-03-19T00:00:00Z")
		if inv = c.inv(id); inv["standing"] != "SCHEDULED" || len(apitest.Get(t, inv, "payments").([]any)) != 0 {
			t.Fatalf("charged early: %v", inv)
		}
		c.advance("2026-03-21T00:00:00Z")
		inv = c.inv(id)
		pays := apitest.Get(t, inv, "payments").([]any)
		if inv["status"] != "PAID" || len(pays) != 1 || apitest.Str(t, pays[0], "paymentMethod", "id") != card {
			t.Fatalf("on its date: %v", inv)
		}
		for deliver() > 0 {
		}
		scheduled, _ := mailsTo(t, smtp, "jenny@example.com", "Payment scheduled for invoice")
		notice, _ := mailsTo(t, smtp, "jenny@example.com", "Your payment for invoice")
		if len(scheduled) != 1 || len(notice) != 1 {
			t.Errorf("emails: %v / %v", scheduled, notice)
		}
	})
}
