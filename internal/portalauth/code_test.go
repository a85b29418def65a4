package portalauth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestNewCodeFormatAndDistribution(t *testing.T) {
	const n = 20000
	var counts [CodeDigits][10]int
	leadingZero := false
	seen := make(map[string]bool, n)
	for range n {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeDigits {
			t.Fatalf("code %q: want %d chars", c, CodeDigits)
		}
		for i, r := range c {
			if r < '0' || r > '9' {
				t.Fatalf("code %q: non-digit", c)
			}
			counts[i][r-'0']++
		}
		if c[0] == '0' {
			leadingZero = true
		}
		seen[c] = true
	}
	if !leadingZero {
		t.Error("no code with a leading zero in 20000 draws; zero-padding or range is wrong")
	}
	// Birthday bound: ~200 collisions expected among 20000 draws from 1e6.
	if len(seen) < n-1000 {
		t.Errorf("only %d distinct codes out of %d", len(seen), n)
	}
	// Each digit value should appear ~2000 times per position; the bounds
	// are ~9 standard deviations wide so the test is not flaky.
	for pos, row := range counts {
		for d, got := range row {
			if got < 1600 || got > 2400 {
				t.Errorf("position %d digit %d appeared %d times, want ~2000", pos, d, got)
			}
		}
	}
}

func u32(vs ...uint32) io.Reader {
	var b bytes.Buffer
	for _, v := range vs {
		_ = binary.Write(&b, binary.BigEndian, v)
	}
	return &b
}

func TestNewCodeRejectionSampling(t *testing.T) {
	tests := []struct {
		name    string
		src     io.Reader
		want    string
		wantErr bool
	}{
		{"zero pads", u32(7), "000007", false},
		{"largest accepted draw", u32(codeRejectAbove - 1), "999999", false},
		{"biased tail rejected", u32(codeRejectAbove, 42), "000042", false},
		{"max uint32 rejected", u32(0xFFFFFFFF, 0xFFFFFFFF, 123456), "123456", false},
		{"exhausted source", u32(0xFFFFFFFF), "", true},
		{"short read", bytes.NewReader([]byte{1, 2}), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newCode(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewHasherRejectsWeakKey(t *testing.T) {
	if _, err := NewHasher(make([]byte, 31)); !errors.Is(err, ErrWeakKey) {
		t.Fatalf("err = %v, want ErrWeakKey", err)
	}
	if _, err := NewHasher(key(1)); err != nil {
		t.Fatal(err)
	}
}

func TestHasherKeyIsCopied(t *testing.T) {
	k := key(1)
	h, _ := NewHasher(k)
	before := h.Hash("s", "a@b.c", "123456")
	k[0] ^= 0xFF
	if !bytes.Equal(before, h.Hash("s", "a@b.c", "123456")) {
		t.Fatal("mutating the caller's key changed the digest")
	}
}

func TestHashSeparatesInputs(t *testing.T) {
	h, _ := NewHasher(key(1))
	other, _ := NewHasher(key(2))
	base := h.Hash("acct_1:live", "a@example.com", "123456")
	if len(base) != 32 {
		t.Fatalf("digest length %d, want 32", len(base))
	}
	differs := []struct {
		name string
		got  []byte
	}{
		{"scope", h.Hash("acct_2:live", "a@example.com", "123456")},
		{"mode", h.Hash("acct_1:test", "a@example.com", "123456")},
		{"email", h.Hash("acct_1:live", "b@example.com", "123456")},
		{"code", h.Hash("acct_1:live", "a@example.com", "123457")},
		{"key", other.Hash("acct_1:live", "a@example.com", "123456")},
		// Without length prefixes these would shift bytes between fields
		// and collide.
		{"field boundary", h.Hash("acct_1:livea", "@example.com", "123456")},
		{"field boundary 2", h.Hash("acct_1:live", "a@example.com1", "23456")},
	}
	for _, d := range differs {
		if bytes.Equal(base, d.got) {
			t.Errorf("changing %s did not change the digest", d.name)
		}
	}
	if !bytes.Equal(base, h.Hash("acct_1:live", "  A@Example.COM\t", "123456")) {
		t.Error("email normalisation not applied inside Hash")
	}
}

func TestHasherEqual(t *testing.T) {
	h, _ := NewHasher(key(1))
	other, _ := NewHasher(key(2))
	stored := h.Hash("acct_1:live:chal_1", "a@example.com", "012345")
	tests := []struct {
		name   string
		h      Hasher
		stored []byte
		scope  string
		email  string
		code   string
		want   bool
	}{
		{"match", h, stored, "acct_1:live:chal_1", "a@example.com", "012345", true},
		{"match normalised email", h, stored, "acct_1:live:chal_1", " A@EXAMPLE.com ", "012345", true},
		{"wrong code", h, stored, "acct_1:live:chal_1", "a@example.com", "012346", false},
		{"code without leading zero", h, stored, "acct_1:live:chal_1", "a@example.com", "12345", false},
		{"wrong scope", h, stored, "acct_1:live:chal_2", "a@example.com", "012345", false},
		{"wrong email", h, stored, "acct_1:live:chal_1", "b@example.com", "012345", false},
		{"other key", other, stored, "acct_1:live:chal_1", "a@example.com", "012345", false},
		{"truncated digest", h, stored[:16], "acct_1:live:chal_1", "a@example.com", "012345", false},
		{"nil digest", h, nil, "acct_1:live:chal_1", "a@example.com", "012345", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Equal(tt.stored, tt.scope, tt.email, tt.code); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestZeroHasherPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("zero Hasher produced a digest")
		}
	}()
	Hasher{}.Hash("s", "e", "c")
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a@example.com", "a@example.com"},
		{"  Alice@Example.COM\n", "alice@example.com"},
		{"\tBOB@x.io ", "bob@x.io"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeEmail(tt.in); got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewToken(t *testing.T) {
	if _, err := NewToken(MinTokenBytes - 1); err == nil {
		t.Fatal("short token accepted")
	}
	seen := map[string]bool{}
	for range 100 {
		tok, err := NewToken(32)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: decode err %v, %d bytes", tok, err, len(raw))
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q is not URL-safe", tok)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	a, b := HashToken("token-a"), HashToken("token-b")
	if len(a) != 32 {
		t.Fatalf("digest length %d", len(a))
	}
	if bytes.Equal(a, b) {
		t.Error("different tokens hash equal")
	}
	if !bytes.Equal(a, HashToken("token-a")) {
		t.Error("hash not deterministic")
	}
}
