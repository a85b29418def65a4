package servertest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestInvoiceSend emails an invoice through the outbox to a real SMTP
// server (STARTTLS): the customer and an extra recipient receive it, with
// the hosted-page link and the PDF attached, read back as text; a
// scheduled send waits for its time; bad requests are refused.
func TestInvoiceSend(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true})
	tick := mailWorker(t, e, srv, mail.WithTLSConfig(srv.TLSConfig()))

	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {operationCategory: SERVICES, siren: "732829320", vatNumber: "FR44732829320", name: "Acme", legalName: "Acme SAS", email: "billing@acme.fr", address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { code } } }`, nil)
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["fr"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", daysUntilDue: 30, lines: [{description: "Accès Premium 1 an", unitAmount: "5000"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")

	send := `mutation($in: InvoiceSendInput!) { invoiceSend(input: $in) { invoice { id } email { id status to subject } userErrors { field code } } }`
	refused := e.MutateErr("invoiceSend", send, map[string]any{"in": map[string]any{"id": id}})
	if codes := apitest.ErrorCodes(t, refused); len(codes) != 1 || codes[0] != "INVALID_TRANSITION" {
		t.Fatalf("sending a draft: %v, want INVALID_TRANSITION", refused)
	}
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id})
	number := apitest.Str(t, fin, "invoice", "number")
	hosted := apitest.Str(t, fin, "invoice", "hostedInvoiceUrl")
	e.Clock.Advance(time.Minute)

	for name, in := range map[string]map[string]any{
		"past sendAt":   {"id": id, "sendAt": e.Clock.Now().Add(-time.Minute).Format(time.RFC3339)},
		"bad recipient": {"id": id, "to": []any{"not-an-email"}},
	} {
		p := e.MutateErr("invoiceSend", send, map[string]any{"in": in})
		if len(apitest.ErrorCodes(t, p)) == 0 {
			t.Errorf("%s: accepted: %v", name, p)
		}
	}
	if n := tick(); n != 0 || srv.Count() != 0 {
		t.Fatalf("refused sends delivered %d messages", srv.Count())
	}

	preview := e.Query(`query($id: ID!) { invoicePreviewEmail(id: $id) { to subject text } }`, map[string]any{"id": id})
	if s := apitest.Str(t, preview, "invoicePreviewEmail", "subject"); s != "Facture "+number+" de Acme" {
		t.Errorf("preview subject %q", s)
	}

	sent := e.Mutate("invoiceSend", send, map[string]any{"in": map[string]any{"id": id, "to": []any{"compta@example.com"}}})
	if apitest.Str(t, sent, "email", "status") != "QUEUED" {
		t.Fatalf("email not queued: %v", sent)
	}
	if n := tick(); n != 1 {
		t.Fatalf("tick delivered %d, want 1", n)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "jenny@example.com,compta@example.com" || !msgs[0].TLS {
		t.Fatalf("received %+v", msgs)
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Facture "+number+" de Acme" || !strings.Contains(p.Text, "http://localhost:8080"+hosted) || !strings.Contains(p.HTML, hosted) {
		t.Errorf("subject %q, text %q", p.Subject, p.Text)
	}
	if len(p.ReplyTo) != 1 || p.ReplyTo[0] != "billing@acme.fr" {
		t.Errorf("reply-to %v", p.ReplyTo)
	}
	if len(p.Attachments) != 1 || p.Attachments[0].Name != number+".pdf" || p.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments %+v", p.Attachments)
	}
	text := pdfText(t, p.Attachments[0].Data)
	for _, want := range []string{number, "Jenny Rosen", "Acme SAS", "5 000,00 €"} {
		if !strings.Contains(text, want) {
			t.Errorf("attached PDF lacks %q", want)
		}
	}
	status := e.Query(`query($id: ID!) { invoice(id: $id) { emails { status sentAt } history { action note } } }`, map[string]any{"id": id})
	if got := apitest.Str(t, status, "invoice", "emails", 0, "status"); got != "SENT" {
		t.Errorf("email status %s, want SENT", got)
	}
	hist := apitest.Get(t, status, "invoice", "history").([]any)
	if last := hist[len(hist)-1].(map[string]any); last["action"] != "send" {
		t.Errorf("last history step %v, want send", last)
	}

	// The dev mailbox shows it to the account's test key, and to nobody else.
	emailID := apitest.Str(t, sent, "email", "id")
	devMail := func(path, key string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		if key != "" {
			req.SetBasicAuth(key, "")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := devMail("/dev/mail", e.Key); code != http.StatusOK || !strings.Contains(body, "Facture "+number) {
		t.Errorf("dev mailbox: %d", code)
	}
	if code, body := devMail("/dev/mail/"+emailID, e.Key); code != http.StatusOK || !strings.Contains(body, "jenny@example.com") {
		t.Errorf("dev mailbox message: %d", code)
	}
	_, otherKey := e.NewAccount("Other", viewer.Test)
	for name, c := range map[string]struct {
		path, key string
		status    int
	}{
		"no key":        {"/dev/mail", "", http.StatusUnauthorized},
		"live key":      {"/dev/mail", e.NewKey(e.Account, viewer.Live), http.StatusUnauthorized},
		"other account": {"/dev/mail/" + emailID, otherKey, http.StatusNotFound},
	} {
		if code, body := devMail(c.path, c.key); code != c.status || strings.Contains(body, number) {
			t.Errorf("dev mailbox, %s: %d, want %d", name, code, c.status)
		}
	}

	// A scheduled send waits for its time.
	at := e.Clock.Now().Add(2 * time.Hour)
	e.Mutate("invoiceSend", send, map[string]any{"in": map[string]any{"id": id, "sendAt": at.Format(time.RFC3339)}})
	if n := tick(); n != 0 || srv.Count() != 1 {
		t.Fatalf("scheduled email went out early")
	}
	e.Clock.Set(at.Add(time.Second))
	if n := tick(); n != 1 || srv.Count() != 2 {
		t.Fatalf("scheduled email: tick %d, received %d", n, srv.Count())
	}
}
