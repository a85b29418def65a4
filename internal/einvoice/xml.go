package einvoice

import (
	"bytes"
	"encoding/xml"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/money"
	"github.com/shopspring/decimal"
)

// writer writes XML in a fixed element order: both syntaxes are XSD
// sequences, and writing by hand keeps that order visible in the code.
type writer struct {
	b        bytes.Buffer
	currency string
}

func (w *writer) open(name string, attrs ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] == "" {
			continue
		}
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		xml.EscapeText(&w.b, []byte(attrs[i+1]))
		w.b.WriteByte('"')
	}
	w.b.WriteByte('>')
}

func (w *writer) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// leaf writes a simple element; nothing when text is empty (empty
// elements are an error in PEPPOL and mean nothing in EN 16931).
func (w *writer) leaf(name, text string, attrs ...string) {
	if text == "" {
		return
	}
	w.open(name, attrs...)
	xml.EscapeText(&w.b, []byte(text))
	w.close(name)
}

// amount formats minor units in major units: the currency's digits, but
// never a third decimal that is 0 (EN 16931 allows 2: a KWD amount in
// whole hundredths reads 1.23, not 1.230; Check refuses the others).
func amount(minor int64, currency string) string {
	s := money.MajorString(minor, currency)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		for len(s)-i-1 > 2 && s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
	}
	return s
}

func (w *writer) amt(minor int64) string { return amount(minor, w.currency) }

// decimalText normalizes a decimal string ("20.00" → "20", "5.50" →
// "5.5"), as rates and quantities read best.
func decimalText(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return d.String()
}

func ciiDate(t time.Time) string { return t.Format("20060102") }
func ublDate(t time.Time) string { return t.Format("2006-01-02") }

func unitCode(l Line) string {
	if l.UnitCode == "" {
		return "C62"
	}
	return l.UnitCode
}

// noteText is a note as UBL carries it: the subject code in the text,
// "#PMD#…", the convention EN 16931's UBL binding and the French rules use.
func noteText(n Note) string {
	if n.Subject == "" {
		return n.Text
	}
	return "#" + n.Subject + "#" + n.Text
}
