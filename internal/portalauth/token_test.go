package portalauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func validClaims() SessionClaims {
	return SessionClaims{SessionID: "ses_1", AccountID: "acct_1", Mode: "live", CustomerID: "cus_1"}
}

func newRing(t *testing.T, c Clock, keys map[string][]byte, current string) *KeyRing {
	t.Helper()
	r, err := NewKeyRing(c, keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawClaims builds wire claims as Sign would, for tests that need to forge
// or bend individual fields.
func rawClaims(now time.Time) jwtClaims {
	return jwtClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   "cus_1",
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(AccessTokenTTL)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        "ses_1",
		},
		AccountID: "acct_1",
		Mode:      "live",
	}
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, claims jwt.Claims, k any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerifyRoundTrip(t *testing.T) {
	clk := newFakeClock(epoch.Add(500 * time.Millisecond))
	ring := newRing(t, clk, map[string][]byte{"k1": key(1)}, "k1")

	tok, err := ring.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ring.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := validClaims()
	// JWT NumericDate has second precision.
	want.IssuedAt = epoch
	want.ExpiresAt = epoch.Add(AccessTokenTTL)
	if got != want {
		t.Errorf("claims = %+v\nwant     %+v", got, want)
	}
	if got.IssuedAt.Location() != time.UTC {
		t.Error("times not returned in UTC")
	}

	// Explicit times are honoured.
	c := validClaims()
	c.IssuedAt, c.ExpiresAt = epoch, epoch.Add(time.Minute)
	tok, _ = ring.Sign(c)
	if got, err := ring.Verify(tok); err != nil || !got.ExpiresAt.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("explicit expiry: %+v, %v", got, err)
	}
}

func TestSignRejectsIncompleteClaims(t *testing.T) {
	ring := newRing(t, newFakeClock(epoch), map[string][]byte{"k1": key(1)}, "k1")
	for _, mutate := range []func(*SessionClaims){
		func(c *SessionClaims) { c.SessionID = "" },
		func(c *SessionClaims) { c.AccountID = "" },
		func(c *SessionClaims) { c.Mode = "" },
		func(c *SessionClaims) { c.CustomerID = "" },
		func(c *SessionClaims) { c.IssuedAt, c.ExpiresAt = epoch, epoch },
	} {
		c := validClaims()
		mutate(&c)
		if _, err := ring.Sign(c); err == nil {
			t.Errorf("Sign(%+v) succeeded", c)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	clk := newFakeClock(epoch)
	ring := newRing(t, clk, map[string][]byte{"k1": key(1)}, "k1")
	good, err := ring.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	with := func(f func(*jwtClaims)) jwtClaims {
		c := rawClaims(epoch)
		f(&c)
		return c
	}
	// tamper re-encodes the payload of a validly signed token, keeping the
	// original signature.
	tamper := func(tok string) string {
		parts := strings.Split(tok, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["acct"] = "acct_victim"
		raw, _ = json.Marshal(m)
		parts[1] = base64.RawURLEncoding.EncodeToString(raw)
		return strings.Join(parts, ".")
	}
	// rs256Header keeps the HMAC signature but claims RS256, the classic
	// algorithm-confusion probe.
	rs256Header := func(tok string) string {
		parts := strings.Split(tok, ".")
		parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k1","typ":"JWT"}`))
		return strings.Join(parts, ".")
	}

	tests := []struct {
		name    string
		token   string
		expired bool
	}{
		{"empty", "", false},
		{"garbage", "not.a.jwt", false},
		{"alg none", sign(t, jwt.SigningMethodNone, "k1", rawClaims(epoch), jwt.UnsafeAllowNoneSignatureType), false},
		{"alg none unsigned header swap", func() string {
			p := strings.Split(good, ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`)) + "." + p[1] + "."
		}(), false},
		{"RS256 signed", sign(t, jwt.SigningMethodRS256, "k1", rawClaims(epoch), rsaKey), false},
		{"RS256 header on HMAC signature", rs256Header(good), false},
		{"HS384 with right key", sign(t, jwt.SigningMethodHS384, "k1", rawClaims(epoch), key(1)), false},
		{"wrong key", sign(t, jwt.SigningMethodHS256, "k1", rawClaims(epoch), key(2)), false},
		{"unknown kid", sign(t, jwt.SigningMethodHS256, "k9", rawClaims(epoch), key(1)), false},
		{"missing kid", sign(t, jwt.SigningMethodHS256, "", rawClaims(epoch), key(1)), false},
		{"tampered payload", tamper(good), false},
		{"truncated signature", good[:len(good)-4], false},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.Audience = jwt.ClaimStrings{"remit-dashboard"} }), key(1)), false},
		{"no audience", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.Audience = nil }), key(1)), false},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.Issuer = "evil" }), key(1)), false},
		{"no exp", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.ExpiresAt = nil }), key(1)), false},
		{"issued in future", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.IssuedAt = jwt.NewNumericDate(epoch.Add(time.Hour)) }), key(1)), false},
		{"no session id", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.ID = "" }), key(1)), false},
		{"no account", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.AccountID = "" }), key(1)), false},
		{"no customer", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) { c.Subject = "" }), key(1)), false},
		{"expired", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) {
			c.IssuedAt = jwt.NewNumericDate(epoch.Add(-time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(epoch.Add(-time.Minute))
		}), key(1)), true},
		{"expired and wrong key", sign(t, jwt.SigningMethodHS256, "k1", with(func(c *jwtClaims) {
			c.ExpiresAt = jwt.NewNumericDate(epoch.Add(-time.Minute))
		}), key(2)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ring.Verify(tt.token)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("err %v does not wrap ErrInvalidToken", err)
			}
			if errors.Is(err, ErrExpired) != tt.expired {
				t.Errorf("errors.Is(err, ErrExpired) = %v, want %v (err: %v)", !tt.expired, tt.expired, err)
			}
			if got != (SessionClaims{}) {
				t.Errorf("claims leaked on failure: %+v", got)
			}
		})
	}

	if _, err := ring.Verify(good); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
}

func TestVerifyExpiryFollowsClock(t *testing.T) {
	clk := newFakeClock(epoch)
	ring := newRing(t, clk, map[string][]byte{"k1": key(1)}, "k1")
	tok, _ := ring.Sign(validClaims())

	tests := []struct {
		at      time.Duration
		expired bool
	}{
		{AccessTokenTTL - time.Second, false},
		{AccessTokenTTL + Leeway - time.Second, false},
		{AccessTokenTTL + Leeway, true},
		{24 * time.Hour, true},
	}
	for _, tt := range tests {
		clk.Set(epoch.Add(tt.at))
		_, err := ring.Verify(tok)
		if tt.expired {
			if !errors.Is(err, ErrExpired) || !errors.Is(err, ErrInvalidToken) || !errors.Is(err, jwt.ErrTokenExpired) {
				t.Errorf("at +%s: err = %v, want expired", tt.at, err)
			}
		} else if err != nil {
			t.Errorf("at +%s: %v", tt.at, err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	clk := newFakeClock(epoch)
	oldRing := newRing(t, clk, map[string][]byte{"old": key(1)}, "old")
	oldTok, _ := oldRing.Sign(validClaims())

	rotated := newRing(t, clk, map[string][]byte{"old": key(1), "new": key(2)}, "new")
	if _, err := rotated.Verify(oldTok); err != nil {
		t.Fatalf("token from previous key rejected after rotation: %v", err)
	}
	newTok, _ := rotated.Sign(validClaims())
	parsed, _, err := jwt.NewParser().ParseUnverified(newTok, &jwtClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["kid"] != "new" || rotated.CurrentKeyID() != "new" {
		t.Errorf("signed with kid %v, want new", parsed.Header["kid"])
	}
	if _, err := rotated.Verify(newTok); err != nil {
		t.Fatal(err)
	}
	if _, err := oldRing.Verify(newTok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("ring without the new key accepted its token: %v", err)
	}

	retired := newRing(t, clk, map[string][]byte{"new": key(2)}, "new")
	if _, err := retired.Verify(oldTok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("retired key still verifies: %v", err)
	}
}

func TestKeyRingFromSecret(t *testing.T) {
	clk := newFakeClock(epoch)
	ring, err := KeyRingFromSecret(clk, key(7))
	if err != nil {
		t.Fatal(err)
	}
	if ring.CurrentKeyID() != KeyID(key(7)) || len(KeyID(key(7))) != 16 {
		t.Errorf("kid %q, want KeyID(secret)", ring.CurrentKeyID())
	}
	if KeyID(key(7)) == KeyID(key(8)) {
		t.Error("different secrets share a kid")
	}
	tok, _ := ring.Sign(validClaims())
	if _, err := ring.Verify(tok); err != nil {
		t.Fatal(err)
	}
	other, _ := KeyRingFromSecret(clk, key(8))
	if _, err := other.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("token verified under another secret: %v", err)
	}
	if _, err := KeyRingFromSecret(clk, []byte("password")); !errors.Is(err, ErrWeakKey) {
		t.Errorf("weak secret: err = %v", err)
	}
}

func TestNewKeyRingValidation(t *testing.T) {
	clk := newFakeClock(epoch)
	tests := []struct {
		name    string
		clock   Clock
		keys    map[string][]byte
		current string
	}{
		{"nil clock", nil, map[string][]byte{"k": key(1)}, "k"},
		{"current missing", clk, map[string][]byte{"k": key(1)}, "x"},
		{"no keys", clk, nil, ""},
		{"empty kid", clk, map[string][]byte{"": key(1), "k": key(1)}, "k"},
		{"short retired key", clk, map[string][]byte{"k": key(1), "old": []byte("short")}, "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewKeyRing(tt.clock, tt.keys, tt.current); err == nil {
				t.Fatal("accepted")
			}
		})
	}

	// Keys are copied: mutating the caller's slice must not change the ring.
	k := key(1)
	ring := newRing(t, clk, map[string][]byte{"k": k}, "k")
	tok, _ := ring.Sign(validClaims())
	k[0] ^= 0xFF
	if _, err := ring.Verify(tok); err != nil {
		t.Fatalf("ring affected by caller mutation: %v", err)
	}
}

func TestKeyRingConcurrentUse(t *testing.T) {
	ring := newRing(t, newFakeClock(epoch), map[string][]byte{"k": key(1)}, "k")
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				tok, err := ring.Sign(validClaims())
				if err == nil {
					_, err = ring.Verify(tok)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
