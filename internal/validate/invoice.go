package validate

import (
	"fmt"
	"unicode/utf8"
)

// Invoice number prefixes are per-merchant and prepended to a sequence, so
// they are kept short and unambiguous in print and file names.
const (
	MinInvoicePrefixLen = 3
	MaxInvoicePrefixLen = 12
	// MaxInvoiceNumberLen is the 35-character limit of EN 16931 / UN/EDIFACT
	// document identifiers, so numbers survive Factur-X and Peppol export.
	MaxInvoiceNumberLen = 35
)

// InvoicePrefix checks a merchant's invoice number prefix.
func InvoicePrefix(p string) error {
	if n := utf8.RuneCountInString(p); n < MinInvoicePrefixLen || n > MaxInvoicePrefixLen {
		return newError(CodeInvalidPrefix, fmt.Sprintf("invoice prefix must be %d to %d characters, got %d", MinInvoicePrefixLen, MaxInvoicePrefixLen, n))
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return newError(CodeInvalidPrefix, fmt.Sprintf("invoice prefix %s may only contain uppercase letters A-Z and digits 0-9", quote(p)))
		}
	}
	return nil
}

// InvoiceNumber checks a full invoice number. French law requires numbers
// to be unique and sequential, not any particular alphabet; the restricted
// set keeps numbers safe in file names, URLs and e-invoicing formats.
func InvoiceNumber(n string) error {
	if l := utf8.RuneCountInString(n); l == 0 || l > MaxInvoiceNumberLen {
		return newError(CodeInvalidNumber, fmt.Sprintf("invoice number must be 1 to %d characters, got %d", MaxInvoiceNumberLen, l))
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		ok := (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_' || c == '/'
		if !ok {
			return newError(CodeInvalidNumber, fmt.Sprintf("invoice number %s may only contain letters, digits, '-', '_' and '/'", quote(n)))
		}
	}
	return nil
}
