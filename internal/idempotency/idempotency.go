// Package idempotency makes retried mutations safe: the first response to a
// request carrying an Idempotency-Key is stored for 24 hours and replayed to
// any retry with the same key and the same body. The same key with a
// different body is refused, as Stripe does.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/idempotencykey"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// TTL is how long a response is replayed.
const TTL = 24 * time.Hour

// MaxKeyLength bounds keys, as Stripe does.
const MaxKeyLength = 255

// Outcomes of Begin other than proceeding.
var (
	ErrKeyReused  = errors.New("this Idempotency-Key was used with a different request")
	ErrInProgress = errors.New("a request with this Idempotency-Key is still being processed")
	ErrKeyInvalid = errors.New("the Idempotency-Key must be 1-255 printable ASCII characters")
)

// Store keeps idempotency records in the database, scoped like every row to
// the caller's account and mode.
type Store struct {
	db *ent.Client
}

// NewStore returns a Store on db.
func NewStore(db *ent.Client) *Store { return &Store{db: db} }

// Replay is a stored response.
type Replay struct {
	Status int
	Body   []byte
}

// Begin claims key for the request body. It returns a stored response to
// replay, or a record id to complete with Finish once the request is served.
func (s *Store) Begin(ctx context.Context, key string, body []byte) (*Replay, string, error) {
	if !validKey(key) {
		return nil, "", ErrKeyInvalid
	}
	sum := sha256.Sum256(body)
	now := clock.Now(ctx)
	for range 2 {
		rec, err := s.db.IdempotencyKey.Query().Where(idempotencykey.Key(key)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			created, err := s.db.IdempotencyKey.Create().
				SetKey(key).
				SetRequestHash(sum[:]).
				SetExpiresAt(now.Add(TTL)).
				Save(ctx)
			if ent.IsConstraintError(err) {
				continue // a concurrent request claimed it first
			}
			if err != nil {
				return nil, "", fmt.Errorf("claim idempotency key: %w", err)
			}
			return nil, created.ID, nil
		case err != nil:
			return nil, "", fmt.Errorf("look up idempotency key: %w", err)
		case !rec.ExpiresAt.After(now):
			if err := s.db.IdempotencyKey.DeleteOne(rec).Exec(ctx); err != nil && !ent.IsNotFound(err) {
				return nil, "", fmt.Errorf("expire idempotency key: %w", err)
			}
			continue
		case !bytes.Equal(rec.RequestHash, sum[:]):
			return nil, "", ErrKeyReused
		case rec.StatusCode == 0:
			return nil, "", ErrInProgress
		default:
			return &Replay{Status: rec.StatusCode, Body: rec.Response}, "", nil
		}
	}
	return nil, "", ErrInProgress
}

// Finish stores the response of a claimed request.
func (s *Store) Finish(ctx context.Context, id string, status int, body []byte) error {
	return s.db.IdempotencyKey.UpdateOneID(id).SetStatusCode(status).SetResponse(body).Exec(ctx)
}

// Abandon releases a claim whose request produced no response worth
// replaying, so the client may retry.
func (s *Store) Abandon(ctx context.Context, id string) error {
	return s.db.IdempotencyKey.DeleteOneID(id).Exec(ctx)
}

// Sweep deletes expired records of every account. It is system work.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	ctx = viewer.Bypass(ctx, "sweeping expired records of every account")
	return s.db.IdempotencyKey.Delete().Where(idempotencykey.ExpiresAtLTE(clock.Now(ctx))).Exec(ctx)
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder captures a response while passing it through.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Middleware applies Store to requests carrying the header. body returns
// the request body already read by an outer middleware; fail writes an
// error response.
//
// selfKeyed reports requests whose operation is idempotent on its own,
// keyed by the same header (a payment stores its key on the payment row,
// which a retry finds): those get the key in their context but no stored
// response, saving two write transactions on the hottest money path. Nil
// treats every request the generic way.
func Middleware(s *Store, body func(*http.Request) []byte, fail func(w http.ResponseWriter, r *http.Request, status int, code, msg string), selfKeyed func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get(Header)
			if key == "" {
				next.ServeHTTP(w, r)
				return
			}
			if selfKeyed != nil && selfKeyed(r) {
				if !validKey(key) {
					fail(w, r, http.StatusBadRequest, "IDEMPOTENCY_KEY_INVALID", ErrKeyInvalid.Error())
					return
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, key)))
				return
			}
			replay, id, err := s.Begin(r.Context(), key, body(r))
			switch {
			case errors.Is(err, ErrKeyInvalid):
				fail(w, r, http.StatusBadRequest, "IDEMPOTENCY_KEY_INVALID", err.Error())
				return
			case errors.Is(err, ErrKeyReused):
				fail(w, r, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED", err.Error())
				return
			case errors.Is(err, ErrInProgress):
				fail(w, r, http.StatusConflict, "IDEMPOTENCY_IN_PROGRESS", err.Error())
				return
			case err != nil:
				fail(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
				return
			case replay != nil:
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(replay.Status)
				_, _ = w.Write(replay.Body)
				return
			}
			rec := &recorder{ResponseWriter: w}
			completed := false
			defer func() {
				// A panic or an empty response is not worth replaying.
				ctx := context.WithoutCancel(r.Context())
				if !completed || rec.status == 0 {
					_ = s.Abandon(ctx, id)
				}
			}()
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), keyCtx{}, key)))
			// Only executed operations are remembered; a request refused
			// before execution (malformed, invalid) may be corrected and
			// retried under the same key, as with Stripe.
			if rec.status >= 200 && rec.status < 300 {
				if err := s.Finish(context.WithoutCancel(r.Context()), id, rec.status, rec.body.Bytes()); err == nil {
					completed = true
				}
			}
		})
	}
}

type keyCtx struct{}

// KeyFromContext returns the Idempotency-Key of the request being served,
// for operations that require one (payments) or pass it on (to a payment
// processor).
func KeyFromContext(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(keyCtx{}).(string)
	return k, ok && k != ""
}
