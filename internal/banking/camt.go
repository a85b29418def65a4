package banking

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/remitbilling/remit/internal/money"
)

// The structs below follow ISO 20022 camt.053/camt.054 (versions 001.02
// to 001.13) for the elements Remit reads. Tags carry no namespace, so
// encoding/xml matches them by local name whatever the message version's
// namespace. Where versions differ, both shapes are declared: a status is
// <Sts>BOOK</Sts> in the older versions and <Sts><Cd>BOOK</Cd></Sts> from
// 001.08; a party is <Dbtr><Nm> up to 001.07 and <Dbtr><Pty><Nm> from
// 001.08.

type camtNtry struct {
	NtryRef      string         `xml:"NtryRef"`
	Amt          camtAmt        `xml:"Amt"`
	CdtDbtInd    string         `xml:"CdtDbtInd"`
	RvslInd      string         `xml:"RvslInd"`
	Sts          camtCode       `xml:"Sts"`
	BookgDt      camtDate       `xml:"BookgDt"`
	ValDt        camtDate       `xml:"ValDt"`
	AcctSvcrRef  string         `xml:"AcctSvcrRef"`
	NtryDtls     []camtNtryDtls `xml:"NtryDtls"`
	AddtlNtryInf string         `xml:"AddtlNtryInf"`
}

type camtAmt struct {
	Value string `xml:",chardata"`
	Ccy   string `xml:"Ccy,attr"`
}

type camtCode struct {
	Text string `xml:",chardata"`
	Cd   string `xml:"Cd"`
}

func (c camtCode) code() string {
	if t := strings.TrimSpace(c.Text); t != "" {
		return t
	}
	return strings.TrimSpace(c.Cd)
}

type camtDate struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type camtNtryDtls struct {
	TxDtls []camtTxDtls `xml:"TxDtls"`
}

type camtTxDtls struct {
	Refs struct {
		AcctSvcrRef string `xml:"AcctSvcrRef"`
		EndToEndID  string `xml:"EndToEndId"`
	} `xml:"Refs"`
	Amt       camtAmt `xml:"Amt"`
	CdtDbtInd string  `xml:"CdtDbtInd"`
	AmtDtls   struct {
		TxAmt struct {
			Amt camtAmt `xml:"Amt"`
		} `xml:"TxAmt"`
	} `xml:"AmtDtls"`
	RltdPties struct {
		Dbtr     camtParty   `xml:"Dbtr"`
		DbtrAcct camtAccount `xml:"DbtrAcct"`
		Cdtr     camtParty   `xml:"Cdtr"`
		CdtrAcct camtAccount `xml:"CdtrAcct"`
	} `xml:"RltdPties"`
	RmtInf struct {
		Ustrd []string `xml:"Ustrd"`
		Strd  []struct {
			RfrdDocInf []struct {
				Nb string `xml:"Nb"`
			} `xml:"RfrdDocInf"`
			CdtrRefInf struct {
				Ref string `xml:"Ref"`
			} `xml:"CdtrRefInf"`
			AddtlRmtInf []string `xml:"AddtlRmtInf"`
		} `xml:"Strd"`
	} `xml:"RmtInf"`
}

type camtParty struct {
	Nm  string `xml:"Nm"`
	Pty struct {
		Nm string `xml:"Nm"`
	} `xml:"Pty"`
}

func (p camtParty) name() string {
	if p.Nm != "" {
		return oneLine(p.Nm)
	}
	return oneLine(p.Pty.Nm)
}

type camtAccount struct {
	ID struct {
		IBAN string `xml:"IBAN"`
		Othr struct {
			ID string `xml:"Id"`
		} `xml:"Othr"`
	} `xml:"Id"`
}

// parseCamt reads the Ntry elements of every container (Stmt or Ntfctn)
// of a message whose top element is message, one at a time.
func parseCamt(r io.Reader, message, container string) ([]Entry, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	var (
		entries []Entry
		stack   []string
		n       int // Ntry elements read, for errors
		found   bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlError(n, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch depth := len(stack); {
			case depth == 1:
				// The message under <Document>: refuse a notification
				// imported as a statement and the like, rather than
				// guess what the merchant meant.
				if name != message {
					return nil, &ParseError{Msg: fmt.Sprintf("the document holds a %s, not a %s", name, message)}
				}
				found = true
			case depth == 2 && name == container:
			case name == "Ntry" && depth == 3 && stack[2] == container:
				n++
				var x camtNtry
				if err := dec.DecodeElement(&x, &t); err != nil {
					return nil, xmlError(n, err)
				}
				es, perr := camtEntries(&x)
				if perr != nil {
					perr.Entry = n
					return nil, perr
				}
				entries = append(entries, es...)
				continue // DecodeElement consumed the end element
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if !found {
		return nil, &ParseError{Msg: fmt.Sprintf("not an ISO 20022 document with a %s", message)}
	}
	return entries, nil
}

// xmlError reports a decoding error in the nth entry (0: outside any).
// Errors of the reader itself pass through.
func xmlError(n int, err error) error {
	var syn *xml.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &ParseError{Entry: n, Msg: fmt.Sprintf("malformed XML at line %d: %s", syn.Line, syn.Msg)}
	case errors.Is(err, errCharset):
		return &ParseError{Entry: n, Msg: err.Error()}
	}
	return err
}

var errCharset = errors.New("unsupported character set; camt files are UTF-8")

// charsetReader lets through the Latin-1 declarations a few banks still
// write; camt is otherwise UTF-8.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "latin1", "iso8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(input), nil
	case "iso-8859-15", "latin9":
		return charmap.ISO8859_15.NewDecoder().Reader(input), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	}
	return nil, fmt.Errorf("%w: %q", errCharset, label)
}

// camtEntries turns one Ntry into entries: one per TxDtls of a batch,
// one for an entry without details. Its error's Entry is set by the
// caller.
func camtEntries(x *camtNtry) ([]Entry, *ParseError) {
	credit, perr := creditDebit(x.CdtDbtInd, "CdtDbtInd")
	if perr != nil {
		return nil, perr
	}
	// A credit that is a reversal (a returned debit, a recalled payment)
	// or not booked yet (PDNG: pending; INFO: for information; FUTR) is
	// no money received from a customer: it is skipped. A pending credit
	// comes back as booked in a later statement, under its own key.
	// Debits are returned whatever their status: the caller ignores them.
	if credit && (isTrue(x.RvslInd) || x.Sts.code() != "BOOK") {
		return nil, nil
	}
	booked, perr := camtBookingDate(x)
	if perr != nil {
		return nil, perr
	}
	entryRef := strings.TrimSpace(x.AcctSvcrRef)

	var txs []*camtTxDtls
	for i := range x.NtryDtls {
		for j := range x.NtryDtls[i].TxDtls {
			txs = append(txs, &x.NtryDtls[i].TxDtls[j])
		}
	}
	if len(txs) == 0 {
		// No transaction details: the entry is all there is, and banks
		// then put the remittance in its additional information.
		e := Entry{Key: entryRef, BankReference: entryRef, Credit: credit, BookedAt: booked, Remittance: oneLine(x.AddtlNtryInf)}
		if e.BankReference == "" {
			e.BankReference = strings.TrimSpace(x.NtryRef)
		}
		if perr := setAmount(&e, x.Amt, "Amt"); perr != nil {
			return nil, perr
		}
		if e.Amount == 0 {
			return nil, nil
		}
		return []Entry{e}, nil
	}

	out := make([]Entry, 0, len(txs))
	for i, tx := range txs {
		e := Entry{Credit: credit, BookedAt: booked}
		if tx.CdtDbtInd != "" {
			if e.Credit, perr = creditDebit(tx.CdtDbtInd, "TxDtls/CdtDbtInd"); perr != nil {
				return nil, perr
			}
		}
		// The account servicer's reference of the transaction, else the
		// entry's, made unique within a batch by the transaction's
		// position. NtryRef is reported but never a key: the standard
		// makes it unique within one statement only, banks number
		// entries 1, 2, 3… in every statement, and some put the same
		// number (a participant or account number) in every entry, so
		// as a key it would merge different payments. Without AcctSvcrRef the key
		// is the digest, which an overlapping statement reproduces.
		switch ref := strings.TrimSpace(tx.Refs.AcctSvcrRef); {
		case ref != "":
			e.Key, e.BankReference = ref, ref
		case entryRef != "" && len(txs) > 1:
			e.Key, e.BankReference = entryRef+"/"+strconv.Itoa(i+1), entryRef
		case entryRef != "":
			e.Key, e.BankReference = entryRef, entryRef
		default:
			e.BankReference = strings.TrimSpace(x.NtryRef)
		}
		switch {
		case strings.TrimSpace(tx.Amt.Value) != "":
			perr = setAmount(&e, tx.Amt, "TxDtls/Amt")
		case strings.TrimSpace(tx.AmtDtls.TxAmt.Amt.Value) != "":
			perr = setAmount(&e, tx.AmtDtls.TxAmt.Amt, "TxDtls/AmtDtls/TxAmt/Amt")
		case len(txs) == 1:
			perr = setAmount(&e, x.Amt, "Amt")
		default:
			perr = &ParseError{Field: "TxDtls/Amt", Msg: fmt.Sprintf("transaction %d of a batch has no amount", i+1)}
		}
		if perr != nil {
			return nil, perr
		}
		if e.Amount == 0 {
			continue
		}
		party, acct := tx.RltdPties.Dbtr, tx.RltdPties.DbtrAcct
		if !e.Credit {
			party, acct = tx.RltdPties.Cdtr, tx.RltdPties.CdtrAcct
		}
		e.CounterpartyName = party.name()
		if iban := strings.TrimSpace(acct.ID.IBAN); iban != "" {
			e.CounterpartyIBAN = counterpartyIBAN(iban)
		}
		if id := strings.TrimSpace(tx.Refs.EndToEndID); id != "" && !strings.EqualFold(id, "NOTPROVIDED") {
			e.EndToEndID = id
		}
		parts := append([]string(nil), tx.RmtInf.Ustrd...)
		for _, s := range tx.RmtInf.Strd {
			ref := strings.TrimSpace(s.CdtrRefInf.Ref)
			if ref != "" && e.CreditorReference == "" {
				e.CreditorReference = ref
			}
			parts = append(parts, ref)
			for _, d := range s.RfrdDocInf {
				parts = append(parts, d.Nb)
			}
			parts = append(parts, s.AddtlRmtInf...)
		}
		e.Remittance = oneLine(parts...)
		out = append(out, e)
	}
	return out, nil
}

func creditDebit(ind, field string) (bool, *ParseError) {
	switch strings.TrimSpace(ind) {
	case "CRDT":
		return true, nil
	case "DBIT":
		return false, nil
	}
	return false, &ParseError{Field: field, Msg: fmt.Sprintf("%q is neither CRDT nor DBIT", ind)}
}

func isTrue(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}

// camtBookingDate is the entry's booking date, else, for banks that
// leave it out of booked entries, its value date.
func camtBookingDate(x *camtNtry) (time.Time, *ParseError) {
	for _, d := range []struct {
		date  camtDate
		field string
	}{{x.BookgDt, "BookgDt"}, {x.ValDt, "ValDt"}} {
		if s := strings.TrimSpace(d.date.Dt); s != "" {
			// ISODate may carry a zone offset ("2026-11-03+01:00"); the
			// calendar date is what counts.
			if len(s) > 10 {
				s = s[:10]
			}
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return time.Time{}, &ParseError{Field: d.field + "/Dt", Msg: fmt.Sprintf("%q is not a date", d.date.Dt)}
			}
			return t, nil
		}
		if s := strings.TrimSpace(d.date.DtTm); s != "" {
			t, err := parseISODateTime(s)
			if err != nil {
				return time.Time{}, &ParseError{Field: d.field + "/DtTm", Msg: fmt.Sprintf("%q is not a date and time", s)}
			}
			return t, nil
		}
	}
	return time.Time{}, &ParseError{Field: "BookgDt", Msg: "a booked entry needs a booking date"}
}

// parseISODateTime reads an xs:dateTime: with an offset or Z it is that
// instant, without one it is read as UTC (the bank's local time is not
// known here).
func parseISODateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not an ISO date and time")
}

func setAmount(e *Entry, a camtAmt, field string) *ParseError {
	cur, err := money.Normalize(strings.TrimSpace(a.Ccy))
	if err != nil {
		return &ParseError{Field: field, Msg: fmt.Sprintf("unknown currency %q", a.Ccy)}
	}
	minor, msg := minorAmount(a.Value, cur)
	if msg != "" {
		return &ParseError{Field: field, Msg: msg}
	}
	if minor < 0 {
		return &ParseError{Field: field, Msg: "amounts are positive; CdtDbtInd gives the direction"}
	}
	e.Amount, e.Currency = minor, cur
	return nil
}
