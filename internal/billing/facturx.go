package billing

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/einvoice"
	"github.com/remitbilling/remit/internal/usererr"
)

// FacturXFunc returns the e-invoice that the PDF of an issued invoice or
// credit note embeds, which makes the PDF a Factur-X e-invoice: the
// document's UN/CEFACT CII XML (D16B) under the Factur-X EN 16931 profile
// (BT-24 urn:cen.eu:en16931:2017, FacturXProfile), built only from what
// the document froze when it was issued, so that every rendering of a
// document embeds the same bytes.
//
// It is the one hook through which every issued PDF gets its XML: the
// invoice attached to emails (at sending and at delivery), downloaded
// through the API, the hosted page and the portal, and the credit notes
// the same ways (Config.FacturX). db is the client to read through: a
// transaction's while the document is being issued and emailed in one
// transaction, so the XML sees what the PDF prints. Drafts never reach
// it. A nil XML with a nil error leaves that document a plain PDF; an
// error fails the rendering.
type FacturXFunc func(ctx context.Context, db *ent.Client, doc IssuedDocument) ([]byte, error)

// IssuedDocument is the document a FacturXFunc gives the XML of, loaded
// as its PDF is assembled: an invoice with its lines (and their tax
// rates), or a credit note with its lines and the invoice it corrects
// (that invoice's edges not loaded).
type IssuedDocument struct {
	// Invoice is the invoice, or the invoice CreditNote corrects.
	Invoice *ent.Invoice
	// CreditNote is nil for an invoice.
	CreditNote *ent.CreditNote
}

// ownFacturX is the CII a PDF embeds unless Config.FacturX names another
// source: the document's e-invoice, built from what it froze when issued
// and from the document being printed (nothing is read twice). A
// document EN 16931 cannot express (see einvoice.Document.Check) stays a
// plain PDF, said in the log: its customer still gets the invoice.
func (s *Service) ownFacturX(ctx context.Context, db *ent.Client, src IssuedDocument, doc document.Invoice) ([]byte, error) {
	var e einvoice.Document
	var err error
	if src.CreditNote != nil {
		e, err = creditNoteEInvoiceFrom(ctx, db, src.CreditNote.ID)
	} else {
		var acct *ent.Account
		if acct, err = s.accounts.Get(ctx); err != nil {
			return nil, fmt.Errorf("load account: %w", err)
		}
		e, err = eInvoiceOf(ctx, db, acct, src.Invoice, doc)
	}
	if ue := usererr.From(err); len(ue) > 0 {
		slog.WarnContext(ctx, "e-invoice: the PDF is issued without its XML", "invoice", src.Invoice.ID, "reason", ue[0].Message)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return einvoice.CII(e)
}

// FacturXProfile is the Factur-X conformance level of the XML a
// FacturXFunc returns.
const FacturXProfile = "EN 16931"

// withFacturX adds to doc, the document of src, the e-invoice its PDF
// embeds: none for a draft, or without a FacturXFunc.
func (s *Service) withFacturX(ctx context.Context, db *ent.Client, src IssuedDocument, doc *document.Invoice) error {
	if doc.Draft || doc.Number == "" {
		return nil
	}
	var xml []byte
	var err error
	if s.facturX != nil {
		xml, err = s.facturX(ctx, db, src)
	} else {
		xml, err = s.ownFacturX(ctx, db, src, *doc)
	}
	if err != nil {
		return fmt.Errorf("factur-x xml of %s: %w", doc.Number, err)
	}
	if len(xml) > 0 {
		doc.EInvoice = &document.Attachment{XML: xml, Profile: FacturXProfile, DocumentType: "INVOICE"}
	}
	return nil
}

// renderInvoice renders inv's document doc as its PDF, a Factur-X
// e-invoice once issued; db is the client inv was read through.
func (s *Service) renderInvoice(ctx context.Context, db *ent.Client, inv *ent.Invoice, doc document.Invoice) ([]byte, error) {
	if err := s.withFacturX(ctx, db, IssuedDocument{Invoice: inv}, &doc); err != nil {
		return nil, err
	}
	pdf, err := document.Render(ctx, doc)
	if err != nil {
		return nil, fmt.Errorf("render invoice pdf: %w", err)
	}
	return pdf, nil
}

// renderCreditNote renders cn's document doc (cn a credit note of inv) as
// its PDF, a Factur-X e-invoice.
func (s *Service) renderCreditNote(ctx context.Context, db *ent.Client, inv *ent.Invoice, cn *ent.CreditNote, doc document.Invoice) ([]byte, error) {
	if err := s.withFacturX(ctx, db, IssuedDocument{Invoice: inv, CreditNote: cn}, &doc); err != nil {
		return nil, err
	}
	pdf, err := document.Render(ctx, doc)
	if err != nil {
		return nil, fmt.Errorf("render credit note pdf: %w", err)
	}
	return pdf, nil
}

// InvoicePDF renders invoice id's PDF as it now stands, with the document
// it prints (for the file name): a draft previews, an issued invoice is a
// Factur-X e-invoice (Config.FacturX). Everything that serves an invoice's
// PDF goes through here or through the email attachment, so every issued
// PDF carries its XML.
func (s *Service) InvoicePDF(ctx context.Context, id string) ([]byte, document.Invoice, error) {
	version, customerID, err := s.invoicePDFVersion(ctx, id)
	if err != nil {
		return nil, document.Invoice{}, err
	}
	return s.storedPDF(ctx, id, customerID, version, func() ([]byte, document.Invoice, error) {
		inv, doc, err := s.document(ctx, id)
		if err != nil {
			return nil, document.Invoice{}, err
		}
		pdf, err := s.renderInvoice(ctx, s.db, inv, doc)
		return pdf, doc, err
	})
}

// CreditNotePDF renders credit note id's PDF, a Factur-X e-invoice
// (Config.FacturX), with the document it prints.
func (s *Service) CreditNotePDF(ctx context.Context, id string) ([]byte, document.Invoice, error) {
	version, customerID, err := s.creditNotePDFVersion(ctx, id)
	if err != nil {
		return nil, document.Invoice{}, err
	}
	return s.storedPDF(ctx, id, customerID, version, func() ([]byte, document.Invoice, error) {
		inv, cn, doc, err := s.creditNoteDocumentOf(ctx, id)
		if err != nil {
			return nil, document.Invoice{}, err
		}
		pdf, err := s.renderCreditNote(ctx, s.db, inv, cn, doc)
		return pdf, doc, err
	})
}
