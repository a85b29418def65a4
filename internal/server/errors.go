package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

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
