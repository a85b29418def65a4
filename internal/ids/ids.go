// Package ids mints the opaque, type-prefixed identifiers used as primary
// keys and in the public API ("in_01jb3...", "cus_01jb3...").
//
// The part after the prefix follows the ULID layout: 48 bits of Unix
// milliseconds then 80 random bits, written as 26 lowercase Crockford base32
// characters. The time prefix makes IDs sort by creation time, which keeps
// B-tree inserts append-mostly and gives cursor pagination a stable order;
// the 80 random bits make IDs unguessable, so knowing one invoice ID reveals
// nothing about another.
//
// IDs minted in the same millisecond are ordered randomly among themselves:
// strict monotonicity would need process-wide state and would leak creation
// order to anyone holding two IDs, which neither the database nor the API
// needs — except for a log whose order is its meaning (events), which
// uses a Monotonic.
package ids

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"
)

const (
	// alphabet is Crockford base32 in lowercase: it drops I, L, O and U so
	// IDs survive being read aloud or retyped from a PDF invoice.
	alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

	// SuffixLen is the length of the part after the underscore.
	SuffixLen = 26

	// MaxPrefixLen bounds the type prefix so IDs stay short enough for
	// indexes and URLs.
	MaxPrefixLen = 16

	timeLen  = 10 // 10 × 5 bits covers the 48-bit timestamp
	maxMilli = 1<<48 - 1
)

// New returns prefix + "_" + a 26-character ULID-layout suffix for now.
//
// It panics if prefix is not 1–16 characters of [a-z0-9] or if now is outside
// the 48-bit millisecond range (before 1970 or after year 10889): prefixes are
// compile-time constants and clocks never go there, so either case is a
// programming error that must not silently produce a mis-sorting key.
func New(prefix string, now time.Time) string {
	ms := checked(prefix, now)

	// crypto/rand.Read cannot fail since Go 1.24 (it aborts the program
	// instead), so there is no error to propagate.
	var rnd [10]byte
	_, _ = rand.Read(rnd[:])

	var s [SuffixLen]byte
	encode(&s, uint64(ms), &rnd)

	var b strings.Builder
	b.Grow(len(prefix) + 1 + SuffixLen)
	b.WriteString(prefix)
	b.WriteByte('_')
	b.Write(s[:])
	return b.String()
}

// checked returns now in Unix milliseconds, panicking on a prefix or time
// no id can have (see New).
func checked(prefix string, now time.Time) int64 {
	if !validPrefix(prefix) {
		panic(fmt.Sprintf("ids: invalid prefix %q: want 1-%d characters of [a-z0-9]", prefix, MaxPrefixLen))
	}
	ms := now.UnixMilli()
	if ms < 0 || ms > maxMilli {
		panic(fmt.Sprintf("ids: time %v outside the 48-bit millisecond range", now))
	}
	return ms
}

// encode writes the ULID text form of (ms, rnd) into dst.
func encode(dst *[SuffixLen]byte, ms uint64, rnd *[10]byte) {
	// Timestamp: 48 bits as 10 characters; the top character only carries
	// 3 bits, which is why the first suffix character is always 0–7.
	for i := timeLen - 1; i >= 0; i-- {
		dst[i] = alphabet[ms&31]
		ms >>= 5
	}
	// Randomness: 80 bits as 16 characters, taken 40 bits (8 characters)
	// at a time so each half fits a uint64.
	for half := range 2 {
		var v uint64
		for _, c := range rnd[half*5 : half*5+5] {
			v = v<<8 | uint64(c)
		}
		base := timeLen + half*8
		for i := 7; i >= 0; i-- {
			dst[base+i] = alphabet[v&31]
			v >>= 5
		}
	}
}

// Prefix returns the type prefix of id ("in" for "in_01jb..."), or "" when
// id has no underscore. It does not validate the rest of id.
func Prefix(id string) string {
	i := strings.LastIndexByte(id, '_')
	if i < 0 {
		return ""
	}
	return id[:i]
}

// Valid reports whether id has the shape New produces: a 1–16 character
// [a-z0-9] prefix, an underscore and a 26-character lowercase Crockford
// suffix whose first character is 0–7 (larger values would overflow 128
// bits). It cannot tell whether the ID exists.
func Valid(id string) bool {
	i := strings.LastIndexByte(id, '_')
	if i < 0 || !validPrefix(id[:i]) {
		return false
	}
	suffix := id[i+1:]
	if len(suffix) != SuffixLen || suffix[0] > '7' {
		return false
	}
	for j := 0; j < len(suffix); j++ {
		if decodeTable[suffix[j]] == 0xff {
			return false
		}
	}
	return true
}

func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > MaxPrefixLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// decodeTable maps a byte to its 5-bit value, or 0xff when it is not in the
// lowercase alphabet. Uppercase and the Crockford aliases (i, l, o) are
// rejected on purpose: IDs are compared byte-for-byte as keys, so accepting
// variants would let two spellings name one row.
var decodeTable = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// Monotonic mints ids that sort in the order they were minted within one
// process, even in the same millisecond (ULID's monotonic mode: the random
// part of an id minted in the millisecond of the previous one is that id's
// plus one). For logs whose order is their meaning, such as events, where
// revealing the order to the log's reader is the point. The zero value is
// ready; it is safe for concurrent use.
type Monotonic struct {
	mu     sync.Mutex
	lastMs uint64
	last   [10]byte
}

// New is New, monotonic.
func (m *Monotonic) New(prefix string, now time.Time) string {
	ms := checked(prefix, now)
	var rnd [10]byte
	_, _ = rand.Read(rnd[:])
	m.mu.Lock()
	if uint64(ms) <= m.lastMs {
		ms, rnd = int64(m.lastMs), m.last
		for i := len(rnd) - 1; i >= 0; i-- {
			rnd[i]++
			if rnd[i] != 0 {
				break
			}
		}
	}
	m.lastMs, m.last = uint64(ms), rnd
	m.mu.Unlock()
	var s [SuffixLen]byte
	encode(&s, uint64(ms), &rnd)
	return prefix + "_" + string(s[:])
}

// Floor is the smallest id of prefix that New could mint at t or later:
// a lower bound for "ids minted since t" in a range scan.
func Floor(prefix string, t time.Time) string {
	ms := checked(prefix, t)
	var zero [10]byte
	var s [SuffixLen]byte
	encode(&s, uint64(ms), &zero)
	return prefix + "_" + string(s[:])
}
