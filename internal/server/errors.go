package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// presentError shows GraphQL errors the caller can act on as they are and
// masks everything else: an internal error carries only a request id that
// matches the server log, never a message that might leak internals.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			return gqlErr
		}
		if errors.As(err, &gqlErr) {
			var inner *gqlerror.Error
			if errors.As(gqlErr.Err, &inner) {
				inner.Path = gqlErr.Path
				return inner
			}
			if isArgumentError(ctx, gqlErr) {
				return &gqlerror.Error{
					Message:    gqlErr.Message,
					Path:       gqlErr.Path,
					Locations:  gqlErr.Locations,
					Extensions: map[string]any{"code": "BAD_USER_INPUT", "argument": gqlErr.Path[len(graphql.GetFieldContext(ctx).Path()):].String()},
				}
			}
		}
		id := RequestID(ctx)
		logger.ErrorContext(ctx, "internal error", "request_id", id, "error", err)
		out := &gqlerror.Error{
			Message:    "internal error",
			Extensions: map[string]any{"code": "INTERNAL", "requestId": id},
		}
		if gqlErr != nil {
			out.Path = gqlErr.Path
		}
		return out
	}
}

// isArgumentError reports whether err arose decoding the arguments of the
// field in ctx — a malformed scalar such as a cursor, a time or metadata —
// rather than in its resolver: gqlgen puts such errors on the path of the
// argument, below the field's own path. They are the caller's to fix.
func isArgumentError(ctx context.Context, err *gqlerror.Error) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return false
	}
	own := fc.Path()
	return len(err.Path) > len(own) && slices.Equal(err.Path[:len(own)], own)
}

// recoverPanic logs a resolver panic and reports it masked.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "request_id", RequestID(ctx), "panic", p)
		return errors.New("internal error")
	}
}

// writeError answers outside GraphQL execution (authentication, limits) in
// the GraphQL response shape, with the right HTTP status.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="remit"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{
			"message":    message,
			"extensions": map[string]any{"code": code, "requestId": RequestID(r.Context())},
		}},
	})
}
