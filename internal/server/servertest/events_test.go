package servertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/viewer"
)

const eventsQuery = `query($after: Cursor, $f: EventFilter) { events(first: 100, after: $after, filter: $f) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id type objectType objectId data dataVersion actor { type id } requestId createdAt } } } }`

// apiEvent is an event as the API lists it.
type apiEvent struct {
	ID, Type, ObjectType, ObjectID, RequestID string
	Data                                      map[string]any
	DataVersion                               int
	ActorType                                 string
	ActorID                                   string
}

// listEvents reads every event of key's account and mode matching filter,
// oldest first.
func listEvents(t *testing.T, e *apitest.Env, key string, filter map[string]any) []apiEvent {
	t.Helper()
	var out []apiEvent
	var after any
	for {
		res := e.Do(apitest.Request{Key: key, Query: eventsQuery, Variables: map[string]any{"after": after, "f": filter}})
		if res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Fatalf("events: %s", truncate(res.RawBody))
		}
		conn := res.Data["events"].(map[string]any)
		for _, edge := range conn["edges"].([]any) {
			n := edge.(map[string]any)["node"].(map[string]any)
			actor := n["actor"].(map[string]any)
			ev := apiEvent{
				ID: n["id"].(string), Type: n["type"].(string), ObjectType: n["objectType"].(string),
				ObjectID: n["objectId"].(string), RequestID: n["requestId"].(string),
				Data: n["data"].(map[string]any), DataVersion: int(n["dataVersion"].(float64)),
				ActorType: actor["type"].(string),
			}
			if id, ok := actor["id"].(string); ok {
				ev.ActorID = id
			}
			out = append(out, ev)
		}
		page := conn["pageInfo"].(map[string]any)
		if page["hasNextPage"] != true {
			break
		}
		after = page["endCursor"]
	}
	slices.Reverse(out) // newest first → oldest first
	return out
}

func lastOf(evs []apiEvent, typ, objectID string) (apiEvent, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ && (objectID == "" || evs[i].ObjectID == objectID) {
			return evs[i], true
		}
	}
	return apiEvent{}, false
}

// TestEventsOfEveryChange drives every kind of change through the public
// API (and the worker and scheduler, for what they do) and checks each
// event type is recorded with the right object, a snapshot of it as it
// stood after the change, its actor and its request; that refused
// mutations record nothing; and that events are the caller's only.
func TestEventsOfEveryChange(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		smtp := mailtest.Start(t, mailtest.Options{})
		tick := mailWorker(t, e, smtp)
		keyID := apitest.Str(t, e.Query(`{ apiKeys { id } }`, nil), "apiKeys", 0, "id")

		cus := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {name: "Ada King"}}) { customer { id } userErrors { code } } }`, map[string]any{"id": cus})
		gone := p.customer("Gone Soon", "gone@example.com", "EUR")
		e.Mutate("customerDelete", `mutation($id: ID!) { customerDelete(input: {id: $id}) { deletedId userErrors { code } } }`, map[string]any{"id": gone})
		card := p.card(cus, cardOK)
		spare := p.card(cus, cardOK)
		e.Mutate("paymentMethodDetach", `mutation($id: ID!) { paymentMethodDetach(input: {id: $id}) { paymentMethod { id } userErrors { code } } }`, map[string]any{"id": spare})

		draft := p.draft(cus, "EUR", "10.00", nil)
		e.Mutate("invoiceUpdate", `mutation($id: ID!) { invoiceUpdate(input: {id: $id, memo: "Thanks"}) { invoice { id } userErrors { code } } }`, map[string]any{"id": draft})
		e.Mutate("invoiceDelete", `mutation($id: ID!) { invoiceDelete(input: {id: $id}) { deletedId userErrors { code } } }`, map[string]any{"id": draft})

		paid := p.open(cus, "EUR", "100.00", map[string]any{"daysUntilDue": 30})
		e.Mutate("invoiceSend", `mutation($id: ID!) { invoiceSend(input: {id: $id}) { email { id } userErrors { code } } }`, map[string]any{"id": paid})
		p.payOK(paid, "", p.card(cus, cardDeclined))
		pending := p.open(cus, "EUR", "8.00", nil)
		p.payOK(pending, "", p.card(cus, card3DS))
		// A refund that succeeds, then fails (the worker learns it below);
		// its customer has no email, so that the emails below are the
		// invoices' only.
		quiet := p.customer("No Mail", "", "EUR")
		_, refunded := p.paidBy(quiet, "EUR", "9.00", p.card(quiet, cardRefundFails))
		refund := apitest.Str(t, p.refundOK(refunded, "3.00"), "refund", "id")
		disputedInv := p.open(quiet, "EUR", "4.00", nil)
		disputed := apitest.Str(t, p.payOK(disputedInv, "", p.card(quiet, cardOK)), "payment", "processorReference")
		p.payOK(paid, "40.00", card)
		p.payOK(paid, "", card)

		voided := p.open(cus, "EUR", "5.00", nil)
		e.Mutate("invoiceVoid", `mutation($id: ID!) { invoiceVoid(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": voided})
		bad := p.open(cus, "EUR", "6.00", nil)
		e.Mutate("invoiceMarkUncollectible", `mutation($id: ID!) { invoiceMarkUncollectible(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": bad})
		credited := p.open(cus, "EUR", "20.00", nil)
		cn := apitest.Str(t, e.Mutate("creditNoteCreate", `mutation($id: ID!) { creditNoteCreate(input: {invoice: $id, amount: "5.00", email: false}) { creditNote { id } userErrors { code } } }`,
			map[string]any{"id": credited}), "creditNote", "id")
		e.Mutate("creditNoteUpdate", `mutation($id: ID!) { creditNoteUpdate(input: {id: $id, memo: "Geste"}) { creditNote { id } userErrors { code } } }`, map[string]any{"id": cn})
		e.Mutate("creditNoteVoid", `mutation($id: ID!) { creditNoteVoid(input: {id: $id}) { creditNote { id } userErrors { code } } }`, map[string]any{"id": cn})

		// Bank transfers: one on the customer's reference (matched, the
		// money kept on its cash balance), one nobody can place (ignored).
		e.Mutate("testBankTransferReceive", `mutation($c: ID!) { testBankTransferReceive(input: {customer: $c, amount: "15.00", currency: "EUR"}) { bankTransfer { id } userErrors { code } } }`, map[string]any{"c": cus})
		stray := apitest.Str(t, e.Mutate("testBankTransferReceive", `mutation { testBankTransferReceive(input: {amount: "3.00", currency: "EUR", remittance: "?"}) { bankTransfer { id } userErrors { code } } }`, nil), "bankTransfer", "id")
		e.Mutate("bankTransferIgnore", `mutation($id: ID!) { bankTransferIgnore(input: {transfer: $id, note: "not ours"}) { bankTransfer { id } userErrors { code } } }`, map[string]any{"id": stray})

		// Delivery: the first send goes out, then the server refuses every
		// recipient for good.
		for tick() > 0 {
		}
		smtp.RejectRcpt(mailtest.Reply(550, [3]int{5, 1, 1}, "no such user"))
		late := p.open(cus, "EUR", "7.00", map[string]any{"daysUntilDue": 1})
		e.Mutate("invoiceSend", `mutation($id: ID!) { invoiceSend(input: {id: $id}) { email { id } userErrors { code } } }`, map[string]any{"id": late})
		for tick() > 0 {
		}

		// Due in five days: reminded three days before.
		reminded := p.open(cus, "EUR", "11.00", map[string]any{"daysUntilDue": 5})
		// A payment the customer schedules, then cancels.
		e.Mutate("accountCollectionSettingsUpdate", `mutation { accountCollectionSettingsUpdate(input: {settings: {scheduledPayments: true}}) { collectionSettings { scheduledPayments } userErrors { code } } }`, nil)
		as := viewer.NewContext(clock.WithContext(context.Background(), e.Clock), viewer.System(e.Account, viewer.Test, "test"))
		if _, _, err := e.Server.Billing().SchedulePayment(as, billing.ScheduleInput{InvoiceID: reminded, Date: e.Clock.Now().AddDate(0, 0, 4), PaymentMethodID: card, Source: payment.SourcePortal}); err != nil {
			t.Fatalf("schedule: %v", err)
		}
		if _, err := e.Server.Billing().CancelScheduledPayment(as, reminded); err != nil {
			t.Fatalf("cancel schedule: %v", err)
		}
		// The payer's bank disputes a payment, as a processor reports it
		// (Stripe's charge.dispute.created; the webhook is tested in
		// stripe_test.go).
		if out, err := e.Server.Billing().ApplyProcessorEvent(as, billing.ProcessorEvent{ID: "evt_dispute_1", Type: "charge.dispute.created",
			Dispute: &billing.DisputeOutcome{ChargeReference: disputed, Reference: "dp_1", Reason: "fraudulent", Status: "needs_response"}}); err != nil || out != billing.OutcomeApplied {
			t.Fatalf("dispute: %s, %v", out, err)
		}
		if out, err := e.Server.Billing().ApplyProcessorEvent(as, billing.ProcessorEvent{ID: "evt_dispute_2", Type: "charge.dispute.closed",
			Dispute: &billing.DisputeOutcome{ChargeReference: disputed, Reference: "dp_1", Reason: "fraudulent", Status: "won"}}); err != nil || out != billing.OutcomeApplied {
			t.Fatalf("dispute won: %s, %v", out, err)
		}

		// The scheduler: two days on, the last invoice is past due.
		e.Clock.Advance(48 * time.Hour)
		sched := clock.WithContext(context.Background(), e.Clock)
		if n, err := e.Server.Billing().MarkOverdue(sched, "", 100); err != nil || n != 1 {
			t.Fatalf("MarkOverdue: %d, %v; want the one invoice due in a day", n, err)
		}
		if n, err := e.Server.Billing().MarkOverdue(sched, "", 100); err != nil || n != 0 {
			t.Fatalf("MarkOverdue again: %d, %v; want none", n, err)
		}
		if n, err := e.Server.Billing().RunCollections(sched, "", 100); err != nil || n != 2 {
			t.Fatalf("RunCollections: %d, %v; want the reminders of the invoices due in one and five days", n, err)
		}
		if n, err := e.Server.Billing().SettleRefunds(sched, 100); err != nil || n != 1 {
			t.Fatalf("SettleRefunds: %d, %v; want the refund that fails", n, err)
		}

		// The scheduler: a default card expiring next month while an
		// automatic charge waits (not attempted: the card came after).
		expiring := p.customer("Card Expiring", "expiring@example.com", "EUR")
		p.open(expiring, "EUR", "12.00", map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"})
		expCard := apitest.Str(t, p.attach(expiring, map[string]any{"setDefault": true,
			"card": map[string]any{"number": cardOK, "expMonth": 2, "expYear": 2026, "cvc": "123"}}), "paymentMethod", "id")
		if n, err := e.Server.Billing().NotifyExpiringCards(sched, "", 100); err != nil || n != 1 {
			t.Fatalf("NotifyExpiringCards: %d, %v; want the one card", n, err)
		}

		evs := listEvents(t, e, e.Key, nil)
		seen := map[string]bool{}
		for _, ev := range evs {
			seen[ev.Type] = true
			if ev.DataVersion != events.DataVersion || ev.Data["id"] != ev.ObjectID {
				t.Errorf("%s %s: version %d, data id %v", ev.Type, ev.ObjectID, ev.DataVersion, ev.Data["id"])
			}
		}
		for _, typ := range events.Types {
			if !seen[string(typ)] {
				t.Errorf("no %s event", typ)
			}
		}

		// Snapshots: the object as the change left it.
		check := func(typ, id string, want map[string]any) apiEvent {
			t.Helper()
			ev, ok := lastOf(evs, typ, id)
			if !ok {
				t.Fatalf("no %s for %s", typ, id)
			}
			for k, v := range want {
				if got := ev.Data[k]; got != v {
					t.Errorf("%s %s: data.%s = %v, want %v", typ, id, k, got, v)
				}
			}
			return ev
		}
		fin := check("invoice.finalized", paid, map[string]any{"status": "OPEN", "amount_paid": 0.0, "amount_due": 10000.0, "currency": "EUR", "customer": cus})
		if fin.Data["number"] == nil || fin.ActorType != "API_KEY" || fin.ActorID != keyID || fin.RequestID == "" {
			t.Errorf("invoice.finalized: number %v, actor %s %s, request %q", fin.Data["number"], fin.ActorType, fin.ActorID, fin.RequestID)
		}
		check("invoice.updated", paid, map[string]any{"status": "OPEN", "amount_paid": 4000.0, "amount_remaining": 6000.0})
		check("invoice.paid", paid, map[string]any{"status": "PAID", "amount_paid": 10000.0, "amount_remaining": 0.0})
		check("invoice.payment_failed", paid, map[string]any{"status": "OPEN"})
		check("invoice.payment_action_required", pending, map[string]any{"status": "OPEN"})
		check("invoice.voided", voided, map[string]any{"status": "VOID"})
		check("invoice.marked_uncollectible", bad, map[string]any{"status": "UNCOLLECTIBLE"})
		check("invoice.deleted", draft, map[string]any{"status": "DRAFT"})
		check("invoice.updated", draft, map[string]any{"status": "DRAFT"})
		check("customer.updated", cus, map[string]any{"name": "Ada King"})
		check("customer.deleted", gone, map[string]any{"name": "Gone Soon"})
		check("payment_method.detached", spare, map[string]any{"customer": cus})
		if ev := check("payment_method.expiring", expCard, map[string]any{"customer": expiring, "last4": "4242", "exp_month": 2.0}); ev.ActorType != "SYSTEM" || ev.Data["expiry_notified_at"] == nil {
			t.Errorf("payment_method.expiring: actor %s, expiry_notified_at %v", ev.ActorType, ev.Data["expiry_notified_at"])
		}
		check("payment.failed", "", map[string]any{"status": "FAILED", "invoice": paid})
		check("payment.succeeded", "", map[string]any{"status": "SUCCEEDED", "invoice": paid})
		check("refund.created", refund, map[string]any{"status": "PENDING", "payment": refunded, "amount": 300.0, "currency": "EUR"})
		check("refund.succeeded", refund, map[string]any{"status": "SUCCEEDED", "payment": refunded})
		if failed := check("refund.failed", refund, map[string]any{"status": "FAILED", "payment": refunded}); failed.ActorType != "SYSTEM" || failed.Data["failure_code"] == "" {
			t.Errorf("refund.failed: actor %s, failure %v", failed.ActorType, failed.Data["failure_code"])
		}
		overdue := check("invoice.overdue", late, map[string]any{"status": "OPEN"})
		if overdue.ActorType != "SYSTEM" || overdue.Data["overdue_at"] == nil || overdue.RequestID != "" {
			t.Errorf("invoice.overdue: actor %s, overdue_at %v, request %q", overdue.ActorType, overdue.Data["overdue_at"], overdue.RequestID)
		}
		sent := check("email.sent", "", map[string]any{"status": "SENT", "invoice": paid})
		if sent.ActorType != "SYSTEM" {
			t.Errorf("email.sent actor %s", sent.ActorType)
		}
		check("email.failed", "", map[string]any{"status": "FAILED", "invoice": late})
		check("credit_note.created", cn, map[string]any{"status": "ISSUED", "type": "PRE_PAYMENT", "invoice": credited, "customer": cus, "total": 500.0, "pre_payment_amount": 500.0})
		check("credit_note.updated", cn, map[string]any{"status": "ISSUED", "memo": "Geste"})
		check("credit_note.voided", cn, map[string]any{"status": "VOID"})

		// The latest snapshot of an invoice is what reading it says.
		inv := p.invoice(paid)
		last := evs[0]
		for _, ev := range evs {
			if ev.ObjectID == paid {
				last = ev
			}
		}
		same := func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
		if last.Data["status"] != inv["status"] || !same(last.Data["amount_paid"], apitest.Get(t, inv, "amountPaid", "minorUnits")) ||
			!same(last.Data["amount_remaining"], apitest.Get(t, inv, "amountRemaining", "minorUnits")) {
			t.Errorf("last event of %s: %v, the invoice reads %v", paid, last.Data, inv)
		}
		// History and events say the same steps.
		var fromEvents []string
		for _, ev := range evs {
			if ev.ObjectID == paid && ev.ObjectType == "invoice" {
				fromEvents = append(fromEvents, ev.Type)
			}
		}
		want := []string{"invoice.created", "invoice.finalized", "invoice.sent", "invoice.payment_failed",
			"invoice.updated", "invoice.paid"}
		if !slices.Equal(fromEvents, want) {
			t.Errorf("events of %s: %v, want %v", paid, fromEvents, want)
		}

		// Filters, node, isolation.
		only := listEvents(t, e, e.Key, map[string]any{"types": []string{"invoice.paid", "invoice.voided"}})
		if len(only) != 4 { // paid, refunded, disputed, voided
			t.Errorf("filtered by type: %d events, want 4", len(only))
		}
		byObject := listEvents(t, e, e.Key, map[string]any{"objectId": voided})
		if len(byObject) != 3 { // created, finalized, voided
			t.Errorf("filtered by object: %v", byObject)
		}
		res := e.Do(apitest.Request{Query: `{ events(first: 10, filter: {types: ["invoice.payed"]}) { totalCount } }`})
		if !hasCode(res, "INVALID") {
			t.Errorf("unknown type: %s", res.RawBody)
		}
		node := e.Query(`query($id: ID!) { node(id: $id) { ... on Event { id type } } }`, map[string]any{"id": fin.ID})
		if apitest.Str(t, node, "node", "type") != "invoice.finalized" {
			t.Errorf("node: %v", node)
		}
		_, keyB := e.NewAccount("Other", viewer.Test)
		liveKey := e.NewKey(e.Account, viewer.Live)
		for _, key := range []string{keyB, liveKey} {
			if got := listEvents(t, e, key, nil); len(got) != 0 {
				t.Errorf("another account or mode sees %d events", len(got))
			}
			res := e.Do(apitest.Request{Key: key, Query: `query($id: ID!) { node(id: $id) { id } }`, Variables: map[string]any{"id": fin.ID}})
			if res.Data["node"] != nil {
				t.Errorf("another account or mode reads %s", fin.ID)
			}
		}

		// A refused mutation records nothing.
		before := len(evs)
		e.MutateErr("invoiceVoid", `mutation($id: ID!) { invoiceVoid(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": paid})
		e.MutateErr("customerCreate", `mutation { customerCreate(input: {customer: {email: "not an email"}}) { customer { id } userErrors { code } } }`, nil)
		e.MutateErr("creditNoteCreate", `mutation($id: ID!) { creditNoteCreate(input: {invoice: $id, amount: "1.00"}) { creditNote { id } userErrors { code } } }`, map[string]any{"id": paid})
		e.MutateErr("creditNoteVoid", `mutation($id: ID!) { creditNoteVoid(input: {id: $id}) { creditNote { id } userErrors { code } } }`, map[string]any{"id": cn})
		p.pay(paid, "1.00", card)
		if after := listEvents(t, e, e.Key, nil); len(after) != before {
			raw, _ := json.Marshal(after[before:])
			t.Errorf("refused mutations recorded %d events: %s", len(after)-before, raw)
		}
	})
}
