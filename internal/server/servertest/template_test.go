package servertest_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/mail/mailtest"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x), 0x80, uint8(y), 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const imageSet = `mutation($in: AccountImageSetInput!) { accountImageSet(input: $in) { account { logo { kind contentType width height dataUrl } icon { width height } } userErrors { field code message } } }`

// TestBranding uploads a logo and an icon, refuses bad ones without
// touching the current images, and shows the logo and colours on the PDF
// and the hosted page.
func TestBranding(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	logo := pngOf(t, 240, 64)
	set := func(kind, ct string, data []byte) map[string]any {
		return map[string]any{"in": map[string]any{"kind": kind, "contentType": ct, "data": base64.StdEncoding.EncodeToString(data)}}
	}
	ok := e.Mutate("accountImageSet", imageSet, set("LOGO", "image/png", logo))
	if w := apitest.Get(t, ok, "account", "logo", "width"); w != float64(240) {
		t.Fatalf("logo width %v", w)
	}
	if u := apitest.Str(t, ok, "account", "logo", "dataUrl"); !strings.HasPrefix(u, "data:image/png;base64,") {
		t.Errorf("dataUrl %.40s", u)
	}
	e.Mutate("accountImageSet", imageSet, set("ICON", "image/png", pngOf(t, 128, 128)))

	big := append(pngOf(t, 64, 64), make([]byte, 520<<10)...)
	svgScript := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><script>alert(1)</script></svg>`)
	for name, c := range map[string]struct {
		vars map[string]any
		code string
	}{
		"gif":             {set("LOGO", "image/gif", []byte("GIF89a....")), "INVALID_IMAGE"},
		"png as jpeg":     {set("LOGO", "image/jpeg", logo), "INVALID_IMAGE"},
		"too large":       {set("LOGO", "image/png", big), "IMAGE_TOO_LARGE"},
		"tiny logo":       {set("LOGO", "image/png", pngOf(t, 20, 10)), "INVALID_IMAGE"},
		"oblong icon":     {set("ICON", "image/png", pngOf(t, 256, 128)), "INVALID_IMAGE"},
		"truncated png":   {set("LOGO", "image/png", logo[:len(logo)/2]), "INVALID_IMAGE"},
		"svg with script": {set("LOGO", "image/svg+xml", svgScript), "INVALID_IMAGE"},
		"not base64":      {map[string]any{"in": map[string]any{"kind": "LOGO", "contentType": "image/png", "data": "%%%"}}, "INVALID_IMAGE"},
	} {
		p := e.MutateErr("accountImageSet", imageSet, c.vars)
		if codes := apitest.ErrorCodes(t, p); len(codes) != 1 || codes[0] != c.code {
			t.Errorf("%s: codes %v, want %s", name, codes, c.code)
		}
	}
	acct := e.Query(`{ account { logo { width height } icon { width } } }`, nil)
	if apitest.Get(t, acct, "account", "logo", "width") != float64(240) || apitest.Get(t, acct, "account", "icon", "width") != float64(128) {
		t.Errorf("a refused upload changed the images: %v", acct)
	}

	const update = `mutation($in: AccountUpdateInput!) { accountUpdate(input: $in) { account { brandColor accentColor } userErrors { field code } } }`
	bad := e.MutateErr("accountUpdate", update, map[string]any{"in": map[string]any{"brandColor": "blue"}})
	if codes := apitest.ErrorCodes(t, bad); len(codes) != 1 || codes[0] != "INVALID_COLOR" {
		t.Errorf("brandColor blue: %v", bad)
	}
	good := e.Mutate("accountUpdate", update, map[string]any{"in": map[string]any{"brandColor": "#0a0", "accentColor": "#123456"}})
	if c := apitest.Str(t, good, "account", "brandColor"); c != "#00aa00" {
		t.Errorf("brandColor %q, want #00aa00", c)
	}

	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com"}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Support", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id})
	status, _, pdf := getPDF(t, e, "/invoices/"+id+"/pdf", e.Key)
	if status != http.StatusOK {
		t.Fatalf("pdf: %d", status)
	}
	if images := pdfTool(t, pdf, "pdfimages", "-list", "{}"); strings.Count(images, "\n") < 3 {
		t.Errorf("the PDF embeds no logo:\n%s", images)
	}
	res, err := http.Get(e.URL + apitest.Str(t, fin, "invoice", "hostedInvoiceUrl"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`<img src="data:image/png;base64,`, "--brand: #00aa00"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("hosted page lacks %q", want)
		}
	}
}

// TestInvoiceTemplate sets the account's template and a customer's
// overrides, and checks what new drafts start with and what the PDF
// prints; issued invoices keep the terms they were issued under.
func TestInvoiceTemplate(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {
		name: "Acme", legalName: "Acme SAS", country: "FR", siren: "732829320", vatNumber: "FR44732829320", operationCategory: SERVICES,
		address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"},
		defaultMemo: "Merci !", defaultFooter: "Acme SAS au capital de 10 000 €",
		defaultCustomFields: [{name: "Contrat", value: "C-42"}], defaultDaysUntilDue: 45, pageSize: LETTER,
		latePaymentPenalty: "10 % par an", recoveryIndemnity: "40 €", earlyPaymentDiscount: "Escompte de 2 % pour paiement à 8 jours"
	}) { account { id pageSize } userErrors { field code } } }`, nil)

	newCustomer := func(settings string) string {
		q := `mutation { customerCreate(input: {customer: {name: "Client", preferredLocales: ["fr"]` + settings + `}}) { customer { id } warnings { code } userErrors { field code } } }`
		return apitest.Str(t, e.Mutate("customerCreate", q, nil), "customer", "id")
	}
	plain := newCustomer("")
	special := newCustomer(`, invoiceSettings: {memo: "Pour B", customFields: [], daysUntilDue: 15, pageSize: A4}`)

	bad := e.MutateErr("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {invoiceSettings: {daysUntilDue: -1, pageSize: A4}}}) { customer { id } userErrors { field code } } }`, map[string]any{"id": special})
	if codes := apitest.ErrorCodes(t, bad); len(codes) != 1 || codes[0] != "INVALID" {
		t.Errorf("daysUntilDue -1: %v", bad)
	}
	got := e.Query(`query($id: ID!) { node(id: $id) { ... on Customer { invoiceSettings { memo daysUntilDue pageSize customFields { name } } } } }`, map[string]any{"id": special})
	if apitest.Get(t, got, "node", "invoiceSettings", "daysUntilDue") != float64(15) {
		t.Errorf("a refused update changed the overrides: %v", got)
	}

	const create = `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Audit", unitAmount: "1200"}]}) { invoice { id memo footer daysUntilDue customFields { name value } } userErrors { code } } }`
	a := e.Mutate("invoiceCreate", create, map[string]any{"c": plain})
	if apitest.Str(t, a, "invoice", "memo") != "Merci !" || apitest.Get(t, a, "invoice", "daysUntilDue") != float64(45) ||
		apitest.Str(t, a, "invoice", "customFields", 0, "value") != "C-42" || apitest.Str(t, a, "invoice", "footer") == "" {
		t.Errorf("draft from the account template: %v", a)
	}
	b := e.Mutate("invoiceCreate", create, map[string]any{"c": special})
	if apitest.Str(t, b, "invoice", "memo") != "Pour B" || apitest.Get(t, b, "invoice", "daysUntilDue") != float64(15) ||
		len(apitest.Get(t, b, "invoice", "customFields").([]any)) != 0 {
		t.Errorf("draft with the customer's overrides: %v", b)
	}

	idA, idB := apitest.Str(t, a, "invoice", "id"), apitest.Str(t, b, "invoice", "id")
	for _, id := range []string{idA, idB} {
		e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
	}
	// Later template changes do not rewrite issued invoices.
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {latePaymentPenalty: "15 % par an"}) { account { id } userErrors { code } } }`, nil)

	_, _, pdfA := getPDF(t, e, "/invoices/"+idA+"/pdf", e.Key)
	if info := pdfTool(t, pdfA, "pdfinfo", "{}"); !strings.Contains(info, "612 x 792 pts") {
		t.Errorf("page size is not Letter:\n%s", info)
	}
	text := pdfText(t, pdfA)
	for _, want := range []string{"10 % par an", "40 €", "Escompte de 2 %", "Contrat", "C-42", "Merci !", "capital de 10 000"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if strings.Contains(text, "15 % par an") {
		t.Errorf("an issued invoice took the new penalty rate")
	}
	_, _, pdfB := getPDF(t, e, "/invoices/"+idB+"/pdf", e.Key)
	if info := pdfTool(t, pdfB, "pdfinfo", "{}"); !strings.Contains(info, "595") {
		t.Errorf("the customer's page size (A4) was not used:\n%s", info)
	}
}

// TestFinalizeAndSend covers sending at finalization (explicitly and by
// the template's autoSend) and the "invoice updated" email of a revision,
// delivered over SMTP in English, its PDF checked by qpdf.
func TestFinalizeAndSend(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	srv := mailtest.Start(t, mailtest.Options{})
	tick := mailWorker(t, e, srv)
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {operationCategory: SERVICES, siren: "732829320", vatNumber: "FR44732829320", name: "Acme", legalName: "Acme SAS", country: "FR", autoSend: true,
		address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { code } } }`, nil)
	withEmail := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["en"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	noEmail := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Sans Email"}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	draft := func(c string) string {
		return apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Premium access, 1 year", unitAmount: "5000"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": c}), "invoice", "id")
	}
	const finalize = `mutation($in: InvoiceFinalizeInput!) { invoiceFinalize(input: $in) { invoice { id number status emails { status subject } } userErrors { field code } } }`

	// Explicit send to a customer without email: refused, nothing issued.
	lonely := draft(noEmail)
	p := e.MutateErr("invoiceFinalize", finalize, map[string]any{"in": map[string]any{"id": lonely, "send": true}})
	if codes := apitest.ErrorCodes(t, p); len(codes) != 1 || codes[0] != "REQUIRED" {
		t.Fatalf("send without any recipient: %v", p)
	}
	if st := apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { status } }`, map[string]any{"id": lonely}), "invoice", "status"); st != "DRAFT" {
		t.Fatalf("a refused finalize-and-send left the invoice %s", st)
	}
	// autoSend skips a customer without email, and the number sequence
	// has no gap from the refused attempt.
	f := e.Mutate("invoiceFinalize", finalize, map[string]any{"in": map[string]any{"id": lonely}})
	if n := len(apitest.Get(t, f, "invoice", "emails").([]any)); n != 0 || !strings.HasSuffix(apitest.Str(t, f, "invoice", "number"), "0001") {
		t.Errorf("autoSend without email: %v", f)
	}
	// send: false overrides autoSend.
	quietInv := draft(withEmail)
	f = e.Mutate("invoiceFinalize", finalize, map[string]any{"in": map[string]any{"id": quietInv, "send": false}})
	if n := len(apitest.Get(t, f, "invoice", "emails").([]any)); n != 0 {
		t.Errorf("send: false still queued %d emails", n)
	}
	// autoSend queues the invoice email with the finalization.
	auto := draft(withEmail)
	f = e.Mutate("invoiceFinalize", finalize, map[string]any{"in": map[string]any{"id": auto}})
	number := apitest.Str(t, f, "invoice", "number")
	if apitest.Str(t, f, "invoice", "emails", 0, "status") != "QUEUED" {
		t.Fatalf("autoSend: %v", f)
	}
	if n := tick(); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}

	// Revise it to add a purchase-order number, and notify the customer.
	rev := apitest.Str(t, e.Mutate("invoiceRevise", `mutation($id: ID!) { invoiceRevise(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": auto}), "invoice", "id")
	e.Mutate("invoiceUpdate", `mutation($id: ID!) { invoiceUpdate(input: {id: $id, customFields: [{name: "Numéro de bon de commande", value: "12345"}]}) { invoice { id } userErrors { field code } } }`, map[string]any{"id": rev})
	f = e.Mutate("invoiceFinalize", finalize, map[string]any{"in": map[string]any{"id": rev, "send": true, "to": []any{"ap@example.com"}}})
	revNumber := apitest.Str(t, f, "invoice", "number")
	if n := tick(); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("received %d messages", len(msgs))
	}
	for i, want := range []string{"Invoice " + number + " from Acme", "Updated invoice " + revNumber + " from Acme"} {
		m, err := msgs[i].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != want {
			t.Errorf("message %d: subject %q, want %q", i, m.Subject, want)
		}
		if len(m.Attachments) != 1 {
			t.Fatalf("message %d: %d attachments", i, len(m.Attachments))
		}
		pdf := m.Attachments[0].Data
		pdfTool(t, pdf, "qpdf", "--check", "{}")
		text := pdfText(t, pdf)
		for _, w := range []string{"Invoice", "€5,000.00", "Jenny Rosen"} {
			if !strings.Contains(text, w) {
				t.Errorf("message %d: PDF lacks %q", i, w)
			}
		}
		if i == 1 {
			if !strings.Contains(m.Text, "It replaces invoice "+number) || strings.Join(msgs[i].To, ",") != "jenny@example.com,ap@example.com" {
				t.Errorf("updated email: to %v, text %q", msgs[i].To, m.Text)
			}
			for _, w := range []string{"Numéro de bon de commande", "12345", "Replaces invoice", number} {
				if !strings.Contains(text, w) {
					t.Errorf("revision PDF lacks %q", w)
				}
			}
		}
	}
}
