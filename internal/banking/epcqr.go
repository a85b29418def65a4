package banking

import (
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/speedata/barcode/qr"

	"github.com/remitbilling/remit/internal/money"
)

// ErrEPC is wrapped by the errors of EPCPayload: the transfer cannot be
// given as an EPC QR code.
var ErrEPC = errors.New("no EPC QR code for this transfer")

// Limits of the EPC QR code (EPC069-12 v3.1, "Quick Response Code:
// Guidelines to Enable Data Capture for the Initiation of a SEPA Credit
// Transfer", section 3.3).
const (
	epcMaxName    = 70
	epcMaxText    = 140
	epcMaxPayload = 331
	epcMinAmount  = 1           // EUR 0.01
	epcMaxAmount  = 99999999999 // EUR 999999999.99
)

// CreditTransfer is what a payer's banking app needs to prefill a SEPA
// credit transfer.
type CreditTransfer struct {
	// Name is the beneficiary (at most 70 characters).
	Name string
	// IBAN is the beneficiary's account, any form ParseIBAN accepts.
	IBAN string
	// BIC is optional in version 002 inside the EEA.
	BIC string
	// Amount is in minor units of Currency, which must be EUR: the
	// SEPA credit transfer is a euro scheme.
	Amount   int64
	Currency string
	// Reference is an ISO 11649 creditor reference ("RF…"); when set it is
	// the structured remittance and Text is not sent (the EPC allows one
	// or the other).
	Reference string
	// Text is the unstructured remittance (at most 140 characters).
	Text string
}

// EPCPayload returns the content of the EPC QR code for t: version 002,
// UTF-8, "SCT", one element a line separated by LF, trailing empty
// elements left out as the guidelines require.
func EPCPayload(t CreditTransfer) (string, error) {
	if !strings.EqualFold(strings.TrimSpace(t.Currency), "EUR") {
		return "", fmt.Errorf("%w: the SEPA credit transfer is in EUR, not %s", ErrEPC, t.Currency)
	}
	if t.Amount < epcMinAmount || t.Amount > epcMaxAmount {
		return "", fmt.Errorf("%w: the amount must be between EUR 0.01 and 999999999.99", ErrEPC)
	}
	iban, err := ParseIBAN(t.IBAN)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrEPC, err)
	}
	var bic string
	if strings.TrimSpace(t.BIC) != "" {
		if bic, err = ParseBIC(t.BIC); err != nil {
			return "", fmt.Errorf("%w: %w", ErrEPC, err)
		}
	}
	// A line break in a name or text would shift every element after it.
	name := strings.Join(strings.Fields(t.Name), " ")
	if name == "" || utf8.RuneCountInString(name) > epcMaxName {
		return "", fmt.Errorf("%w: the beneficiary name must have 1 to %d characters", ErrEPC, epcMaxName)
	}
	var ref, text string
	if strings.TrimSpace(t.Reference) != "" {
		if ref, _, err = ParseReference(t.Reference); err != nil {
			return "", fmt.Errorf("%w: %w", ErrEPC, err)
		}
	} else {
		text = strings.Join(strings.Fields(t.Text), " ")
		if utf8.RuneCountInString(text) > epcMaxText {
			return "", fmt.Errorf("%w: the remittance text has more than %d characters", ErrEPC, epcMaxText)
		}
	}
	el := []string{
		"BCD", // service tag
		"002", // version
		"1",   // character set: UTF-8
		"SCT", // identification: SEPA credit transfer
		bic,
		name,
		iban,
		"EUR" + money.MajorString(t.Amount, "EUR"),
		"", // purpose
		ref,
		text,
		// beneficiary to originator information: none
	}
	for len(el) > 0 && el[len(el)-1] == "" {
		el = el[:len(el)-1]
	}
	p := strings.Join(el, "\n")
	if len(p) > epcMaxPayload {
		return "", fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrEPC, len(p), epcMaxPayload)
	}
	return p, nil
}

// EPCQRCode returns t's EPC QR code as an SVG element size wide and high
// (a CSS length such as "30mm"), see QRCodeSVG.
func EPCQRCode(t CreditTransfer, size string) (string, error) {
	p, err := EPCPayload(t)
	if err != nil {
		return "", err
	}
	return QRCodeSVG(p, size)
}

// qrQuietZone is the white margin the QR standard requires around the
// symbol, in modules.
const qrQuietZone = 4

// QRCodeSVG encodes content (bytes, as UTF-8) as a QR code at error
// correction level M, the level the EPC requires, and draws it as an SVG
// element: one path of dark modules on a white square that includes the
// quiet zone. SVG rather than an image, because both the hosted page and
// the PDF engine draw it inline (the engine's SVG reader handles a path
// and a rect), it stays sharp at any size and needs no file. size is a
// CSS length ("30mm"); empty leaves the size to the page.
func QRCodeSVG(content, size string) (string, error) {
	code, err := qr.Encode(content, qr.M, qr.Unicode)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	n := code.Bounds().Dx()
	dim := strconv.Itoa(n + 2*qrQuietZone)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + dim + ` ` + dim + `"`)
	if size != "" {
		b.WriteString(` width="` + html.EscapeString(size) + `" height="` + html.EscapeString(size) + `"`)
	}
	b.WriteString(`><rect x="0" y="0" width="` + dim + `" height="` + dim + `" fill="#ffffff"/><path fill="#000000" d="`)
	// One rectangle per horizontal run of dark modules keeps the path
	// several times shorter than one square per module.
	dark := func(x, y int) bool {
		r, _, _, _ := code.At(x, y).RGBA()
		return r == 0
	}
	for y := range n {
		for x := 0; x < n; {
			if !dark(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < n && dark(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
