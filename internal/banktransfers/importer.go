package banktransfers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/usererr"
)

// MaxStatementSize bounds a statement imported at once (a camt.053 of
// 10,000 entries is about 15 MB; banks split larger ones by day).
const MaxStatementSize = 32 << 20

// ImportResult is what an import did.
type ImportResult struct {
	Entries, Debits, Duplicates, Matched, Unmatched int
	// Transfers are the new ones, in statement order.
	Transfers []*ent.BankTransfer
}

// Import reads a whole statement, refusing it before writing anything if
// any entry is malformed, then receives each credit in its own
// transaction: an import cut short is completed by importing the same
// statement again, which skips what was kept.
func (s *Service) Import(ctx context.Context, format banking.Format, r io.Reader) (ImportResult, error) {
	source, ok := sources[format]
	if !ok {
		return ImportResult{}, usererr.New(usererr.Invalid, "format is CAMT_053, CAMT_054 or CSV", "format")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxStatementSize+1))
	if err != nil {
		return ImportResult{}, fmt.Errorf("read statement: %w", err)
	}
	if len(data) > MaxStatementSize {
		return ImportResult{}, usererr.Newf(usererr.LimitExceeded, []string{"content"}, "a statement is at most %d MB: split it", MaxStatementSize>>20)
	}
	entries, err := banking.Parse(format, bytes.NewReader(data))
	var pe *banking.ParseError
	if errors.As(err, &pe) {
		return ImportResult{}, usererr.New(usererr.Invalid, "the statement cannot be read: "+pe.Error(), "content")
	} else if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Entries: len(entries)}
	for _, e := range entries {
		if !e.Credit {
			res.Debits++
			continue
		}
		t, fresh, err := s.Receive(ctx, Credit{Entry: e, Source: source})
		switch {
		case err != nil:
			return res, err
		case !fresh:
			res.Duplicates++
			continue
		case t.Status == banktransfer.StatusMatched:
			res.Matched++
		default:
			res.Unmatched++
		}
		res.Transfers = append(res.Transfers, t)
	}
	return res, nil
}

var sources = map[banking.Format]banktransfer.Source{
	banking.CAMT053: banktransfer.SourceCAMT053,
	banking.CAMT054: banktransfer.SourceCAMT054,
	banking.CSV:     banktransfer.SourceCSV,
}

// Summary is an import's outcome as JSON: what POST /bank-statements
// answers and `remit bank import` prints.
type Summary struct {
	Entries    int               `json:"entries"`
	Debits     int               `json:"debits"`
	Duplicates int               `json:"duplicates"`
	Matched    int               `json:"matched"`
	Unmatched  int               `json:"unmatched"`
	Transfers  []SummaryTransfer `json:"transfers"`
}

// SummaryTransfer is a new transfer in a Summary.
type SummaryTransfer struct {
	ID              string  `json:"id"`
	EntryReference  string  `json:"entry_reference"`
	Amount          int64   `json:"amount"`
	Currency        string  `json:"currency"`
	Status          string  `json:"status"`
	MatchedBy       *string `json:"matched_by"`
	Customer        *string `json:"customer"`
	UnmatchedReason string  `json:"unmatched_reason"`
}

// Summary is r as JSON.
func (r ImportResult) Summary() Summary {
	out := Summary{r.Entries, r.Debits, r.Duplicates, r.Matched, r.Unmatched, make([]SummaryTransfer, 0, len(r.Transfers))}
	for _, t := range r.Transfers {
		st := SummaryTransfer{ID: t.ID, EntryReference: t.EntryReference, Amount: t.Amount, Currency: t.Currency,
			Status: string(t.Status), Customer: t.CustomerID, UnmatchedReason: t.UnmatchedReason}
		if t.MatchedBy != nil {
			m := string(*t.MatchedBy)
			st.MatchedBy = &m
		}
		out.Transfers = append(out.Transfers, st)
	}
	return out
}
