package servertest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/testtool"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestEInvoiceConformance issues a varied corpus of invoices, revisions
// and credit notes through the public API, downloads every one's CII and
// UBL, and runs the official rules on them in one batch (validate.sh: the
// XSD, the CEN EN 16931 schematron, and the Factur-X EN 16931 profile
// for CII). Any fatal finding fails. The French rules (BR-FR, --fr) run
// on the French-to-French subset and are only reported: they need fields
// Remit does not have yet.
//
// REMIT_EINVOICE_CORPUS sets the number of documents (default 1000).
func TestEInvoiceConformance(t *testing.T) {
	validator := einvoiceValidator(t)
	size := 1000
	if s := os.Getenv("REMIT_EINVOICE_CORPUS"); s != "" {
		size, _ = strconv.Atoi(s)
	}
	e := apitest.Start(t, "sqlite")
	start := time.Now()

	_, deKey := e.NewAccount("Muster", viewer.Test)
	fr, de := &seller{url: e.URL, key: e.Key}, &seller{url: e.URL, key: deKey}
	fr.must(`mutation { accountUpdate(input: {operationCategory: SERVICES, vatOnDebits: true, legalForm: "SAS", shareCapital: "10 000 €", registration: "RCS Paris 732 829 320",
  name: "Acme", legalName: "Acme SAS", email: "billing@acme.fr", siren: "732829320", siret: "73282932000074",
  vatNumber: "FR44732829320", address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}, bankIban: "FR7630006000011234567890189", bankBic: "AGRIFRPP"}) { userErrors { field message } } }`)
	de.must(`mutation { accountUpdate(input: {name: "Muster", legalName: "Muster GmbH", email: "rechnung@muster.de", vatNumber: "DE136695976",
  address: {line1: "Hauptstraße 1", postalCode: "10115", city: "Berlin", country: "DE"}}) { userErrors { field message } } }`)
	for _, s := range []*seller{fr, de} {
		s.rates = map[string]string{}
		std := map[*seller][]string{fr: {"20", "10", "5.5"}, de: {"19", "7"}}[s]
		for _, p := range std {
			s.rates["S"+p] = s.rate(map[string]any{"displayName": "VAT", "percentage": p, "category": "S"})
			s.rates["I"+p] = s.rate(map[string]any{"displayName": "VAT incl.", "percentage": p, "category": "S", "inclusive": true})
		}
		s.std = std
		s.rates["Z"] = s.rate(map[string]any{"displayName": "Zero", "percentage": "0", "category": "Z"})
		s.rates["E"] = s.rate(map[string]any{"displayName": "Exempt", "percentage": "0", "category": "E", "exemptionReason": "Exonération de TVA, art. 261-4-4° du CGI", "exemptionCode": "VATEX-EU-132-1I"})
		s.rates["AE"] = s.rate(map[string]any{"displayName": "Reverse", "percentage": "0", "category": "AE"})
		s.rates["K"] = s.rate(map[string]any{"displayName": "Intra-EU", "percentage": "0", "category": "K"})
		s.rates["G"] = s.rate(map[string]any{"displayName": "Export", "percentage": "0", "category": "G"})
		s.rates["O"] = s.rate(map[string]any{"displayName": "Not subject", "percentage": "0", "category": "O"})
	}

	// Buyers: each currency its own customers (a customer's currency is
	// locked by its first invoice).
	type buyer struct {
		s        *seller
		id       string
		currency string
		cats     []string // categories its supplies may be of
		frfr     bool
	}
	var buyers []buyer
	newBuyer := func(s *seller, currency string, frfr bool, cats []string, in string) {
		d := s.must(`mutation { customerCreate(input: {customer: {` + in + `}}) { customer { id } userErrors { field message } } }`)
		buyers = append(buyers, buyer{s, apitest.Str(t, d, "customerCreate", "customer", "id"), currency, cats, frfr})
	}
	frAddr := `address: {line1: "2 avenue Foch", postalCode: "69006", city: "Lyon", country: "FR"}`
	deAddr := `address: {line1: "Alexanderplatz 5", postalCode: "10178", city: "Berlin", country: "DE"}`
	deShip := `shipping: {name: "Lager Nord", address: {line1: "Hafenstraße 9", postalCode: "20457", city: "Hamburg", country: "DE"}}`
	for i := range 3 {
		n := strconv.Itoa(i)
		newBuyer(fr, "EUR", true, []string{"S", "Z", "E"}, `name: "Client `+n+` SARL", email: "compta`+n+`@client.fr", preferredLocales: ["fr"], `+frAddr+`,
  taxIds: [{type: "fr_siren", value: "552100554"}, {type: "eu_vat", value: "FR96552100554"}]`)
		newBuyer(fr, "EUR", false, []string{"S", "AE", "K"}, `name: "Kunde `+n+` GmbH", email: "buchhaltung`+n+`@kunde.de", preferredLocales: ["de"], `+deAddr+`, `+deShip+`,
  taxIds: [{type: "eu_vat", value: "DE811569869"}]`)
		newBuyer(de, "EUR", false, []string{"S", "AE", "K"}, `name: "Client `+n+` SAS", email: "achats`+n+`@client.fr", preferredLocales: ["fr"], `+frAddr+`,
  shipping: {name: "Entrepôt", address: {line1: "ZI Nord", postalCode: "59000", city: "Lille", country: "FR"}}, taxIds: [{type: "eu_vat", value: "FR96552100554"}]`)
		newBuyer(fr, "USD", false, []string{"G", "O"}, `name: "Buyer `+n+` Inc", email: "ap`+n+`@buyer.example", preferredLocales: ["en"], address: {line1: "1 Main St", postalCode: "10001", city: "New York", state: "NY", country: "US"}`)
		newBuyer(fr, "JPY", false, []string{"G", "S"}, `name: "Kaisha `+n+` KK", email: "keiri`+n+`@kaisha.example", address: {line1: "1-1 Marunouchi", postalCode: "100-0005", city: "Tokyo", country: "JP"}`)
		newBuyer(fr, "KWD", false, []string{"G"}, `name: "Sharika `+n+` WLL", email: "acc`+n+`@sharika.example", address: {line1: "Gulf Road", postalCode: "13001", city: "Kuwait City", country: "KW"}`)
		newBuyer(de, "EUR", false, []string{"S"}, `name: "Kunde `+n+` AG", email: "ap`+n+`@kunde-ag.de", `+deAddr)
	}

	dir := t.TempDir()
	frDir := filepath.Join(dir, "fr")
	allDir := filepath.Join(dir, "all")
	pdfDir := t.TempDir()
	for _, d := range []string{frDir, allDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var docs, kinds atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	// save downloads both syntaxes of a document to the corpus.
	save := func(s *seller, path, name string, frfr bool) bool {
		for _, syntax := range []string{"cii", "ubl"} {
			body, err := s.get(path + "?syntax=" + syntax)
			if err != nil {
				fail("%s: %v", path, err)
				return false
			}
			file := filepath.Join(allDir, name+"-"+syntax+".xml")
			if frfr {
				file = filepath.Join(frDir, name+"-"+syntax+".xml")
			}
			if err := os.WriteFile(file, body, 0o644); err != nil {
				fail("%v", err)
				return false
			}
		}
		docs.Add(1)
		return true
	}

	const workers = 4
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if docs.Load() >= int64(size) || i >= 4*size || len(failures) >= 20 {
					return
				}
				b := buyers[i%len(buyers)]
				s := b.s
				inv, err := s.invoice(i, b.id, b.currency, b.cats)
				if err != nil {
					fail("invoice %d: %v", i, err)
					return
				}
				kinds.Add(1)
				save(s, "/invoices/"+inv.id+"/einvoice.xml", fmt.Sprintf("inv-%d", i), b.frfr)
				if i%350 == 0 { // a sample of the PDFs, for the Factur-X container
					if pdf, err := s.getPDF("/invoices/" + inv.id + "/pdf"); err != nil {
						fail("pdf %d: %v", i, err)
					} else if err := os.WriteFile(filepath.Join(pdfDir, fmt.Sprintf("inv-%d.pdf", i)), pdf, 0o644); err != nil {
						fail("%v", err)
					}
				}
				switch {
				case i%7 == 3: // a revision replaces the invoice (type 384)
					rev, err := s.revise(inv.id)
					if err != nil {
						fail("revise %d: %v", i, err)
						return
					}
					save(s, "/invoices/"+rev+"/einvoice.xml", fmt.Sprintf("rev-%d", i), b.frfr)
				case i%5 == 1: // a credit note (type 381), by line or by amount
					cn, err := s.creditNote(i, inv)
					if err != nil {
						fail("credit note %d: %v", i, err)
						return
					}
					save(s, "/credit_notes/"+cn+"/einvoice.xml", fmt.Sprintf("cn-%d", i), b.frfr)
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		return
	}
	// Automatic charges by SEPA direct debit: the mandate the invoice is
	// collected under is its payment means (59, BT-89).
	debtor := apitest.Str(t, fr.must(`mutation { customerCreate(input: {customer: {name: "Prélevé SARL", email: "compta@preleve.fr", preferredLocales: ["fr"],
  address: {line1: "3 rue Neuve", postalCode: "33000", city: "Bordeaux", country: "FR"}, taxIds: [{type: "fr_siren", value: "552100554"}]}}) { customer { id } userErrors { field message } } }`),
		"customerCreate", "customer", "id")
	fr.must(`mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, setDefault: true, sepaDebit: {iban: "FR7630006000011234567890189", accountHolder: "Prélevé SARL"}}) { paymentMethod { id } userErrors { field message } } }`, "c", debtor)
	for i := range 4 {
		d := fr.must(`mutation($c: ID!, $r: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", collectionMethod: CHARGE_AUTOMATICALLY,
  lines: [{description: "Abonnement", unitAmount: "120", taxRates: [$r]}]}) { invoice { id } userErrors { field message } } }`, "c", debtor, "r", fr.rates["S20"])
		id := apitest.Str(t, d, "invoiceCreate", "invoice", "id")
		fr.must(`mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { field message } } }`, "id", id)
		if !save(fr, "/invoices/"+id+"/einvoice.xml", fmt.Sprintf("debit-%d", i), true) {
			break
		}
		if i == 0 {
			cii, err := fr.get("/invoices/" + id + "/einvoice.xml?syntax=cii")
			if err != nil || !strings.Contains(string(cii), "<ram:TypeCode>59</ram:TypeCode>") || !strings.Contains(string(cii), "<ram:DirectDebitMandateID>") {
				t.Errorf("a direct-debited invoice's CII does not name its mandate: %v\n%.3000s", err, cii)
			}
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
	generated := time.Since(start)

	// A draft has no e-invoice.
	d := fr.must(`mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "x", unitAmount: "1"}]}) { invoice { id einvoice { ciiUrl ublUrl } } userErrors { message } } }`, "c", buyers[0].id)
	if links := apitest.Get(t, d, "invoiceCreate", "invoice", "einvoice").(map[string]any); links["ciiUrl"] != nil || links["ublUrl"] != nil {
		t.Errorf("a draft has e-invoice links: %v", links)
	}
	if _, err := fr.get("/invoices/" + apitest.Str(t, d, "invoiceCreate", "invoice", "id") + "/einvoice.xml"); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("a draft's e-invoice: %v, want a 422", err)
	}

	vstart := time.Now()
	out, err := exec.Command(filepath.Join(validator, "validate.sh"), dir, "--json").Output()
	var report validation
	if jerr := json.Unmarshal(out, &report); jerr != nil {
		t.Fatalf("validate.sh: %v / %v: %.2000s", err, jerr, out)
	}
	files, fatal := report.summary(t, 30)
	t.Logf("e-invoice corpus: %d documents (%d invoices), %d XML files, generated in %s; validated (XSD + CEN EN 16931 + Factur-X EN 16931) in %s: %d fatal findings",
		docs.Load(), kinds.Load(), files, generated.Round(time.Millisecond), time.Since(vstart).Round(time.Millisecond), fatal)
	if docs.Load() < int64(size) {
		t.Errorf("corpus has %d documents, want %d", docs.Load(), size)
	}
	if fatal > 0 || err != nil {
		t.Errorf("validate.sh found %d fatal findings (exit %v)", fatal, err)
	}

	// The PDFs customers receive carry the same CII as Factur-X: the
	// container, its XMP and the embedded XML pass validate-facturx.sh.
	pdfs, _ := filepath.Glob(filepath.Join(pdfDir, "*.pdf"))
	if len(pdfs) == 0 {
		t.Error("no PDF sampled")
	}
	for _, pdf := range pdfs {
		if out, err := exec.Command(filepath.Join(validator, "validate-facturx.sh"), pdf).CombinedOutput(); err != nil {
			t.Errorf("validate-facturx.sh %s: %v\n%.3000s", filepath.Base(pdf), err, out)
		}
	}
	t.Logf("Factur-X container: %d sampled PDFs pass validate-facturx.sh", len(pdfs))

	// The French rules (FNFE BR-FR) on French-to-French documents: the
	// Factur-X CII, which French platforms take, passes them; PEPPOL's UBL
	// is reported only, since BR-FR reads the billing frame (BT-23) from
	// the ProfileID that PEPPOL BIS fixes to its own.
	out, _ = exec.Command(filepath.Join(validator, "validate.sh"), frDir, "--fr", "--json").Output()
	var fr2 validation
	if err := json.Unmarshal(out, &fr2); err != nil {
		t.Fatalf("validate.sh --fr: %v: %.2000s", err, out)
	}
	ubl := map[string]int{}
	ciiFiles, ciiFatal := 0, 0
	for _, f := range fr2.Files {
		cii := strings.HasSuffix(f.File, "-cii.xml")
		if cii {
			ciiFiles++
		}
		for _, x := range f.Findings {
			switch {
			case x.Flag == "warning":
			case cii:
				ciiFatal++
				if ciiFatal <= 20 {
					t.Errorf("BR-FR %s: %s %s: %s", filepath.Base(f.File), x.ID, x.Location, x.Text)
				}
			default:
				ubl[x.ID]++
			}
		}
	}
	if ciiFiles == 0 {
		t.Error("no French-to-French CII file was checked against BR-FR")
	}
	t.Logf("BR-FR (--fr): %d French-to-French CII files, %d fatal findings; on their UBL (reported only): %v", ciiFiles, ciiFatal, ubl)
}

// einvoiceValidator is the validator folder: REMIT_EINVOICE_DIR, else
// ../shared/einvoice/validator from the repository root. Missing, or
// without java and xmllint, the test fails (or skips under
// REMIT_SKIP_TOOL_TESTS).
func einvoiceValidator(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("REMIT_EINVOICE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "einvoice")
	}
	if _, err := os.Stat(filepath.Join(dir, "validator", "validate.sh")); err != nil {
		testtool.Missing(t, filepath.Join(dir, "validator", "validate.sh"),
			"the EN 16931 artefacts and validator: ../shared/einvoice next to the repository, or set REMIT_EINVOICE_DIR")
	}
	testtool.Need(t, "Debian package default-jre-headless", "java")
	testtool.Need(t, "Debian package libxml2-utils", "xmllint")
	if _, err := os.Stat("/usr/share/java/Saxon-HE.jar"); err != nil {
		testtool.Missing(t, "Saxon-HE", "Debian package libsaxonhe-java")
	}
	return filepath.Join(dir, "validator")
}

// validation is validate.sh --json's output, as much as the test reads.
type validation struct {
	Files []struct {
		File     string `json:"file"`
		Findings []struct {
			ID       string `json:"id"`
			Flag     string `json:"flag"`
			Text     string `json:"text"`
			Location string `json:"location"`
		} `json:"findings"`
	} `json:"results"`
}

// summary counts the files and fatal findings, logging up to max of them.
func (v validation) summary(t *testing.T, max int) (files, fatal int) {
	for _, f := range v.Files {
		for _, x := range f.Findings {
			if x.Flag == "warning" {
				continue
			}
			if fatal++; fatal <= max {
				t.Logf("FATAL %s %s %s: %s", filepath.Base(f.File), x.ID, x.Location, x.Text)
			}
		}
	}
	return len(v.Files), fatal
}

// seller is one account, used from any goroutine.
type seller struct {
	url, key string
	rates    map[string]string
	std      []string
}

func (s *seller) do(query string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
		return nil, fmt.Errorf("status %d: %s", res.StatusCode, raw)
	}
	for _, p := range out.Data {
		if m, ok := p.(map[string]any); ok {
			if ue, _ := m["userErrors"].([]any); len(ue) > 0 {
				return nil, fmt.Errorf("userErrors: %v", ue)
			}
		}
	}
	return out.Data, nil
}

// must runs a query from the test's goroutine; vars are name, value pairs.
func (s *seller) must(query string, vars ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i].(string)] = vars[i+1]
	}
	d, err := s.do(query, m)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", query[:min(len(query), 60)], err))
	}
	return d
}

func (s *seller) rate(in map[string]any) string {
	if _, ok := in["inclusive"]; !ok {
		in["inclusive"] = false
	}
	d := s.must(`mutation($in: TaxRateCreateInput!) { taxRateCreate(input: $in) { taxRate { id } userErrors { field message } } }`, "in", in)
	return d["taxRateCreate"].(map[string]any)["taxRate"].(map[string]any)["id"].(string)
}

// fetch downloads path with the seller's key: the body of a 200.
func (s *seller) fetch(path string) ([]byte, http.Header, error) {
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %d %.200s", path, res.StatusCode, body)
	}
	return body, res.Header, nil
}

// get downloads an e-invoice XML.
func (s *seller) get(path string) ([]byte, error) {
	body, h, err := s.fetch(path)
	if err != nil {
		return nil, err
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") || !strings.Contains(h.Get("Content-Disposition"), ".xml") {
		return nil, fmt.Errorf("GET %s: Content-Type %q, Content-Disposition %q", path, ct, h.Get("Content-Disposition"))
	}
	return body, nil
}

// getPDF downloads a PDF.
func (s *seller) getPDF(path string) ([]byte, error) {
	body, _, err := s.fetch(path)
	if err == nil && !bytes.HasPrefix(body, []byte("%PDF")) {
		err = fmt.Errorf("GET %s: not a PDF: %.80q", path, body)
	}
	return body, err
}

type issued struct {
	id    string
	lines []string
	total string
}

// invoice creates and issues invoice i of a varied shape: one to four
// lines, VAT categories the buyer allows, rates inclusive or exclusive,
// line and invoice discounts, service periods, credit from the balance
// and payment plans.
func (s *seller) invoice(i int, customer, currency string, cats []string) (issued, error) {
	price := func(k int) string {
		switch currency {
		case "JPY":
			return strconv.Itoa(1000 + 137*k)
		case "KWD": // whole hundredths: EN 16931 amounts have 2 decimals
			return fmt.Sprintf("%d.%02d", 10+k, (k*7)%100)
		}
		return fmt.Sprintf("%d.%02d", 20+k*3, (k*37)%100)
	}
	cat := cats[i%len(cats)]
	var lines []any
	n := 1 + i%4
	for k := range n {
		c := cat
		if i%3 == 0 && (cat == "S" || cat == "Z" || cat == "E") { // mix categories on one invoice
			c = cats[(i+k)%len(cats)]
			if c != "S" && c != "Z" && c != "E" {
				c = "S"
			}
		}
		rate := s.rates[c]
		if c == "S" {
			p := s.std[(i+k)%len(s.std)]
			rate = s.rates["S"+p]
			if i%4 == 2 && currency == "EUR" { // a whole invoice inclusive: see the report on mixing
				rate = s.rates["I"+p]
			}
		}
		if currency == "KWD" {
			rate = s.rates["G"]
		}
		l := map[string]any{"description": fmt.Sprintf("Item %d-%d", i, k), "quantity": strconv.Itoa(1 + (i+k)%3), "unitAmount": price(i + k), "taxRates": []any{rate}}
		if (i+k)%5 == 0 && currency != "KWD" {
			l["discounts"] = []any{map[string]any{"percent": "10", "name": "Fidélité"}}
		}
		if cat == "K" || (i+k)%6 == 0 {
			l["periodStart"], l["periodEnd"] = "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z"
		}
		lines = append(lines, l)
	}
	in := map[string]any{"customer": customer, "currency": currency, "lines": lines, "daysUntilDue": 30}
	if i%4 == 1 && currency != "KWD" {
		in["discounts"] = []any{map[string]any{"percent": "5", "name": "Remise commerciale"}}
	}
	if i%11 == 5 && i%5 != 1 && currency == "EUR" { // not with a credit note: its settlement would have to say where the credit goes
		if _, err := s.do(`mutation($in: CustomerBalanceAdjustInput!) { customerBalanceAdjust(input: $in) { userErrors { message } } }`,
			map[string]any{"in": map[string]any{"customer": customer, "amount": "-3.00", "currency": currency, "description": "Avoir commercial"}}); err != nil {
			return issued{}, err
		}
	}
	d, err := s.do(`mutation($in: InvoiceCreateInput!) { invoiceCreate(input: $in) { invoice { id total { amount } lines { id } } userErrors { field message } } }`, map[string]any{"in": in})
	if err != nil {
		return issued{}, err
	}
	inv := d["invoiceCreate"].(map[string]any)["invoice"].(map[string]any)
	out := issued{id: inv["id"].(string), total: inv["total"].(map[string]any)["amount"].(string)}
	for _, l := range inv["lines"].([]any) {
		out.lines = append(out.lines, l.(map[string]any)["id"].(string))
	}
	fin := map[string]any{"id": out.id}
	d, err = s.do(`mutation($in: InvoiceFinalizeInput!) { invoiceFinalize(input: $in) { invoice { amountDue { amount } } userErrors { field message } } }`, map[string]any{"in": fin})
	if err != nil {
		return issued{}, err
	}
	_ = d
	return out, nil
}

func (s *seller) revise(id string) (string, error) {
	d, err := s.do(`mutation($in: InvoiceIDInput!) { invoiceRevise(input: $in) { invoice { id } userErrors { field message } } }`, map[string]any{"in": map[string]any{"id": id}})
	if err != nil {
		return "", err
	}
	rev := d["invoiceRevise"].(map[string]any)["invoice"].(map[string]any)["id"].(string)
	_, err = s.do(`mutation($in: InvoiceFinalizeInput!) { invoiceFinalize(input: $in) { invoice { id } userErrors { field message } } }`, map[string]any{"in": map[string]any{"id": rev}})
	return rev, err
}

func (s *seller) creditNote(i int, inv issued) (string, error) {
	in := map[string]any{"invoice": inv.id, "reason": "ORDER_CHANGE", "email": false}
	if i%2 == 0 {
		in["lines"] = []any{map[string]any{"invoiceLine": inv.lines[0], "quantity": "1"}}
	} else {
		in["lines"] = []any{map[string]any{"invoiceLine": inv.lines[len(inv.lines)-1], "quantity": "1"}}
	}
	d, err := s.do(`mutation($in: CreditNoteCreateInput!) { creditNoteCreate(input: $in) { creditNote { id } userErrors { field message } } }`, map[string]any{"in": in})
	if err != nil {
		return "", err
	}
	return d["creditNoteCreate"].(map[string]any)["creditNote"].(map[string]any)["id"].(string), nil
}
