package server

import (
	"net/http"

	"github.com/remitbilling/remit/internal/gqlkit"
)

// writeError answers outside GraphQL execution (authentication, limits) in
// the GraphQL response shape, with the right HTTP status.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="remit"`)
	}
	gqlkit.WriteError(w, status, code, message, RequestID(r.Context()))
}
