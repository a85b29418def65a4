// Package searchterms is the customer search of SQLite: the words of a
// customer's name and email, each with the rest of its text, kept in an
// index (ent/schema's CustomerTerm, written by a hook on every change of
// the name or email), so that a search reads the index range of the
// query's prefix instead of every customer.
//
// A search matches where a word of the name or the email starts with the
// query: "rosen" finds "Jenny Rosen" and "jenny.rosen@example.com", and so
// does "rosen@example"; "osen" does not. A word starts at the start of the
// text or after a character that is neither an ASCII letter or digit nor
// any non-ASCII character (space, punctuation, @). Letters compare without
// ASCII case, as SQLite's LIKE and lower() did before. PostgreSQL matches
// anywhere in the text instead (a trigram index).
package searchterms

import (
	"strings"
	"unicode/utf8"
)

// MaxRunes is how many characters a term keeps: a query is looked up by
// its first MaxRunes characters, and a longer one is then checked against
// the text itself.
const MaxRunes = 64

// Terms returns the distinct terms of the texts: for each word start, the
// rest of the text from there, lower-cased (ASCII), cut to MaxRunes.
func Terms(texts ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, text := range texts {
		s := Lower(text)
		prevWord := false
		for i, r := range s {
			word := isWord(r)
			if i == 0 || (word && !prevWord) {
				t := Cut(s[i:])
				if t != "" && !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
			prevWord = word
		}
	}
	return out
}

// Lower lower-cases the ASCII letters of s, as SQLite's lower() does.
func Lower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// Cut returns the first MaxRunes characters of s.
func Cut(s string) string {
	n := 0
	for i := range s {
		if n == MaxRunes {
			return s[:i]
		}
		n++
	}
	return s
}

// Query returns what a search for q looks up: the query lower-cased as
// the terms are (ASCII letters only: other letters match as typed, as they
// did with SQLite's LIKE), without its leading characters that start no
// word (a search for "@example.com" is one for "example.com"), cut to
// MaxRunes; long reports whether it was cut (the text must then be checked
// for the whole query). An empty key matches nothing.
func Query(q string) (key string, long bool) {
	s := strings.TrimLeftFunc(Lower(q), func(r rune) bool { return !isWord(r) })
	key = Cut(s)
	return key, key != s
}

// Exact returns the term a text equal to q has, since a text's first term
// is the whole text: the lookup of an exact match. It lower-cases q with
// strings.ToLower, as ent's case-insensitive equality (lower(text) = …) on
// SQLite does, so that it finds what that equality matches. long reports
// whether it was cut.
func Exact(q string) (key string, long bool) {
	s := strings.ToLower(q)
	key = Cut(s)
	return key, key != s
}

// Range returns the bounds of the terms that start with key:
// key ≤ term < key + U+10FFFF. Terms holding U+10FFFF (a noncharacter)
// right after the key are missed.
func Range(key string) (lo, hi string) {
	return key, key + string(utf8.MaxRune)
}

// isWord reports whether r is part of a word: an ASCII letter or digit, or
// any non-ASCII character.
func isWord(r rune) bool {
	return r >= utf8.RuneSelf || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
