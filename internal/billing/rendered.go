package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/brandimage"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/rendereddocument"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/document"
)

// rendererVersion changes whenever documents render differently (the
// templates, the Factur-X XML): stored PDFs of an older renderer are
// rendered again on their next download.
const rendererVersion = "2026-12-04.1"

// storedPDF returns the stored PDF of the issued document id when it is
// of version, or renders it with render and stores it. Drafts, and calls
// inside a transaction (the PDF then prints what the transaction has not
// committed), always render.
func (s *Service) storedPDF(ctx context.Context, id, customerID, version string, render func() ([]byte, document.Invoice, error)) ([]byte, document.Invoice, error) {
	if version == "" || dbtx.FromContext(ctx) != nil {
		return render()
	}
	kept, err := s.db.RenderedDocument.Query().Where(rendereddocument.DocumentID(id)).Only(ctx)
	if err == nil && kept.Version == version {
		return kept.Pdf, document.Invoice{Number: kept.Number}, nil
	}
	if err != nil && !ent.IsNotFound(err) {
		return nil, document.Invoice{}, fmt.Errorf("load stored pdf: %w", err)
	}
	pdf, doc, err := render()
	if err != nil || doc.Draft || doc.Number == "" {
		return pdf, doc, err
	}
	// Two downloads rendering at once store the same bytes: the last
	// write wins, and either is right.
	err = s.db.RenderedDocument.Create().
		SetDocumentID(id).SetCustomerID(customerID).SetVersion(version).SetNumber(doc.Number).SetPdf(pdf).
		OnConflictColumns(rendereddocument.FieldDocumentID).
		UpdateVersion().UpdateNumber().UpdatePdf().UpdateUpdatedAt().
		Exec(ctx)
	if err != nil {
		return nil, document.Invoice{}, fmt.Errorf("store pdf: %w", err)
	}
	return pdf, doc, nil
}

// pdfVersion names what an issued document's PDF depends on: the rows
// it prints from (the invoice, and the credit note for one), the
// account (identity, branding colours), the logo and the renderer. It
// hashes the rows themselves, not their update times: two changes within
// one clock tick must not share a version.
func (s *Service) pdfVersion(ctx context.Context, rows ...any) (string, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return "", fmt.Errorf("load account: %w", err)
	}
	logo, err := s.db.BrandImage.Query().Where(brandimage.KindEQ(brandimage.KindLogo)).Select(brandimage.FieldSha256).Strings(ctx)
	if err != nil {
		return "", fmt.Errorf("load logo: %w", err)
	}
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, r := range append(rows, acct, logo, rendererVersion) {
		if err := enc.Encode(r); err != nil {
			return "", fmt.Errorf("pdf version: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// invoicePDFVersion is the version of invoice id's PDF, "" for a draft
// (never stored); its customer for the stored row.
func (s *Service) invoicePDFVersion(ctx context.Context, id string) (version, customerID string, err error) {
	inv, err := s.db.Invoice.Query().Where(invoice.ID(id)).Only(ctx)
	if err != nil || inv.Status == invoice.StatusDraft {
		return "", "", nil // the render reports a missing invoice
	}
	version, err = s.pdfVersion(ctx, inv)
	return version, inv.CustomerID, err
}

// creditNotePDFVersion is invoicePDFVersion for credit note id.
func (s *Service) creditNotePDFVersion(ctx context.Context, id string) (version, customerID string, err error) {
	cn, err := s.db.CreditNote.Query().Where(creditnote.ID(id)).Only(ctx)
	if err != nil {
		return "", "", nil
	}
	inv, err := s.db.Invoice.Query().Where(invoice.ID(cn.InvoiceID)).Only(ctx)
	if err != nil {
		return "", "", nil
	}
	version, err = s.pdfVersion(ctx, cn, inv)
	return version, cn.CustomerID, err
}
