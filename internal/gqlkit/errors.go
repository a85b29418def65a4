package gqlkit

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/remitbilling/remit/internal/usererr"
)

// PresentError shows GraphQL errors the caller can act on as they are and
// masks everything else: an internal error carries only a request id (from
// requestID) that matches the server log, never a message that might leak
// internals. A user error returned by a query (a filter no stored object
// could match, say) keeps its code and field path.
func PresentError(logger *slog.Logger, requestID func(context.Context) string) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			return gqlErr
		}
		if gqlErr != nil {
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
		if ue := usererr.From(err); len(ue) > 0 {
			out := &gqlerror.Error{
				Message:    ue[0].Message,
				Extensions: map[string]any{"code": string(ue[0].Code), "field": ue[0].Field},
			}
			if gqlErr != nil {
				out.Path = gqlErr.Path
			}
			return out
		}
		id := requestID(ctx)
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

// Recover logs a resolver panic and reports it masked.
func Recover(logger *slog.Logger, requestID func(context.Context) string) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "request_id", requestID(ctx), "panic", p)
		return errors.New("internal error")
	}
}
