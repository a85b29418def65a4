package exports

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

// LinkTTL is how long a signed download link works.
const LinkTTL = 10 * time.Minute

// Signed-link query parameters.
const (
	paramAccount   = "account"
	paramMode      = "mode"
	paramExpires   = "expires"
	paramSignature = "signature"
)

// ErrBadLink refuses a signed link that is forged, altered or expired.
var ErrBadLink = errors.New("exports: the download link is invalid or has expired")

// SignedLink returns the path and query of export name with q, signed for
// the viewer's account and mode, working for LinkTTL: a browser app
// downloads it without the API key (exportCreate hands it out).
func (s *Service) SignedLink(ctx context.Context, name string, q url.Values) (string, time.Time, error) {
	return s.SignedPath(ctx, name, "/exports/"+name+".csv", q)
}

// StatementLink names the signed link of customer id's statement PDF
// (SignedPath, VerifyLink): a link signed for one customer never opens
// another's.
func StatementLink(customerID string) string { return "statement:" + customerID }

// SignedPath is SignedLink for any download at path (a customer
// statement's PDF), signed as name: the handler at path verifies it with
// VerifyLink under the same name.
func (s *Service) SignedPath(ctx context.Context, name, path string, q url.Values) (string, time.Time, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok || len(s.key) == 0 {
		return "", time.Time{}, errors.New("exports: signed links need a viewer and a key")
	}
	exp := clock.Now(ctx).Add(LinkTTL).Truncate(time.Second)
	q = cloneValues(q)
	q.Set(paramAccount, v.AccountID)
	q.Set(paramMode, string(v.Mode))
	q.Set(paramExpires, strconv.FormatInt(exp.Unix(), 10))
	q.Del(paramSignature)
	q.Set(paramSignature, s.sign(name, q))
	return path + "?" + q.Encode(), exp, nil
}

// Signed reports whether q carries a signature.
func Signed(q url.Values) bool { return q.Has(paramSignature) }

// VerifyLink checks a signed link of export name at now and returns the
// viewer it was signed for.
func (s *Service) VerifyLink(ctx context.Context, name string, q url.Values) (viewer.Viewer, error) {
	q = cloneValues(q)
	sig := q.Get(paramSignature)
	q.Del(paramSignature)
	if len(s.key) == 0 || !hmac.Equal([]byte(sig), []byte(s.sign(name, q))) {
		return viewer.Viewer{}, ErrBadLink
	}
	exp, err := strconv.ParseInt(q.Get(paramExpires), 10, 64)
	if err != nil || !clock.Now(ctx).Before(time.Unix(exp, 0)) {
		return viewer.Viewer{}, ErrBadLink
	}
	mode := viewer.Mode(q.Get(paramMode))
	if mode != viewer.Test && mode != viewer.Live {
		return viewer.Viewer{}, ErrBadLink
	}
	return viewer.System(q.Get(paramAccount), mode, "signed export link"), nil
}

// sign is the HMAC of an export and its query (sorted by Encode).
func (s *Service) sign(name string, q url.Values) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(name + "?" + q.Encode()))
	return hex.EncodeToString(m.Sum(nil))
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
