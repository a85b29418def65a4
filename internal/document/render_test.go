package document

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/testtool"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests read the PDFs back with poppler-utils (pdftotext, pdfinfo,
// pdffonts, pdfimages) and qpdf. Each check that needs a missing tool skips
// with a message; the byte-level checks always run.

func needTool(t *testing.T, name string) string {
	t.Helper()
	return testtool.Need(t, "Debian packages poppler-utils and qpdf", name)
}

// runTool writes pdf to a temporary file and runs tool on it; the file name
// replaces "{}" in args. It returns stdout and fails the test on a non-zero
// exit.
func runTool(t *testing.T, pdf []byte, tool string, args ...string) string {
	t.Helper()
	bin := needTool(t, tool)
	f := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "{}" {
			args[i] = f
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", tool, args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// normalize turns every run of white space, including the no-break spaces
// of French number formatting and line ends, into one space.
func normalize(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// pages extracts the text of every page, normalized.
func pages(t *testing.T, pdf []byte) []string {
	t.Helper()
	out := runTool(t, pdf, "pdftotext", "-layout", "-enc", "UTF-8", "{}", "-")
	parts := strings.Split(out, "\f")
	if len(parts) > 0 && strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		parts[i] = normalize(parts[i])
	}
	return parts
}

// pdfinfo returns one field of pdfinfo's output, normalized.
func pdfinfo(t *testing.T, pdf []byte, field string) string {
	t.Helper()
	for _, l := range strings.Split(runTool(t, pdf, "pdfinfo", "{}"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == field {
			return normalize(v)
		}
	}
	t.Fatalf("pdfinfo prints no %s", field)
	return ""
}

func text(t *testing.T, pdf []byte) string {
	t.Helper()
	return strings.Join(pages(t, pdf), " ")
}

func render(t testing.TB, inv Invoice) []byte {
	t.Helper()
	pdf, err := Render(context.Background(), inv)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return pdf
}

func assertContains(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, normalize(w)) {
			t.Errorf("text lacks %q\ntext: %s", w, got)
		}
	}
}

func assertLacks(t *testing.T, got string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, normalize(w)) {
			t.Errorf("text has %q, it should not", w)
		}
	}
}

func TestRenderMentions(t *testing.T) {
	common := []string{
		"MYBUSINE-0001", "Dupont & Fils", "Dupont & Fils SAS", "12 rue de la Paix", "75002 Paris",
		"Jenny Rosen", "Rosen Consulting SARL", "8 avenue Foch", "69006 Lyon", "jenny.rosen@example.com",
		"732829320", "73282932000074", "FR44732829320", "552100554", "FR83552100554",
		"Accès Premium 1 an", "Appels API supplémentaires",
		"Numéro de bon de commande 12345", "Merci pour votre confiance.",
		"Dupont & Fils SAS au capital de 10 000 € – RCS Paris 732 829 320",
		"Paiement à 30 jours", "IBAN FR76 3000 6000 0112 3456 7890 189 – BIC AGRIFRPP",
	}
	tests := []struct {
		locale       string
		want, unwant []string
	}{{
		locale: "fr",
		want: []string{
			"Facture", "Numéro de facture MYBUSINE-0001",
			"Date d'émission 21/11/2026", "Date d'échéance 21/12/2026",
			"Nature des opérations Prestation de services",
			"Émetteur", "Facturé à", "France",
			"SIREN : 732829320", "SIRET : 73282932000074",
			"N° TVA intracommunautaire : FR44732829320", "N° TVA intracommunautaire : FR83552100554",
			"Désignation", "Qté", "Prix unitaire HT", "Montant HT",
			"5 000,00 $US", "0,0125 $US", "1 200", "15,00 $US", "21/11/2026 – 20/11/2027",
			"Récapitulatif de la TVA", "Taux", "Base HT", "Montant TVA",
			"TVA 20 % 5 015,00 $US 1 003,00 $US",
			"Total HT 5 015,00 $US", "Total TVA 1 003,00 $US", "Total TTC 6 018,00 $US",
			"Déjà réglé -18,00 $US", "Montant dû 6 000,00 $US",
			"6 000,00 $US à régler au plus tard le 21/12/2026",
			"Conditions de paiement", "Modalités de paiement",
			"En cas de retard de paiement, des pénalités au taux de trois fois le taux d'intérêt légal sont exigibles dès le jour suivant la date d'échéance",
			"indemnité forfaitaire pour frais de recouvrement de 40 €",
			"Pas d'escompte pour paiement anticipé.", "Page 1/1",
		},
		unwant: []string{"Invoice", "Amount due", "BROUILLON", "Autoliquidation", "Exonération", "(suite)"},
	}, {
		locale: "en-US",
		want: []string{
			"Invoice", "Invoice number MYBUSINE-0001",
			"Date of issue Nov 21, 2026", "Date due Dec 21, 2026",
			"Nature of the operations Supply of services",
			"From", "Bill to", "France",
			"SIREN: 732829320", "SIRET: 73282932000074",
			"VAT number: FR44732829320", "VAT number: FR83552100554",
			"Description", "Qty", "Unit price", "Amount",
			"$5,000.00", "$0.0125", "1,200", "$15.00", "Nov 21, 2026 – Nov 20, 2027",
			"Tax summary", "Rate", "Taxable amount",
			"TVA 20% $5,015.00 $1,003.00",
			"Total excluding tax $5,015.00", "Total tax $1,003.00", "Total $6,018.00",
			"Amount paid -$18.00", "Amount due $6,000.00",
			"$6,000.00 due Dec 21, 2026",
			"Payment terms", "How to pay",
			// The French legal defaults read in English (they used to be
			// printed in French inside the English sentence).
			"Late payment: penalties at three times the French legal interest rate are due from the day after the due date",
			"fixed indemnity for recovery costs of €40",
			"No discount for early payment.", "Page 1/1",
		},
		unwant: []string{"Facture", "Montant dû", "DRAFT", "Reverse charge", "VAT exemption", "(continued)",
			"trois fois le taux d'intérêt légal", "40 €"},
	}, {
		// German: DIN 5008 dates and numbers, the wording of a German
		// invoice, the French legal mentions in German.
		locale: "de-DE",
		want: []string{
			"Rechnung", "Rechnungsnummer MYBUSINE-0001",
			"Rechnungsdatum 21.11.2026", "Fälligkeitsdatum 21.12.2026",
			"Art der Umsätze Erbringung von Dienstleistungen",
			"Rechnungssteller", "Rechnungsempfänger", "Frankreich",
			"SIREN: 732829320", "SIRET: 73282932000074",
			"USt-IdNr.: FR44732829320", "USt-IdNr.: FR83552100554",
			"Beschreibung", "Menge", "Einzelpreis", "Betrag",
			"5.000,00 $", "0,0125 $", "1.200", "15,00 $", "21.11.2026 – 20.11.2027",
			"MwSt.-Aufstellung", "Satz", "Nettobetrag",
			"TVA 20 % 5.015,00 $ 1.003,00 $",
			"Gesamtbetrag netto 5.015,00 $", "MwSt. gesamt 1.003,00 $", "Gesamtbetrag 6.018,00 $",
			"Bereits bezahlt -18,00 $", "Offener Betrag 6.000,00 $",
			"6.000,00 $ zahlbar bis 21.12.2026",
			"Zahlungsbedingungen", "Zahlungsinformationen",
			"Verzugszinsen (Zinssatz: das Dreifache des französischen gesetzlichen Zinssatzes)",
			"Pauschale für Beitreibungskosten von 40 €",
			"Kein Skonto bei vorzeitiger Zahlung.", "Seite 1/1",
		},
		unwant: []string{"Invoice", "Facture", "Montant dû", "Amount due", "ENTWURF", "Steuerschuldnerschaft",
			"trois fois le taux d'intérêt légal", "Nov 21, 2026"},
	}}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			pdf := render(t, sampleInvoice(tt.locale))
			got := text(t, pdf)
			assertContains(t, got, common...)
			assertContains(t, got, tt.want...)
			assertLacks(t, got, tt.unwant...)
		})
	}
}

func TestRenderTaxStatus(t *testing.T) {
	const (
		frReverse = "Autoliquidation – art. 196 directive 2006/112/CE"
		enReverse = "Reverse charge – Article 196 of Directive 2006/112/EC"
		frExempt  = "Exonération de TVA"
		enExempt  = "VAT exemption"
	)
	tests := []struct {
		locale, status, ref string
		want, unwant        []string
	}{
		{"fr", "NONE", "", nil, []string{frReverse, frExempt}},
		{"fr", "", "", nil, []string{frReverse, frExempt}},
		{"fr", "REVERSE", "", []string{frReverse, "TVA due par le preneur (autoliquidation)."}, []string{frExempt}},
		{"fr", "reverse", "", []string{frReverse}, []string{frExempt}},
		{"en", "REVERSE", "", []string{enReverse, "VAT to be accounted for by the customer."}, []string{enExempt}},
		{"fr", "EXEMPT", "art. 262 ter I du CGI", []string{frExempt + ", art. 262 ter I du CGI"}, []string{frReverse}},
		{"fr", "EXEMPT", "", []string{frExempt}, []string{frReverse}},
		{"en", "EXEMPT", "art. 293 B du CGI", []string{enExempt + ", art. 293 B du CGI"}, []string{enReverse}},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.status, func(t *testing.T) {
			inv := sampleInvoice(tt.locale)
			inv.BuyerTaxExempt, inv.TaxExemptionReference = tt.status, tt.ref
			got := text(t, render(t, inv))
			assertContains(t, got, tt.want...)
			assertLacks(t, got, tt.unwant...)
		})
	}
}

func TestRenderDraftAndVoid(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*Invoice)
		want, unwant []string
	}{{
		name: "fr draft by status, stale number ignored",
		edit: func(inv *Invoice) { inv.Status, inv.Number = "DRAFT", "MYBUSINE-0009" },
		want: []string{"BROUILLON", "Aperçu : ce document n'est pas une facture", "Date d'émission 21/11/2026"},
		// The number label and the number never appear on a draft.
		unwant: []string{"MYBUSINE-0009", "Numéro de facture"},
	}, {
		name:   "en draft by flag, no number",
		edit:   func(inv *Invoice) { inv.Locale, inv.Draft, inv.Number = "en", true, "" },
		want:   []string{"DRAFT", "Preview: this document is not an invoice"},
		unwant: []string{"Invoice number"},
	}, {
		name:   "fr void",
		edit:   func(inv *Invoice) { inv.Status = "VOID" },
		want:   []string{"ANNULÉE", "Numéro de facture MYBUSINE-0001"},
		unwant: []string{"BROUILLON"},
	}, {
		name:   "fr open",
		edit:   func(inv *Invoice) {},
		want:   []string{"Numéro de facture MYBUSINE-0001"},
		unwant: []string{"BROUILLON", "ANNULÉE"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInvoice("fr")
			tt.edit(&inv)
			got := text(t, render(t, inv))
			assertContains(t, got, tt.want...)
			assertLacks(t, got, tt.unwant...)
		})
	}
}

func TestRender250Lines(t *testing.T) {
	inv := longInvoice("fr", 250)
	start := time.Now()
	pdf := render(t, inv)
	t.Logf("250 lines rendered in %v, %d bytes", time.Since(start), len(pdf))

	ps := pages(t, pdf)
	n := len(ps)
	if n < 3 {
		t.Fatalf("250 lines on %d pages, want several", n)
	}
	if got := pdfinfo(t, pdf, "Pages"); got != strconv.Itoa(n) {
		t.Errorf("pdfinfo says %s pages, pdftotext %d", got, n)
	}
	for i, p := range ps {
		// The lines table header is repeated on every page that holds
		// lines; the last page may hold only the totals.
		if i < n-1 || strings.Contains(p, "Ligne 250 –") {
			assertContains(t, p, "Désignation Qté Prix unitaire HT TVA Montant HT")
		}
		assertContains(t, p, fmt.Sprintf("Page %d/%d", i+1, n))
		assertContains(t, p, "Dupont & Fils SAS · SIREN 732829320")
		if i == 0 {
			assertLacks(t, p, "(suite)")
		} else {
			assertContains(t, p, "Facture MYBUSINE-0001 (suite)")
		}
	}
	all := strings.Join(ps, " ")
	for k := 1; k <= 250; k++ {
		if c := strings.Count(all, fmt.Sprintf("Ligne %d –", k)); c != 1 {
			t.Errorf("line %d printed %d times", k, c)
		}
	}
	// The totals follow the last line.
	assertContains(t, all[strings.Index(all, "Ligne 250 –"):], "Total TTC", "Montant dû")
}

func TestPageCountGuessDoesNotChangeOutput(t *testing.T) {
	// Every line count renders to the same bytes whether estimatePages
	// guesses right (one layout) or wrong (a second layout).
	for _, n := range []int{1, 8, 9, 30, 70} {
		inv := longInvoice("en", n)
		pdf := render(t, inv)
		ps := pages(t, pdf)
		for i, p := range ps {
			assertContains(t, p, fmt.Sprintf("Page %d/%d", i+1, len(ps)))
		}
		if again := render(t, inv); !bytes.Equal(pdf, again) {
			t.Errorf("%d lines: two renders differ", n)
		}
	}
}

func TestDeterministic(t *testing.T) {
	inv := longInvoice("fr", 40)
	inv.Branding = Branding{Logo: testPNG(t), LogoMIME: "image/png"}
	first := render(t, inv)

	if again := render(t, inv); !bytes.Equal(first, again) {
		t.Fatal("two renders of the same invoice differ")
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "86400") // must not leak into the output
	fresh, err := r.Render(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, fresh) {
		t.Fatal("a fresh Renderer (and SOURCE_DATE_EPOCH) changed the output")
	}
	// Rendering other documents in between changes nothing either (the
	// engine keeps state across documents: fonts, slabs).
	render(t, sampleInvoice("en"))
	render(t, longInvoice("fr", 250))
	if again := render(t, inv); !bytes.Equal(first, again) {
		t.Fatal("the output depends on previously rendered documents")
	}
	if !bytes.Contains(first, []byte("(D:20261121000000+00'00')")) {
		t.Error("CreationDate is not the issue date")
	}

	inv.CreationDate = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	other := render(t, inv)
	if bytes.Equal(first, other) {
		t.Error("CreationDate has no effect on the output")
	}
	if !bytes.Contains(other, []byte("(D:20261122100000+00'00')")) {
		t.Error("CreationDate is not used")
	}
}

func TestConcurrentRenders(t *testing.T) {
	want := map[string][]byte{"fr": render(t, sampleInvoice("fr")), "en": render(t, sampleInvoice("en"))}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc := []string{"fr", "en"}[i%2]
			got, err := Render(context.Background(), sampleInvoice(loc))
			if err == nil && !bytes.Equal(got, want[loc]) {
				err = fmt.Errorf("%s: concurrent render differs", loc)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestMemoryIsReleased guards engine.go: without releaseEngineMemory the
// engine keeps every node of every document, about 5 MB per invoice.
func TestMemoryIsReleased(t *testing.T) {
	if !slabReleaseEnabled() {
		t.Fatalf("node slab release is disabled: boxesandglue is not %s; check backend/node/arena.go and bump slabVersion", slabVersion)
	}
	inv := sampleInvoice("fr")
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	render(t, inv)
	before := heap()
	const n = 40
	for range n {
		render(t, inv)
	}
	after := heap()
	t.Logf("heap in use: %.1f MB before, %.1f MB after %d renders", float64(before)/1e6, float64(after)/1e6, n)
	if after > before+30<<20 {
		t.Fatalf("heap grew by %.0f MB over %d renders: the engine keeps documents alive", float64(after-before)/1e6, n)
	}
}

func TestPDFA(t *testing.T) {
	inv := sampleInvoice("fr")
	inv.Seller.LegalName = `Le "Bon" <Coin> & Fils \ SAS` // metadata and margin-box escaping
	pdf := render(t, inv)

	t.Run("bytes", func(t *testing.T) {
		if !bytes.HasPrefix(pdf, []byte("%PDF-1.7\n%")) || len(pdf) < 15 {
			t.Fatalf("header %q", pdf[:min(len(pdf), 15)])
		}
		for _, c := range pdf[10:14] {
			if c < 128 {
				t.Errorf("binary comment byte %#x < 128 (PDF/A needs four)", c)
			}
		}
		for _, want := range []string{"/OutputIntents", "/GTS_PDFA1", "<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>", "/ID"} {
			if !bytes.Contains(pdf, []byte(want)) {
				t.Errorf("PDF lacks %s", want)
			}
		}
	})
	t.Run("pdfinfo -meta", func(t *testing.T) {
		meta := runTool(t, pdf, "pdfinfo", "-meta", "{}")
		for _, want := range []string{"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>", "<xmp:CreateDate>2026-11-21T00:00:00Z</xmp:CreateDate>"} {
			if !strings.Contains(meta, want) {
				t.Errorf("XMP lacks %s:\n%s", want, meta)
			}
		}
		// The XMP must be well-formed despite the <, & and quotes in the
		// seller's name.
		start := strings.Index(meta, "<x:xmpmeta")
		end := strings.Index(meta, "</x:xmpmeta>")
		if start < 0 || end < 0 {
			t.Fatalf("no x:xmpmeta in\n%s", meta)
		}
		dec := xml.NewDecoder(strings.NewReader(meta[start : end+len("</x:xmpmeta>")]))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("XMP is not well-formed: %v", err)
			}
		}
		if !strings.Contains(meta, "&lt;Coin&gt; &amp; Fils") {
			t.Errorf("dc:creator does not carry the escaped seller name:\n%s", meta)
		}
	})
	t.Run("pdffonts", func(t *testing.T) {
		out := runTool(t, pdf, "pdffonts", "{}")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 3 {
			t.Fatalf("no fonts listed:\n%s", out)
		}
		for _, l := range lines[2:] {
			f := strings.Fields(l)
			// name type… encoding emb sub uni objectID gen: emb is the
			// fifth field from the end.
			if len(f) < 7 || f[len(f)-5] != "yes" {
				t.Errorf("font not embedded: %s", l)
			}
		}
	})
	t.Run("qpdf --check", func(t *testing.T) {
		out := runTool(t, pdf, "qpdf", "--check", "{}")
		if !strings.Contains(out, "No syntax or stream encoding errors found") {
			t.Errorf("qpdf --check:\n%s", out)
		}
	})
	t.Run("margin box text", func(t *testing.T) {
		assertContains(t, text(t, pdf), `Le "Bon" <Coin> & Fils \ SAS · SIREN 732829320`)
	})
}

func TestPageSize(t *testing.T) {
	tests := []struct{ size, want string }{
		{"", "595.28 x 841.89 pts (A4)"},
		{"A4", "595.28 x 841.89 pts (A4)"},
		{"a4", "595.28 x 841.89 pts (A4)"},
		{"LETTER", "612 x 792 pts (letter)"},
		{"letter", "612 x 792 pts (letter)"},
	}
	for _, tt := range tests {
		t.Run(tt.size, func(t *testing.T) {
			inv := sampleInvoice("en")
			inv.PageSize = tt.size
			if got := pdfinfo(t, render(t, inv), "Page size"); got != tt.want {
				t.Errorf("page size %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogo(t *testing.T) {
	tests := []struct {
		name, mime string
		data       []byte
		images     int // raster images in the PDF
	}{
		{"png", "image/png", testPNG(t), 1},
		{"jpeg", "image/jpeg", testJPEG(t), 1},
		{"svg", "image/svg+xml; charset=utf-8", []byte(testSVG), 0},
		{"svg without viewBox", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="60px" height="20px"><rect width="60" height="20" fill="#333"/></svg>`), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInvoice("fr")
			inv.Branding = Branding{Logo: tt.data, LogoMIME: tt.mime, BrandColor: "#2e7d32", AccentColor: "#f4c542"}
			pdf := render(t, inv)
			got := text(t, pdf)
			assertContains(t, got, "Montant dû")
			list := runTool(t, pdf, "pdfimages", "-list", "{}")
			if n := len(strings.Split(strings.TrimSpace(list), "\n")) - 2; n != tt.images {
				t.Errorf("%d images, want %d:\n%s", n, tt.images, list)
			}
			runTool(t, pdf, "qpdf", "--check", "{}")
		})
	}
}

func TestUserTextIsEscaped(t *testing.T) {
	inv := sampleInvoice("en")
	inv.Memo = "<b>not bold</b> & <script>x</script>\nsecond line"
	inv.Lines[0].Description = "Widget <i>pro</i>\nwith notes"
	got := text(t, render(t, inv))
	assertContains(t, got, "<b>not bold</b> & <script>x</script>", "second line", "Widget <i>pro</i>", "with notes")
}

func TestRenderInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Invoice)
	}{
		{"unknown currency", func(inv *Invoice) { inv.Currency = "ZZZ" }},
		{"no currency", func(inv *Invoice) { inv.Currency = "" }},
		{"page size", func(inv *Invoice) { inv.PageSize = "A5" }},
		{"brand colour", func(inv *Invoice) { inv.Branding.BrandColor = "red" }},
		{"accent colour", func(inv *Invoice) { inv.Branding.AccentColor = "#12345" }},
		{"tax status", func(inv *Invoice) { inv.BuyerTaxExempt = "MAYBE" }},
		{"operation nature", func(inv *Invoice) { inv.OperationNature = "BOTH" }},
		{"finalized without number", func(inv *Invoice) { inv.Number = " " }},
		{"quantity", func(inv *Invoice) { inv.Lines[0].Quantity = "1,5" }},
		{"unit amount", func(inv *Invoice) { inv.Lines[1].UnitAmount = "1e3" }},
		{"tax percentage", func(inv *Invoice) { inv.Taxes[0].Percentage = "20%" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInvoice("fr")
			tt.edit(&inv)
			_, err := Render(context.Background(), inv)
			if !errors.Is(err, ErrInvalidInvoice) {
				t.Fatalf("err = %v, want ErrInvalidInvoice", err)
			}
		})
	}
}

func TestRenderCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Render(ctx, sampleInvoice("fr")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRenderWaitsForTheEngineUntilTheDeadline(t *testing.T) {
	engineTurn <- struct{}{} // another document is being typeset
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Render(ctx, sampleInvoice("fr"))
	<-engineTurn
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	render(t, sampleInvoice("fr")) // and the engine is usable again
}

// TestWriteSamples writes sample PDFs and first-page PNGs for eyeballing:
//
//	REMIT_DOCUMENT_SAMPLES=/tmp/samples go test -run TestWriteSamples ./internal/document/
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("REMIT_DOCUMENT_SAMPLES")
	if dir == "" {
		t.Skip("set REMIT_DOCUMENT_SAMPLES=<dir> to write sample PDFs")
	}
	draft := sampleInvoice("fr")
	draft.Status, draft.BuyerTaxExempt = "DRAFT", "REVERSE"
	draft.Branding = Branding{BrandColor: "#f4c542", AccentColor: "#c62828", Logo: testPNG(t), LogoMIME: "image/png"}
	letter := sampleInvoice("en")
	letter.PageSize, letter.BuyerTaxExempt, letter.TaxExemptionReference = "LETTER", "EXEMPT", "art. 262 ter I du CGI"
	letter.Branding = Branding{Logo: []byte(testSVG), LogoMIME: "image/svg+xml", BrandColor: "#2e7d32"}
	samples := map[string]Invoice{
		"fr": sampleInvoice("fr"), "en": sampleInvoice("en"), "long-fr": longInvoice("fr", 250),
		"draft-reverse-fr": draft, "letter-exempt-en": letter,
	}
	for name, inv := range samples {
		path := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(path, render(t, inv), 0o644); err != nil {
			t.Fatal(err)
		}
		if bin, err := exec.LookPath("pdftoppm"); err == nil {
			out, err := exec.Command(bin, "-r", "110", "-f", "1", "-l", "1", "-png", "-singlefile", path, filepath.Join(dir, name)).CombinedOutput()
			if err != nil {
				t.Errorf("pdftoppm: %v\n%s", err, out)
			}
		}
	}
}

const testSVG = `<?xml version="1.0" encoding="UTF-8"?>
<!-- brand mark -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" height="40" viewBox="0 0 120 40">
  <title>Dupont &amp; Fils</title>
  <rect x="0" y="0" width="40" height="40" rx="6" fill="#2e7d32"/>
  <circle cx="80" cy="20" r="18" fill="#f4c542"/>
</svg>
`

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	for y := range 40 {
		for x := range 120 {
			img.Set(x, y, color.RGBA{uint8(x * 2), 80, uint8(200 - y*4), 255})
		}
	}
	return img
}

func testPNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBankTransfer(t *testing.T) {
	code := func(name, ref string) string {
		qr, err := banking.EPCQRCode(banking.CreditTransfer{Name: name, IBAN: "FR7630006000011234567890189",
			BIC: "AGRIFRPP", Amount: 120000, Currency: "EUR", Reference: banking.Reference(ref)}, "32mm")
		if err != nil {
			t.Fatal(err)
		}
		return qr
	}
	bank := BankTransfer{IBAN: "FR76 3000 6000 0112 3456 7890 189", BIC: "AGRIFRPP", Beneficiary: "Atelier Remit SAS",
		Reference: "RF97 INV0 042", QRCode: code("Atelier Remit SAS", "INV0042")}
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			inv := sampleInvoice(lang)
			inv.BankTransfer = &bank
			pdf := render(t, inv)
			got := text(t, pdf)
			assertContains(t, got, "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP", "Atelier Remit SAS", "RF97 INV0 042", inv.PaymentInstructions)
			runTool(t, pdf, "qpdf", "--check", "{}")
			// The code is drawn: another payload of the same length (so
			// the same symbol size and page layout) changes pixels all
			// over a square of the printed size, and only there.
			other := bank
			other.QRCode = code("Zzzzzzz Yyyyy QQQ", "ZZZ9999")
			inv.BankTransfer = &other
			box := inkDifference(t, rasterize(t, pdf), rasterize(t, render(t, inv)))
			const side = 32.0 / 25.4 * 150 // 32mm at 150 dpi, quiet zone included
			if w, h := float64(box.Dx()), float64(box.Dy()); w < side*0.7 || h < side*0.7 || w > side || h > side {
				t.Errorf("the codes differ over %v, want inside %.0f px a side", box, side)
			}
		})
	}
	// A credit note prints no payment details.
	inv := sampleInvoice("en")
	inv.BankTransfer = &bank
	inv.CreditNote = &CreditNote{InvoiceNumber: "F-1"}
	assertLacks(t, text(t, render(t, inv)), "RF97 INV0 042")
}

// rasterize renders the first page of pdf at 150 dpi, in grey.
func rasterize(t *testing.T, pdf []byte) *image.Gray {
	t.Helper()
	out := filepath.Join(t.TempDir(), "page")
	runTool(t, pdf, "pdftoppm", "-r", "150", "-png", "-singlefile", "{}", out)
	f, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(img.Bounds())
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// inkDifference is the bounding box of the pixels that differ between a
// and b.
func inkDifference(t *testing.T, a, b *image.Gray) image.Rectangle {
	t.Helper()
	var box image.Rectangle
	for y := b.Rect.Min.Y; y < b.Rect.Max.Y; y++ {
		for x := b.Rect.Min.X; x < b.Rect.Max.X; x++ {
			if d := int(a.GrayAt(x, y).Y) - int(b.GrayAt(x, y).Y); d > 128 || d < -128 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Empty() {
		t.Fatal("nothing was drawn")
	}
	return box
}
