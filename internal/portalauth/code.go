package portalauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	// CodeDigits is fixed at 6: the industry default (Shopify, Kratos, WorkOS)
	// and safe only in combination with MaxAttempts and the rate limits.
	CodeDigits = 6

	// CodeTTL bounds how long a guessed or intercepted code is useful.
	CodeTTL = 10 * time.Minute

	// MaxAttempts is the number of verification attempts a single code gets
	// before its challenge must be discarded; with 10^6 codes this keeps the
	// per-code guessing odds at 5e-6.
	MaxAttempts = 5

	// MinTokenBytes is the shortest random token NewToken will issue; 128 bits
	// keeps online guessing infeasible without any attempt counting.
	MinTokenBytes = 16
)

// codeSpace is 10^CodeDigits.
const codeSpace = 1_000_000

// codeRejectAbove is the largest multiple of codeSpace that fits in a
// uint32; draws at or above it are discarded so every code is equally likely.
const codeRejectAbove = (1 << 32) / codeSpace * codeSpace

// NewCode returns a uniformly random 6-digit code, leading zeros included,
// drawn from crypto/rand.
func NewCode() (string, error) {
	return newCode(rand.Reader)
}

// newCode takes the entropy source as a parameter so tests can drive the
// rejection branch deterministically.
func newCode(r io.Reader) (string, error) {
	var b [4]byte
	// The loop terminates with overwhelming probability: each draw is
	// rejected with chance < 0.03%.
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("portalauth: reading randomness: %w", err)
		}
		v := binary.BigEndian.Uint32(b[:])
		if v >= codeRejectAbove {
			continue
		}
		return fmt.Sprintf("%0*d", CodeDigits, v%codeSpace), nil
	}
}

// MinKeyBytes is the shortest secret accepted for HMAC keys: OWASP asks for a
// MAC key at least as long as the hash output (256 bits for SHA-256).
const MinKeyBytes = 32

// ErrWeakKey reports an HMAC key shorter than MinKeyBytes.
var ErrWeakKey = errors.New("portalauth: key must be at least 32 bytes")

// Hasher turns one-time codes into keyed digests for storage. A plain hash
// of a 6-digit code is reversed by trying all 10^6 values, so the digest is
// keyed with a server secret that never sits in the database: a DB dump or
// log line then reveals nothing about live codes.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher keyed by key. The key is copied so later
// mutation by the caller cannot change stored digests.
func NewHasher(key []byte) (Hasher, error) {
	if len(key) < MinKeyBytes {
		return Hasher{}, ErrWeakKey
	}
	return Hasher{key: append([]byte(nil), key...)}, nil
}

// hashDomain separates code digests from any other HMAC made with the same
// key, and versions the encoding so it can change without ambiguity.
const hashDomain = "remit-portal-otp-v1"

// Hash returns HMAC-SHA256 over a canonical encoding of (scope, email,
// code). Scope should bind the code to where it may be used (for example
// account id, mode and challenge id) so a digest cannot be replayed against
// another merchant or challenge. The email is normalised so the digest does
// not depend on how the customer typed it; the code is used verbatim, so
// callers should trim user input before hashing.
//
// Each field is length-prefixed: with plain concatenation ("ab","c") and
// ("a","bc") would collide.
func (h Hasher) Hash(scope, email, code string) []byte {
	if len(h.key) == 0 {
		// A zero Hasher would produce unkeyed digests that are trivially
		// brute-forced; refuse loudly rather than store them.
		panic("portalauth: Hasher used without NewHasher")
	}
	m := hmac.New(sha256.New, h.key)
	for _, field := range []string{hashDomain, scope, NormalizeEmail(email), code} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(field)))
		m.Write(n[:])
		m.Write([]byte(field))
	}
	return m.Sum(nil)
}

// Equal reports whether stored is the digest of (scope, email, code). The
// comparison is constant-time so response timing cannot be used to learn
// the stored digest byte by byte.
func (h Hasher) Equal(stored []byte, scope, email, code string) bool {
	return hmac.Equal(stored, h.Hash(scope, email, code))
}

// NormalizeEmail trims surrounding space and lower-cases the address so one
// mailbox maps to one rate-limit key and one code digest. Local parts are
// technically case-sensitive, but no real provider treats them so, and
// treating them as distinct would let an attacker multiply their rate-limit
// budget by varying case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// NewToken returns n random bytes from crypto/rand, base64url-encoded
// without padding so it is safe in URLs and cookies. It is meant for opaque
// secrets such as single-use login links and refresh tokens.
func NewToken(n int) (string, error) {
	if n < MinTokenBytes {
		return "", fmt.Errorf("portalauth: token needs at least %d bytes, got %d", MinTokenBytes, n)
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("portalauth: reading randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns SHA-256 of an opaque token for storage and lookup.
// Unlike codes, tokens from NewToken carry at least 128 bits of entropy, so
// an unkeyed fast hash cannot be brute-forced and allows indexed lookup by
// digest; a DB dump still yields no usable token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
