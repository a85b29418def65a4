package document

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

// word is one word pdftotext -bbox finds, with its box in points.
type word struct {
	Text       string
	XMin, YMin float64
}

// words reads the first page's words and their positions back from pdf.
func words(t *testing.T, pdf []byte) []word {
	t.Helper()
	out := runTool(t, pdf, "pdftotext", "-bbox", "-f", "1", "-l", "1", "-enc", "UTF-8", "{}", "-")
	var doc struct {
		Words []struct {
			XMin float64 `xml:"xMin,attr"`
			YMin float64 `xml:"yMin,attr"`
			Text string  `xml:",chardata"`
		} `xml:"body>doc>page>word"`
	}
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("pdftotext -bbox: %v\n%s", err, out)
	}
	var ws []word
	for _, w := range doc.Words {
		ws = append(ws, word{strings.TrimSpace(w.Text), w.XMin, w.YMin})
	}
	return ws
}

// rowStart is the x of the first word of the line that starts with the
// words of label (several words on one line), at or below y; ok false when
// no line does.
func rowStart(ws []word, label string, below float64) (x, y float64, ok bool) {
	parts := strings.Fields(label)
	for i := range ws {
		if ws[i].Text != parts[0] || ws[i].YMin < below {
			continue
		}
		match := true
		for k := 1; k < len(parts); k++ {
			if i+k >= len(ws) || ws[i+k].Text != parts[k] || math.Abs(ws[i+k].YMin-ws[i].YMin) > 1 {
				match = false
				break
			}
		}
		if match {
			return ws[i].XMin, ws[i].YMin, true
		}
	}
	return 0, 0, false
}

// TestTotalsLabelsAlign reads where the totals' labels are printed: the
// rows beside the tax breakdown (total excluding tax, tax) and the rows
// under it (total, amount due) start at the same x, on A4 and on LETTER,
// whose wider text block used to push the first ones 17 pt to the right.
func TestTotalsLabelsAlign(t *testing.T) {
	for _, tt := range []struct{ locale, size string }{
		{"fr", "A4"}, {"fr", "LETTER"}, {"en", "A4"}, {"en", "LETTER"},
	} {
		t.Run(tt.locale+"/"+tt.size, func(t *testing.T) {
			inv := sampleInvoice(tt.locale)
			inv.PageSize = tt.size
			labels := []string{"Total HT", "Total TVA", "Total TTC", "Montant dû"}
			if tt.locale == "en" {
				labels = []string{"Total excluding tax", "Total tax", "Total $6,018.00", "Amount due"}
			}
			ws := words(t, render(t, inv))
			var xs []float64
			y := 0.0
			for _, l := range labels {
				x, at, ok := rowStart(ws, l, y)
				if !ok {
					t.Fatalf("no %q on page 1", l)
				}
				xs, y = append(xs, x), at
			}
			for i, x := range xs[1:] {
				if math.Abs(x-xs[0]) > 0.5 {
					t.Errorf("%q starts at x = %.1f pt, %q at %.1f pt (%.1f pt apart)", labels[i+1], x, labels[0], xs[0], x-xs[0])
				}
			}
		})
	}
}
