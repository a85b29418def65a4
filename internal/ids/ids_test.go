package ids

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// decodeTime recovers the millisecond timestamp from a valid ID's suffix.
func decodeTime(t *testing.T, id string) int64 {
	t.Helper()
	suffix := id[strings.LastIndexByte(id, '_')+1:]
	var ms int64
	for i := 0; i < timeLen; i++ {
		ms = ms<<5 | int64(decodeTable[suffix[i]])
	}
	return ms
}

func TestNewShape(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 123_456_789, time.UTC)
	tests := []struct {
		prefix string
	}{{"in"}, {"cus"}, {"ii"}, {"txr"}, {"a"}, {"cn2"}, {strings.Repeat("x", MaxPrefixLen)}}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			id := New(tt.prefix, now)
			if len(id) != len(tt.prefix)+1+SuffixLen {
				t.Fatalf("len(%q) = %d", id, len(id))
			}
			if !Valid(id) {
				t.Fatalf("Valid(%q) = false", id)
			}
			if got := Prefix(id); got != tt.prefix {
				t.Fatalf("Prefix(%q) = %q, want %q", id, got, tt.prefix)
			}
			if got := decodeTime(t, id); got != now.UnixMilli() {
				t.Fatalf("decoded time %d, want %d", got, now.UnixMilli())
			}
		})
	}
}

func TestEncodeKnownVector(t *testing.T) {
	// Reference vector from the ULID spec's canonical example: timestamp
	// 1469918176385 encodes as "01ARYZ6S41"; random bytes all 0xff give
	// sixteen "z" characters.
	var dst [SuffixLen]byte
	rnd := [10]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	encode(&dst, 1469918176385, &rnd)
	if got, want := string(dst[:]), "01aryz6s41zzzzzzzzzzzzzzzz"; got != want {
		t.Fatalf("encode = %q, want %q", got, want)
	}
	var zero [10]byte
	encode(&dst, 0, &zero)
	if got, want := string(dst[:]), strings.Repeat("0", SuffixLen); got != want {
		t.Fatalf("encode zero = %q, want %q", got, want)
	}
	rnd = [10]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23}
	encode(&dst, maxMilli, &rnd)
	// 0x0123456789 = 00000 00100 10001 10100 01010 11001 11100 01001 (0 4 h m a s w 9)
	// 0xabcdef0123 = 10101 01111 00110 11110 11110 00000 01001 00011
	if got, want := string(dst[:]), "7zzzzzzzzz04hmasw9nf6yy093"; got != want {
		t.Fatalf("encode max = %q, want %q", got, want)
	}
}

func TestNewSortsByTime(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for i := range 200 {
		got = append(got, New("in", base.Add(time.Duration(i)*time.Millisecond)))
	}
	if !slices.IsSorted(got) {
		t.Fatal("IDs minted at increasing milliseconds do not sort in order")
	}
}

func TestNewUnique(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := make(map[string]bool)
	for range 10000 {
		id := New("in", now)
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestNewPanics(t *testing.T) {
	ok := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		prefix string
		now    time.Time
	}{
		{"empty prefix", "", ok},
		{"underscore in prefix", "in_x", ok},
		{"uppercase prefix", "IN", ok},
		{"prefix too long", strings.Repeat("x", MaxPrefixLen+1), ok},
		{"before epoch", "in", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"beyond 48 bits", "in", time.UnixMilli(maxMilli + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			New(tt.prefix, tt.now)
		})
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct{ id, want string }{
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5y", "in"},
		{"cus_x", "cus"},
		{"noseparator", ""},
		{"", ""},
		{"_abc", ""},
		{"a_b_c", "a_b"},
	}
	for _, tt := range tests {
		if got := Prefix(tt.id); got != tt.want {
			t.Errorf("Prefix(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5y", true},
		{"in_7zzzzzzzzzzzzzzzzzzzzzzzzz", true},
		{"in_00000000000000000000000000", true},
		{"in_8zzzzzzzzzzzzzzzzzzzzzzzzz", false},  // overflows 128 bits
		{"in_01JB3M4H7K8Q9R0S1T2V3W4X5Y", false},  // uppercase
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5i", false},  // i not in alphabet
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5l", false},  // l not in alphabet
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5o", false},  // o not in alphabet
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5u", false},  // u not in alphabet
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5", false},   // 25 chars
		{"in_01jb3m4h7k8q9r0s1t2v3w4x5yy", false}, // 27 chars
		{"_01jb3m4h7k8q9r0s1t2v3w4x5y", false},    // no prefix
		{"IN_01jb3m4h7k8q9r0s1t2v3w4x5y", false},  // uppercase prefix
		{"i-n_01jb3m4h7k8q9r0s1t2v3w4x5y", false}, // bad prefix char
		{"a_b_01jb3m4h7k8q9r0s1t2v3w4x5y", false}, // underscore in prefix
		{"in01jb3m4h7k8q9r0s1t2v3w4x5y", false},   // no separator
		{"", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.id); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestNewAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are inflated under the race detector")
	}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { _ = New("in", now) }); n > 1 {
		t.Fatalf("New allocates %v times per call, want 1 (the result)", n)
	}
}

func BenchmarkNew(b *testing.B) {
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_ = New("in", now)
	}
}

func BenchmarkValid(b *testing.B) {
	id := New("cus", time.Now())
	b.ReportAllocs()
	for b.Loop() {
		_ = Valid(id)
	}
}

// TestMonotonic checks ids minted in one millisecond, or with a clock that
// steps back, still sort in minting order.
func TestMonotonic(t *testing.T) {
	var m Monotonic
	at := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	prev := m.New("evt", at)
	for i := range 1000 {
		now := at
		if i%3 == 0 {
			now = at.Add(-time.Second) // a clock stepping back
		}
		id := m.New("evt", now)
		if id <= prev || !Valid(id) {
			t.Fatalf("%d: %s after %s", i, id, prev)
		}
		prev = id
	}
	if later := m.New("evt", at.Add(time.Hour)); later <= prev || later[4:14] == prev[4:14] {
		t.Fatalf("a later millisecond keeps the old one: %s after %s", later, prev)
	}
}
