// Package document renders invoices as PDF/A-3b documents.
//
// It is pure: an Invoice (plain structs, filled by the billing layer from
// the frozen invoice) goes in, PDF bytes come out, and the same Invoice
// always gives the same bytes. Nothing is read from the database or the
// clock.
//
// # Pipeline
//
// An html/template (assets/invoice.html.tmpl) and a style sheet
// (assets/invoice.css), both embedded and parsed once per Renderer, are
// typeset by bagme (github.com/boxesandglue/bagme, HTML/CSS → PDF on the
// boxes-and-glue engine). The output is PDF/A-3b: the engine embeds and
// subsets the fonts (TeX Gyre Heros), writes an sRGB output intent and the
// XMP pdfaid part 3 / conformance B. The structure is checked by the tests
// (pdfinfo, pdffonts, qpdf); no veraPDF validation is available here, so do
// not claim "validated PDF/A".
//
// # Factur-X
//
// An issued invoice or credit note whose Invoice.EInvoice is set is also a
// Factur-X (ZUGFeRD 2.x) e-invoice (facturx.go): its UN/CEFACT CII XML is
// embedded as factur-x.xml (MIME text/xml, /Params /ModDate = the PDF's
// creation date, /AFRelationship /Alternative, referenced from the
// catalog's /AF and /Names /EmbeddedFiles), and the XMP carries the fx:
// properties (urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#:
// DocumentType INVOICE, DocumentFileName factur-x.xml, Version 1.0,
// ConformanceLevel, e.g. EN 16931) with their pdfaExtension schema
// declaration. (bagme's WithZUGFeRD is not used: it writes the ZUGFeRD 1.0
// namespace.) The renderer checks that the XML is a CII whose guideline
// (BT-24) is the declared profile's; the XML's content is its author's
// (internal/einvoice), the renderer embeds it byte for byte. Drafts carry
// none. The shared validator's validate-facturx.sh passes on the result
// (TestFacturXValidates); it checks the container, the XMP and the XML's
// rules, not full PDF/A conformance. The engine writes no /Params
// /CheckSum, which PDF/A-3 and Factur-X leave optional. Embedding a 65 kB
// CII costs a one-page invoice about 0.3–0.4 ms, 4–6 % more CPU time
// (BenchmarkFacturXOverhead).
//
// # Locale
//
// Invoice.Locale is a BCP 47 tag; its base language selects French ("fr",
// "fr-FR", "fr-CA"…), German ("de", "de-DE", "de-AT", "de-CH"…) or English
// (everything else), as internal/locales decides for every surface.
// Labels, dates, numbers and amounts follow it:
//
//	          fr                 de                en
//	date      21/11/2026         21.11.2026        Nov 21, 2026
//	amount    5 000,00 $US       5.000,00 $        $5,000.00      (internal/money.Format)
//	quantity  1 234,5            1.234,5           1,234.5
//	rate      20 %               20 %              20%
//
// French grouping uses U+202F and the space before "%" and currency
// symbols U+202F/U+00A0 (CLDR), which text extraction shows as spaces.
//
// # Legal mentions
//
// The renderer prints what CGI ann. II art. 242 nonies A, the Code de
// commerce (L441-9, L441-10, D441-5) and Directive 2006/112/EC art. 226
// require, from the fields the caller fills: seller and buyer identity,
// addresses, SIREN/SIRET, VAT numbers; number, issue, due and supply
// dates; lines with quantity, unit price excluding tax and tax rate; the
// per-rate tax breakdown; totals and amount due; payment terms and
// instructions; late-payment penalty rate, the fixed recovery indemnity
// (40 € by default) and the early-payment discount statement;
// "Autoliquidation – art. 196 directive 2006/112/CE" / "Reverse charge –
// Article 196 of Directive 2006/112/EC" for REVERSE customers and
// "Exonération de TVA, <reference>" / "VAT exemption, <reference>" for
// EXEMPT ones; nature of operations and the VAT-on-debits option when set.
// Whether a mention is legally required for a given invoice (B2B or B2C,
// French or foreign seller) is the caller's decision: empty fields are
// omitted.
//
// # Pages
//
// Page size is A4 or US Letter. Long invoices flow over as many pages as
// needed: the lines table header is repeated on every page (HTML <thead>),
// pages after the first carry "Invoice <number> (continued)", every page
// carries the seller's legal line and "Page n/N". A draft prints
// "DRAFT"/"BROUILLON" at the top of every page and no number; a void
// invoice prints "VOID"/"ANNULÉE".
//
// # Concurrency, memory, speed
//
// The engine (boxesandglue v0.2.38) is not goroutine-safe and never frees
// its node slabs; engine.go serializes renders process-wide and releases
// the slabs after each document (see there); enginecache.go keeps parsed
// fonts and hyphenation patterns across documents. PDF rendering
// therefore uses one core per process: about 75–80 one-page invoices per
// second and 210–220 ms for 250 lines on a shared 2-core test machine
// (BenchmarkRenderOnePage, BenchmarkRender250Lines). A finalized invoice
// never changes, so render it once and store the bytes rather than on
// every download.
//
// The template and style sheet are shaped by the engine's costs (see the
// comments in invoice.css): a table cell is typeset twice, every text run
// is shaped separately, every CSS declaration is a query over the whole
// document, and ragged text is several times slower to break into lines
// than justified text. So only the lines and the tax breakdown are
// tables; the party blocks are positioned side by side (placeParties) and
// key/value lines use an invisible leader. What remains of a one-page
// render is, roughly: paragraph building 40 % (half of it text shaping),
// PDF finishing 20 % (font subsetting and compression), HTML parsing and
// the cascade 20 %, the two tables 20 %.
package document
