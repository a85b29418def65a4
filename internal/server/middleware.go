package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
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
// masked errors), puts the server's clock in its context, and turns a panic
// outside GraphQL into a masked 500.
func withRequest(logger *slog.Logger, clk clock.Clock, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id := "req_" + hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = clock.WithContext(ctx, clk)
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
		if r.ContentLength > max {
			writeError(w, r, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "request body is larger than 1 MiB")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, r, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "request body is larger than 1 MiB")
				return
			}
			writeError(w, r, http.StatusBadRequest, "BAD_REQUEST", "could not read the request body")
			return
		}
		if !utf8.Valid(body) {
			// JSON decoding would turn the bad bytes into U+FFFD and store
			// altered text: refuse it whole.
			writeError(w, r, http.StatusBadRequest, "INVALID_STRING", "the request body is not valid UTF-8")
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
func authenticate(accts *accounts.Service, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, secret, _ := strings.Cut(h, " ")
		if h == "" {
			writeError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", "missing API key: send Authorization: Bearer sk_test_…")
			return
		}
		if !strings.EqualFold(scheme, "Bearer") {
			writeError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", "use the Bearer scheme: Authorization: Bearer sk_test_…")
			return
		}
		v, err := accts.Authenticate(r.Context(), strings.TrimSpace(secret))
		switch {
		case errors.Is(err, accounts.ErrNoKey), errors.Is(err, accounts.ErrInvalidKey):
			writeError(w, r, http.StatusUnauthorized, "UNAUTHENTICATED", "invalid or revoked API key")
			return
		case err != nil:
			logger.ErrorContext(r.Context(), "authenticate", "request_id", RequestID(r.Context()), "error", err)
			writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
			return
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}

// requireJSON refuses bodies that are not JSON with 415: the only transport
// is POST application/json, which also forces browsers into a CORS
// preflight.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			writeError(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send the request as Content-Type: application/json")
			return
		}
		next.ServeHTTP(w, r)
	})
}
