package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/banktransfers"
	"github.com/remitbilling/remit/internal/usererr"
)

// importedTransfer is a transfer as the import's JSON answer lists it.
type importedTransfer struct {
	ID              string  `json:"id"`
	EntryReference  string  `json:"entry_reference"`
	Amount          int64   `json:"amount"`
	Currency        string  `json:"currency"`
	Status          string  `json:"status"`
	MatchedBy       *string `json:"matched_by"`
	Customer        *string `json:"customer"`
	UnmatchedReason string  `json:"unmatched_reason"`
}

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
	out := struct {
		Entries    int                `json:"entries"`
		Debits     int                `json:"debits"`
		Duplicates int                `json:"duplicates"`
		Matched    int                `json:"matched"`
		Unmatched  int                `json:"unmatched"`
		Transfers  []importedTransfer `json:"transfers"`
	}{res.Entries, res.Debits, res.Duplicates, res.Matched, res.Unmatched, make([]importedTransfer, 0, len(res.Transfers))}
	for _, t := range res.Transfers {
		it := importedTransfer{ID: t.ID, EntryReference: t.EntryReference, Amount: t.Amount, Currency: t.Currency,
			Status: string(t.Status), Customer: t.CustomerID, UnmatchedReason: t.UnmatchedReason}
		if t.MatchedBy != nil {
			m := string(*t.MatchedBy)
			it.MatchedBy = &m
		}
		out.Transfers = append(out.Transfers, it)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// maxStatementBody bounds a posted statement (a larger one is a 413).
const maxStatementBody = banktransfers.MaxStatementSize
