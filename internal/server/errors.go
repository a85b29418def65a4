package server

import (
	"encoding/json"
	"net/http"
)

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
