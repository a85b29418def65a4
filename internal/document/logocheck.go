package document

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnusableLogo reports a logo the PDF engine cannot print.
var ErrUnusableLogo = errors.New("the PDF engine cannot print this image")

// CheckLogo proves that the engine prints a logo: it renders a one-line
// invoice with it, through the same path as every invoice, and fails
// (wrapping ErrUnusableLogo) where Render would have left the logo out.
// Upload checks that only read the file's header or its XML let through
// logos that then failed every PDF of their account; this cannot.
//
// It costs one render (about 15 ms, waiting for the engine like any
// render, bounded by ctx). An SVG is checked as CleanSVG writes it, which
// is what is stored.
func CheckLogo(ctx context.Context, mime string, data []byte) error {
	r, err := defaultRenderer()
	if err != nil {
		return err
	}
	inv := probeInvoice()
	inv.Branding = Branding{Logo: data, LogoMIME: mime}
	_, err = r.render(ctx, inv, true)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, ErrInvalidInvoice) {
		// Our own checks: their message says what is wrong.
		reason := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrInvalidInvoice.Error()+": "), "logo: ")
		return fmt.Errorf("%w: %s", ErrUnusableLogo, reason)
	}
	// The engine's own failure (its message can hold a stack trace, not
	// for the API client). Make sure it is the logo's: the probe must
	// render without it, else this is a bug of ours, not a bad image.
	inv.Branding = Branding{}
	if _, probeErr := r.render(ctx, inv, true); probeErr != nil {
		return fmt.Errorf("document: probe invoice: %w", probeErr)
	}
	return fmt.Errorf("%w (%s)", ErrUnusableLogo, firstLine(err.Error()))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimPrefix(s, "document: ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// probeInvoice is the smallest invoice Render accepts.
func probeInvoice() Invoice {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return Invoice{
		Number: "PROBE-0001", Status: "OPEN", IssueDate: day, DueDate: day,
		Currency: "EUR", Locale: "en",
		Seller: Party{Name: "Seller"}, Buyer: Party{Name: "Buyer"},
		Lines:    []Line{{Description: "Logo check", Quantity: "1", UnitAmount: "1", Amount: 100}},
		Subtotal: 100, TotalExcludingTax: 100, Total: 100, AmountDue: 100,
	}
}
