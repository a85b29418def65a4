package banking

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/money"
)

// csvColumns are the columns of a CSV statement, by header name (any
// case); the others may be missing. Unknown columns are ignored, so a
// bank's own export can be used after renaming five headers.
var csvColumns = map[string]bool{
	"date": true, "amount": true, "currency": true, "reference": true, "counterparty": true,
	"iban": false, "id": false,
}

// parseCSV reads a CSV statement: a header row, then one transaction a
// row. date is YYYY-MM-DD or DD/MM/YYYY; amount a decimal with "." or ","
// as decimal separator and no thousands separator, negative for a debit;
// reference the remittance text; counterparty the other party's name;
// iban its account; id the bank's reference of the transaction. The
// separator is ";" or ",", whichever the header uses; a UTF-8 byte-order
// mark is skipped.
func parseCSV(r io.Reader) ([]Entry, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	// Spreadsheets in comma-decimal locales write ";"-separated files.
	if bytes.Count(head, []byte(";")) > bytes.Count(head, []byte(",")) {
		cr.Comma = ';'
	}
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ParseError{Entry: 1, line: true, Msg: "empty file; the first line must name the columns"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, known := csvColumns[h]; !known {
			continue
		}
		if _, dup := col[h]; dup {
			return nil, &ParseError{Entry: 1, line: true, Field: h, Msg: "column given twice"}
		}
		col[h] = i
	}
	for name, required := range csvColumns {
		if _, ok := col[name]; required && !ok {
			return nil, &ParseError{Entry: 1, line: true, Field: name, Msg: "missing column; the header needs date, amount, currency, reference and counterparty"}
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}

	var entries []Entry
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		fail := func(field, msg string) error {
			return &ParseError{Entry: line, line: true, Field: field, Msg: msg}
		}
		var e Entry
		if e.Currency, err = money.Normalize(get(rec, "currency")); err != nil {
			return nil, fail("currency", fmt.Sprintf("%q is not an ISO 4217 currency code", get(rec, "currency")))
		}
		amount := get(rec, "amount")
		e.Credit = true
		switch {
		case strings.HasPrefix(amount, "-"):
			e.Credit, amount = false, amount[1:]
		case strings.HasPrefix(amount, "+"):
			amount = amount[1:]
		}
		var msg string
		if e.Amount, msg = minorAmount(strings.Replace(amount, ",", ".", 1), e.Currency); msg != "" {
			return nil, fail("amount", msg+" (write 1234.56 or 1234,56, no thousands separator)")
		}
		if e.Amount == 0 {
			continue
		}
		if e.BookedAt, err = csvDate(get(rec, "date")); err != nil {
			return nil, fail("date", fmt.Sprintf("%q is not a date like 2026-11-03 or 03/11/2026", get(rec, "date")))
		}
		e.Remittance = oneLine(get(rec, "reference"))
		e.CounterpartyName = oneLine(get(rec, "counterparty"))
		if iban := get(rec, "iban"); iban != "" {
			e.CounterpartyIBAN = counterpartyIBAN(iban)
		}
		e.BankReference = get(rec, "id")
		e.Key = e.BankReference
		entries = append(entries, e)
	}
}

func csvDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse("02/01/2006", s)
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Entry: pe.Line, line: true, Msg: pe.Err.Error()}
	}
	return err
}
