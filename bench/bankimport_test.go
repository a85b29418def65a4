package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/viewer"
)

// importSeedVersion names the data set's layout: bump it when seedImport
// writes other rows.
const importSeedVersion = 1

// BenchmarkBankStatementImport imports a camt.053 of BENCH_IMPORT_ENTRIES
// credit entries (10,000 by default) against BENCH_IMPORT_OPEN open
// invoices (100,000 by default) of BENCH_IMPORT_CUSTOMERS customers
// (2,000), on SQLite or, with BENCH_LIST_DIALECT=postgres, PostgreSQL.
// The entries name: 60 % an invoice's RF creditor reference (structured
// remittance), 15 % its number (free text), 10 % the customer's own
// reference with the amount of one of its open invoices, 10 % nothing but
// the sender's IBAN (known from an earlier transfer) and the exact amount
// of one of that customer's open invoices, 5 % garbage. Some pay part of
// an invoice, some more than it (the rest to the cash balance).
//
// It runs through banktransfers.Service.Import in-process: a statement of
// 10,000 entries is ~4 MB here, beyond the GraphQL body limit (1 MB), so the
// API's bankStatementImport takes smaller ones; what is measured is the
// parse and the matching, each entry in its own transaction as Import does.
//
// The open invoices are seeded once and cached as the list benchmarks'
// (BENCH_CACHE); each iteration imports into a copy of the data set made
// before the timer starts (SQLite: VACUUM INTO; PostgreSQL: CREATE
// DATABASE … TEMPLATE), since an import pays the invoices it matches.
// Metrics: entries/s, matched_pct (credit entries matched automatically),
// and the share each rule matched.
func BenchmarkBankStatementImport(b *testing.B) {
	n := envInt(b, "BENCH_IMPORT_OPEN", 100000, 100)
	nc := envInt(b, "BENCH_IMPORT_CUSTOMERS", 2000, 10)
	entries := envInt(b, "BENCH_IMPORT_ENTRIES", 10000, 20)
	d := benchDialect(b, "BENCH_LIST_DIALECT")
	name := fmt.Sprintf("import-%s-o%d-c%d-s%d", dialectName(d), n, nc, importSeedVersion)
	s := openSeeded(b, d, name, store.Config{}, func(st *store.Store) map[string]string { return seedImport(b, st, n, nc) })
	account := s.meta["account"]
	statement := camtStatement(b, s.st, account, entries)
	fmt.Printf("    statement: %d entries, %.1f MB\n", entries, float64(len(statement))/(1<<20))
	copies := newCopier(b, d, name, s)

	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		st := copies.open(i)
		a, err := app.New(context.Background(), app.Config{
			DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clock.Real{},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mailing: app.DefaultMailing,
		})
		if err != nil {
			b.Fatal(err)
		}
		ctx := viewer.NewContext(clock.WithContext(context.Background(), clock.Real{}), viewer.System(account, viewer.Test, "bench import"))
		b.StartTimer()
		start := time.Now()
		res, err := a.BankTransfers.Import(ctx, banking.CAMT053, bytes.NewReader(statement))
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		credits := res.Entries - res.Debits
		if credits != entries || res.Duplicates != 0 {
			b.Fatalf("import: %+v, want %d fresh credits", res, entries)
		}
		rules := map[banktransfer.MatchedBy]int{}
		for _, t := range res.Transfers {
			if t.MatchedBy != nil {
				rules[*t.MatchedBy]++
			}
		}
		b.ReportMetric(float64(credits)/elapsed.Seconds(), "entries/s")
		b.ReportMetric(100*float64(res.Matched)/float64(credits), "matched_pct")
		for _, r := range []banktransfer.MatchedBy{banktransfer.MatchedByReference, banktransfer.MatchedByInvoiceNumber,
			banktransfer.MatchedByCustomerReference, banktransfer.MatchedBySenderAmount, banktransfer.MatchedByAmountSet} {
			b.ReportMetric(100*float64(rules[r])/float64(credits), strings.ToLower(string(r))+"_pct")
		}
		copies.close(st)
		b.StartTimer()
	}
}

// seedImport writes the account, nc customers each with an earlier
// matched transfer from its own IBAN (what the sender rule learns from),
// and n open EUR invoices numbered and referenced as finalization leaves
// them, due over the last 90 days and the next 30, spread round-robin over
// the customers.
func seedImport(b *testing.B, st *store.Store, n, nc int) map[string]string {
	b.Helper()
	ctx, meta := seedAccount(b, st)
	now := time.Now().UTC()
	const batch = 2000
	var ids []string
	for lo := 0; lo < nc; lo += batch {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			var cs []*ent.CustomerCreate
			for i := lo; i < min(lo+batch, nc); i++ {
				cs = append(cs, tx.Customer.Create().SetName(benchCustomerName(i)).SetEmail(benchCustomerEmail(i)).
					SetInvoicePrefix(fmt.Sprintf("C%07d", i)).SetCurrency("EUR"))
			}
			for chunk := range slices.Chunk(cs, 250) {
				saved, err := tx.Customer.CreateBulk(chunk...).Save(ctx)
				if err != nil {
					return err
				}
				for _, c := range saved {
					ids = append(ids, c.ID)
				}
			}
			var ts []*ent.BankTransferCreate
			for i := lo; i < min(lo+batch, nc); i++ {
				ts = append(ts, tx.BankTransfer.Create().SetEntryKey(fmt.Sprintf("seed-%d", i)).SetAmount(10000).SetCurrency("EUR").
					SetBookedAt(now.AddDate(0, -6, 0)).SetCounterpartyName(benchCustomerName(i)).SetCounterpartyIban(benchIBAN(i)).
					SetSource(banktransfer.SourceCAMT053).SetStatus(banktransfer.StatusMatched).SetMatchedBy(banktransfer.MatchedByReference).
					SetCustomerID(ids[i]).SetAmountToCashBalance(10000).SetSettledAt(now.AddDate(0, -6, 0)))
			}
			for chunk := range slices.Chunk(ts, 250) {
				if err := tx.BankTransfer.CreateBulk(chunk...).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed customers: %v", err)
		}
	}
	for lo := 0; lo < n; lo += batch {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			var invs []*ent.InvoiceCreate
			for i := lo; i < min(lo+batch, n); i++ {
				at := now.Add(-time.Duration(n-i) * 120 * 24 * time.Hour / time.Duration(n))
				total := int64(1000 + (i*7919)%500000)
				number := fmt.Sprintf("BI-%07d", i)
				invs = append(invs, tx.Invoice.Create().SetCustomerID(ids[i%nc]).SetCurrency("EUR").
					SetCreatedAt(at).SetUpdatedAt(at).SetFinalizedAt(at).SetDueDate(at.AddDate(0, 0, 30)).
					SetSubtotal(total).SetTotalExcludingTax(total).SetTotal(total).SetAmountDue(total).
					SetStatus(invoice.StatusOpen).SetNumber(number).SetTransferReference(banking.Body(number)))
			}
			var saved []*ent.Invoice
			for chunk := range slices.Chunk(invs, 250) {
				s, err := tx.Invoice.CreateBulk(chunk...).Save(ctx)
				if err != nil {
					return err
				}
				saved = append(saved, s...)
			}
			var lines []*ent.InvoiceLineCreate
			for _, inv := range saved {
				lines = append(lines, tx.InvoiceLine.Create().SetInvoiceID(inv.ID).SetCurrency(inv.Currency).SetPosition(0).
					SetDescription("Services").SetQuantity("1").SetUnitAmount(fmt.Sprintf("%d.%02d", inv.Total/100, inv.Total%100)).SetAmount(inv.Total))
			}
			for chunk := range slices.Chunk(lines, 500) {
				if err := tx.InvoiceLine.CreateBulk(chunk...).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed invoices: %v", err)
		}
	}
	return meta
}

// benchIBAN is customer i's German IBAN, with valid check digits.
func benchIBAN(i int) string {
	bban := fmt.Sprintf("37040044%010d", i)
	// ISO 13616: BBAN, then the country as digits (D=13, E=14) and 00.
	v, _ := new(big.Int).SetString(bban+"131400", 10)
	check := 98 - new(big.Int).Mod(v, big.NewInt(97)).Int64()
	return fmt.Sprintf("DE%02d%s", check, bban)
}

// camtStatement writes a camt.053 of entries credits against the seeded
// open invoices, the mix BenchmarkBankStatementImport describes, each
// invoice named at most once so that every entry finds it open.
func camtStatement(b *testing.B, st *store.Store, account string, entries int) []byte {
	b.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	invs, err := st.Client.Invoice.Query().Where(invoice.AccountID(account), invoice.StatusEQ(invoice.StatusOpen)).
		Order(invoice.ByDueDate(), invoice.ByID()).
		Select(invoice.FieldID, invoice.FieldCustomerID, invoice.FieldNumber, invoice.FieldTransferReference, invoice.FieldAmountDue).All(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := st.Client.Customer.Query().Where(customer.AccountID(account)).Order(customer.ByCreatedAt(), customer.ByID()).
		Select(customer.FieldID, customer.FieldTransferReference).All(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if len(invs) < entries {
		b.Fatalf("%d open invoices for %d entries: raise BENCH_IMPORT_OPEN", len(invs), entries)
	}
	custIndex := map[string]int{}
	for i, c := range cs {
		custIndex[c.ID] = i
	}
	// Each customer's oldest open invoices (what the amount rules scan),
	// for the entries that name the customer, not the invoice.
	oldest := map[string][]*ent.Invoice{}
	for _, inv := range invs {
		if len(oldest[inv.CustomerID]) < 20 {
			oldest[inv.CustomerID] = append(oldest[inv.CustomerID], inv)
		}
	}
	used := map[string]bool{}
	rng := rand.New(rand.NewPCG(16, 10000))
	perm := rng.Perm(len(invs))
	next := 0
	fresh := func() *ent.Invoice {
		for next < len(perm) {
			inv := invs[perm[next]]
			next++
			if !used[inv.ID] {
				used[inv.ID] = true
				return inv
			}
		}
		b.Fatal("out of open invoices")
		return nil
	}
	// byCustomer is an unused invoice among a customer's oldest.
	byCustomer := func() *ent.Invoice {
		for range 100 {
			c := cs[rng.IntN(len(cs))]
			for _, inv := range oldest[c.ID] {
				if !used[inv.ID] {
					used[inv.ID] = true
					return inv
				}
			}
		}
		return fresh()
	}
	major := func(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }
	var w bytes.Buffer
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>BENCH-1</MsgId><CreDtTm>` + time.Now().UTC().Format(time.RFC3339) + `</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-STMT-1</Id><CreDtTm>` + time.Now().UTC().Format(time.RFC3339) + `</CreDtTm>
<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>
`)
	day := time.Now().UTC().Format("2006-01-02")
	for i := range entries {
		var inv *ent.Invoice
		amount := int64(0)
		name, iban, ustrd, ref := fmt.Sprintf("Payer %d", i), "", "", ""
		switch k := i % 20; {
		case k < 12: // the invoice's RF reference: in full, in part, or more
			inv = fresh()
			ref = banking.Reference(*inv.TransferReference)
			switch amount = inv.AmountDue; i % 10 {
			case 1:
				amount = inv.AmountDue / 2
			case 2:
				amount = inv.AmountDue + 500
			}
		case k < 15: // the invoice's number in free text
			inv = fresh()
			amount, ustrd = inv.AmountDue, "Facture "+*inv.Number
		case k < 17: // the customer's reference with one open invoice's amount
			inv = byCustomer()
			amount, ustrd = inv.AmountDue, "Acompte "+banking.Reference(cs[custIndex[inv.CustomerID]].TransferReference)
		case k < 19: // the sender's IBAN and the exact amount
			inv = byCustomer()
			amount, iban = inv.AmountDue, benchIBAN(custIndex[inv.CustomerID])
		default: // garbage
			amount, ustrd = 100+rng.Int64N(100000), fmt.Sprintf("Virement %x divers", rng.Uint32())
		}
		fmt.Fprintf(&w, `<Ntry><NtryRef>%d</NtryRef><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt><AcctSvcrRef>BENCH-%07d</AcctSvcrRef>`,
			i, major(amount), day, day, i)
		w.WriteString(`<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>` + name + `</Nm></Dbtr>`)
		if iban != "" {
			w.WriteString(`<DbtrAcct><Id><IBAN>` + iban + `</IBAN></Id></DbtrAcct>`)
		}
		w.WriteString(`</RltdPties><RmtInf>`)
		if ustrd != "" {
			w.WriteString(`<Ustrd>` + ustrd + `</Ustrd>`)
		}
		if ref != "" {
			w.WriteString(`<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp><Ref>` + ref + `</Ref></CdtrRefInf></Strd>`)
		}
		w.WriteString("</RmtInf></TxDtls></NtryDtls></Ntry>\n")
	}
	w.WriteString("</Stmt></BkToCstmrStmt></Document>\n")
	return w.Bytes()
}

// copier gives each iteration its own copy of a seeded data set.
type copier struct {
	b    *testing.B
	d    string
	seed *seeded
	// pg: the admin connection and the seeded database's name and URL.
	admin  *sql.DB
	source string
	url    *url.URL
	// current is the copy an iteration imports into (PostgreSQL).
	current string
	// direct: the data set cannot be copied (a throw-away PostgreSQL
	// schema, BENCH_CACHE=off): one iteration imports into it.
	direct bool
}

func newCopier(b *testing.B, d, name string, s *seeded) *copier {
	c := &copier{b: b, d: d, seed: s}
	if d == dialect.SQLite {
		return c
	}
	if os.Getenv("BENCH_CACHE") == "off" {
		c.direct = true
		return c
	}
	loc := newPGLocation(b, name)
	c.admin, c.source = loc.admin, loc.name
	u, err := url.Parse(loc.url)
	if err != nil {
		b.Fatal(err)
	}
	c.url = u
	// A template database takes no other connection while it is copied.
	s.st.Close()
	return c
}

func (c *copier) open(i int) *store.Store {
	b := c.b
	ctx := context.Background()
	if c.direct {
		if i > 0 {
			b.Fatal("BENCH_CACHE=off on PostgreSQL imports once: run with -benchtime 1x")
		}
		return c.seed.st
	}
	if c.d == dialect.SQLite {
		dir := b.TempDir()
		if _, err := c.seed.st.DB.ExecContext(ctx, "VACUUM INTO ?", filepath.Join(dir, store.DBFile)); err != nil {
			b.Fatalf("copy the data set: %v", err)
		}
		st, err := store.Open(ctx, store.Config{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	// The name is the seeded one's, made of [a-z0-9_], and a number.
	dbName := c.source + "_run" + strconv.Itoa(i)
	if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)"); err != nil {
		b.Fatal(err)
	}
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+dbName+" TEMPLATE "+c.source); err != nil {
		b.Fatalf("copy the data set: %v", err)
	}
	c.current = dbName
	u := *c.url
	u.Path = "/" + dbName
	st, err := store.Open(ctx, store.Config{DatabaseURL: u.String()})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func (c *copier) close(st *store.Store) {
	if c.direct {
		return
	}
	st.Close()
	if c.d == dialect.Postgres {
		// The name is made of [a-z0-9_] (open).
		if _, err := c.admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+c.current+" WITH (FORCE)"); err != nil {
			c.b.Fatal(err)
		}
	}
}
