package document

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	bagme "github.com/boxesandglue/bagme/document"
	pdfdoc "github.com/boxesandglue/boxesandglue/backend/document"
	"github.com/boxesandglue/csshtml"
)

//go:embed assets/invoice.html.tmpl assets/invoice.css
var assets embed.FS

// Renderer turns invoices into PDF/A-3b documents. It holds the parsed
// template and style sheet. It is safe for concurrent use, but the PDF
// engine is not, so renders are serialized process-wide (engine.go): PDF
// throughput is that of one core per process.
type Renderer struct {
	tmpl *template.Template
	css  string
}

// NewRenderer parses the embedded template and style sheet.
func NewRenderer() (*Renderer, error) {
	tmpl, err := template.New("invoice.html.tmpl").Funcs(template.FuncMap{
		"pair": func(k string, p partyView) struct {
			K string
			P partyView
		} {
			return struct {
				K string
				P partyView
			}{k, p}
		},
	}).ParseFS(assets, "assets/invoice.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("document: parse template: %w", err)
	}
	css, err := assets.ReadFile("assets/invoice.css")
	if err != nil {
		return nil, fmt.Errorf("document: read style sheet: %w", err)
	}
	return &Renderer{tmpl: tmpl, css: string(css)}, nil
}

var defaultRenderer = sync.OnceValues(NewRenderer)

// Render renders inv with a package-wide Renderer. See Renderer.Render.
func Render(ctx context.Context, inv Invoice) ([]byte, error) {
	r, err := defaultRenderer()
	if err != nil {
		return nil, err
	}
	return r.Render(ctx, inv)
}

// Render returns inv as a PDF/A-3b document: fonts embedded and subset,
// sRGB output intent, XMP metadata with pdfaid part 3 / conformance B.
// With inv.EInvoice it is also a Factur-X e-invoice (facturx.go).
// The output is a pure function of inv: the PDF dates come from
// inv.CreationDate (or IssueDate), never from the clock, so the same
// Invoice renders to the same bytes.
//
// Layout runs once when the page count guessed from the number of lines
// is right and twice otherwise, because every page prints "Page n/N"
// and N is only known after layout. Renders wait for one another (the
// engine is process-wide, see engine.go); ctx bounds the wait and is
// checked between passes.
//
// Errors wrapping ErrInvalidInvoice are the caller's; others are bugs
// or resource problems.
//
// A logo the engine cannot print (stored before the upload checks of
// CheckLogo, or failing for a reason they did not foresee) never stops a
// document: the invoice is rendered without it, with the seller's name in
// its place, and a warning is logged (slog's default logger). An invoice
// that cannot be issued or emailed for its letterhead would block the
// whole account.
func (r *Renderer) Render(ctx context.Context, inv Invoice) ([]byte, error) {
	return r.render(ctx, inv, false)
}

// render is Render; strict returns the logo's failure instead of leaving
// the logo out.
func (r *Renderer) render(ctx context.Context, inv Invoice, strict bool) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := buildView(&inv)
	if err != nil {
		return nil, err
	}
	if v.facturX, err = checkAttachment(inv.EInvoice, v.Draft); err != nil {
		return nil, err
	}
	if v.logoErr != nil {
		if strict {
			return nil, v.logoErr
		}
		warnLogo(ctx, &inv, v.logoErr)
	}
	created := inv.CreationDate
	if created.IsZero() {
		created = inv.IssueDate
	}
	if created.IsZero() {
		created = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	pdf, err := r.typeset(ctx, v, len(inv.Lines), created)
	if err == nil || strict || !v.hasLogo() || ctx.Err() != nil {
		return pdf, err
	}
	warnLogo(ctx, &inv, err)
	v.dropLogo()
	return r.typeset(ctx, v, len(inv.Lines), created)
}

// warnLogo logs that inv is rendered without its logo.
func warnLogo(ctx context.Context, inv *Invoice, err error) {
	slog.WarnContext(ctx, "document: the account's logo cannot be printed; the invoice is rendered without it",
		"invoice", inv.Number, "logo_type", inv.Branding.LogoMIME, "logo_bytes", len(inv.Branding.Logo), "error", err)
}

// typeset lays v out and writes the PDF.
func (r *Renderer) typeset(ctx context.Context, v *view, lines int, created time.Time) ([]byte, error) {
	// The engine is not goroutine-safe and keeps every node in package
	// slabs: one document at a time, slabs released after it (engine.go).
	select {
	case engineTurn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-engineTurn }()
	defer releaseEngineMemory()

	v.LogoPath = ""
	if v.logo != nil {
		var err error
		if v.LogoPath, err = logos.path(v.logo); err != nil {
			return nil, err
		}
	}
	var body bytes.Buffer
	if err := r.tmpl.Execute(&body, v); err != nil {
		return nil, fmt.Errorf("document: execute template: %w", err)
	}

	total := estimatePages(lines)
	for pass := 1; ; pass++ {
		p, err := r.layout(v, body.String(), total, created)
		if err != nil {
			return nil, err
		}
		// The page count cannot depend on the "n/N" text in the margin,
		// so the second pass always agrees; the bound is a safeguard.
		if p.pages == total || pass == 3 {
			return p.finish()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		total = p.pages
	}
}

// estimatePages guesses the page count from the number of lines, so that
// most invoices are laid out once; a wrong guess costs one more layout.
// Calibrated on A4 with one-line descriptions: the first page holds about
// 24 lines under the header, the next ones about 39, and the block after
// the lines (totals, payment, legal texts) takes about 16 line heights.
func estimatePages(lines int) int {
	const firstPage, nextPages, trailer = 24, 39, 16
	n := lines + trailer
	if n <= firstPage {
		return 1
	}
	return 1 + (n-firstPage+nextPages-1)/nextPages
}

type laidOut struct {
	doc   *bagme.Document
	buf   *bytes.Buffer
	pages int
}

// layout typesets body with "Page n/total" in the margin, without writing
// the PDF trailer yet.
func (r *Renderer) layout(v *view, body string, total int, created time.Time) (_ *laidOut, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("document: PDF engine panic: %v\n%s", p, debug.Stack())
		}
	}()
	buf := new(bytes.Buffer)
	fe, err := newFrontend(buf)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	// What bagme.New(…, WithPDFA3b(), WithCreationDate(created)) does,
	// but writing to memory instead of a file.
	created = created.UTC()
	fe.Doc.CreationDate = created
	fe.Doc.PDFWriter.InfoDict["CreationDate"] = pdfDate(created)
	fe.Doc.SuppressInfo = true
	fe.Doc.Format = pdfdoc.Format{PDFA: &pdfdoc.PDFAConf{Part: 3, Level: pdfdoc.PDFALevelB}}
	if _, err := fe.Doc.LoadSRGBColorprofile(); err != nil {
		return nil, fmt.Errorf("document: colour profile: %w", err)
	}
	if v.facturX != nil {
		v.facturX.attach(fe.Doc, created)
	}
	d, err := bagme.NewWithFrontend(fe, csshtml.NewCSSParser()) // no UA style sheet, see invoice.css
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	if err := attachFaces(fe); err != nil {
		return nil, fmt.Errorf("document: fonts: %w", err)
	}
	shareCompressor(fe.Doc.PDFWriter)
	d.SetGenerateOutline(false)
	d.Title = v.title
	d.Author = v.author
	d.Creator = "Remit"
	d.Language = v.Lang
	if err := d.AddCSS(r.css); err != nil {
		return nil, fmt.Errorf("document: style sheet: %w", err)
	}
	if err := d.AddCSS(pageCSS(v, total)); err != nil {
		return nil, fmt.Errorf("document: page style: %w", err)
	}
	if err := d.RenderPages(body); err != nil {
		return nil, fmt.Errorf("document: layout: %w", err)
	}
	return &laidOut{doc: d, buf: buf, pages: len(fe.Doc.Pages)}, nil
}

func (p *laidOut) finish() (_ []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("document: PDF engine panic: %v\n%s", r, debug.Stack())
		}
	}()
	if err := p.doc.Finish(); err != nil {
		return nil, fmt.Errorf("document: write PDF: %w", err)
	}
	return p.buf.Bytes(), nil
}

// pdfDate formats t like baseline-pdf's Info dictionary dates
// ("(D:20261121000000+00'00')").
func pdfDate(t time.Time) string {
	s := t.Format("20060102150405-0700")
	return fmt.Sprintf("(D:%s%s%s'%s')", s[:14], s[14:15], s[15:17], s[17:19])
}

// pageCSS is the part of the style sheet that depends on the invoice:
// page size, margin boxes (banner, running head, legal line, "Page n/N")
// and the brand colours.
func pageCSS(v *view, total int) string {
	var b strings.Builder
	const box = "font-family: sans; font-size: 7pt; color: #6b6b6b;"
	fmt.Fprintf(&b, "@page { size: %s; margin: %gmm %gmm %gmm %gmm;\n", v.pageSize,
		pageMarginTopMM, pageMarginSideMM, pageMarginTopMM, pageMarginSideMM)
	if v.banner != "" {
		fmt.Fprintf(&b, "  @top-center { content: %s; font-family: sans; font-weight: bold; font-size: 13pt; color: #c62828; }\n", cssString(v.banner))
	}
	fmt.Fprintf(&b, "  @top-right { content: %s; %s }\n", cssString(v.runningHead), box)
	if v.legalLine != "" {
		fmt.Fprintf(&b, "  @bottom-left { content: %s; %s }\n", cssString(v.legalLine), box)
	}
	fmt.Fprintf(&b, "  @bottom-right { content: %s counter(page) %s; %s }\n}\n",
		cssString(v.L.Page+" "), cssString(fmt.Sprintf("/%d", total)), box)
	b.WriteString("@page :first { @top-right { content: none; } }\n")
	fg := v.brand.onColor()
	title := v.brand.hex()
	if fg != "#ffffff" {
		title = "#1f1f1f" // a light brand colour is unreadable as text on white
	}
	fmt.Fprintf(&b, ".title { color: %s; }\n", title)
	fmt.Fprintf(&b, "th { background-color: %s; color: %s; }\n", v.brand.hex(), fg)
	fmt.Fprintf(&b, ".due { background-color: %s; border-top: 1pt solid %s; }\n",
		v.accent.tint(0.85).hex(), v.accent.hex())
	fmt.Fprintf(&b, ".notice { border-left: 2pt solid %s; }\n", v.accent.hex())
	// The total, amount paid and amount due sit under the summary table's
	// last two columns, whose labels start that far from its right edge
	// (the table spans the text block, wider on LETTER than on A4).
	fmt.Fprintf(&b, ".totals { padding-left: %.2fmm; }\n", v.contentWidthMM()-totalsColumnsMM)
	return b.String()
}

// cssString quotes s as a CSS string literal.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
