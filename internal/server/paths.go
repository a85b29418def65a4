package server

import (
	"net/http"

	"github.com/remitbilling/remit/internal/validate"
)

// refuseBadPaths answers 404 for a path holding a NUL or invalid UTF-8
// (GET /invoices/%00/pdf, GET /portal/%00): no object has such an id or
// link, and the value must not reach a query, where PostgreSQL would fail
// on it and SQLite would not.
func refuseBadPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validate.ValidText(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
