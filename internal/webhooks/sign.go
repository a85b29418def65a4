package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signatures, in Stripe's scheme:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", one v1
// per signing secret (two during a rotation), so Stripe's verification
// code applies as it is.
const SignatureHeader = "Remit-Signature"

// EventIDHeader carries the event's id, for receivers that deduplicate.
const EventIDHeader = "Remit-Event-Id"

// Tolerance is how old a signed request a receiver should accept.
const Tolerance = 5 * time.Minute

// Sign returns the signature header value of body sent at t, signed with
// each of secrets.
func Sign(t time.Time, body []byte, secrets ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	parts := []string{"t=" + ts}
	for _, s := range secrets {
		parts = append(parts, "v1="+mac(s, ts, body))
	}
	return strings.Join(parts, ",")
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature = errors.New("webhooks: no valid signature for this secret")
	ErrTooOld      = errors.New("webhooks: signed too long ago")
	ErrMalformed   = errors.New("webhooks: malformed signature header")
)

// Verify checks header against body with secret, as a receiver does: a
// v1 signature of secret matches and t is within Tolerance of now.
func Verify(header string, body []byte, secret string, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: %s", ErrTooOld, d.Round(time.Second))
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrNoSignature
}
