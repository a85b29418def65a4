package servertest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

// GraphQL documents of the payment tests: one selection of an invoice and
// one of a payment, shared by every query so that "nothing changed" can be
// checked by comparing two reads.
const (
	payMethodFields  = `id type brand last4 expMonth expYear isDefault`
	payPaymentFields = `id status amount { minorUnits currency } methodType source failureCode failureMessage processorReference settlesAt succeededAt failedAt paymentMethod { id }`
	payInvoiceFields = `id status standing availableActions collectionMethod currency dueDate finalizedAt
		amountDue { minorUnits } amountPaid { minorUnits } amountRemaining { minorUnits } amountPending { minorUnits }
		acceptedPaymentMethodTypes
		amountsDue { amount { minorUnits } daysUntilDue dueDate description amountPaid { minorUnits } status }
		payments { ` + payPaymentFields + ` }
		history { action note }
		emails { kind }`

	payInvoiceQuery    = `query($id: ID!) { invoice(id: $id) { ` + payInvoiceFields + ` } }`
	payCustomerQuery   = `query($id: ID!) { customer(id: $id) { paymentMethods { ` + payMethodFields + ` } defaultPaymentMethod { id } } }`
	payPaymentsCount   = `query($id: ID) { payments(first: 100, invoice: $id) { totalCount } }`
	payInvoiceCount    = `query { invoices(first: 1) { totalCount } }`
	payMutation        = `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { invoice { ` + payInvoiceFields + ` } payment { ` + payPaymentFields + ` } userErrors { field code message } } }`
	payConfirmMutation = `mutation($in: PaymentConfirmInput!) { paymentConfirm(input: $in) { invoice { ` + payInvoiceFields + ` } payment { ` + payPaymentFields + ` } userErrors { field code message } } }`
	payAttachMutation  = `mutation($in: PaymentMethodAttachInput!) { paymentMethodAttach(input: $in) { paymentMethod { ` + payMethodFields + ` } userErrors { field code message } } }`
	payDetachMutation  = `mutation($in: PaymentMethodDetachInput!) { paymentMethodDetach(input: $in) { paymentMethod { id } userErrors { field code message } } }`
	paySetDefault      = `mutation($in: CustomerSetDefaultPaymentMethodInput!) { customerSetDefaultPaymentMethod(input: $in) { customer { defaultPaymentMethod { id } } userErrors { field code message } } }`
	payCreateMutation  = `mutation($in: InvoiceCreateInput!) { invoiceCreate(input: $in) { invoice { ` + payInvoiceFields + ` } userErrors { field code message } } }`
	payUpdateMutation  = `mutation($in: InvoiceUpdateInput!) { invoiceUpdate(input: $in) { invoice { ` + payInvoiceFields + ` } userErrors { field code message } } }`
	payFinalize        = `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: false}) { invoice { ` + payInvoiceFields + ` } userErrors { field code message } } }`
	payVoid            = `mutation($id: ID!) { invoiceVoid(input: {id: $id}) { invoice { id status } userErrors { field code message } } }`
	payRevise          = `mutation($id: ID!) { invoiceRevise(input: {id: $id}) { invoice { id status fromInvoice { id } } userErrors { field code message } } }`
	payUncollectible   = `mutation($id: ID!) { invoiceMarkUncollectible(input: {id: $id}) { invoice { id status } userErrors { field code message } } }`
	payMarkPaid        = `mutation($id: ID!) { invoiceMarkPaid(input: {id: $id, method: "bank_transfer", reference: "VIR-42"}) { invoice { ` + payInvoiceFields + ` } userErrors { field code message } } }`
)

// Test payment details (internal/payments/simulator.go).
const (
	cardOK        = "4242424242424242"
	cardDeclined  = "4000000000000002"
	cardNSF       = "4000000000009995"
	cardChargeErr = "4000000000000341"
	card3DS       = "4000002500003155"
	ibanOK        = "DE89370400440532013000"
	ibanNSF       = "AT861904300235473202"
)

// payT drives the payment API of one server as one key (the Env's test key
// unless key is set).
type payT struct {
	t   *testing.T
	e   *apitest.Env
	key string
}

func newPayT(t *testing.T, e *apitest.Env) *payT { return &payT{t: t, e: e} }

// query runs a document and fails on any top-level error.
func (p *payT) query(q string, vars map[string]any) map[string]any {
	p.t.Helper()
	return p.keyed(q, vars, "")
}

// keyed is query with an Idempotency-Key header (none when idem is empty).
func (p *payT) keyed(q string, vars map[string]any, idem string) map[string]any {
	p.t.Helper()
	req := apitest.Request{Query: q, Variables: vars, Key: p.key}
	if idem != "" {
		req.Headers = map[string]string{"Idempotency-Key": idem}
	}
	res := p.e.Do(req)
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		p.t.Fatalf("request failed (status %d): %s", res.Status, truncate(res.RawBody))
	}
	return res.Data
}

// payload returns data[field] of a mutation, userErrors and all.
func (p *payT) payload(field, q string, vars map[string]any, idem string) map[string]any {
	p.t.Helper()
	data := p.keyed(q, vars, idem)
	pl, ok := data[field].(map[string]any)
	if !ok {
		p.t.Fatalf("no payload %q in %v", field, data)
	}
	return pl
}

// must is payload for a mutation that has to succeed.
func (p *payT) must(field, q string, vars map[string]any) map[string]any {
	p.t.Helper()
	pl := p.payload(field, q, vars, "")
	if ue := pl["userErrors"].([]any); len(ue) > 0 {
		p.t.Fatalf("%s: unexpected userErrors: %v", field, ue)
	}
	return pl
}

// refused asserts that a payload carries exactly the userError code want.
func (p *payT) refused(what string, pl map[string]any, want string) {
	p.t.Helper()
	codes := apitest.ErrorCodes(p.t, pl)
	if len(codes) != 1 || codes[0] != want {
		p.t.Errorf("%s: userErrors %v, want [%s] (payload %v)", what, codes, want, pl)
	}
}

// refusedAny asserts that a payload carries at least one userError.
func (p *payT) refusedAny(what string, pl map[string]any) {
	p.t.Helper()
	if len(apitest.ErrorCodes(p.t, pl)) == 0 {
		p.t.Errorf("%s: accepted: %v", what, pl)
	}
}

func (p *payT) customer(name, email, currency string) string {
	p.t.Helper()
	in := map[string]any{"name": name}
	if email != "" {
		in["email"] = email
	}
	if currency != "" {
		in["currency"] = currency
	}
	pl := p.must("customerCreate", `mutation($in: CustomerCreateInput!) { customerCreate(input: $in) { customer { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"customer": in}})
	return apitest.Str(p.t, pl, "customer", "id")
}

func testCard(number string) map[string]any {
	return map[string]any{"number": number, "expMonth": 12, "expYear": 2030, "cvc": "123"}
}

// attach saves a payment method (card or sepaDebit given in method) and
// returns the payload.
func (p *payT) attach(cus string, method map[string]any) map[string]any {
	p.t.Helper()
	in := map[string]any{"customer": cus}
	for k, v := range method {
		in[k] = v
	}
	return p.payload("paymentMethodAttach", payAttachMutation, map[string]any{"in": in}, "")
}

// card attaches a test card and returns its id.
func (p *payT) card(cus, number string) string {
	p.t.Helper()
	pl := p.attach(cus, map[string]any{"card": testCard(number)})
	if ue := pl["userErrors"].([]any); len(ue) > 0 {
		p.t.Fatalf("attach card %s: %v", number, ue)
	}
	return apitest.Str(p.t, pl, "paymentMethod", "id")
}

// sepa attaches a SEPA Direct Debit mandate and returns its id.
func (p *payT) sepa(cus, iban string) string {
	p.t.Helper()
	pl := p.attach(cus, map[string]any{"sepaDebit": map[string]any{"iban": iban, "accountHolder": "Jenny Rosen"}})
	if ue := pl["userErrors"].([]any); len(ue) > 0 {
		p.t.Fatalf("attach IBAN %s: %v", iban, ue)
	}
	return apitest.Str(p.t, pl, "paymentMethod", "id")
}

// draftInput is the input of a one-line draft of amount (major units).
func draftInput(cus, currency, amount string, extra map[string]any) map[string]any {
	in := map[string]any{
		"customer": cus,
		"currency": currency,
		"lines":    []any{map[string]any{"description": "Consulting", "unitAmount": amount}},
	}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

// draft creates a one-line draft and returns its id.
func (p *payT) draft(cus, currency, amount string, extra map[string]any) string {
	p.t.Helper()
	pl := p.must("invoiceCreate", payCreateMutation, map[string]any{"in": draftInput(cus, currency, amount, extra)})
	return apitest.Str(p.t, pl, "invoice", "id")
}

// finalize issues a draft without emailing it and returns the invoice.
func (p *payT) finalize(id string) map[string]any {
	p.t.Helper()
	return p.must("invoiceFinalize", payFinalize, map[string]any{"id": id})["invoice"].(map[string]any)
}

// open creates and finalizes a one-line invoice and returns its id.
func (p *payT) open(cus, currency, amount string, extra map[string]any) string {
	p.t.Helper()
	id := p.draft(cus, currency, amount, extra)
	p.finalize(id)
	return id
}

func (p *payT) invoice(id string) map[string]any {
	p.t.Helper()
	inv, ok := p.query(payInvoiceQuery, map[string]any{"id": id})["invoice"].(map[string]any)
	if !ok {
		p.t.Fatalf("invoice %s not found", id)
	}
	return inv
}

func (p *payT) paymentsCount(invoiceID string) int {
	p.t.Helper()
	var vars map[string]any
	if invoiceID != "" {
		vars = map[string]any{"id": invoiceID}
	}
	return int(apitest.Get(p.t, p.query(payPaymentsCount, vars), "payments", "totalCount").(float64))
}

// pay runs invoicePay with a fresh Idempotency-Key. amount and method may
// be empty.
func (p *payT) pay(id, amount, method string) map[string]any {
	p.t.Helper()
	return p.payKeyed(id, amount, method, newIdemKey())
}

func (p *payT) payKeyed(id, amount, method, key string) map[string]any {
	p.t.Helper()
	return p.payload("invoicePay", payMutation, map[string]any{"in": payInput(id, amount, method)}, key)
}

func payInput(id, amount, method string) map[string]any {
	in := map[string]any{"id": id}
	if amount != "" {
		in["amount"] = amount
	}
	if method != "" {
		in["paymentMethod"] = method
	}
	return in
}

// payOK is pay for an attempt that must be made (whatever its outcome).
func (p *payT) payOK(id, amount, method string) map[string]any {
	p.t.Helper()
	pl := p.pay(id, amount, method)
	if ue := pl["userErrors"].([]any); len(ue) > 0 {
		p.t.Fatalf("invoicePay %s: unexpected userErrors: %v", id, ue)
	}
	return pl
}

func newIdemKey() string { return "pay-" + rand.Text() }

// minor reads the minorUnits of a Money at path.
func minor(t testing.TB, v any, path ...any) string {
	t.Helper()
	return apitest.Str(t, v, append(path, "minorUnits")...)
}

// strs reads a list of strings.
func strs(t testing.TB, v any, path ...any) []string {
	t.Helper()
	var out []string
	for _, s := range apitest.Get(t, v, path...).([]any) {
		out = append(out, s.(string))
	}
	return out
}

// actionsOf lists the history actions of an invoice.
func actionsOf(t testing.TB, inv map[string]any) []string {
	t.Helper()
	var out []string
	for _, h := range apitest.Get(t, inv, "history").([]any) {
		out = append(out, h.(map[string]any)["action"].(string))
	}
	return out
}

// historyNote returns the note of the last step of action, if any.
func historyNote(t testing.TB, inv map[string]any, action string) (string, bool) {
	t.Helper()
	note, found := "", false
	for _, h := range apitest.Get(t, inv, "history").([]any) {
		if m := h.(map[string]any); m["action"] == action {
			note, found = m["note"].(string), true
		}
	}
	return note, found
}

func emailKinds(t testing.TB, inv map[string]any) []string {
	t.Helper()
	var out []string
	for _, m := range apitest.Get(t, inv, "emails").([]any) {
		out = append(out, m.(map[string]any)["kind"].(string))
	}
	return out
}

func parseTime(t testing.TB, v any, path ...any) time.Time {
	t.Helper()
	s := apitest.Str(t, v, path...)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("path %v: %v", path, err)
	}
	return at
}

// expectMoney compares the minorUnits of named Money fields of inv.
func expectMoney(t testing.TB, what string, inv map[string]any, want map[string]string) {
	t.Helper()
	for field, w := range want {
		if got := minor(t, inv, field); got != w {
			t.Errorf("%s: %s = %s minor units, want %s", what, field, got, w)
		}
	}
}

// unchanged fails when an invoice read now differs from before.
func (p *payT) unchanged(what, id string, before map[string]any) {
	p.t.Helper()
	if after := p.invoice(id); canon(p.t, after) != canon(p.t, before) {
		p.t.Errorf("%s changed the invoice:\nbefore %s\nafter  %s", what, canon(p.t, before), canon(p.t, after))
	}
}

// TestTestCards pays invoices with Stripe's test cards and checks what the
// merchant sees: a successful card pays the invoice; a decline is not a
// user error but a FAILED payment that leaves the invoice open and owing
// everything, recorded in its history and emailed to the customer; a 3-D
// Secure card waits for authentication with the amount reserved, and
// either outcome of the challenge is applied.
func TestTestCards(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")

	for _, c := range []struct {
		name, number  string
		status        string
		failureCode   string
		failureDetail string // expected in failureCode or failureMessage, lower case
	}{
		{"success", cardOK, "SUCCEEDED", "", ""},
		{"declined", cardDeclined, "FAILED", "card_declined", "declined"},
		{"insufficient funds", cardNSF, "FAILED", "card_declined", "insufficient funds"},
		{"charge fails after attach", cardChargeErr, "FAILED", "card_declined", "declined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPayT(t, e)
			cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
			// Every test card attaches: the outcome is only known when charging.
			pm := p.card(cus, c.number)
			id := p.open(cus, "USD", "120.00", nil)

			pl := p.payOK(id, "", pm)
			pay, inv := pl["payment"], pl["invoice"].(map[string]any)
			if s := apitest.Str(t, pay, "status"); s != c.status {
				t.Fatalf("payment status %s, want %s: %v", s, c.status, pay)
			}
			if got := minor(t, pay, "amount"); got != "12000" {
				t.Errorf("payment amount %s, want 12000", got)
			}
			if apitest.Str(t, pay, "methodType") != "CARD" || apitest.Str(t, pay, "source") != "API" || apitest.Str(t, pay, "paymentMethod", "id") != pm {
				t.Errorf("payment %v", pay)
			}
			inv = p.invoice(id) // as read afterwards, not only as returned
			if c.status == "SUCCEEDED" {
				if apitest.Str(t, inv, "status") != "PAID" || apitest.Str(t, inv, "standing") != "PAID" {
					t.Errorf("invoice %s/%s, want PAID", inv["status"], inv["standing"])
				}
				expectMoney(t, "paid", inv, map[string]string{"amountPaid": "12000", "amountRemaining": "0", "amountPending": "0"})
				if apitest.Get(t, pay, "succeededAt") == nil || apitest.Str(t, pay, "failureCode") != "" {
					t.Errorf("succeeded payment %v", pay)
				}
				if slices.Contains(emailKinds(t, inv), "payment_failed") {
					t.Errorf("payment_failed email for a success")
				}
				return
			}

			if got := apitest.Str(t, pay, "failureCode"); got != c.failureCode {
				t.Errorf("failureCode %q, want %q", got, c.failureCode)
			}
			detail := strings.ToLower(apitest.Str(t, pay, "failureCode") + " " + apitest.Str(t, pay, "failureMessage"))
			if !strings.Contains(strings.ReplaceAll(detail, "_", " "), c.failureDetail) {
				t.Errorf("failure %q does not say %q", detail, c.failureDetail)
			}
			if apitest.Get(t, pay, "failedAt") == nil {
				t.Errorf("failed payment without failedAt: %v", pay)
			}
			if apitest.Str(t, inv, "status") != "OPEN" || apitest.Str(t, inv, "standing") != "OPEN" {
				t.Errorf("invoice %s/%s after a decline, want OPEN", inv["status"], inv["standing"])
			}
			expectMoney(t, "declined", inv, map[string]string{"amountPaid": "0", "amountRemaining": "12000", "amountPending": "0"})
			if note, ok := historyNote(t, inv, "payment_failed"); !ok || !strings.Contains(note, "failed") {
				t.Errorf("history %v lacks a payment_failed step (note %q)", actionsOf(t, inv), note)
			}
			if kinds := emailKinds(t, inv); !slices.Contains(kinds, "payment_failed") {
				t.Errorf("emails %v lack payment_failed", kinds)
			}

			// The customer can then pay with another card.
			good := p.card(cus, cardOK)
			again := p.payOK(id, "", good)
			if apitest.Str(t, again, "payment", "status") != "SUCCEEDED" || apitest.Str(t, again, "invoice", "status") != "PAID" {
				t.Errorf("retry with a good card: %v", again["payment"])
			}
			if n := len(apitest.Get(t, p.invoice(id), "payments").([]any)); n != 2 {
				t.Errorf("%d payments, want the failed one and the good one", n)
			}
		})
	}

	t.Run("3-D Secure", func(t *testing.T) {
		p := newPayT(t, e)
		cus := p.customer("Ada Lovelace", "ada@example.com", "USD")
		pm := p.card(cus, card3DS)

		// Authenticated: the payment completes and pays the invoice.
		id := p.open(cus, "USD", "80.00", nil)
		pl := p.payOK(id, "", pm)
		payID := apitest.Str(t, pl, "payment", "id")
		if s := apitest.Str(t, pl, "payment", "status"); s != "REQUIRES_ACTION" {
			t.Fatalf("3DS payment %s, want REQUIRES_ACTION", s)
		}
		inv := p.invoice(id)
		if apitest.Str(t, inv, "status") != "OPEN" {
			t.Errorf("invoice %s while awaiting authentication", inv["status"])
		}
		expectMoney(t, "awaiting authentication", inv, map[string]string{"amountPaid": "0", "amountPending": "8000"})
		conf := p.payload("paymentConfirm", payConfirmMutation, map[string]any{"in": map[string]any{"id": payID, "authenticated": true}}, "")
		if ue := apitest.ErrorCodes(t, conf); len(ue) > 0 {
			t.Fatalf("paymentConfirm: %v", ue)
		}
		if apitest.Str(t, conf, "payment", "status") != "SUCCEEDED" || apitest.Str(t, conf, "payment", "id") != payID {
			t.Errorf("confirmed payment %v", conf["payment"])
		}
		inv = p.invoice(id)
		if apitest.Str(t, inv, "status") != "PAID" {
			t.Errorf("invoice %s after authentication, want PAID", inv["status"])
		}
		expectMoney(t, "authenticated", inv, map[string]string{"amountPaid": "8000", "amountRemaining": "0", "amountPending": "0"})
		// A payment is confirmed once.
		twice := p.payload("paymentConfirm", payConfirmMutation, map[string]any{"in": map[string]any{"id": payID, "authenticated": true}}, "")
		p.refused("confirming twice", twice, "INVALID_TRANSITION")

		// Not authenticated: the payment fails and the reservation is released.
		id2 := p.open(cus, "USD", "80.00", nil)
		pl = p.payOK(id2, "", pm)
		payID = apitest.Str(t, pl, "payment", "id")
		conf = p.payload("paymentConfirm", payConfirmMutation, map[string]any{"in": map[string]any{"id": payID, "authenticated": false}}, "")
		if ue := apitest.ErrorCodes(t, conf); len(ue) > 0 {
			t.Fatalf("paymentConfirm: %v", ue)
		}
		if apitest.Str(t, conf, "payment", "status") != "FAILED" || apitest.Str(t, conf, "payment", "failureCode") == "" {
			t.Errorf("failed authentication: payment %v", conf["payment"])
		}
		inv = p.invoice(id2)
		if apitest.Str(t, inv, "status") != "OPEN" {
			t.Errorf("invoice %s after failed authentication, want OPEN", inv["status"])
		}
		expectMoney(t, "failed authentication", inv, map[string]string{"amountPaid": "0", "amountRemaining": "8000", "amountPending": "0"})
		if _, ok := historyNote(t, inv, "payment_failed"); !ok {
			t.Errorf("history %v lacks payment_failed", actionsOf(t, inv))
		}
	})
}

// TestPaymentMethodValidation saves cards the way a merchant's form does:
// bad numbers and expired cards are refused with precise codes and nothing
// saved; the first method becomes the default, setDefault moves it,
// detaching the default leaves none, and customerSetDefaultPaymentMethod
// picks one of the customer's attached methods only.
func TestPaymentMethodValidation(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := p.customer("Jenny Rosen", "jenny@example.com", "")
	read := func() map[string]any {
		t.Helper()
		return p.query(payCustomerQuery, map[string]any{"id": cus})["customer"].(map[string]any)
	}
	empty := read()
	if len(empty["paymentMethods"].([]any)) != 0 || empty["defaultPaymentMethod"] != nil {
		t.Fatalf("new customer has methods: %v", empty)
	}

	for _, c := range []struct {
		name   string
		method map[string]any
		code   string
	}{
		{"Luhn", map[string]any{"card": testCard("4242424242424241")}, "INVALID_CARD_NUMBER"},
		{"expired", map[string]any{"card": map[string]any{"number": cardOK, "expMonth": 12, "expYear": 2025, "cvc": "123"}}, "EXPIRED_CARD"},
		{"card and debit", map[string]any{"card": testCard(cardOK), "sepaDebit": map[string]any{"iban": ibanOK, "accountHolder": "Jenny Rosen"}}, ""},
		{"nothing", map[string]any{}, ""},
	} {
		pl := p.attach(cus, c.method)
		if c.code == "" {
			p.refusedAny(c.name, pl)
		} else {
			p.refused(c.name, pl, c.code)
		}
		if pl["paymentMethod"] != nil {
			t.Errorf("%s: refused attach returned a method: %v", c.name, pl["paymentMethod"])
		}
	}
	if after := read(); canon(t, after) != canon(t, empty) {
		t.Fatalf("refused attaches wrote: %v", after)
	}

	// The first method is the default, without asking.
	first := p.attach(cus, map[string]any{"card": testCard("4242 4242 4242 4242")})
	if ue := apitest.ErrorCodes(t, first); len(ue) > 0 {
		t.Fatalf("attach: %v", ue)
	}
	pm1 := apitest.Str(t, first, "paymentMethod", "id")
	if m := first["paymentMethod"].(map[string]any); m["isDefault"] != true || m["brand"] != "visa" || m["last4"] != "4242" || m["type"] != "CARD" || m["expYear"] != float64(2030) {
		t.Errorf("first method %v", m)
	}
	// A second one is not, unless asked.
	pm2 := p.card(cus, "5555555555554444")
	c := read()
	if apitest.Str(t, c, "defaultPaymentMethod", "id") != pm1 {
		t.Errorf("default %v, want the first card", c["defaultPaymentMethod"])
	}
	pm3pl := p.attach(cus, map[string]any{"card": testCard("4000056655665556"), "setDefault": true})
	if ue := apitest.ErrorCodes(t, pm3pl); len(ue) > 0 {
		t.Fatalf("attach: %v", ue)
	}
	pm3 := apitest.Str(t, pm3pl, "paymentMethod", "id")
	c = read()
	if apitest.Str(t, c, "defaultPaymentMethod", "id") != pm3 {
		t.Errorf("default %v, want the card attached with setDefault", c["defaultPaymentMethod"])
	}
	methods := c["paymentMethods"].([]any)
	if len(methods) != 3 {
		t.Fatalf("%d methods, want 3", len(methods))
	}
	defaults := 0
	for _, m := range methods {
		m := m.(map[string]any)
		if m["isDefault"] == true {
			defaults++
			if m["id"] != pm3 {
				t.Errorf("method %v marked default", m["id"])
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d methods marked default", defaults)
	}

	// Detaching the default leaves the customer without one.
	p.must("paymentMethodDetach", payDetachMutation, map[string]any{"in": map[string]any{"id": pm3}})
	c = read()
	if c["defaultPaymentMethod"] != nil {
		t.Errorf("default after detaching it: %v", c["defaultPaymentMethod"])
	}
	if n := len(c["paymentMethods"].([]any)); n != 2 {
		t.Errorf("%d methods after detach, want 2", n)
	}

	// customerSetDefaultPaymentMethod picks an attached method, only.
	set := p.must("customerSetDefaultPaymentMethod", paySetDefault, map[string]any{"in": map[string]any{"customer": cus, "paymentMethod": pm2}})
	if apitest.Str(t, set, "customer", "defaultPaymentMethod", "id") != pm2 {
		t.Errorf("set default: %v", set)
	}
	before := read()
	p.refused("detached method as default", p.payload("customerSetDefaultPaymentMethod", paySetDefault, map[string]any{"in": map[string]any{"customer": cus, "paymentMethod": pm3}}, ""), "NOT_FOUND")
	other := p.customer("Other", "", "")
	otherPM := p.card(other, cardOK)
	p.refused("another customer's method as default", p.payload("customerSetDefaultPaymentMethod", paySetDefault, map[string]any{"in": map[string]any{"customer": cus, "paymentMethod": otherPM}}, ""), "NOT_FOUND")
	if after := read(); canon(t, after) != canon(t, before) {
		t.Errorf("refused default change wrote: %v", after)
	}
}

// TestPartialPayments pays an invoice in two parts: the invoice shows
// what is paid and what remains and reads PARTIALLY_PAID; an amount above
// what remains, zero or negative is refused with nothing written; money
// received forbids voiding and revising; paying the rest makes it PAID.
func TestPartialPayments(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
	pm := p.card(cus, cardOK)
	id := p.open(cus, "USD", "5000.00", nil)

	pl := p.payOK(id, "2000.00", pm)
	if apitest.Str(t, pl, "payment", "status") != "SUCCEEDED" || minor(t, pl, "payment", "amount") != "200000" {
		t.Fatalf("partial payment %v", pl["payment"])
	}
	inv := p.invoice(id)
	expectMoney(t, "after 2000.00", inv, map[string]string{"amountDue": "500000", "amountPaid": "200000", "amountRemaining": "300000", "amountPending": "0"})
	if apitest.Str(t, inv, "status") != "OPEN" || apitest.Str(t, inv, "standing") != "PARTIALLY_PAID" {
		t.Errorf("invoice %s/%s, want OPEN/PARTIALLY_PAID", inv["status"], inv["standing"])
	}
	if note, ok := historyNote(t, inv, "payment"); !ok || !strings.Contains(note, "3000.00") {
		t.Errorf("payment step note %q should say what remains", note)
	}

	for _, c := range []struct{ amount, code string }{
		{"3000.01", "AMOUNT_EXCEEDS_REMAINING"},
		{"0", ""},
		{"-5", ""},
		{"0.001", ""},
	} {
		res := p.pay(id, c.amount, pm)
		if c.code != "" {
			p.refused("amount "+c.amount, res, c.code)
		} else {
			p.refusedAny("amount "+c.amount, res)
		}
		if res["payment"] != nil {
			t.Errorf("amount %s: refused payment returned %v", c.amount, res["payment"])
		}
	}
	p.unchanged("refused payments", id, inv)

	// Money received: no voiding, no revising (it would need a refund).
	acts := strs(t, inv, "availableActions")
	for _, a := range []string{"VOID", "REVISE"} {
		if slices.Contains(acts, a) {
			t.Errorf("availableActions %v offer %s after a payment", acts, a)
		}
	}
	if !slices.Contains(acts, "PAY") || !slices.Contains(acts, "MARK_PAID") {
		t.Errorf("availableActions %v, want PAY and MARK_PAID", acts)
	}
	p.refused("void after payment", p.payload("invoiceVoid", payVoid, map[string]any{"id": id}, ""), "HAS_PAYMENTS")
	p.refused("revise after payment", p.payload("invoiceRevise", payRevise, map[string]any{"id": id}, ""), "HAS_PAYMENTS")
	p.unchanged("refused void and revise", id, inv)

	// The rest, without an amount.
	pl = p.payOK(id, "", pm)
	if minor(t, pl, "payment", "amount") != "300000" || apitest.Str(t, pl, "payment", "status") != "SUCCEEDED" {
		t.Errorf("paying the rest: %v", pl["payment"])
	}
	inv = p.invoice(id)
	if apitest.Str(t, inv, "status") != "PAID" || apitest.Str(t, inv, "standing") != "PAID" {
		t.Errorf("invoice %s/%s, want PAID", inv["status"], inv["standing"])
	}
	expectMoney(t, "paid", inv, map[string]string{"amountPaid": "500000", "amountRemaining": "0", "amountPending": "0"})
	if n := len(inv["payments"].([]any)); n != 2 {
		t.Errorf("%d payments, want 2", n)
	}
}

// planInput is a payment plan of installments given as (amount, days).
func planInput(parts ...any) []any {
	var out []any
	for i := 0; i < len(parts); i += 2 {
		out = append(out, map[string]any{"amount": parts[i], "daysUntilDue": parts[i+1]})
	}
	return out
}

// TestPaymentPlanSeed follows the seed "payment plans": installments are
// scheduled at finalization, payments settle them in due order, a missed
// installment makes the invoice overdue; once money came in, the invoice
// can no longer be voided, revised or marked uncollectible, only marked
// paid as a whole; plans that do not add up or cannot be collected are
// refused with nothing written, and drafts' plans can be edited.
func TestPaymentPlanSeed(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour

	t.Run("three installments", func(t *testing.T) {
		t.Parallel()
		e := apitest.Start(t, "sqlite3")
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		pm := p.card(cus, cardOK)
		id := p.draft(cus, "USD", "6000.00", map[string]any{"collectionMethod": "SEND_INVOICE", "amountsDue": planInput("2000.00", 30, "2000.00", 60, "2000.00", 90)})
		draft := p.invoice(id)
		plan := draft["amountsDue"].([]any)
		if len(plan) != 3 {
			t.Fatalf("draft plan %v", plan)
		}
		for i, it := range plan {
			if apitest.Get(t, it, "daysUntilDue") != float64(30*(i+1)) || minor(t, it, "amount") != "200000" || apitest.Str(t, it, "status") != "OPEN" {
				t.Errorf("draft installment %d: %v", i, it)
			}
		}

		t0 := e.Clock.Now()
		inv := p.finalize(id)
		for i, it := range inv["amountsDue"].([]any) {
			want := t0.AddDate(0, 0, 30*(i+1))
			if got := parseTime(t, it, "dueDate"); !got.Equal(want) {
				t.Errorf("installment %d due %s, want %s", i, got, want)
			}
		}
		if got := parseTime(t, inv, "dueDate"); !got.Equal(t0.AddDate(0, 0, 90)) {
			t.Errorf("invoice due %s, want the last installment's", got)
		}
		if apitest.Str(t, inv, "standing") != "OPEN" {
			t.Errorf("standing %s, want OPEN", inv["standing"])
		}

		// No amount: the next installment.
		pl := p.payOK(id, "", pm)
		if minor(t, pl, "payment", "amount") != "200000" {
			t.Errorf("paid %s, want the first installment", minor(t, pl, "payment", "amount"))
		}
		inv = p.invoice(id)
		if apitest.Str(t, inv, "standing") != "PARTIALLY_PAID" || apitest.Str(t, inv, "status") != "OPEN" {
			t.Errorf("after the first installment: %s/%s", inv["status"], inv["standing"])
		}
		for i, want := range []string{"PAID", "OPEN", "OPEN"} {
			if got := apitest.Str(t, inv, "amountsDue", i, "status"); got != want {
				t.Errorf("installment %d %s, want %s", i, got, want)
			}
		}
		if minor(t, inv, "amountsDue", 0, "amountPaid") != "200000" {
			t.Errorf("installment 0 paid %s", minor(t, inv, "amountsDue", 0, "amountPaid"))
		}

		// The second installment's due date passes unpaid.
		e.Clock.Set(t0.AddDate(0, 0, 60).Add(time.Hour))
		inv = p.invoice(id)
		if apitest.Str(t, inv, "standing") != "OVERDUE" {
			t.Errorf("standing %s past the second installment, want OVERDUE", inv["standing"])
		}
		for i, want := range []string{"PAID", "OVERDUE", "OPEN"} {
			if got := apitest.Str(t, inv, "amountsDue", i, "status"); got != want {
				t.Errorf("installment %d %s, want %s", i, got, want)
			}
		}
		// Paying it makes the invoice merely partially paid again.
		pl = p.payOK(id, "", pm)
		if minor(t, pl, "payment", "amount") != "200000" {
			t.Errorf("paid %s, want the second installment", minor(t, pl, "payment", "amount"))
		}
		inv = p.invoice(id)
		if apitest.Str(t, inv, "standing") != "PARTIALLY_PAID" || apitest.Str(t, inv, "amountsDue", 1, "status") != "PAID" {
			t.Errorf("after the second installment: %s, %v", inv["standing"], inv["amountsDue"])
		}
	})

	t.Run("deposit", func(t *testing.T) {
		t.Parallel()
		e := apitest.Start(t, "sqlite3")
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		pm := p.card(cus, cardOK)
		plan := []any{
			map[string]any{"amount": "1000.00", "daysUntilDue": 1, "description": "Deposit"},
			map[string]any{"amount": "2000.00", "daysUntilDue": 30},
			map[string]any{"amount": "2000.00", "daysUntilDue": 60},
		}
		id := p.draft(cus, "USD", "5000.00", map[string]any{"amountsDue": plan})
		t0 := e.Clock.Now()
		inv := p.finalize(id)
		if apitest.Str(t, inv, "amountsDue", 0, "description") != "Deposit" || minor(t, inv, "amountsDue", 0, "amount") != "100000" {
			t.Errorf("deposit %v", apitest.Get(t, inv, "amountsDue", 0))
		}
		if got := parseTime(t, inv, "amountsDue", 0, "dueDate"); !got.Equal(t0.Add(day)) {
			t.Errorf("deposit due %s, want a day after finalization", got)
		}
		pl := p.payOK(id, "", pm)
		if minor(t, pl, "payment", "amount") != "100000" {
			t.Errorf("paid %s, want the deposit", minor(t, pl, "payment", "amount"))
		}
		e.Clock.Advance(2 * day) // past the deposit's due date, before the next
		inv = p.invoice(id)
		expectMoney(t, "deposit paid", inv, map[string]string{"amountPaid": "100000", "amountRemaining": "400000"})
		if apitest.Str(t, inv, "standing") != "PARTIALLY_PAID" {
			t.Errorf("standing %s with the deposit paid, want PARTIALLY_PAID", inv["standing"])
		}
		for i, want := range []string{"PAID", "OPEN", "OPEN"} {
			if got := apitest.Str(t, inv, "amountsDue", i, "status"); got != want {
				t.Errorf("installment %d %s, want %s", i, got, want)
			}
		}

		// A larger amount settles installments in due order; the next
		// payment without an amount is what the next one still needs.
		p.payOK(id, "3000.00", pm)
		inv = p.invoice(id)
		for i, want := range []struct{ status, paid string }{{"PAID", "100000"}, {"PAID", "200000"}, {"PARTIALLY_PAID", "100000"}} {
			if got := apitest.Str(t, inv, "amountsDue", i, "status"); got != want.status {
				t.Errorf("installment %d %s, want %s", i, got, want.status)
			}
			if got := minor(t, inv, "amountsDue", i, "amountPaid"); got != want.paid {
				t.Errorf("installment %d paid %s, want %s", i, got, want.paid)
			}
		}
		pl = p.payOK(id, "", pm)
		if minor(t, pl, "payment", "amount") != "100000" {
			t.Errorf("paid %s, want what the last installment still needs", minor(t, pl, "payment", "amount"))
		}
		if inv = p.invoice(id); apitest.Str(t, inv, "status") != "PAID" || apitest.Str(t, inv, "amountsDue", 2, "status") != "PAID" {
			t.Errorf("after the last installment: %s, %v", inv["status"], inv["amountsDue"])
		}
	})

	t.Run("after finalization", func(t *testing.T) {
		t.Parallel()
		e := apitest.Start(t, "sqlite3")
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		pm := p.card(cus, cardOK)
		planned := func() string {
			return p.open(cus, "USD", "6000.00", map[string]any{"amountsDue": planInput("2000.00", 30, "2000.00", 60, "2000.00", 90)})
		}

		// Before any payment: void, revise and mark uncollectible are offered and work.
		for _, c := range []struct {
			action, field, doc, status string
		}{
			{"VOID", "invoiceVoid", payVoid, "VOID"},
			{"REVISE", "invoiceRevise", payRevise, "DRAFT"},
			{"MARK_UNCOLLECTIBLE", "invoiceMarkUncollectible", payUncollectible, "UNCOLLECTIBLE"},
		} {
			id := planned()
			if acts := strs(t, p.invoice(id), "availableActions"); !slices.Contains(acts, c.action) {
				t.Errorf("availableActions %v lack %s before any payment", acts, c.action)
			}
			pl := p.must(c.field, c.doc, map[string]any{"id": id})
			if got := apitest.Str(t, pl, "invoice", "status"); got != c.status {
				t.Errorf("%s: status %s, want %s", c.field, got, c.status)
			}
		}

		// After the first payment: refused, and only marking paid remains.
		id := planned()
		p.payOK(id, "", pm)
		inv := p.invoice(id)
		acts := strs(t, inv, "availableActions")
		for _, c := range []struct{ action, field, doc string }{
			{"VOID", "invoiceVoid", payVoid},
			{"REVISE", "invoiceRevise", payRevise},
			{"MARK_UNCOLLECTIBLE", "invoiceMarkUncollectible", payUncollectible},
		} {
			if slices.Contains(acts, c.action) {
				t.Errorf("availableActions %v offer %s after a payment", acts, c.action)
			}
			p.refused(c.field+" after a payment", p.payload(c.field, c.doc, map[string]any{"id": id}, ""), "HAS_PAYMENTS")
		}
		p.unchanged("refused actions", id, inv)
		if !slices.Contains(acts, "MARK_PAID") {
			t.Errorf("availableActions %v lack MARK_PAID", acts)
		}
		paid := p.must("invoiceMarkPaid", payMarkPaid, map[string]any{"id": id})["invoice"].(map[string]any)
		if apitest.Str(t, paid, "status") != "PAID" || apitest.Str(t, paid, "standing") != "PAID" {
			t.Errorf("marked paid: %s/%s", paid["status"], paid["standing"])
		}
		expectMoney(t, "marked paid", paid, map[string]string{"amountDue": "600000", "amountPaid": "600000", "amountRemaining": "0"})
		for i, it := range paid["amountsDue"].([]any) {
			if apitest.Str(t, it, "status") != "PAID" {
				t.Errorf("installment %d %s after mark paid", i, apitest.Str(t, it, "status"))
			}
		}
	})

	t.Run("bad plans", func(t *testing.T) {
		t.Parallel()
		e := apitest.Start(t, "sqlite3")
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		count := func() float64 {
			return apitest.Get(t, p.query(payInvoiceCount, nil), "invoices", "totalCount").(float64)
		}
		create := func(extra map[string]any) map[string]any {
			return p.payload("invoiceCreate", payCreateMutation, map[string]any{"in": draftInput(cus, "USD", "6000.00", extra)}, "")
		}

		n := count()
		p.refused("plan not adding up", create(map[string]any{"amountsDue": planInput("2000.00", 30, "2000.00", 60, "1999.99", 90)}), "AMOUNTS_DUE_MISMATCH")
		p.refused("plan on charge_automatically", create(map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY", "amountsDue": planInput("3000.00", 30, "3000.00", 60)}), "AMOUNTS_DUE_NOT_ALLOWED")
		p.refusedAny("single installment", create(map[string]any{"amountsDue": planInput("6000.00", 30)}))
		if got := count(); got != n {
			t.Errorf("refused creations wrote %v invoices", got-n)
		}

		// A draft's plan is edited with invoiceUpdate.
		id := p.draft(cus, "USD", "6000.00", nil)
		before := p.invoice(id)
		update := func(in map[string]any) map[string]any {
			in["id"] = id
			return p.payload("invoiceUpdate", payUpdateMutation, map[string]any{"in": in}, "")
		}
		p.refused("update: plan not adding up", update(map[string]any{"amountsDue": planInput("3000.00", 30, "3000.01", 60)}), "AMOUNTS_DUE_MISMATCH")
		p.refusedAny("update: single installment", update(map[string]any{"amountsDue": planInput("6000.00", 30)}))
		p.unchanged("refused plan updates", id, before)

		pl := update(map[string]any{"amountsDue": planInput("2000.00", 30, "2000.00", 60, "2000.00", 90)})
		if ue := apitest.ErrorCodes(t, pl); len(ue) > 0 {
			t.Fatalf("valid plan refused: %v", ue)
		}
		if n := len(apitest.Get(t, pl, "invoice", "amountsDue").([]any)); n != 3 {
			t.Errorf("plan of %d installments, want 3", n)
		}
		withPlan := p.invoice(id)
		p.refused("update: charge_automatically with a plan", update(map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"}), "AMOUNTS_DUE_NOT_ALLOWED")
		p.unchanged("refused collection method", id, withPlan)

		pl = update(map[string]any{"amountsDue": planInput("4000.00", 15, "2000.00", 45)})
		if ue := apitest.ErrorCodes(t, pl); len(ue) > 0 {
			t.Fatalf("plan edit refused: %v", ue)
		}
		if n := len(apitest.Get(t, pl, "invoice", "amountsDue").([]any)); n != 2 || minor(t, pl, "invoice", "amountsDue", 0, "amount") != "400000" {
			t.Errorf("edited plan %v", apitest.Get(t, pl, "invoice", "amountsDue"))
		}
		pl = update(map[string]any{"amountsDue": []any{}})
		if ue := apitest.ErrorCodes(t, pl); len(ue) > 0 {
			t.Fatalf("removing the plan refused: %v", ue)
		}
		if n := len(apitest.Get(t, pl, "invoice", "amountsDue").([]any)); n != 0 {
			t.Errorf("plan of %d installments after removing it", n)
		}
	})
}

// gqlPost posts a GraphQL request from any goroutine, returning errors
// instead of failing the test.
func gqlPost(url, key, query string, vars map[string]any, headers map[string]string) (int, map[string]any, []any, []byte, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return 0, nil, nil, nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, nil, raw, err
	}
	var decoded struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return res.StatusCode, nil, nil, raw, fmt.Errorf("decode: %w", err)
	}
	return res.StatusCode, decoded.Data, decoded.Errors, raw, nil
}

// TestConcurrentPaymentsNeverOverpay fires 100 payments of 1.00 at once at
// a 50.00 invoice, each with its own Idempotency-Key: the reservation
// under the invoice's lock lets exactly 50 through, refuses the others,
// and the invoice ends PAID with exactly 50.00 paid, on both databases.
func TestConcurrentPaymentsNeverOverpay(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
		pm := p.card(cus, cardOK)
		id := p.open(cus, "USD", "50.00", nil)

		const n = 100
		type result struct {
			status  int
			payment string
			codes   []string
			raw     []byte
			err     error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				q := `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { payment { id status } userErrors { code } } }`
				status, data, errs, raw, err := gqlPost(e.URL, e.Key, q, map[string]any{"in": payInput(id, "1.00", pm)},
					map[string]string{"Idempotency-Key": fmt.Sprintf("concurrent-%d-%s", i, rand.Text())})
				r := result{status: status, raw: raw, err: err}
				if err == nil && len(errs) == 0 {
					pl, _ := data["invoicePay"].(map[string]any)
					if pay, ok := pl["payment"].(map[string]any); ok {
						r.payment, _ = pay["status"].(string)
					}
					ue, _ := pl["userErrors"].([]any)
					for _, u := range ue {
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

		succeeded, exceeded, closed := 0, 0, 0
		for i, r := range results {
			switch {
			case r.err != nil || r.status != http.StatusOK:
				t.Errorf("request %d: status %d, %v: %s", i, r.status, r.err, truncate(r.raw))
			case r.payment == "SUCCEEDED" && len(r.codes) == 0:
				succeeded++
			case r.payment == "" && len(r.codes) == 1 && r.codes[0] == "AMOUNT_EXCEEDS_REMAINING":
				exceeded++
			case r.payment == "" && len(r.codes) == 1 && r.codes[0] == "INVALID_TRANSITION":
				// Arrived after the invoice was PAID: nothing remains to pay.
				closed++
			default:
				t.Errorf("request %d: payment %q, userErrors %v", i, r.payment, r.codes)
			}
		}
		t.Logf("%d succeeded, %d AMOUNT_EXCEEDS_REMAINING, %d INVALID_TRANSITION (invoice already paid)", succeeded, exceeded, closed)
		if succeeded != 50 {
			t.Errorf("%d payments succeeded, want exactly 50", succeeded)
		}
		inv := p.invoice(id)
		if apitest.Str(t, inv, "status") != "PAID" {
			t.Errorf("invoice %s, want PAID", inv["status"])
		}
		expectMoney(t, "after the race", inv, map[string]string{"amountDue": "5000", "amountPaid": "5000", "amountRemaining": "0", "amountPending": "0"})
		pays := inv["payments"].([]any)
		if len(pays) != 50 {
			t.Errorf("%d payments recorded, want 50", len(pays))
		}
		for _, x := range pays {
			if apitest.Str(t, x, "status") != "SUCCEEDED" {
				t.Errorf("payment %v", x)
			}
		}
	})
}

// TestPayIdempotency makes sure a retried payment never charges twice:
// the same Idempotency-Key returns the same payment, even after the HTTP
// replay window has passed; a payment without the header is refused.
func TestPayIdempotency(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
	pm := p.card(cus, cardOK)
	id := p.open(cus, "USD", "100.00", nil)

	before := p.invoice(id)
	p.refused("no Idempotency-Key", p.payload("invoicePay", payMutation, map[string]any{"in": payInput(id, "10.00", pm)}, ""), "IDEMPOTENCY_KEY_REQUIRED")
	p.unchanged("payment without a key", id, before)
	if n := p.paymentsCount(""); n != 0 {
		t.Errorf("%d payments after a refused one", n)
	}

	key := newIdemKey()
	first := p.payKeyed(id, "10.00", pm, key)
	payID := apitest.Str(t, first, "payment", "id")
	second := p.payKeyed(id, "10.00", pm, key)
	if got := apitest.Str(t, second, "payment", "id"); got != payID {
		t.Errorf("retry returned payment %s, want %s", got, payID)
	}
	// Past the 24-hour replay window of the HTTP layer, the payment's own
	// key still recognises the retry.
	e.Clock.Advance(25 * time.Hour)
	third := p.payKeyed(id, "10.00", pm, key)
	if ue := apitest.ErrorCodes(t, third); len(ue) > 0 {
		t.Errorf("late retry: %v", ue)
	} else if got := apitest.Str(t, third, "payment", "id"); got != payID {
		t.Errorf("late retry returned payment %s, want %s", got, payID)
	}
	inv := p.invoice(id)
	if n := len(inv["payments"].([]any)); n != 1 {
		t.Errorf("%d payments, want 1", n)
	}
	if n := p.paymentsCount(id); n != 1 {
		t.Errorf("payments(invoice) totalCount %d, want 1", n)
	}
	expectMoney(t, "after retries", inv, map[string]string{"amountPaid": "1000", "amountRemaining": "9000"})
}

// TestPayRefusals refuses payments that cannot be made, writing nothing:
// invoices that are not open, a debit in another currency, a method type
// the invoice does not accept, another customer's method, and any payment
// in live mode, where no processor is configured.
func TestPayRefusals(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := p.customer("Jenny Rosen", "jenny@example.com", "USD")
	pm := p.card(cus, cardOK)

	refuse := func(what, id, method, code string) {
		t.Helper()
		before := p.invoice(id)
		total := p.paymentsCount("")
		p.refused(what, p.pay(id, "", method), code)
		p.unchanged(what, id, before)
		if n := p.paymentsCount(""); n != total {
			t.Errorf("%s: %d payments written", what, n-total)
		}
	}

	draft := p.draft(cus, "USD", "100.00", nil)
	refuse("draft", draft, pm, "INVALID_TRANSITION")

	void := p.open(cus, "USD", "100.00", nil)
	p.must("invoiceVoid", payVoid, map[string]any{"id": void})
	refuse("void", void, pm, "INVALID_TRANSITION")

	paid := p.open(cus, "USD", "100.00", nil)
	if s := apitest.Str(t, p.payOK(paid, "", pm), "invoice", "status"); s != "PAID" {
		t.Fatalf("invoice %s, want PAID", s)
	}
	refuse("paid", paid, pm, "INVALID_TRANSITION")

	usd := p.open(cus, "USD", "100.00", nil)
	sepa := p.sepa(cus, ibanOK)
	refuse("SEPA debit on a USD invoice", usd, sepa, "CURRENCY_MISMATCH")

	other := p.customer("Other", "", "USD")
	otherPM := p.card(other, cardOK)
	refuse("another customer's card", usd, otherPM, "PAYMENT_METHOD_NOT_ACCEPTED")

	eur := p.customer("Jürgen Rosen", "jurgen@example.com", "EUR")
	eurCard := p.card(eur, cardOK)
	eurSEPA := p.sepa(eur, ibanOK)
	narrowed := p.open(eur, "EUR", "100.00", map[string]any{"paymentMethodTypes": []any{"SEPA_DEBIT"}})
	if got := strs(t, p.invoice(narrowed), "acceptedPaymentMethodTypes"); !slices.Equal(got, []string{"SEPA_DEBIT"}) {
		t.Errorf("acceptedPaymentMethodTypes %v, want [SEPA_DEBIT]", got)
	}
	refuse("card on a SEPA-only invoice", narrowed, eurCard, "PAYMENT_METHOD_NOT_ACCEPTED")
	if s := apitest.Str(t, p.payOK(narrowed, "", eurSEPA), "payment", "status"); s != "PROCESSING" {
		t.Errorf("SEPA payment on a SEPA-only invoice: %s", s)
	}

	// Live mode: no processor, so no method can be saved and nothing paid.
	live := &payT{t: t, e: e, key: e.NewKey(e.Account, viewer.Live)}
	liveCus := live.customer("Live Customer", "live@example.com", "USD")
	liveInv := live.open(liveCus, "USD", "100.00", nil)
	live.refused("live attach", live.attach(liveCus, map[string]any{"card": testCard(cardOK)}), "PROCESSOR_UNAVAILABLE")
	if n := len(apitest.Get(t, live.query(payCustomerQuery, map[string]any{"id": liveCus}), "customer", "paymentMethods").([]any)); n != 0 {
		t.Errorf("live attach saved %d methods", n)
	}
	before := live.invoice(liveInv)
	live.refused("live pay", live.pay(liveInv, "", ""), "PROCESSOR_UNAVAILABLE")
	live.unchanged("live pay", liveInv, before)
	if n := live.paymentsCount(""); n != 0 {
		t.Errorf("live mode has %d payments", n)
	}
}

// TestSEPADebitSettles pays EUR invoices by SEPA Direct Debit: the debit
// is PROCESSING until it settles, with the amount in flight reserved so no
// second payment can be made; the worker's settlement pass (driven here
// with the fake clock) then pays the invoice, or records the failure of a
// debit the bank rejected.
func TestSEPADebitSettles(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := p.customer("Jürgen Rosen", "jurgen@example.com", "EUR")
	ok := p.sepa(cus, ibanOK)
	nsf := p.sepa(cus, ibanNSF)
	id := p.open(cus, "EUR", "100.00", nil)
	id2 := p.open(cus, "EUR", "70.00", nil)
	t0 := e.Clock.Now()

	pl := p.payOK(id, "", ok)
	pay := pl["payment"].(map[string]any)
	if pay["status"] != "PROCESSING" || pay["methodType"] != "SEPA_DEBIT" || pay["settlesAt"] == nil {
		t.Fatalf("SEPA payment %v", pay)
	}
	settlesAt := parseTime(t, pay, "settlesAt")
	if !settlesAt.After(t0) {
		t.Errorf("settlesAt %s not in the future", settlesAt)
	}
	inv := p.invoice(id)
	if apitest.Str(t, inv, "status") != "OPEN" {
		t.Errorf("invoice %s while the debit is in flight", inv["status"])
	}
	expectMoney(t, "in flight", inv, map[string]string{"amountPaid": "0", "amountPending": "10000", "amountRemaining": "10000"})
	if acts := strs(t, inv, "availableActions"); slices.Contains(acts, "VOID") || slices.Contains(acts, "MARK_PAID") {
		t.Errorf("availableActions %v offer VOID or MARK_PAID with a debit in flight", acts)
	}
	p.refused("second payment in flight", p.pay(id, "", ok), "AMOUNT_EXCEEDS_REMAINING")
	p.refused("partial payment in flight", p.pay(id, "10.00", ok), "AMOUNT_EXCEEDS_REMAINING")
	p.unchanged("refused payments in flight", id, inv)

	pl2 := p.payOK(id2, "", nsf)
	if apitest.Str(t, pl2, "payment", "status") != "PROCESSING" {
		t.Fatalf("failing SEPA payment %v", pl2["payment"])
	}

	settle := func() int {
		t.Helper()
		ctx := clock.WithContext(context.Background(), e.Clock)
		n, err := e.Server.Billing().SettleDue(ctx, "", 100)
		if err != nil {
			t.Fatalf("settle: %v", err)
		}
		return n
	}
	e.Clock.Set(settlesAt.Add(-time.Minute))
	if n := settle(); n != 0 {
		t.Errorf("settled %d debits before their time", n)
	}
	if s := apitest.Str(t, p.invoice(id), "payments", 0, "status"); s != "PROCESSING" {
		t.Errorf("payment %s before settlement", s)
	}
	e.Clock.Set(settlesAt.Add(time.Minute))
	if n := settle(); n != 2 {
		t.Errorf("settled %d debits, want 2", n)
	}

	inv = p.invoice(id)
	if apitest.Str(t, inv, "status") != "PAID" || apitest.Str(t, inv, "payments", 0, "status") != "SUCCEEDED" {
		t.Errorf("after settlement: invoice %s, payment %v", inv["status"], apitest.Get(t, inv, "payments", 0))
	}
	expectMoney(t, "settled", inv, map[string]string{"amountPaid": "10000", "amountPending": "0", "amountRemaining": "0"})

	inv2 := p.invoice(id2)
	failed := apitest.Get(t, inv2, "payments", 0)
	if apitest.Str(t, failed, "status") != "FAILED" || apitest.Str(t, failed, "failureCode") != "insufficient_funds" {
		t.Errorf("rejected debit %v", failed)
	}
	if apitest.Str(t, inv2, "status") != "OPEN" {
		t.Errorf("invoice %s after a rejected debit, want OPEN", inv2["status"])
	}
	expectMoney(t, "rejected debit", inv2, map[string]string{"amountPaid": "0", "amountPending": "0", "amountRemaining": "7000"})
	if _, ok := historyNote(t, inv2, "payment_failed"); !ok {
		t.Errorf("history %v lacks payment_failed", actionsOf(t, inv2))
	}
	if kinds := emailKinds(t, inv2); !slices.Contains(kinds, "payment_failed") {
		t.Errorf("emails %v lack payment_failed", kinds)
	}
	// Settling again changes nothing.
	if n := settle(); n != 0 {
		t.Errorf("second settlement pass settled %d", n)
	}
}

// TestChargeAutomatically finalizes charge_automatically invoices: the
// customer's default card is charged at once; a decline or a missing card
// leaves the invoice open, with the reason in its history.
func TestChargeAutomatically(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	auto := map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY"}

	good := p.customer("Jenny Rosen", "jenny@example.com", "USD")
	p.card(good, cardOK)
	id := p.draft(good, "USD", "100.00", auto)
	fin := p.finalize(id)
	if apitest.Str(t, fin, "status") != "PAID" {
		t.Errorf("finalize returned %s, want PAID", fin["status"])
	}
	inv := p.invoice(id)
	pays := inv["payments"].([]any)
	if apitest.Str(t, inv, "status") != "PAID" || len(pays) != 1 || apitest.Str(t, pays[0], "source") != "AUTOMATIC" || apitest.Str(t, pays[0], "status") != "SUCCEEDED" {
		t.Errorf("charged invoice %s, payments %v", inv["status"], pays)
	}
	expectMoney(t, "charged", inv, map[string]string{"amountPaid": "10000", "amountRemaining": "0"})

	declined := p.customer("Declined", "declined@example.com", "USD")
	p.card(declined, cardChargeErr)
	id = p.draft(declined, "USD", "100.00", auto)
	p.finalize(id)
	inv = p.invoice(id)
	pays = inv["payments"].([]any)
	if apitest.Str(t, inv, "status") != "OPEN" || len(pays) != 1 || apitest.Str(t, pays[0], "status") != "FAILED" || apitest.Str(t, pays[0], "source") != "AUTOMATIC" {
		t.Errorf("declined automatic charge: invoice %s, payments %v", inv["status"], pays)
	}
	expectMoney(t, "declined", inv, map[string]string{"amountPaid": "0", "amountPending": "0", "amountRemaining": "10000"})
	if _, ok := historyNote(t, inv, "payment_failed"); !ok {
		t.Errorf("history %v lacks payment_failed", actionsOf(t, inv))
	}

	none := p.customer("No Card", "nocard@example.com", "USD")
	id = p.draft(none, "USD", "100.00", auto)
	p.finalize(id)
	inv = p.invoice(id)
	if apitest.Str(t, inv, "status") != "OPEN" || len(inv["payments"].([]any)) != 0 {
		t.Errorf("no card: invoice %s, payments %v", inv["status"], inv["payments"])
	}
	if note, ok := historyNote(t, inv, "payment_failed"); !ok || !strings.Contains(note, "no default payment method") {
		t.Errorf("history %v: payment_failed note %q should mention the missing default payment method", actionsOf(t, inv), note)
	}
}

// TestAbandonedAuthenticationIsCanceled: a payment left waiting for 3-D
// Secure holds its amount only for an hour; then the worker cancels it and
// the invoice can be paid again.
func TestAbandonedAuthenticationIsCanceled(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := p.customer("Jenny Rosen", "jenny@example.com", "EUR")
	card := p.card(cus, card3DS)
	id := p.open(cus, "EUR", "100.00", nil)
	pl := p.payOK(id, "", card)
	if st := apitest.Str(t, pl, "payment", "status"); st != "REQUIRES_ACTION" {
		t.Fatalf("payment %s, want REQUIRES_ACTION", st)
	}
	settle := func() int {
		n, err := e.Server.Billing().SettleDue(clock.WithContext(context.Background(), e.Clock), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.Clock.Advance(59 * time.Minute)
	if n := settle(); n != 0 {
		t.Fatalf("canceled %d before the hour", n)
	}
	e.Clock.Advance(2 * time.Minute)
	if n := settle(); n != 1 {
		t.Fatalf("settled %d, want 1", n)
	}
	inv := p.invoice(id)
	if minor(t, inv, "amountPending") != "0" || apitest.Str(t, inv, "payments", 0, "status") != "CANCELED" {
		t.Fatalf("after the timeout: %v", inv)
	}
	ok := p.card(cus, cardOK)
	if st := apitest.Str(t, p.payOK(id, "", ok), "invoice", "status"); st != "PAID" {
		t.Errorf("invoice %s after paying again, want PAID", st)
	}
}
