package servertest_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/viewer"
)

const (
	refundFields        = `id status amount { minorUnits currency } reason failureCode failureMessage processorReference succeededAt failedAt createdAt payment { id } invoice { id }`
	refundPaymentFields = `id status methodType amount { minorUnits } amountRefunded { minorUnits } refunds { ` + refundFields + ` }`
	refundMutation      = `mutation($in: PaymentRefundInput!) { paymentRefund(input: $in) { refund { ` + refundFields + ` } payment { ` + refundPaymentFields + ` } userErrors { field code message } } }`
	refundPaymentQuery  = `query($id: ID!) { node(id: $id) { ... on Payment { ` + refundPaymentFields + ` } } }`
	refundInvoiceQuery  = `query($id: ID!) { invoice(id: $id) { id status amountPaid { minorUnits } amountRemaining { minorUnits } amountRefunded { minorUnits } emails { kind } } }`
	cardRefundFails     = "4000000000005126"
)

// refundTypes are the event types of refunds.
var refundTypes = []string{"refund.created", "refund.succeeded", "refund.failed"}

// refund runs paymentRefund with Idempotency-Key key (none when empty);
// amount and reason may be empty.
func (p *payT) refund(paymentID, amount, reason, key string) map[string]any {
	p.t.Helper()
	in := map[string]any{"payment": paymentID}
	if amount != "" {
		in["amount"] = amount
	}
	if reason != "" {
		in["reason"] = reason
	}
	return p.payload("paymentRefund", refundMutation, map[string]any{"in": in}, key)
}

// refundOK is refund with a fresh key, for a refund that must be made
// (whatever its outcome).
func (p *payT) refundOK(paymentID, amount string) map[string]any {
	p.t.Helper()
	pl := p.refund(paymentID, amount, "", newIdemKey())
	if ue := apitest.ErrorCodes(p.t, pl); len(ue) > 0 {
		p.t.Fatalf("paymentRefund %s: %v", paymentID, pl["userErrors"])
	}
	return pl
}

func (p *payT) payment(id string) map[string]any {
	p.t.Helper()
	pay, ok := p.query(refundPaymentQuery, map[string]any{"id": id})["node"].(map[string]any)
	if !ok {
		p.t.Fatalf("payment %s not found", id)
	}
	return pay
}

// paidBy opens an invoice of amount, pays it with method and returns the
// invoice and payment ids.
func (p *payT) paidBy(cus, currency, amount, method string) (string, string) {
	p.t.Helper()
	id := p.open(cus, currency, amount, nil)
	pl := p.payOK(id, "", method)
	return id, apitest.Str(p.t, pl, "payment", "id")
}

// refundEvents counts the refund events of the account.
func refundEvents(t *testing.T, e *apitest.Env) int {
	t.Helper()
	return len(listEvents(t, e, e.Key, map[string]any{"types": refundTypes}))
}

// tick runs the application's scheduler once at the test clock: the
// refund settlement job is one of its jobs.
func tick(t *testing.T, e *apitest.Env) int {
	t.Helper()
	n, err := e.App.Worker.Tick(clock.WithContext(context.Background(), e.Clock))
	if err != nil {
		t.Fatalf("tick: %v", err)
	}
	return n
}

// TestRefunds refunds a card payment in part, then in full: each refund
// succeeds at once, the payment shows what was refunded and its refunds,
// the invoice stays PAID and says what was refunded, each refund is
// emailed to the customer and recorded as events; a retry with the same
// Idempotency-Key returns the same refund, even a day later, and refunds
// nothing more.
func TestRefunds(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		inv, pay := p.paidBy(cus, "USD", "100.00", p.card(cus, cardOK))

		key := newIdemKey()
		first := p.refund(pay, "30.00", "REQUESTED_BY_CUSTOMER", key)
		if ue := apitest.ErrorCodes(t, first); len(ue) > 0 {
			t.Fatalf("refund: %v", first["userErrors"])
		}
		re := first["refund"].(map[string]any)
		if re["status"] != "SUCCEEDED" || minor(t, re, "amount") != "3000" || apitest.Str(t, re, "amount", "currency") != "USD" ||
			re["reason"] != "REQUESTED_BY_CUSTOMER" || re["succeededAt"] == nil || re["processorReference"] == "" ||
			apitest.Str(t, re, "payment", "id") != pay || apitest.Str(t, re, "invoice", "id") != inv {
			t.Fatalf("refund %v", re)
		}
		if !strings.HasPrefix(apitest.Str(t, re, "id"), "re_") {
			t.Errorf("refund id %v", re["id"])
		}
		if got := minor(t, first, "payment", "amountRefunded"); got != "3000" {
			t.Errorf("payment amountRefunded %s, want 3000", got)
		}
		got := p.payment(pay)
		if minor(t, got, "amountRefunded") != "3000" || len(got["refunds"].([]any)) != 1 || apitest.Str(t, got, "status") != "SUCCEEDED" {
			t.Errorf("payment after a partial refund: %v", got)
		}
		invoice := p.query(refundInvoiceQuery, map[string]any{"id": inv})["invoice"].(map[string]any)
		if invoice["status"] != "PAID" || minor(t, invoice, "amountPaid") != "10000" || minor(t, invoice, "amountRemaining") != "0" || minor(t, invoice, "amountRefunded") != "3000" {
			t.Errorf("invoice after a refund: %v", invoice)
		}
		if kinds := emailKinds(t, invoice); !slices.Contains(kinds, "refund") {
			t.Errorf("emails %v lack the refund", kinds)
		}
		node := p.query(`query($id: ID!) { node(id: $id) { ... on Refund { id status } } }`, map[string]any{"id": re["id"]})
		if apitest.Str(t, node, "node", "id") != re["id"] {
			t.Errorf("node(refund) %v", node)
		}
		// Another account, or the live mode, does not see it.
		_, otherKey := e.NewAccount("Globex", viewer.Test)
		for what, key := range map[string]string{"another account": otherKey, "live mode": e.NewKey(e.Account, viewer.Live)} {
			res := e.Do(apitest.Request{Key: key, Query: `query($id: ID!) { node(id: $id) { id } }`, Variables: map[string]any{"id": re["id"]}})
			if len(res.Errors) > 0 || res.Data["node"] != nil {
				t.Errorf("%s reads the refund: %s", what, res.RawBody)
			}
		}

		// Replays: the same key returns the same refund, even with the
		// amount changed and after the HTTP layer's 24-hour window.
		for _, c := range []struct {
			what, amount string
			after        time.Duration
		}{{"retry", "30.00", 0}, {"retry with another amount", "50.00", 0}, {"late retry", "30.00", 25 * time.Hour}} {
			e.Clock.Advance(c.after)
			again := p.refund(pay, c.amount, "REQUESTED_BY_CUSTOMER", key)
			if ue := apitest.ErrorCodes(t, again); len(ue) > 0 {
				t.Errorf("%s: %v", c.what, again["userErrors"])
			} else if apitest.Str(t, again, "refund", "id") != re["id"] || minor(t, again, "payment", "amountRefunded") != "3000" {
				t.Errorf("%s: refund %v, payment %v", c.what, again["refund"], again["payment"])
			}
		}
		if n := len(p.payment(pay)["refunds"].([]any)); n != 1 {
			t.Errorf("%d refunds after retries, want 1", n)
		}

		// The rest, without an amount.
		rest := p.refundOK(pay, "")
		if apitest.Str(t, rest, "refund", "status") != "SUCCEEDED" || minor(t, rest, "refund", "amount") != "7000" || rest["refund"].(map[string]any)["reason"] != nil {
			t.Errorf("refund of the rest: %v", rest["refund"])
		}
		got = p.payment(pay)
		if minor(t, got, "amountRefunded") != "10000" || len(got["refunds"].([]any)) != 2 {
			t.Errorf("payment after a full refund: %v", got)
		}
		if s := apitest.Str(t, p.query(refundInvoiceQuery, map[string]any{"id": inv}), "invoice", "status"); s != "PAID" {
			t.Errorf("invoice %s after a full refund, want PAID", s)
		}

		// Nothing is left: refused, with nothing written.
		events := refundEvents(t, e)
		p.refused("refund of a refunded payment", p.refund(pay, "", "", newIdemKey()), "REFUND_EXCEEDS_PAYMENT")
		p.refused("refund of a cent more", p.refund(pay, "0.01", "", newIdemKey()), "REFUND_EXCEEDS_PAYMENT")
		if after := p.payment(pay); canon(t, after) != canon(t, got) {
			t.Errorf("refused refunds changed the payment:\n%v\n%v", got, after)
		}
		if n := refundEvents(t, e); n != events {
			t.Errorf("refused refunds wrote %d events", n-events)
		}

		// Events: each refund created and succeeded, with its snapshot.
		evs := listEvents(t, e, e.Key, map[string]any{"types": refundTypes})
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
			if ev.ObjectType != "refund" || ev.Data["payment"] != pay || ev.Data["invoice"] != inv || ev.ActorType != "API_KEY" {
				t.Errorf("event %s: %+v", ev.Type, ev)
			}
		}
		if want := []string{"refund.created", "refund.succeeded", "refund.created", "refund.succeeded"}; !slices.Equal(types, want) {
			t.Errorf("refund events %v, want %v", types, want)
		}
		if ev, _ := lastOf(evs, "refund.succeeded", re["id"].(string)); ev.Data["status"] != "SUCCEEDED" || ev.Data["amount"] != 3000.0 || ev.Data["reason"] != "REQUESTED_BY_CUSTOMER" {
			t.Errorf("refund.succeeded data %v", ev.Data)
		}
	})
}

// TestRefundRefusals refuses refunds that cannot be made, with a typed
// user error at the input field and nothing written: no Idempotency-Key,
// an amount above what is left, zero, negative or too precise, a payment
// that did not succeed (declined, a debit still processing), one recorded
// outside Remit, another account's, and a key used for another payment.
func TestRefundRefusals(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		_, pay := p.paidBy(cus, "USD", "50.00", p.card(cus, cardOK))
		_, declined := p.paidBy(cus, "USD", "50.00", p.card(cus, cardDeclined))
		eur := p.customer("Jürgen Rosen", "jurgen@example.com", "EUR")
		_, processing := p.paidBy(eur, "EUR", "50.00", p.sepa(eur, ibanOK))
		outside := p.open(cus, "USD", "50.00", nil)
		rec := p.must("invoiceRecordPayment", recordMutation, map[string]any{"in": map[string]any{"id": outside, "amount": "20.00", "method": "cash"}})
		cash := apitest.Str(t, rec, "payment", "id")
		_, otherKey := e.NewAccount("Globex", viewer.Test)
		other := &payT{t: t, e: e, key: otherKey}
		otherCus := other.customer("Oscar", "oscar@example.com", "USD")
		_, otherPay := other.paidBy(otherCus, "USD", "50.00", other.card(otherCus, cardOK))
		used := newIdemKey()
		p.refundOK(pay, "1.00") // some refunded already: 49.00 left
		if pl := p.refund(pay, "1.00", "", used); len(apitest.ErrorCodes(t, pl)) > 0 {
			t.Fatal(pl["userErrors"])
		}
		// 48.00 left.

		for _, c := range []struct {
			what, payment, amount, key string
			code                       string
			field                      string
		}{
			{"no Idempotency-Key", pay, "1.00", "", "IDEMPOTENCY_KEY_REQUIRED", "input"},
			{"more than is left", pay, "48.01", newIdemKey(), "REFUND_EXCEEDS_PAYMENT", "input.amount"},
			{"more than the payment", pay, "50.01", newIdemKey(), "REFUND_EXCEEDS_PAYMENT", "input.amount"},
			{"zero", pay, "0", newIdemKey(), "INVALID_AMOUNT", "input.amount"},
			{"negative", pay, "-5", newIdemKey(), "INVALID_AMOUNT", "input.amount"},
			{"too precise", pay, "0.001", newIdemKey(), "INVALID_AMOUNT", "input.amount"},
			{"not a number", pay, "ten", newIdemKey(), "INVALID_DECIMAL", "input.amount"},
			{"declined payment", declined, "", newIdemKey(), "INVALID_TRANSITION", "input.payment"},
			{"debit still processing", processing, "", newIdemKey(), "INVALID_TRANSITION", "input.payment"},
			{"recorded outside Remit", cash, "", newIdemKey(), "INVALID", "input.payment"},
			{"another account's payment", otherPay, "", newIdemKey(), "NOT_FOUND", "input.payment"},
			{"no such payment", "py_0000000000000000000000000", "", newIdemKey(), "NOT_FOUND", "input.payment"},
			{"key of another payment's refund", declined, "", used, "INVALID", "input.payment"},
		} {
			before := map[string]string{}
			for _, id := range []string{pay, declined, processing, cash} {
				before[id] = canon(t, p.payment(id))
			}
			events := refundEvents(t, e)
			pl := p.refund(c.payment, c.amount, "", c.key)
			p.refused(c.what, pl, c.code)
			if ue := pl["userErrors"].([]any); len(ue) == 1 {
				field, _ := ue[0].(map[string]any)["field"].([]any)
				var parts []string
				for _, f := range field {
					parts = append(parts, f.(string))
				}
				if got := strings.Join(parts, "."); got != c.field {
					t.Errorf("%s: field %q, want %q", c.what, got, c.field)
				}
			}
			if pl["refund"] != nil {
				t.Errorf("%s: returned refund %v", c.what, pl["refund"])
			}
			for id, b := range before {
				if after := canon(t, p.payment(id)); after != b {
					t.Errorf("%s changed payment %s:\n%s\n%s", c.what, id, b, after)
				}
			}
			if n := refundEvents(t, e); n != events {
				t.Errorf("%s: %d events written", c.what, n-events)
			}
		}
		if n := len(other.payment(otherPay)["refunds"].([]any)); n != 0 {
			t.Errorf("another account's payment was refunded %d times", n)
		}
	})
}

// TestRefundFailsLater refunds a payment made with Stripe's
// asynchronous-failure card (4000000000005126): as at Stripe, the refund
// succeeds at first, then the worker learns it failed; the amount it took
// is released, so the payment can be refunded again.
func TestRefundFailsLater(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "EUR")
		_, pay := p.paidBy(cus, "EUR", "100.00", p.card(cus, cardRefundFails))

		pl := p.refundOK(pay, "40.00")
		re := pl["refund"].(map[string]any)
		if re["status"] != "SUCCEEDED" || minor(t, pl, "payment", "amountRefunded") != "4000" {
			t.Fatalf("refund %v, payment %v", re, pl["payment"])
		}
		// 60.00 are left while the refund stands.
		p.refused("more than is left", p.refund(pay, "60.01", "", newIdemKey()), "REFUND_EXCEEDS_PAYMENT")

		tick(t, e)
		if st := apitest.Str(t, p.payment(pay), "refunds", 0, "status"); st != "SUCCEEDED" {
			t.Errorf("refund %s before the bank answered", st)
		}
		e.Clock.Advance(payments.DefaultRefundFailDelay + time.Second)
		if n := tick(t, e); n == 0 {
			t.Errorf("the worker settled nothing")
		}
		got := p.payment(pay)
		failed := apitest.Get(t, got, "refunds", 0).(map[string]any)
		if failed["status"] != "FAILED" || failed["failureCode"] == "" || failed["failureMessage"] == "" || failed["failedAt"] == nil {
			t.Errorf("refund after the bank refused it: %v", failed)
		}
		if minor(t, got, "amountRefunded") != "0" {
			t.Errorf("amountRefunded %s after the refund failed, want 0", minor(t, got, "amountRefunded"))
		}
		if ev, ok := lastOf(listEvents(t, e, e.Key, map[string]any{"types": refundTypes}), "refund.failed", re["id"].(string)); !ok || ev.ActorType != "SYSTEM" || ev.Data["status"] != "FAILED" {
			t.Errorf("refund.failed event %+v (found %v)", ev, ok)
		}
		// Ticking again changes nothing.
		events := refundEvents(t, e)
		tick(t, e)
		if n := refundEvents(t, e); n != events {
			t.Errorf("a second pass wrote %d events", n-events)
		}
		// The whole payment can be refunded again.
		again := p.refundOK(pay, "")
		if minor(t, again, "refund", "amount") != "10000" || apitest.Str(t, again, "refund", "status") != "SUCCEEDED" {
			t.Errorf("refund after the failure: %v", again["refund"])
		}
	})
}

// TestSEPARefundSettles refunds a SEPA Direct Debit: the refund is
// PENDING, its amount held on the payment so no more can be refunded,
// until the worker settles it after the scheme's delay; the customer is
// emailed then.
func TestSEPARefundSettles(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jürgen Rosen", "jurgen@example.com", "EUR")
		inv, pay := p.paidBy(cus, "EUR", "100.00", p.sepa(cus, ibanOK))
		e.Clock.Advance(payments.DefaultSEPADelay + time.Minute)
		tick(t, e)
		if st := apitest.Str(t, p.payment(pay), "status"); st != "SUCCEEDED" {
			t.Fatalf("debit %s after settlement", st)
		}

		pl := p.refundOK(pay, "20.00")
		if apitest.Str(t, pl, "refund", "status") != "PENDING" || minor(t, pl, "payment", "amountRefunded") != "0" {
			t.Fatalf("SEPA refund %v, payment %v", pl["refund"], pl["payment"])
		}
		p.refused("more than is left with a refund pending", p.refund(pay, "80.01", "", newIdemKey()), "REFUND_EXCEEDS_PAYMENT")
		emails := func() []string {
			return emailKinds(t, p.query(refundInvoiceQuery, map[string]any{"id": inv})["invoice"].(map[string]any))
		}
		if slices.Contains(emails(), "refund") {
			t.Errorf("refund email before the refund settled")
		}

		e.Clock.Advance(payments.DefaultSEPARefundDelay - time.Hour)
		tick(t, e)
		if st := apitest.Str(t, p.payment(pay), "refunds", 0, "status"); st != "PENDING" {
			t.Errorf("refund %s before its time", st)
		}
		e.Clock.Advance(2 * time.Hour)
		tick(t, e)
		got := p.payment(pay)
		if apitest.Str(t, got, "refunds", 0, "status") != "SUCCEEDED" || minor(t, got, "amountRefunded") != "2000" {
			t.Errorf("after settlement: %v", got)
		}
		if !slices.Contains(emails(), "refund") {
			t.Errorf("emails %v lack the refund", emails())
		}
		types := []string{}
		for _, ev := range listEvents(t, e, e.Key, map[string]any{"types": refundTypes}) {
			types = append(types, ev.Type)
		}
		if !slices.Equal(types, []string{"refund.created", "refund.succeeded"}) {
			t.Errorf("events %v", types)
		}
		// 80.00 remain to refund.
		if st := apitest.Str(t, p.refundOK(pay, "80.00"), "refund", "status"); st != "PENDING" {
			t.Errorf("second SEPA refund %s", st)
		}
	})
}

// TestConcurrentRefundsNeverExceedThePayment fires 50 refunds of 1.00 at
// once at a payment of 30.00, each with its own Idempotency-Key: the
// reservation under the payment's lock lets exactly 30 through and
// refuses the others, and the refunds add up to the payment, on both
// databases.
func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		_, pay := p.paidBy(cus, "USD", "30.00", p.card(cus, cardOK))

		const n = 50
		type result struct {
			status int
			refund string
			codes  []string
			raw    []byte
			err    error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				q := `mutation($in: PaymentRefundInput!) { paymentRefund(input: $in) { refund { id status } userErrors { code } } }`
				status, data, errs, raw, err := gqlPost(e.URL, e.Key, q, map[string]any{"in": map[string]any{"payment": pay, "amount": "1.00"}},
					map[string]string{"Idempotency-Key": fmt.Sprintf("refund-%d-%s", i, rand.Text())})
				r := result{status: status, raw: raw, err: err}
				if err == nil && len(errs) == 0 {
					pl, _ := data["paymentRefund"].(map[string]any)
					if re, ok := pl["refund"].(map[string]any); ok {
						r.refund, _ = re["status"].(string)
					}
					for _, u := range pl["userErrors"].([]any) {
						r.codes = append(r.codes, u.(map[string]any)["code"].(string))
					}
				} else if err == nil {
					r.err = fmt.Errorf("top-level errors")
				}
				results[i] = r
			}()
		}
		close(start)
		wg.Wait()

		succeeded, exceeded := 0, 0
		for i, r := range results {
			switch {
			case r.err != nil || r.status != http.StatusOK:
				t.Errorf("request %d: status %d, %v: %s", i, r.status, r.err, truncate(r.raw))
			case r.refund == "SUCCEEDED" && len(r.codes) == 0:
				succeeded++
			case r.refund == "" && slices.Equal(r.codes, []string{"REFUND_EXCEEDS_PAYMENT"}):
				exceeded++
			default:
				t.Errorf("request %d: refund %q, userErrors %v", i, r.refund, r.codes)
			}
		}
		t.Logf("%d refunds succeeded, %d REFUND_EXCEEDS_PAYMENT", succeeded, exceeded)
		if succeeded != 30 || exceeded != 20 {
			t.Errorf("%d refunds succeeded and %d were refused, want 30 and 20", succeeded, exceeded)
		}
		got := p.payment(pay)
		var sum int
		for _, re := range got["refunds"].([]any) {
			if apitest.Str(t, re, "status") == "SUCCEEDED" {
				var v int
				fmt.Sscan(minor(t, re, "amount"), &v)
				sum += v
			}
		}
		if sum != 3000 || minor(t, got, "amountRefunded") != "3000" || len(got["refunds"].([]any)) != 30 {
			t.Errorf("refunds add up to %d in %d refunds, amountRefunded %s; want 3000 in 30", sum, len(got["refunds"].([]any)), minor(t, got, "amountRefunded"))
		}
	})
}

// TestRefundEmail delivers the refund email over SMTP, in the customer's
// language: how much, for which invoice, to which card, from whom.
func TestRefundEmail(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	smtp := mailtest.Start(t, mailtest.Options{})
	deliver := mailWorker(t, e, smtp)
	p := newPayT(t, e)
	for _, c := range []struct {
		lang, subject string
		body          []string
	}{
		{"en", "Refund of €25.00 from Acme SAS", []string{"Hello Jenny Rosen,", "Acme SAS has refunded €25.00 for invoice %s to your card ending in 4242.", "5 to 10 business days"}},
		{"fr", "Remboursement de 25,00", []string{"Bonjour Jenny Rosen,", "Acme SAS vous a remboursé 25,00", "pour la facture %s sur votre carte se terminant par 4242.", "5 à 10 jours ouvrés"}},
	} {
		cus := newCustomer(t, e, c.lang+"@example.com", c.lang)
		id, pay := p.paidBy(cus, "EUR", "100.00", p.card(cus, cardOK))
		number := apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { number } }`, map[string]any{"id": id}), "invoice", "number")
		p.refundOK(pay, "25.00")
		for deliver() > 0 {
		}
		var found bool
		for _, m := range smtp.Messages() {
			if len(m.To) != 1 || m.To[0] != c.lang+"@example.com" {
				continue
			}
			msg, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(msg.Subject, c.subject) {
				continue // the receipt of another email
			}
			found = true
			for _, want := range c.body {
				if strings.Contains(want, "%s") {
					want = fmt.Sprintf(want, number)
				}
				if !strings.Contains(strings.ReplaceAll(msg.Text, "\u202f", " "), strings.ReplaceAll(want, "\u202f", " ")) {
					t.Errorf("%s refund email lacks %q:\n%s", c.lang, want, msg.Text)
				}
			}
		}
		if !found {
			t.Errorf("%s: no refund email among %d messages", c.lang, len(smtp.Messages()))
		}
	}
}

// TestPortalAPIRefunds: the customer's portal API shows what was refunded
// on each payment, and the refunds; another customer sees none of it.
func TestPortalAPIRefunds(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := newCustomer(t, e, "jenny@example.com", "en")
	_, pay := p.paidBy(cus, "EUR", "100.00", p.card(cus, cardOK))
	p.refundOK(pay, "25.00")
	newCustomer(t, e, "oscar@example.com", "en")
	slug := enablePortal(t, e, e.Key)

	q := `{ payments(first: 10) { edges { node { id amountRefunded { amount } refunds { id amount { amount } status } } } } }`
	d := newPapi(t, e).login(slug, "jenny@example.com").query(q, nil)
	node := apitest.Get(t, d, "payments", "edges", 0, "node")
	if apitest.Str(t, node, "id") != pay || apitest.Str(t, node, "amountRefunded", "amount") != "25.00" ||
		apitest.Str(t, node, "refunds", 0, "amount", "amount") != "25.00" || apitest.Str(t, node, "refunds", 0, "status") != "SUCCEEDED" {
		t.Errorf("portal payment %v", node)
	}
	other := newPapi(t, e).login(slug, "oscar@example.com").query(q, nil)
	if edges := apitest.Get(t, other, "payments", "edges").([]any); len(edges) != 0 {
		t.Errorf("another customer sees payments %v", edges)
	}
}
