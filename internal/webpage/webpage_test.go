package webpage

import (
	"strings"
	"testing"
)

func TestHead(t *testing.T) {
	tpl, err := New("page").Parse(`{{template "head" .}}<title>x</title></head><body></body></html>`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	// The language is escaped like any attribute value.
	if err := tpl.Execute(&b, `fr" onload="x`); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"<!doctype html>\n<html lang=\"fr&#34; onload=&#34;x\">", `<meta name="robots" content="noindex">`, `<meta charset="utf-8">`} {
		if !strings.Contains(got, want) {
			t.Errorf("head lacks %q:\n%s", want, got)
		}
	}
}
