package exports

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestTextNeutralisesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1:A9)": "'=SUM(A1:A9)", "+33 1 23": "'+33 1 23", "-2": "'-2", "@cmd": "'@cmd",
		"\tx": "'\tx", "\rx": "'\rx", "Acme SAS": "Acme SAS", "": "", "a=b": "a=b",
	} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSheetQuotesAndMarks(t *testing.T) {
	var b bytes.Buffer
	sh, err := newSheet(&b, Options{BOM: true}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.row([]string{`say "hi", then`, "line\nbreak"}); err != nil {
		t.Fatal(err)
	}
	if err := sh.flush(); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if out[:3] != "\uFEFF" || !bytes.Contains(b.Bytes(), []byte("\r\n")) {
		t.Fatalf("no BOM or CRLF: %q", out)
	}
	rs, err := csv.NewReader(bytes.NewReader(b.Bytes()[3:])).ReadAll()
	if err != nil || len(rs) != 2 || rs[1][0] != `say "hi", then` || rs[1][1] != "line\nbreak" {
		t.Fatalf("round trip %v %v", rs, err)
	}
}
