package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// inbox is a mail.Sender recording what the worker delivers.
type inbox struct {
	mu   sync.Mutex
	got  []mail.Message
	cond chan struct{} // closed and replaced at every delivery
}

func newInbox() *inbox { return &inbox{cond: make(chan struct{})} }

func (b *inbox) Send(_ context.Context, m mail.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, m)
	close(b.cond)
	b.cond = make(chan struct{})
	return nil
}

// waitFor waits until a delivered message's subject contains want.
func (b *inbox) waitFor(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		b.mu.Lock()
		var subjects []string
		for _, m := range b.got {
			if strings.Contains(m.Subject, want) {
				b.mu.Unlock()
				return
			}
			subjects = append(subjects, m.Subject)
		}
		next := b.cond
		b.mu.Unlock()
		select {
		case <-next:
		case <-deadline:
			t.Fatalf("no email %q delivered within %s (delivered: %q): the worker was not woken", want, within, subjects)
		}
	}
}

const (
	createCustomer = `mutation($in: CustomerCreateInput!) { customerCreate(input: $in) { customer { id } userErrors { field code message } } }`
	createInvoice  = `mutation($in: InvoiceCreateInput!) { invoiceCreate(input: $in) { invoice { id } userErrors { field code message } } }`
	finalize       = `mutation($in: InvoiceFinalizeInput!) { invoiceFinalize(input: $in) { invoice { id number } userErrors { field code message } } }`
	send           = `mutation($in: InvoiceSendInput!) { invoiceSend(input: $in) { email { id } userErrors { field code message } } }`
	attach         = `mutation($in: PaymentMethodAttachInput!) { paymentMethodAttach(input: $in) { paymentMethod { id } userErrors { field code message } } }`
	pay            = `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { payment { status } userErrors { field code message } } }`
	portalEnable   = `mutation { portalSettingsUpdate(input: {enabled: true}) { portalSettings { url } userErrors { field code message } } }`
	portalStart    = `mutation($in: PortalLoginStartInput!) { portalLoginStart(input: $in) { ok userErrors { field code message } } }`
)

// TestEmailWakesWorker checks that every kind of email leaves as soon as
// the transaction that queued it commits: the worker ticks once an hour
// here, so only the after-commit wake-up can deliver in time.
func TestEmailWakesWorker(t *testing.T) {
	cases := []struct {
		name string
		// act queues an email through the public API and returns what its
		// subject contains.
		act func(t *testing.T, e *apitest.Env, f *fixture) string
	}{
		{"invoice send", func(t *testing.T, e *apitest.Env, f *fixture) string {
			number := f.finalized(t, false)
			e.Mutate("invoiceSend", send, map[string]any{"in": map[string]any{"id": f.invoice}})
			return number
		}},
		{"finalize and send", func(t *testing.T, e *apitest.Env, f *fixture) string {
			return f.finalized(t, true)
		}},
		{"payment failure", func(t *testing.T, e *apitest.Env, f *fixture) string {
			number := f.finalized(t, false)
			pm := apitest.Str(t, e.Mutate("paymentMethodAttach", attach, map[string]any{"in": map[string]any{
				"customer": f.customer,
				"card":     map[string]any{"number": "4000000000000002", "expMonth": 12, "expYear": 2034, "cvc": "123"},
			}}), "paymentMethod", "id")
			res := e.Do(apitest.Request{Query: pay, Variables: map[string]any{"in": map[string]any{"id": f.invoice, "paymentMethod": pm}},
				Headers: map[string]string{"Idempotency-Key": "wake-" + f.invoice}})
			if got := apitest.Str(t, res.Data, "invoicePay", "payment", "status"); got != "FAILED" {
				t.Fatalf("payment %s, want FAILED: %s", got, res.RawBody)
			}
			return "Payment failed for invoice " + number
		}},
		{"portal login code", func(t *testing.T, e *apitest.Env, f *fixture) string {
			url := apitest.Str(t, e.Mutate("portalSettingsUpdate", portalEnable, nil), "portalSettings", "url")
			slug := url[strings.LastIndex(url, "/")+1:]
			res := portalDo(t, e, portalStart, map[string]any{"in": map[string]any{"portal": slug, "email": f.email}})
			if res.Status != http.StatusOK || len(res.Errors) > 0 {
				t.Fatalf("portalLoginStart: %s", res.RawBody)
			}
			return "code"
		}},
	}
	for _, d := range storetest.Dialects() {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s", tc.name, d), func(t *testing.T) {
				box := newInbox()
				e := apitest.StartWith(t, d, apitest.Options{Sender: box, WorkerInterval: time.Hour})
				ctx, stop := context.WithCancel(clock.WithContext(context.Background(), e.Clock))
				done := make(chan struct{})
				go func() {
					defer close(done)
					_ = e.App.Worker.Run(ctx)
				}()
				t.Cleanup(func() { stop(); <-done })
				f := newFixture(t, e)
				want := tc.act(t, e, f)
				box.waitFor(t, want, 10*time.Second)
			})
		}
	}
}

// fixture is a customer with an email and a draft invoice of theirs.
type fixture struct {
	e                 *apitest.Env
	email             string
	customer, invoice string
}

func newFixture(t *testing.T, e *apitest.Env) *fixture {
	f := &fixture{e: e, email: "jenny@example.com"}
	f.customer = apitest.Str(t, e.Mutate("customerCreate", createCustomer, map[string]any{"in": map[string]any{
		"customer": map[string]any{"name": "Jenny Rosen", "email": f.email},
	}}), "customer", "id")
	f.invoice = apitest.Str(t, e.Mutate("invoiceCreate", createInvoice, map[string]any{"in": map[string]any{
		"customer": f.customer, "currency": "USD", "daysUntilDue": 30,
		"lines": []any{map[string]any{"description": "Consulting", "unitAmount": "100.00", "quantity": "1"}},
	}}), "invoice", "id")
	return f
}

// finalized finalizes the invoice, sending it when send, and returns its
// number.
func (f *fixture) finalized(t *testing.T, send bool) string {
	return apitest.Str(t, f.e.Mutate("invoiceFinalize", finalize, map[string]any{"in": map[string]any{"id": f.invoice, "send": send}}),
		"invoice", "number")
}

// portalDo posts a query to the portal API, anonymously.
func portalDo(t *testing.T, e *apitest.Env, query string, vars map[string]any) *apitest.Response {
	t.Helper()
	return e.Do(apitest.Request{Query: query, Variables: vars, Key: "-", Path: "/portal/graphql"})
}
