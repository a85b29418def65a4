package searchterms

import (
	"slices"
	"strings"
	"testing"
)

func TestTerms(t *testing.T) {
	got := Terms("Jenny Rosen-Martin", "Jenny.Rosen@Example.com")
	want := []string{
		"jenny rosen-martin", "rosen-martin", "martin",
		"jenny.rosen@example.com", "rosen@example.com", "example.com", "com",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Terms = %q, want %q", got, want)
	}
	// A text starting with punctuation keeps its whole text as a term;
	// non-ASCII letters are part of words and keep their case.
	got = Terms("(Émile Zola)", "")
	want = []string{"(Émile zola)", "Émile zola)", "zola)"}
	if !slices.Equal(got, want) {
		t.Errorf("Terms = %q, want %q", got, want)
	}
	long := strings.Repeat("a", 100)
	if got := Terms(long); len(got) != 1 || len([]rune(got[0])) != MaxRunes {
		t.Errorf("Terms of a long word = %q, want one of %d characters", got, MaxRunes)
	}
}

func TestQuery(t *testing.T) {
	for _, c := range []struct {
		q, key string
		long   bool
	}{
		{"Rosen", "rosen", false},
		{"@Example.COM", "example.com", false},
		{"  ", "", false},
		{"ÉMILE", "Émile", false},
		{strings.Repeat("b", 70), strings.Repeat("b", 64), true},
	} {
		key, long := Query(c.q)
		if key != c.key || long != c.long {
			t.Errorf("Query(%q) = %q, %v; want %q, %v", c.q, key, long, c.key, c.long)
		}
	}
	lo, hi := Range("ros")
	for _, term := range []string{"ros", "rosen", "ros\uffff"} {
		if term < lo || term >= hi {
			t.Errorf("%q outside [%q, %q)", term, lo, hi)
		}
	}
	for _, term := range []string{"ro", "rot", "rp"} {
		if term >= lo && term < hi {
			t.Errorf("%q inside [%q, %q)", term, lo, hi)
		}
	}
}
