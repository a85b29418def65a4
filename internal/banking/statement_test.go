package banking

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func parseFile(t *testing.T, format Format, name string) []Entry {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := Parse(format, f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return entries
}

// withoutDigests blanks digest keys (checked separately) so the entries
// compare with literals.
func withoutDigests(t *testing.T, entries []Entry) []Entry {
	t.Helper()
	out := append([]Entry(nil), entries...)
	for i := range out {
		if strings.HasPrefix(out[i].Key, "h:") {
			if len(out[i].Key) != 34 {
				t.Errorf("entry %d: digest key %q", i, out[i].Key)
			}
			out[i].Key = "h:"
		}
	}
	return out
}

func TestParseCamt053(t *testing.T) {
	got := parseFile(t, CAMT053, "camt053_v02.xml")
	nov2 := day("2026-11-02")
	want := []Entry{
		// The batch: one entry per transaction, with its amount.
		{Key: "TX-778001", BankReference: "TX-778001", Credit: true, Amount: 10000, Currency: "EUR", BookedAt: nov2,
			CounterpartyName: "ACME Logistics GmbH", CounterpartyIBAN: "DE89370400440532013000",
			Remittance: "INV-0040", EndToEndID: "E2E-ACME-0001"},
		{Key: "2026110200001/2", BankReference: "2026110200001", Credit: true, Amount: 25050, Currency: "EUR", BookedAt: nov2,
			CounterpartyName: "ACME Logistics GmbH", CounterpartyIBAN: "DE89370400440532013000",
			Remittance: "INV-0041 and part of INV-0039", EndToEndID: "E2E-ACME-0002"},
		{Key: "2026110200001/3", BankReference: "2026110200001", Credit: true, Amount: 4950, Currency: "EUR", BookedAt: nov2,
			CounterpartyName: "Boulangerie Martin", CounterpartyIBAN: "FR1420041010050500013M02606",
			Remittance: "Facture INV-0038"},
		// The debit: the counterparty is the creditor.
		{Key: "2026110200002", BankReference: "2026110200002", Credit: false, Amount: 3500, Currency: "EUR", BookedAt: nov2,
			CounterpartyName: "Fournitures Bureau SARL", CounterpartyIBAN: "BE68539007547034",
			Remittance: "Order 5521", EndToEndID: "PAY-2026-1102-07"},
		// The structured reference; the amount is the entry's.
		{Key: "2026110200003", BankReference: "2026110200003", Credit: true, Amount: 120000, Currency: "EUR", BookedAt: nov2,
			CounterpartyName: "Durand Industrie SA", CounterpartyIBAN: "NL91ABNA0417164300",
			Remittance: "RF97INV0042", CreditorReference: "RF97INV0042"},
		// Pending and reversed credits skipped; the second statement.
		{Key: "US-20261102-0001", BankReference: "US-20261102-0001", Credit: true, Amount: 314999, Currency: "USD", BookedAt: nov2,
			CounterpartyName: "Hudson Trading LLC", Remittance: "INV-0044", EndToEndID: "WIRE-88123"},
		{Key: "h:", Credit: true, Amount: 1000, Currency: "USD", BookedAt: nov2, CounterpartyName: "J. Smith", Remittance: "Deposit"},
		{Key: "h:", Credit: true, Amount: 1000, Currency: "USD", BookedAt: nov2, CounterpartyName: "J. Smith", Remittance: "Deposit"},
	}
	if g := withoutDigests(t, got); !reflect.DeepEqual(g, want) {
		t.Errorf("got %d entries:\n%+v\nwant %d:\n%+v", len(g), g, len(want), want)
	}
	if len(got) == len(want) && got[6].Key == got[7].Key {
		t.Errorf("two identical payments got one key %q", got[6].Key)
	}
}

func TestParseCamt054(t *testing.T) {
	got := parseFile(t, CAMT054, "camt054_v08.xml")
	want := []Entry{{
		Key: "2026110514025800017-1", BankReference: "2026110514025800017-1", Credit: true, Amount: 84217, Currency: "EUR",
		BookedAt:         time.Date(2026, 11, 5, 13, 2, 58, 0, time.UTC),
		CounterpartyName: "Durand Industrie SA", CounterpartyIBAN: "NL91ABNA0417164300",
		Remittance:        "RF18539007547034 Acompte commande 7781",
		CreditorReference: "RF18539007547034", EndToEndID: "2026-11-DUR-0042",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if got[0].BookedAt.Location() != time.UTC {
		t.Errorf("BookedAt not in UTC: %v", got[0].BookedAt)
	}
}

func TestParseCSV(t *testing.T) {
	got := parseFile(t, CSV, "statement.csv")
	nov3, nov4 := day("2026-11-03"), day("2026-11-04")
	want := []Entry{
		{Key: "CSV-0001", BankReference: "CSV-0001", Credit: true, Amount: 120000, Currency: "EUR", BookedAt: nov3,
			CounterpartyName: "Durand Industrie SA", CounterpartyIBAN: "NL91ABNA0417164300", Remittance: "RF97 INV0 042"},
		{Key: "CSV-0002", BankReference: "CSV-0002", Credit: false, Amount: 3500, Currency: "EUR", BookedAt: nov3,
			CounterpartyName: "Fournitures Bureau SARL", CounterpartyIBAN: "BE68539007547034", Remittance: "Order 5521"},
		{Key: "h:", Credit: true, Amount: 4950, Currency: "EUR", BookedAt: nov4, CounterpartyName: "Boulangerie Martin", Remittance: "Facture INV-0038; merci"},
		{Key: "h:", Credit: true, Amount: 4950, Currency: "EUR", BookedAt: nov4, CounterpartyName: "Boulangerie Martin", Remittance: "Facture INV-0038; merci"},
	}
	if g := withoutDigests(t, got); !reflect.DeepEqual(g, want) {
		t.Errorf("got\n%+v\nwant\n%+v", g, want)
	}
	if len(got) == 4 && got[2].Key == got[3].Key {
		t.Error("two identical payments got one key")
	}
}

// TestDigestKeysOverlap: the same entry read from two overlapping
// statements gets the same key, whatever came before it.
func TestDigestKeysOverlap(t *testing.T) {
	const head = "date,amount,currency,reference,counterparty\n"
	a := head + "2026-11-01,5.00,EUR,rent,A\n2026-11-02,10.00,EUR,fee,B\n2026-11-02,10.00,EUR,fee,B\n"
	b := head + "2026-11-02,10.00,EUR,fee,B\n2026-11-02,10.00,EUR,fee,B\n2026-11-03,7.00,EUR,x,C\n"
	ea, err := Parse(CSV, strings.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	eb, err := Parse(CSV, strings.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ea[1].Key != eb[0].Key || ea[2].Key != eb[1].Key || ea[1].Key == ea[2].Key {
		t.Errorf("keys: %s %s / %s %s", ea[1].Key, ea[2].Key, eb[0].Key, eb[1].Key)
	}
	// A debit of the same amount is another transaction.
	ec, err := Parse(CSV, strings.NewReader(head+"2026-11-02,-10.00,EUR,fee,B\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ec[0].Key == ea[1].Key {
		t.Error("a debit and a credit share a key")
	}
}

func TestParseErrors(t *testing.T) {
	camt := func(ntry string) string {
		return `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>1</Id>` +
			`<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>` +
			ntry + `</Stmt></BkToCstmrStmt></Document>`
	}
	const csvHead = "date,amount,currency,reference,counterparty\n"
	tests := []struct {
		name    string
		format  Format
		in      string
		entry   int
		field   string
		message string // in Error()
	}{
		{"unknown format", "MT940", "", 0, "", `unknown format "MT940"`},
		{"not XML", CAMT053, "date,amount", 0, "", "not an ISO 20022 document"},
		{"malformed", CAMT053, camt(`<Ntry><Amt>`), 2, "", "entry 2: malformed XML at line 1"},
		{"wrong message", CAMT054, camt(""), 0, "", "holds a BkToCstmrStmt, not a BkToCstmrDbtCdtNtfctn"},
		{"bad amount", CAMT053, camt(`<Ntry><Amt Ccy="EUR">1,00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>`), 2, "Amt", "entry 2, Amt:"},
		{"too precise", CAMT053, camt(`<Ntry><Amt Ccy="JPY">1.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>`), 2, "Amt", "decimal"},
		{"bad currency", CAMT053, camt(`<Ntry><Amt Ccy="XYZ">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>`), 2, "Amt", `unknown currency "XYZ"`},
		{"bad direction", CAMT053, camt(`<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CR</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry>`), 2, "CdtDbtInd", "neither CRDT nor DBIT"},
		{"no date", CAMT053, camt(`<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>`), 2, "BookgDt", "booking date"},
		{"batch without amounts", CAMT053, camt(`<Ntry><Amt Ccy="EUR">2.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt><NtryDtls><TxDtls/><TxDtls/></NtryDtls></Ntry>`), 2, "TxDtls/Amt", "transaction 1 of a batch"},
		{"CSV empty", CSV, "", 1, "", "line 1: empty file"},
		{"CSV missing column", CSV, "date,amount,currency,reference\n", 1, "counterparty", "missing column"},
		{"CSV duplicate column", CSV, "date,amount,currency,reference,counterparty,Date\n", 1, "date", "twice"},
		{"CSV bad amount", CSV, csvHead + "2026-11-02,10.00,EUR,a,b\n2026-11-02,\"1,000.00\",EUR,a,b\n", 3, "amount", "line 3, amount"},
		{"CSV bad date", CSV, csvHead + "2026-13-02,10.00,EUR,a,b\n", 2, "date", "not a date"},
		{"CSV bad currency", CSV, csvHead + "2026-11-02,10.00,EURO,a,b\n", 2, "currency", "ISO 4217"},
		{"CSV ragged", CSV, csvHead + "2026-11-02,10.00,EUR,a\n", 2, "", "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.format, strings.NewReader(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Entry != tt.entry || pe.Field != tt.field || !strings.Contains(pe.Error(), tt.message) {
				t.Errorf("err = %+v (%q), want entry %d field %q message %q", pe, pe.Error(), tt.entry, tt.field, tt.message)
			}
		})
	}
}

func TestParseLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt><AcctSvcrRef>X</AcctSvcrRef><AddtlNtryInf>Gutschrift M\xfcller</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"
	got, err := Parse(CAMT053, strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Remittance != "Gutschrift Müller" || got[0].Key != "X" {
		t.Errorf("got %+v", got)
	}
}

func TestScanReferences(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"RF18539007547034", []string{"RF18539007547034"}},
		{"Payment rf18 5390 0754 7034 thanks", []string{"RF18539007547034"}},
		{"ref:RF97INV0042, and RF97 INV0 042 again", []string{"RF97INV0042"}},
		{"RF18 5390 0754 7034 2026", []string{"RF18539007547034"}}, // the trailing group does not belong
		{"INV-0042 RF97INV0042/RF18539007547034", []string{"RF97INV0042", "RF18539007547034"}},
		{"XRF18539007547034 RF18539007547035 RF1 RF", nil},
		{"RF18539007547034X", nil},  // no word boundary
		{"RF18\n539007547034", nil}, // a line break is not a group separator
		{"Müller RF18 5390 0754 7034", []string{"RF18539007547034"}},
	}
	for _, tt := range tests {
		if got := ScanReferences(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ScanReferences(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
