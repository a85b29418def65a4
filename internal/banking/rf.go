// Package banking holds what Remit knows of bank transfers independent of
// its database: structured creditor references (ISO 11649), account
// identifiers (IBAN, BIC), the EPC QR code, and the bank statement formats
// it imports.
package banking

import (
	"crypto/sha256"
	"errors"
	"strings"
)

// ErrReference is returned for a creditor reference that is not a valid
// ISO 11649 reference.
var ErrReference = errors.New("not a valid RF creditor reference")

// maxBody is the longest reference body ISO 11649 allows: 25 characters
// in all, "RF" and two check digits included.
const maxBody = 21

// Reference returns the ISO 11649 creditor reference ("RF97INV0042") of
// s (an invoice number, a customer's code): "RF", check digits, Body(s).
func Reference(s string) string {
	b := Body(s)
	return "RF" + checkDigits(b) + b
}

// Body is what a creditor reference of s carries: its letters and digits,
// upper-cased, anything else dropped; when longer than the standard
// allows, a digest of those, so every invoice number still has a stable
// reference. Body(Body(s)) == Body(s).
func Body(s string) string {
	b := alnum(s)
	if len(b) > maxBody {
		sum := sha256.Sum256([]byte(b))
		b = "H" + base36(sum[:])[:maxBody-1]
	}
	return b
}

// ParseReference checks s (spaces allowed, any case) and returns it in its
// electronic form ("RF18INV00042") with its body ("INV00042").
func ParseReference(s string) (ref, body string, err error) {
	r := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(r) < 5 || len(r) > 4+maxBody || r[:2] != "RF" || !digits(r[2:4]) || alnum(r) != r {
		return "", "", ErrReference
	}
	if mod97(r[4:]+r[:4]) != 1 {
		return "", "", ErrReference
	}
	return r, r[4:], nil
}

// Printed groups ref by four, as references are printed for people to
// copy ("RF18 INV0 0042").
func Printed(ref string) string {
	var b strings.Builder
	for i, c := range ref {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func checkDigits(body string) string {
	n := 98 - mod97(body+"RF00")
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// mod97 is ISO 7064 MOD 97-10 over s with letters read as 10–35, the
// check shared by creditor references and IBANs.
func mod97(s string) int {
	m := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			m = (m*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			m = (m*100 + int(c-'A') + 10) % 97
		default:
			return -1
		}
	}
	return m
}

func alnum(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func base36(b []byte) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, alphabet[int(c)%36], alphabet[int(c)/36%36])
	}
	return string(out)
}

// ScanReferences returns the valid creditor references in free text (a
// transfer's remittance information), in electronic form, each once, in
// order of appearance. A reference may be written in one piece or in
// groups separated by spaces ("RF18 5390 0754 7034"), in any case; it
// must start and end at a word boundary. Where the groups that follow
// could belong to it or not, the longest run that passes the check
// digits wins: a wrong reference passes them one time in 97.
func ScanReferences(text string) []string {
	type word struct {
		s     string
		space bool // only whitespace separates it from the next word
	}
	var words []word
	up := strings.ToUpper(text)
	for i := 0; i < len(up); {
		if !isAlnum(up[i]) {
			i++
			continue
		}
		j := i
		for j < len(up) && isAlnum(up[j]) {
			j++
		}
		k := j
		for k < len(up) && (up[k] == ' ' || up[k] == '\t') {
			k++
		}
		words = append(words, word{s: up[i:j], space: k > j && k < len(up) && isAlnum(up[k])})
		i = j
	}
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(words); i++ {
		w := words[i].s
		if len(w) < 4 || w[:2] != "RF" || !digits(w[2:4]) {
			continue
		}
		cand, best, used := w, "", 0
		for n := 0; ; n++ {
			if len(cand) > 4+maxBody {
				break
			}
			if ref, _, err := ParseReference(cand); err == nil {
				best, used = ref, n
			}
			if !words[i+n].space || i+n+1 >= len(words) {
				break
			}
			cand += words[i+n+1].s
		}
		if best == "" {
			continue
		}
		if !seen[best] {
			seen[best] = true
			out = append(out, best)
		}
		i += used
	}
	return out
}

func isAlnum(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') }
