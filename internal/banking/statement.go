package banking

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/money"
)

// Format is a bank statement format Parse reads.
type Format string

// The formats Parse reads.
const (
	// CAMT053 is the ISO 20022 end-of-day account statement
	// (BkToCstmrStmt), the file every European bank exports.
	CAMT053 Format = "CAMT_053"
	// CAMT054 is the ISO 20022 debit/credit notification
	// (BkToCstmrDbtCdtNtfctn), sent for each booking or batch.
	CAMT054 Format = "CAMT_054"
	// CSV is a simple table for banks without camt; see parseCSV.
	CSV Format = "CSV"
)

// Entry is one booked transaction of a statement: for a batch booking,
// one of its transactions.
type Entry struct {
	// Key identifies the transaction across imports: the bank's own
	// reference when it gives a unique one, else "h:" and a digest of the
	// transaction and of how many identical transactions came before it
	// in the document (see digestKeys).
	Key string
	// BankReference is the bank's reference as given, "" when none.
	BankReference string
	// Credit is true for money received. Debits are returned too.
	Credit bool
	// Amount is in minor units of Currency, > 0.
	Amount int64
	// Currency is ISO 4217, upper-case.
	Currency string
	// BookedAt is the booking date, UTC midnight when the bank gave a
	// date, the instant in UTC when it gave a date and time.
	BookedAt time.Time
	// CounterpartyName and CounterpartyIBAN are who sent the money (the
	// debtor) for a credit, who received it for a debit. The IBAN is in
	// electronic form.
	CounterpartyName string
	CounterpartyIBAN string
	// Remittance is the remittance information as one line: the
	// unstructured lines, then the structured references.
	Remittance string
	// CreditorReference is the structured creditor reference (RF… or a
	// national one) as given, when there is one.
	CreditorReference string
	// EndToEndID is the payer's end-to-end identification, "" when the
	// payer gave none.
	EndToEndID string
}

// ParseError says what is wrong with which entry of a statement.
type ParseError struct {
	// Entry is the 1-based number of the entry (camt: the Ntry element in
	// document order) or the line (CSV); 0 for the document as a whole.
	Entry int
	// Field names the element or column, "" when not about one.
	Field string
	Msg   string
	// line is true when Entry is a line number.
	line bool
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("bank statement")
	if e.Entry > 0 {
		if e.line {
			b.WriteString(", line ")
		} else {
			b.WriteString(", entry ")
		}
		b.WriteString(strconv.Itoa(e.Entry))
	}
	if e.Field != "" {
		b.WriteString(", " + e.Field)
	}
	return b.String() + ": " + e.Msg
}

// Parse reads a statement in format from r and returns its entries in
// document order. It streams: memory holds one entry at a time besides
// the result, so the caller bounds the size of what it passes. Errors
// are *ParseError, except read errors of r.
func Parse(format Format, r io.Reader) ([]Entry, error) {
	var (
		entries []Entry
		err     error
	)
	switch format {
	case CAMT053:
		entries, err = parseCamt(r, "BkToCstmrStmt", "Stmt")
	case CAMT054:
		entries, err = parseCamt(r, "BkToCstmrDbtCdtNtfctn", "Ntfctn")
	case CSV:
		entries, err = parseCSV(r)
	default:
		return nil, &ParseError{Msg: fmt.Sprintf("unknown format %q (want CAMT_053, CAMT_054 or CSV)", format)}
	}
	if err != nil {
		return nil, err
	}
	digestKeys(entries)
	return entries, nil
}

// digestKeys gives a key to the entries the bank gave no reference for.
// The digest covers what identifies a payment to the payer and the bank;
// the count of identical entries before it in the document is added so
// that two identical payments on one day stay two, while the same entry
// read again from an overlapping statement gets the same key. (Two
// statements that each hold one of two identical payments would make
// them one: with nothing to tell them apart, that cannot be helped.)
func digestKeys(entries []Entry) {
	seen := map[[sha256.Size]byte]int{}
	for i := range entries {
		e := &entries[i]
		if e.Key != "" {
			continue
		}
		dir := "D"
		if e.Credit {
			dir = "C"
		}
		sum := sha256.Sum256([]byte(strings.Join([]string{
			dir, e.Currency, strconv.FormatInt(e.Amount, 10), e.BookedAt.Format(time.RFC3339),
			e.CounterpartyIBAN, e.CounterpartyName, e.Remittance, e.EndToEndID,
		}, "\x00")))
		seen[sum]++
		occ := sha256.Sum256(append(sum[:], strconv.Itoa(seen[sum])...))
		e.Key = "h:" + hex.EncodeToString(occ[:16])
	}
}

// minorAmount reads a decimal amount of currency (strict: digits and a
// point) into minor units, which must be exact.
func minorAmount(s, currency string) (int64, string) {
	d, err := money.ParseDecimal(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Sprintf("%q is not a decimal amount", s)
	}
	minor, err := money.ExactMinorFromMajor(d, currency)
	if err != nil {
		return 0, fmt.Sprintf("%q: %v", s, err)
	}
	return minor, ""
}

// counterpartyIBAN returns an account number in electronic form. An IBAN
// the bank itself wrote is taken as given even when ParseIBAN does not
// know its country: refusing the statement for it would help no one.
func counterpartyIBAN(s string) string {
	if iban, err := ParseIBAN(s); err == nil {
		return iban
	}
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// oneLine joins parts with single spaces, whitespace inside them
// collapsed.
func oneLine(parts ...string) string {
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
