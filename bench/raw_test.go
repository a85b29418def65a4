package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/values"
)

// rawEnv writes the rows of the benchmark invoice with plain database/sql
// on a fresh store (same DSN, pragmas and schema as the server's): the
// ceiling the API is measured against. It writes what the API writes, no
// more: the same tables, columns and value shapes, in the same two
// transactions (create, finalize), serialized by an in-process writer
// mutex as store.serialDriver does. It skips the reads the API does
// (authentication, loading the account, customer and tax rate, re-reading
// the invoice for the response), which is the point: the gap between the
// two is the cost of everything above the storage engine.
type rawEnv struct {
	db       *sql.DB
	wmu      sync.Mutex // the in-process writer lock
	account  string
	customer string
	taxRate  string
	actor    string
	prefix   string
	taxed    bool
	// lineRates is whether the schema links lines to tax rates through the
	// invoice_line_tax_rates join table (it then gets a row per line).
	lineRates bool
	// customerCurrency is whether the customer's currency is set; the
	// first finalization sets it when it is not (the API does the same).
	customerCurrency atomic.Bool

	issuer, buyer []byte // the snapshots finalization freezes
}

// startRaw opens a fresh store and inserts the account, key, customer and
// tax rate the API side creates through its services.
func startRaw(tb testing.TB, taxed bool) *rawEnv {
	tb.Helper()
	st := openStore(tb)
	return newRaw(tb, st, taxed)
}

func newRaw(tb testing.TB, st *store.Store, taxed bool) *rawEnv {
	now := time.Now().UTC()
	r := &rawEnv{
		db:       st.DB,
		account:  ids.New("acct", now),
		customer: ids.New("cus", now),
		taxRate:  ids.New("txr", now),
		actor:    ids.New("key", now),
		prefix:   "ACMESAS",
		taxed:    taxed,
	}
	addr := func(line1, city, pc string) []byte {
		b, _ := json.Marshal(values.Address{Line1: line1, City: city, PostalCode: pc, Country: "FR"})
		return b
	}
	taxIDs, _ := json.Marshal([]values.TaxID{{Type: "eu_vat", Value: "FR40303265045"}})
	locales, _ := json.Marshal([]string{"fr-FR", "en"})
	ctx := context.Background()
	stmts := []struct {
		q    string
		args []any
	}{
		{"INSERT INTO accounts (id, created_at, updated_at, name, legal_name, email, phone, address, siren, vat_number, invoice_prefix) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			[]any{r.account, now, now, "Acme SAS", "Acme Industries SAS", "billing@acme.example", "+33 1 23 45 67 89", addr("12 rue de la Paix", "Paris", "75002"), "732829320", "FR44732829320", r.prefix}},
		{"INSERT INTO api_keys (id, created_at, updated_at, mode, hash, redacted, name, account_id) VALUES (?, ?, ?, 'test', ?, 'sk_test_…raw0', 'bench', ?)",
			[]any{r.actor, now, now, []byte(r.actor), r.account}},
		{"INSERT INTO customers (id, created_at, updated_at, mode, email, name, phone, address, preferred_locales, currency, tax_ids, invoice_prefix, account_id) VALUES (?, ?, ?, 'test', ?, ?, ?, ?, ?, 'EUR', ?, 'CNAU2ZS0', ?)",
			[]any{r.customer, now, now, "ap@globex.example", "Globex Corporation", "+33 4 72 00 00 00", addr("3 place Bellecour", "Lyon", "69002"), locales, taxIDs, r.account}},
		{"INSERT INTO tax_rates (id, created_at, updated_at, mode, display_name, description, percentage, inclusive, country, jurisdiction, account_id) VALUES (?, ?, ?, 'test', 'TVA', 'TVA normale', '20', false, 'FR', 'FR', ?)",
			[]any{r.taxRate, now, now, r.account}},
	}
	for _, s := range stmts {
		if _, err := r.db.ExecContext(ctx, s.q, s.args...); err != nil {
			tb.Fatalf("raw setup: %v", err)
		}
	}
	r.customerCurrency.Store(true)
	var n int
	if err := r.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'invoice_line_tax_rates'").Scan(&n); err != nil {
		tb.Fatalf("raw setup: %v", err)
	}
	r.lineRates = n == 1
	r.issuer, _ = json.Marshal(&values.Party{
		Name: "Acme SAS", LegalName: "Acme Industries SAS", Email: "billing@acme.example", Phone: "+33 1 23 45 67 89",
		Address: &values.Address{Line1: "12 rue de la Paix", City: "Paris", PostalCode: "75002", Country: "FR"},
		SIREN:   "732829320", VATNumber: "FR44732829320",
	})
	r.buyer, _ = json.Marshal(&values.Party{
		Name: "Globex Corporation", Email: "ap@globex.example", Phone: "+33 4 72 00 00 00",
		Address: &values.Address{Line1: "3 place Bellecour", City: "Lyon", PostalCode: "69002", Country: "FR"},
		TaxIDs:  []values.TaxID{{Type: "eu_vat", Value: "FR40303265045"}}, TaxExempt: "NONE", Locales: []string{"fr-FR", "en"},
	})
	return r
}

// line i of every benchmark invoice: quantity i+1.5, unit amount
// 650+10i .90, 20 % VAT when taxed — the same as the API side's input.
func lineValues(i int) (qty, unit string, amount int64) {
	qtyTenths := int64(i+1)*10 + 5
	unitCents := int64(650+10*i)*100 + 90
	return fmt.Sprintf("%d.5", i+1), fmt.Sprintf("%d.9", 650+10*i), qtyTenths * unitCents / 10
}

func roundDiv(a, b int64) int64 { return (a + b/2) / b }

const lineCols = 19

var insertLines = "INSERT INTO invoice_lines (id, created_at, updated_at, mode, currency, position, description, quantity, unit_amount, discounts, tax_rates_set, metadata, amount, discount_amount, invoice_discount_amount, tax_amounts, invoice_id, account_id, price_id) VALUES " +
	strings.TrimSuffix(strings.Repeat("(?"+strings.Repeat(", ?", lineCols-1)+"), ", linesPerInvoice), ", ")

var insertLineRates = "INSERT INTO invoice_line_tax_rates (invoice_line_id, tax_rate_id) VALUES " +
	strings.TrimSuffix(strings.Repeat("(?, ?), ", linesPerInvoice), ", ") + " ON CONFLICT DO NOTHING"

var (
	jsonNull  = []byte("null")
	jsonEmpty = []byte("{}") // metadata, as the API stores an empty map
)

// clockNow is the time as the server's clock gives it (UTC, microseconds).
func clockNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// invoice writes invoice n: the draft with its lines and history in one
// transaction, then its finalization in a second one.
func (r *rawEnv) invoice(ctx context.Context, n int, steps *[2]time.Duration) error {
	now := clockNow()
	invID := ids.New("in", now)
	var subtotal, totalTax int64
	lineArgs := make([]any, 0, linesPerInvoice*lineCols)
	rateArgs := make([]any, 0, 2*linesPerInvoice)
	var taxes []values.TaxAmount
	for i := range linesPerInvoice {
		qty, unit, amount := lineValues(i)
		subtotal += amount
		taxAmounts := jsonNull
		if r.taxed {
			tax := roundDiv(amount*20, 100)
			totalTax += tax
			taxAmounts, _ = json.Marshal([]values.TaxAmount{{TaxRateID: r.taxRate, DisplayName: "TVA", Percentage: "20", Jurisdiction: "FR", TaxableAmount: amount, Amount: tax}})
		}
		lineID := ids.New("il", now)
		rateArgs = append(rateArgs, lineID, r.taxRate)
		lineArgs = append(lineArgs,
			lineID, now, now, "test", "EUR", i,
			fmt.Sprintf("Consulting services, phase %d — senior engineer day rate (order %d)", i+1, n),
			qty, unit, jsonNull, r.taxed, jsonEmpty, amount, 0, 0, taxAmounts, invID, r.account, nil)
	}
	invTaxes := jsonNull
	if r.taxed {
		taxes = []values.TaxAmount{{TaxRateID: r.taxRate, DisplayName: "TVA", Percentage: "20", Jurisdiction: "FR", TaxableAmount: subtotal, Amount: totalTax}}
		invTaxes, _ = json.Marshal(taxes)
	}
	total := subtotal + totalTax

	// Transaction 1: invoiceCreate.
	t0 := time.Now()
	err := r.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoices (id, created_at, updated_at, mode, status, currency, collection_method, days_until_due, memo, footer, custom_fields, metadata, discounts, subtotal, total_discount, total_tax, total_excluding_tax, total, starting_balance, applied_balance, amount_due, amount_paid, taxes, customer_id, account_id) VALUES (?, ?, ?, 'test', 'DRAFT', 'EUR', 'SEND_INVOICE', 30, '', '', ?, ?, ?, ?, 0, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?)`,
			invID, now, now, jsonNull, jsonEmpty, jsonNull, subtotal, totalTax, subtotal, total, invTaxes, r.customer, r.account); err != nil {
			return fmt.Errorf("insert invoice: %w", err)
		}
		if _, err := tx.ExecContext(ctx, insertLines, lineArgs...); err != nil {
			return fmt.Errorf("insert lines: %w", err)
		}
		if r.taxed && r.lineRates {
			if _, err := tx.ExecContext(ctx, insertLineRates, rateArgs...); err != nil {
				return fmt.Errorf("link tax rates: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_transitions (id, created_at, updated_at, mode, action, from_status, to_status, actor, note, invoice_id, account_id) VALUES (?, ?, ?, 'test', 'create', '', 'DRAFT', ?, '', ?, ?)`,
			ids.New("ivt", now), now, now, r.actor, invID, r.account); err != nil {
			return fmt.Errorf("insert transition: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Transaction 2: invoiceFinalize.
	now = clockNow()
	steps[0] = now.Sub(t0)
	defer func() { steps[1] = time.Since(now) }()
	return r.tx(ctx, func(tx *sql.Tx) error {
		var next int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO sequences (id, created_at, updated_at, mode, scope, next, account_id) VALUES (?, ?, ?, 'test', ?, 2, ?) ON CONFLICT (account_id, mode, scope) DO UPDATE SET next = next + 1 RETURNING next`,
			ids.New("seq", now), now, now, r.prefix, r.account).Scan(&next); err != nil {
			return fmt.Errorf("advance sequence: %w", err)
		}
		number := fmt.Sprintf("%s-%04d", r.prefix, next-1)
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET updated_at = ?, finalized_at = ?, status = 'OPEN', due_date = ?, number = ?, issuer_snapshot = ?, customer_snapshot = ?, starting_balance = 0, applied_balance = 0, amount_due = ?, ending_balance = 0 WHERE id = ?`,
			now, now, now.AddDate(0, 0, 30), number, r.issuer, r.buyer, total, invID); err != nil {
			return fmt.Errorf("finalize invoice: %w", err)
		}
		if !r.customerCurrency.Load() {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET updated_at = ?, currency = 'EUR' WHERE id = ?`, now, r.customer); err != nil {
				return fmt.Errorf("customer currency: %w", err)
			}
			r.customerCurrency.Store(true)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_transitions (id, created_at, updated_at, mode, action, from_status, to_status, actor, note, invoice_id, account_id) VALUES (?, ?, ?, 'test', 'finalize', 'DRAFT', 'OPEN', ?, ?, ?, ?)`,
			ids.New("ivt", now), now, now, r.actor, "number "+number, invID, r.account); err != nil {
			return fmt.Errorf("insert transition: %w", err)
		}
		return nil
	})
}

// tx runs fn in a transaction (BEGIN IMMEDIATE, from the DSN) under the
// writer mutex, committing durably (WAL, synchronous=FULL).
func (r *rawEnv) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
