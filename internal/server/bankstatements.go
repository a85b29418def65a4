package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/banktransfers"
	"github.com/remitbilling/remit/internal/usererr"
)

// bankStatementImport imports a statement posted as the request body
// (API key; `format` CAMT_053, CAMT_054 or CSV), for statements beyond
// what a GraphQL request carries, and for `remit bank import`. It answers
// what bankStatementImport does, as JSON; a statement that cannot be read
// is a 422 with the user errors, and nothing is imported.
func (s *Server) bankStatementImport(w http.ResponseWriter, r *http.Request) {
	format := banking.Format(strings.ToUpper(r.URL.Query().Get("format")))
	res, err := s.App.BankTransfers.Import(r.Context(), format, r.Body)
	if ue := usererr.From(err); len(ue) > 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		errs := make([]map[string]any, len(ue))
		for i, e := range ue {
			errs[i] = map[string]any{"field": e.Field, "code": e.Code, "message": e.Message}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"userErrors": errs})
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "bank statement import", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res.Summary())
}

// maxStatementBody bounds a posted statement (a larger one is a 413).
const maxStatementBody = banktransfers.MaxStatementSize
