package portalauth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// Audience is the only "aud" the portal accepts, so tokens minted for any
	// other surface (merchant dashboard, payment links) are refused even if
	// they were signed with the same key.
	Audience = "remit-portal"

	// Issuer names this server as the token's origin; verification requires
	// it for the same reason as Audience.
	Issuer = "remit"

	// AccessTokenTTL is short because a stateless token cannot be revoked:
	// logout and revocation take effect through the session row, and the
	// token outlives them by at most this long.
	AccessTokenTTL = 15 * time.Minute

	// Leeway tolerates small clock differences between server instances when
	// checking exp and iat.
	Leeway = 30 * time.Second
)

var (
	// ErrInvalidToken is returned for every token that must not be trusted.
	// Callers should map it to a single UNAUTHENTICATED response; the
	// wrapped jwt error is for logs only.
	ErrInvalidToken = errors.New("portalauth: invalid token")

	// ErrExpired is returned (together with ErrInvalidToken) when an
	// otherwise valid token has passed its expiry, so clients can be told to
	// refresh rather than to log in again.
	ErrExpired = errors.New("portalauth: token expired")

	// errUnknownKey is reported for a kid the ring does not hold.
	errUnknownKey = errors.New("unknown key id")
)

// SessionClaims is what a portal access token asserts. It carries
// identifiers only: a JWT is encoded, not encrypted, so no PII belongs here.
// Times are truncated to whole seconds by the JWT encoding.
type SessionClaims struct {
	SessionID  string // jti; ties the token to a revocable session row
	AccountID  string // merchant the customer logged in to
	Mode       string // "live" or "test"
	CustomerID string // sub
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// jwtClaims is the wire form of SessionClaims.
type jwtClaims struct {
	jwt.RegisteredClaims
	AccountID string `json:"acct"`
	Mode      string `json:"mode"`
}

// Validate runs after the parser's standard checks. Without it a token
// lacking the identifiers the portal authorises on would parse cleanly and
// yield empty ids.
func (c jwtClaims) Validate() error {
	if c.ID == "" || c.Subject == "" || c.AccountID == "" || c.Mode == "" {
		return errors.New("missing session claims")
	}
	return nil
}

// KeyRing signs with one current HMAC-SHA256 key and verifies with any key
// it holds, looked up by the token's kid header. Keeping retired keys for at
// least AccessTokenTTL+Leeway lets keys rotate without logging anyone out.
// A KeyRing is immutable after construction and safe for concurrent use.
type KeyRing struct {
	clock   Clock
	keys    map[string][]byte
	current string
	parser  *jwt.Parser
}

// NewKeyRing builds a ring from keys indexed by kid, signing with keys[current].
// The clock drives expiry checks so test clocks and tests control token
// validity. Every key must be at least MinKeyBytes long.
func NewKeyRing(c Clock, keys map[string][]byte, current string) (*KeyRing, error) {
	if c == nil {
		return nil, errors.New("portalauth: nil clock")
	}
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("portalauth: current key id %q not in key ring", current)
	}
	ring := &KeyRing{clock: c, keys: make(map[string][]byte, len(keys)), current: current}
	for kid, key := range keys {
		if kid == "" {
			return nil, errors.New("portalauth: empty key id")
		}
		if len(key) < MinKeyBytes {
			return nil, fmt.Errorf("portalauth: key %q: %w", kid, ErrWeakKey)
		}
		// Copied so the caller cannot change keys under a live ring.
		ring.keys[kid] = append([]byte(nil), key...)
	}
	ring.parser = jwt.NewParser(
		// Pinning the algorithm defeats alg=none and RS/HS confusion before
		// any key is looked up.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(Audience),
		jwt.WithIssuer(Issuer),
		// exp is optional in JWT; a token without one would never expire.
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(c.Now),
	)
	return ring, nil
}

// KeyRingFromSecret builds a single-key ring whose kid is derived from the
// secret, so a deployment configured with one secret needs no separate key
// id setting and a changed secret automatically gets a new kid. The secret
// should be dedicated to portal sessions, not shared with other purposes.
func KeyRingFromSecret(c Clock, secret []byte) (*KeyRing, error) {
	kid := KeyID(secret)
	return NewKeyRing(c, map[string][]byte{kid: secret}, kid)
}

// KeyID derives a stable, non-secret key id from an HMAC key: a truncated,
// domain-separated SHA-256 reveals nothing usable about a 256-bit key.
// Rotation configs can use it to name old and new secrets consistently with
// KeyRingFromSecret.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("remit-portal-kid-v1\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// CurrentKeyID reports which kid new tokens are signed with.
func (k *KeyRing) CurrentKeyID() string { return k.current }

// Sign mints an access token for claims. A zero IssuedAt defaults to the
// clock's now and a zero ExpiresAt to IssuedAt+AccessTokenTTL, so callers
// normally set only the identifiers.
func (k *KeyRing) Sign(claims SessionClaims) (string, error) {
	if claims.SessionID == "" || claims.AccountID == "" || claims.Mode == "" || claims.CustomerID == "" {
		return "", errors.New("portalauth: session claims need SessionID, AccountID, Mode and CustomerID")
	}
	iat := claims.IssuedAt
	if iat.IsZero() {
		iat = k.clock.Now()
	}
	exp := claims.ExpiresAt
	if exp.IsZero() {
		exp = iat.Add(AccessTokenTTL)
	}
	if !exp.After(iat) {
		return "", errors.New("portalauth: token would expire before it is issued")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   claims.CustomerID,
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(iat),
			ID:        claims.SessionID,
		},
		AccountID: claims.AccountID,
		Mode:      claims.Mode,
	})
	t.Header["kid"] = k.current
	s, err := t.SignedString(k.keys[k.current])
	if err != nil {
		return "", fmt.Errorf("portalauth: signing token: %w", err)
	}
	return s, nil
}

// Verify checks the token's algorithm, key, signature, issuer, audience,
// expiry and required claims, and returns its claims. Every failure wraps
// ErrInvalidToken; expiry additionally wraps ErrExpired.
func (k *KeyRing) Verify(token string) (SessionClaims, error) {
	var c jwtClaims
	_, err := k.parser.ParseWithClaims(token, &c, k.keyFor)
	if err != nil {
		// Only a correctly signed token reaches the expiry check, so
		// ErrExpired never vouches for a forged token.
		if errors.Is(err, jwt.ErrTokenExpired) {
			return SessionClaims{}, fmt.Errorf("%w: %w: %w", ErrInvalidToken, ErrExpired, err)
		}
		return SessionClaims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	out := SessionClaims{
		SessionID:  c.ID,
		AccountID:  c.AccountID,
		Mode:       c.Mode,
		CustomerID: c.Subject,
		// Required by the parser, so never nil here.
		ExpiresAt: c.ExpiresAt.UTC(),
	}
	// iat is only checked when present; a token signed elsewhere with a
	// ring key might omit it.
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.UTC()
	}
	return out, nil
}

// keyFor resolves the verification key strictly from the ring: key material
// or URLs in the header (jwk, jku, x5u) are never trusted.
func (k *KeyRing) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	key, ok := k.keys[kid]
	if !ok {
		return nil, errUnknownKey
	}
	return key, nil
}
