package servertest_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/banking"
)

// camtTx is one transaction of a camt.053 entry built for a test.
type camtTx struct {
	ref, amount, currency, debit, iban, name, ustrd, rf string
}

// camt053 writes a camt.053.001.02 document: one statement per group of
// entries, each entry a batch when it has several transactions.
func camt053(stmts ...[][]camtTx) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>TEST</MsgId><CreDtTm>2026-12-01T06:00:00Z</CreDtTm></GrpHdr>`)
	for si, entries := range stmts {
		fmt.Fprintf(&b, `<Stmt><Id>S%d</Id><CreDtTm>2026-12-01T06:00:00Z</CreDtTm><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>`, si)
		for _, txs := range entries {
			total, ccy, ind := "0", txs[0].currency, "CRDT"
			if txs[0].debit != "" {
				ind = "DBIT"
			}
			if len(txs) == 1 {
				total = txs[0].amount
			} else {
				total = sumAmounts(txs)
			}
			fmt.Fprintf(&b, `<Ntry><Amt Ccy="%s">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>%s</AcctSvcrRef><NtryDtls>`, ccy, total, ind, txs[0].ref+"-E")
			for _, tx := range txs {
				fmt.Fprintf(&b, `<TxDtls><Refs><AcctSvcrRef>%s</AcctSvcrRef></Refs><AmtDtls><TxAmt><Amt Ccy="%s">%s</Amt></TxAmt></AmtDtls>`, tx.ref, tx.currency, tx.amount)
				if tx.name != "" || tx.iban != "" {
					fmt.Fprintf(&b, `<RltdPties><Dbtr><Nm>%s</Nm></Dbtr><DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct></RltdPties>`, tx.name, tx.iban)
				}
				b.WriteString(`<RmtInf>`)
				if tx.ustrd != "" {
					fmt.Fprintf(&b, `<Ustrd>%s</Ustrd>`, tx.ustrd)
				}
				if tx.rf != "" {
					fmt.Fprintf(&b, `<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd>`, tx.rf)
				}
				b.WriteString(`</RmtInf></TxDtls>`)
			}
			b.WriteString(`</NtryDtls></Ntry>`)
		}
		b.WriteString(`</Stmt>`)
	}
	b.WriteString(`</BkToCstmrStmt></Document>`)
	return b.String()
}

func sumAmounts(txs []camtTx) string {
	cents := 0
	for _, tx := range txs {
		var units, frac int
		fmt.Sscanf(tx.amount, "%d.%d", &units, &frac)
		cents += units*100 + frac
	}
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

const (
	transferFields = `id status matchedBy unmatchedReason amount { minorUnits currency } amountApplied { minorUnits } amountToCashBalance { minorUnits }
		customer { id } entryReference counterpartyIban remittance payments { id amount { minorUnits } invoice { id } outOfBandMethod reference }
		candidates { invoice { id } amount { minorUnits } suggestion }`
	importMutation = `mutation($in: BankStatementImportInput!) { bankStatementImport(input: $in) {
		result { entries debits duplicates matched unmatched transfers { ` + transferFields + ` } } userErrors { field code message } } }`
)

// TestBankTransfers imports a camt.053 with two statements, a batch, a
// debit, a transfer in another currency and one for a voided invoice, and
// checks each matching rule, over- and under-payment, that importing the
// statement again changes nothing, and the manual settling of what was
// left.
func TestBankTransfers(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		ada := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		bob := p.customer("Bob Builder", "bob@example.com", "EUR")
		number := func(id string) string {
			return apitest.Str(t, p.query(`query($id: ID!) { invoice(id: $id) { number } }`, map[string]any{"id": id}), "invoice", "number")
		}
		big := p.open(ada, "EUR", "1000.00", map[string]any{"daysUntilDue": 10})
		small := p.open(ada, "EUR", "250.00", map[string]any{"daysUntilDue": 20})
		exact := p.open(ada, "EUR", "300.00", map[string]any{"daysUntilDue": 30})
		voided := p.open(bob, "EUR", "80.00", nil)
		e.Mutate("invoiceVoid", `mutation($id: ID!) { invoiceVoid(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": voided})
		setA := p.open(bob, "EUR", "70.00", map[string]any{"daysUntilDue": 5})
		setB := p.open(bob, "EUR", "45.50", map[string]any{"daysUntilDue": 6})
		setC := p.open(bob, "EUR", "30.00", map[string]any{"daysUntilDue": 7})
		adaRef := apitest.Str(t, e.Query(`query($id: ID!) { customer(id: $id) { transferReference } }`, map[string]any{"id": ada}), "customer", "transferReference")
		if _, _, err := banking.ParseReference(adaRef); err != nil {
			t.Fatalf("customer reference %q: %v", adaRef, err)
		}
		const adaIBAN, bobIBAN = "DE89370400440532013000", "GB82WEST12345698765432"

		doc := camt053(
			[][]camtTx{
				// The invoice's RF reference, 400 of 1000: partial.
				{{ref: "T1", amount: "400.00", currency: "EUR", iban: adaIBAN, name: "Ada", rf: banking.Reference(number(big))}},
				// The number in free text, 300 for 250: the rest to the cash balance.
				{{ref: "T2", amount: "300.00", currency: "EUR", ustrd: "Facture " + number(small) + " merci"}},
				// The customer's reference and the amount of one invoice.
				{{ref: "T3", amount: "300.00", currency: "EUR", ustrd: adaRef}},
				// A debit: skipped.
				{{ref: "D1", amount: "35.00", currency: "EUR", debit: "yes", ustrd: "Bank fees"}},
			},
			[][]camtTx{
				// A batch: the sender's account paid for Ada before, and 600 is
				// what her first invoice still awaits; Bob's voided invoice.
				{
					{ref: "T4", amount: "600.00", currency: "EUR", iban: adaIBAN, name: "Ada L."},
					{ref: "T5", amount: "80.00", currency: "EUR", iban: bobIBAN, name: "Bob", rf: banking.Reference(number(voided))},
				},
				// Another currency.
				{{ref: "T6", amount: "10.00", currency: "USD", ustrd: number(exact)}},
				// Nothing to go by.
				{{ref: "T7", amount: "145.50", currency: "EUR", iban: bobIBAN, name: "Bob"}},
			},
		)
		pl := e.Mutate("bankStatementImport", importMutation, map[string]any{"in": map[string]any{"format": "CAMT_053", "content": doc}})
		res := pl["result"].(map[string]any)
		if res["entries"] != float64(8) || res["debits"] != float64(1) || res["duplicates"] != float64(0) || res["matched"] != float64(4) || res["unmatched"] != float64(3) {
			t.Fatalf("import %v", res)
		}
		byRef := map[string]map[string]any{}
		for _, tr := range res["transfers"].([]any) {
			m := tr.(map[string]any)
			byRef[m["entryReference"].(string)] = m
		}
		expectTransfer := func(ref, status, rule, reason string, applied, cash string) map[string]any {
			t.Helper()
			tr := byRef[ref]
			if tr == nil {
				t.Fatalf("no transfer %s in %v", ref, byRef)
			}
			if tr["status"] != status || fmt.Sprint(tr["matchedBy"]) != rule || tr["unmatchedReason"] != reason ||
				minor(t, tr, "amountApplied") != applied || minor(t, tr, "amountToCashBalance") != cash {
				t.Errorf("transfer %s: %v", ref, tr)
			}
			return tr
		}
		expectTransfer("T1", "MATCHED", "REFERENCE", "", "40000", "0")
		expectTransfer("T2", "MATCHED", "INVOICE_NUMBER", "", "25000", "5000")
		expectTransfer("T3", "MATCHED", "CUSTOMER_REFERENCE", "", "30000", "0")
		expectTransfer("T4", "MATCHED", "SENDER_AMOUNT", "", "60000", "0")
		void := expectTransfer("T5", "UNMATCHED", "<nil>", "invoice_void", "0", "0")
		expectTransfer("T6", "UNMATCHED", "<nil>", "currency_mismatch", "0", "0")
		stray := expectTransfer("T7", "UNMATCHED", "<nil>", "no_match", "0", "0")
		if c := void["candidates"].([]any); len(c) == 0 || apitest.Str(t, c[0], "suggestion") != "REFUND" || apitest.Str(t, c[0], "invoice", "id") != voided {
			t.Errorf("voided invoice's transfer: candidates %v, want a refund of %s", c, voided)
		}
		t1 := byRef["T1"]
		if pays := t1["payments"].([]any); len(pays) != 1 || apitest.Str(t, pays[0], "outOfBandMethod") != "bank_transfer" || apitest.Str(t, pays[0], "reference") != "T1" {
			t.Errorf("T1 payments %v", pays)
		}
		for id, want := range map[string][2]string{big: {"PAID", "0"}, small: {"PAID", "0"}, exact: {"PAID", "0"}} {
			inv := p.invoice(id)
			if inv["status"] != want[0] || minor(t, inv, "amountRemaining") != want[1] {
				t.Errorf("invoice %s: %s, %s remaining; want %v", id, inv["status"], minor(t, inv, "amountRemaining"), want)
			}
		}
		if note, ok := historyNote(t, p.invoice(big), "record_payment"); !ok || !strings.Contains(note, "bank transfer") {
			t.Errorf("history of %s: %q", big, note)
		}
		cash := e.Query(`query($id: ID!) { customer(id: $id) { cashBalance { minorUnits } cashBalanceTransactions { type amount { minorUnits } bankTransfer { id } } } }`, map[string]any{"id": ada})
		if got := apitest.Str(t, cash, "customer", "cashBalance", "minorUnits"); got != "5000" {
			t.Errorf("Ada's cash balance %s, want 5000", got)
		}

		// The same statement again, and once more at the same time: nothing moves.
		events := len(listEvents(t, e, e.Key, nil))
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				again := e.MutateErr("bankStatementImport", importMutation, map[string]any{"in": map[string]any{"format": "CAMT_053", "content": doc}})
				if r, _ := again["result"].(map[string]any); r == nil || r["duplicates"] != float64(7) || len(r["transfers"].([]any)) != 0 {
					t.Errorf("import again: %v", again)
				}
			}()
		}
		wg.Wait()
		if n := len(listEvents(t, e, e.Key, nil)); n != events {
			t.Errorf("importing again wrote %d events", n-events)
		}

		// Refused: a malformed statement, an unknown format.
		for what, in := range map[string]map[string]any{
			"not XML":   {"format": "CAMT_053", "content": "<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy=\"EUR\">abc</Amt>"},
			"empty CSV": {"format": "CSV", "content": "nothing,here\n1,2\n"},
		} {
			pl := e.MutateErr("bankStatementImport", importMutation, map[string]any{"in": in})
			if codes := apitest.ErrorCodes(t, pl); len(codes) != 1 || pl["result"] != nil {
				t.Errorf("%s: %v", what, pl)
			}
		}

		// By hand: the stray 145.50 pays Bob's three invoices, less 20 left
		// on his cash balance; more than an invoice awaits is refused.
		applyM := `mutation($in: BankTransferApplyInput!) { bankTransferApply(input: $in) { bankTransfer { ` + transferFields + ` } userErrors { field code message } } }`
		strayID := stray["id"].(string)
		bad := e.MutateErr("bankTransferApply", applyM, map[string]any{"in": map[string]any{"transfer": strayID, "allocations": []any{
			map[string]any{"invoice": setA, "amount": "70.00"}, map[string]any{"invoice": setB, "amount": "45.51"}}}})
		if apitest.Str(t, bad, "userErrors", 0, "code") != "AMOUNT_EXCEEDS_REMAINING" || strings.Join(fieldPath(t, bad), ".") != "input.allocations.1.amount" {
			t.Errorf("over-allocation: %v", bad)
		}
		if inv := p.invoice(setA); inv["status"] != "OPEN" || minor(t, inv, "amountPaid") != "0" {
			t.Errorf("refused apply changed %s: %v", setA, inv)
		}
		done := e.Mutate("bankTransferApply", applyM, map[string]any{"in": map[string]any{"transfer": strayID, "note": "phoned", "allocations": []any{
			map[string]any{"invoice": setA, "amount": "70.00"}, map[string]any{"invoice": setB, "amount": "45.50"}, map[string]any{"invoice": setC, "amount": "10.00"}}}})
		tr := done["bankTransfer"].(map[string]any)
		if tr["status"] != "MATCHED" || tr["matchedBy"] != "MANUAL" || minor(t, tr, "amountToCashBalance") != "2000" || apitest.Str(t, tr, "customer", "id") != bob {
			t.Errorf("applied by hand: %v", tr)
		}
		if inv := p.invoice(setC); inv["status"] != "OPEN" || minor(t, inv, "amountRemaining") != "2000" {
			t.Errorf("partially paid by hand: %v", inv)
		}
		again := e.MutateErr("bankTransferApply", applyM, map[string]any{"in": map[string]any{"transfer": strayID, "allocations": []any{}}})
		if apitest.Str(t, again, "userErrors", 0, "code") != "INVALID_TRANSITION" {
			t.Errorf("applying a matched transfer again: %v", again)
		}

		// Bob's account is known now: 33.00 from it pays the two invoices
		// that add up to it (no one invoice awaits it).
		eleven := p.open(bob, "EUR", "11.00", map[string]any{"daysUntilDue": 3})
		p.open(bob, "EUR", "15.00", map[string]any{"daysUntilDue": 4})
		twentyTwo := p.open(bob, "EUR", "22.00", map[string]any{"daysUntilDue": 5})
		set := e.Mutate("testBankTransferReceive", `mutation($iban: String!) { testBankTransferReceive(input: {amount: "33.00", currency: "EUR", counterpartyIban: $iban, counterpartyName: "Bob"}) {
			bankTransfer { status matchedBy payments { invoice { id } amount { minorUnits } } } userErrors { code } } }`, map[string]any{"iban": bobIBAN})
		if tr := set["bankTransfer"].(map[string]any); tr["matchedBy"] != "AMOUNT_SET" || len(tr["payments"].([]any)) != 2 ||
			p.invoice(eleven)["status"] != "PAID" || p.invoice(twentyTwo)["status"] != "PAID" {
			t.Errorf("set of invoices by amount: %v", tr)
		}

		// Bob's cash balance pays the rest of his last invoice; the voided
		// invoice's transfer is set aside.
		applied := e.Mutate("customerCashBalanceApply", `mutation($id: ID!) { customerCashBalanceApply(input: {invoice: $id}) { invoice { id status } userErrors { code } } }`, map[string]any{"id": setC})
		if apitest.Str(t, applied, "invoice", "status") != "PAID" {
			t.Errorf("cash balance applied: %v", applied)
		}
		e.Mutate("bankTransferIgnore", `mutation($id: ID!) { bankTransferIgnore(input: {transfer: $id, note: "refunded by hand"}) { bankTransfer { id status } userErrors { code } } }`, map[string]any{"id": void["id"]})
		left := e.Query(`{ bankTransfers(filter: {status: [UNMATCHED]}) { totalCount edges { node { entryReference } } } }`, nil)
		if n := apitest.Get(t, left, "bankTransfers", "totalCount"); n != float64(1) || apitest.Str(t, left, "bankTransfers", "edges", 0, "node", "entryReference") != "T6" {
			t.Errorf("unmatched left: %v", left)
		}

		// Two overlapping statements imported at once: the entry they share
		// is kept and applied once (Bob has no open invoice: all three go
		// to his cash balance).
		bobRef := apitest.Str(t, e.Query(`query($id: ID!) { customer(id: $id) { transferReference } }`, map[string]any{"id": bob}), "customer", "transferReference")
		x := camt053([][]camtTx{{{ref: "T8", amount: "1.00", currency: "EUR", ustrd: bobRef}}, {{ref: "T9", amount: "2.00", currency: "EUR", ustrd: bobRef}}})
		y := camt053([][]camtTx{{{ref: "T9", amount: "2.00", currency: "EUR", ustrd: bobRef}}, {{ref: "T10", amount: "4.00", currency: "EUR", ustrd: bobRef}}})
		var overlap sync.WaitGroup
		for _, doc := range []string{x, y} {
			overlap.Add(1)
			go func() {
				defer overlap.Done()
				pl := e.MutateErr("bankStatementImport", importMutation, map[string]any{"in": map[string]any{"format": "CAMT_053", "content": doc}})
				if r, _ := pl["result"].(map[string]any); r == nil || r["entries"] != float64(2) {
					t.Errorf("overlapping import: %v", pl)
				}
			}()
		}
		overlap.Wait()
		if got := apitest.Str(t, e.Query(`query($id: ID!) { customer(id: $id) { cashBalance { minorUnits } } }`, map[string]any{"id": bob}), "customer", "cashBalance", "minorUnits"); got != "700" {
			t.Errorf("Bob's cash balance after overlapping imports %s, want 700", got)
		}

		// The account pays new invoices from the cash balance: Ada's next
		// invoice of 30.00 is paid at finalization from her 50.00.
		e.Mutate("accountUpdate", `mutation { accountUpdate(input: {cashBalanceAutoApply: true}) { account { cashBalanceAutoApply } userErrors { code } } }`, nil)
		next := p.open(ada, "EUR", "30.00", nil)
		if inv := p.invoice(next); inv["status"] != "PAID" || apitest.Str(t, inv, "payments", 0, "methodType") != "OUT_OF_BAND" {
			t.Errorf("invoice finalized with a cash balance: %v", inv)
		}

		// The 20.00 left goes back to her.
		refund := e.Mutate("customerCashBalanceRefund", `mutation($id: ID!) { customerCashBalanceRefund(input: {customer: $id, amount: "20.00", reference: "VIR-BACK-1"}) {
			cashBalanceTransaction { type amount { minorUnits } endingBalance { minorUnits } } userErrors { code } } }`, map[string]any{"id": ada})
		if row := refund["cashBalanceTransaction"].(map[string]any); row["type"] != "REFUNDED" || minor(t, row, "amount") != "-2000" || minor(t, row, "endingBalance") != "0" {
			t.Errorf("refund: %v", row)
		}
		// Her statement: owed 1,580.00, paid 1,580.00, 50.00 held, 30.00
		// of it applied and 20.00 sent back; nothing is owed either way.
		st := e.Query(`query($in: CustomerStatementInput!) { customerStatement(input: $in) {
			closingBalance { minorUnits } movements { kind debit { minorUnits } credit { minorUnits } } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"customer": ada, "from": e.Clock.Now().AddDate(0, -1, 0).Format(time.RFC3339), "to": e.Clock.Now().Add(time.Hour).Format(time.RFC3339)}})
		kinds := map[string]string{}
		for _, m := range apitest.Get(t, st, "customerStatement", "movements").([]any) {
			mm := m.(map[string]any)
			kinds[mm["kind"].(string)] = minor(t, mm, "debit") + "/" + minor(t, mm, "credit")
		}
		if got := apitest.Str(t, st, "customerStatement", "closingBalance", "minorUnits"); got != "0" ||
			kinds["CASH_BALANCE_FUNDED"] != "0/5000" || kinds["CASH_BALANCE_APPLIED"] != "3000/0" || kinds["CASH_BALANCE_REFUNDED"] != "2000/0" {
			t.Errorf("statement: closing %s, movements %v", got, kinds)
		}
		over := e.MutateErr("customerCashBalanceRefund", `mutation($id: ID!) { customerCashBalanceRefund(input: {customer: $id, amount: "0.01"}) { userErrors { code field } } }`, map[string]any{"id": ada})
		if apitest.Str(t, over, "userErrors", 0, "code") != "AMOUNT_EXCEEDS_REMAINING" {
			t.Errorf("refund of more than the balance: %v", over)
		}
	})
}

// fieldPath is the field of a payload's first user error.
func fieldPath(t *testing.T, pl map[string]any) []string {
	t.Helper()
	var out []string
	for _, f := range apitest.Get(t, pl, "userErrors", 0, "field").([]any) {
		out = append(out, f.(string))
	}
	return out
}
