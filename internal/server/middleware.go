package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/gqlkit"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/viewer"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	bodyKey
)

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// withRequest tags each request with an id (echoed in X-Request-Id and in
// masked errors), puts the server's clock in its context and who
// subscribes to the events it records, and turns a panic outside GraphQL
// into a masked 500.
func withRequest(logger *slog.Logger, clk clock.Clock, subs events.Subscribers, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := gqlkit.NewRequestID()
		w.Header().Set("X-Request-Id", id)
		ctx := events.WithRequestID(context.WithValue(r.Context(), requestIDKey, id), id)
		ctx = clock.WithContext(ctx, clk)
		if subs != nil {
			ctx = events.WithSubscribers(ctx, subs)
		}
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(ctx, "panic", "request_id", id, "panic", p)
				writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody reads the whole body up to max bytes, answering 413 beyond, and
// keeps it for the idempotency layer.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, bad := gqlkit.ReadBody(w, r, max)
		if bad != nil {
			writeError(w, r, bad.Status, bad.Code, bad.Message)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey, body)))
	})
}

func requestBody(r *http.Request) []byte {
	b, _ := r.Context().Value(bodyKey).([]byte)
	return b
}

// authenticate resolves the bearer API key to the viewer every data access
// is scoped to. Missing, unknown and revoked keys are told apart only as
// far as fixing the request needs.
//
// Failures count per client address (FailedAuthPerAddress); an address
// over the limit gets 429 with Retry-After for every request, before its
// key is looked at. Only failures are written, so a well-behaved client
// costs one read of its counter.
func authenticate(accts *accounts.Service, limits *ratelimit.Limiter, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// A valid key is never slowed down by the limit: the happy path
		// reads no counter, and a correct integration behind the same NAT
		// as a misbehaving one keeps working. Keys hold 256 random bits,
		// so the limit is about load and noise, not guessing. A failure
		// from an address already over the limit is answered 429 after
		// one read; below it, the failure is counted.
		failures := addressHit(FailedAuthPerAddress, r)
		refuse := func(message string) {
			d, err := limits.Check(ctx, failures)
			if err == nil && d.Allowed {
				d, err = limits.Count(ctx, failures)
			}
			if err != nil {
				// Fail open: a broken counter must not turn 401 into 500.
				logger.ErrorContext(ctx, "auth rate limit", "request_id", RequestID(ctx), "error", err)
			} else if !d.Allowed {
				tooMany(w, r, d, "too many failed authentications from this address: retry later")
				return
			}
			writeError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", message)
		}
		h := r.Header.Get("Authorization")
		scheme, secret, _ := strings.Cut(h, " ")
		if h == "" {
			refuse("missing API key: send Authorization: Bearer sk_test_…")
			return
		}
		if !strings.EqualFold(scheme, "Bearer") {
			refuse("use the Bearer scheme: Authorization: Bearer sk_test_…")
			return
		}
		v, err := accts.Authenticate(ctx, strings.TrimSpace(secret))
		switch {
		case errors.Is(err, accounts.ErrNoKey), errors.Is(err, accounts.ErrInvalidKey):
			refuse("invalid or revoked API key")
			return
		case err != nil:
			logger.ErrorContext(ctx, "authenticate", "request_id", RequestID(ctx), "error", err)
			writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
			return
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(ctx, v)))
	})
}

// MaxMutationFields caps the root fields of one mutation operation on both
// GraphQL APIs (gqlkit.MutationLimit): past it, 422
// MUTATION_LIMIT_EXCEEDED and nothing runs.
const MaxMutationFields = 25

// graphQLBody refuses, before GraphQL runs, a POST application/json body
// that is not one JSON object of a GraphQL request (gqlkit.CheckBody): a
// batch (BATCH_NOT_SUPPORTED), trailing data after the object (which the
// transport would ignore), anything the transport would answer with an
// echo of the body. Other requests (other methods and media types) pass
// on unchanged for the handler to answer as it does.
func graphQLBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !gqlkit.IsJSON(r) {
			next.ServeHTTP(w, r)
			return
		}
		body := requestBody(r)
		if body == nil {
			// Not read by limitBody (the portal reads its own): read it
			// here, within the same size limit, and hand it on.
			var bad *gqlkit.BodyError
			if body, bad = gqlkit.ReadBody(w, r, MaxBodyBytes); bad != nil {
				writeError(w, r, bad.Status, bad.Code, bad.Message)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if bad := gqlkit.CheckBody(body); bad != nil {
			writeError(w, r, bad.Status, bad.Code, bad.Message)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireJSON refuses POST bodies that are not JSON with 415: the only
// POST transport is application/json, which also forces browsers into a
// CORS preflight (a form post cannot reach GraphQL).
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !gqlkit.IsJSON(r) {
			writeError(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send the request as Content-Type: application/json")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// byMethod routes a GraphQL endpoint's POST and GET; CORS preflights are
// answered before (cors).
func byMethod(post, get, upgrade http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			post.ServeHTTP(w, r)
		case http.MethodGet:
			if upgrade != nil && isWebsocket(r) {
				upgrade.ServeHTTP(w, r)
				return
			}
			get.ServeHTTP(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "send GraphQL requests as POST application/json, or queries as GET")
		}
	})
}

// isWebsocket reports whether r asks to upgrade to a WebSocket.
func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// streaming lifts the server's write timeout for a subscription's stream
// (Server-Sent Events or a WebSocket): it lasts as long as its client
// listens, and the transports keep it alive with pings.
func streaming(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			rc := http.NewResponseController(w)
			_ = rc.SetWriteDeadline(time.Time{})
			_ = rc.SetReadDeadline(time.Time{})
		}
		next.ServeHTTP(w, r)
	})
}

// websocketAuth authenticates a WebSocket's connection_init payload as
// authenticate does a request's header: {"Authorization": "Bearer sk_…"}.
func websocketAuth(accts *accounts.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		scheme, secret, _ := strings.Cut(p.Authorization(), " ")
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return ctx, nil, errors.New(`send connection_init with {"Authorization": "Bearer sk_test_…"}`)
		}
		v, err := accts.Authenticate(ctx, strings.TrimSpace(secret))
		if err != nil {
			return ctx, nil, errors.New("invalid or revoked API key")
		}
		return viewer.NewContext(ctx, v), nil, nil
	}
}
