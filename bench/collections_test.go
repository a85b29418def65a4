package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/values"
)

// collectionInvoicesDefault keeps `make bench` short; set
// BENCH_COLLECTION_INVOICES=1000000 for the million-invoice figures.
const collectionInvoicesDefault = 100_000

// collectionDueEvery: one open invoice in this many has a reminder due
// (1 %: 10,000 of a million).
const collectionDueEvery = 100

// BenchmarkCollections measures the collections job on a table of open
// send-invoice invoices of which 1 % have a reminder due now: the drain
// (every due invoice found, its reminder queued and its next step
// planned, in the job's batches, until nothing is due; reported as
// drain_ms and reminders/s, and checked to queue exactly one reminder per
// due invoice), then the cost of a pass with nothing due (ns/op: one
// indexed query), with the plan of that query logged. The scan must not
// grow with the invoices that are not due: compare the empty pass at
// 100,000 and 1,000,000 invoices.
//
//	BENCH_COLLECTION_INVOICES=1000000 go test -run '^$' -bench Collections -benchtime 200x -timeout 60m ./bench
func BenchmarkCollections(b *testing.B) {
	n := collectionInvoicesDefault
	if v := os.Getenv("BENCH_COLLECTION_INVOICES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < collectionDueEvery {
			b.Fatalf("BENCH_COLLECTION_INVOICES=%q: want a number of at least %d", v, collectionDueEvery)
		}
	}
	b.Run(fmt.Sprintf("sqlite_%d", n), func(b *testing.B) {
		benchCollections(b, openStore(b), n)
	})
	b.Run(fmt.Sprintf("postgres_%d", n), func(b *testing.B) {
		if err := pingPostgres(); err != nil {
			b.Fatal(err)
		}
		st, _ := openPostgres(b)
		benchCollections(b, st, n)
	})
}

func benchCollections(b *testing.B, st *store.Store, n int) {
	now := time.Now().UTC().Truncate(time.Second)
	due := seedCollections(b, st, n, now)
	if st.Dialect == dialect.Postgres {
		if _, err := st.DB.Exec("ANALYZE invoices, customers, accounts"); err != nil {
			b.Fatal(err)
		}
	} else if _, err := st.DB.Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	clk := clock.NewFake(now)
	a, err := app.New(context.Background(), app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mailing: app.DefaultMailing,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := clock.WithContext(context.Background(), clk)
	start := time.Now()
	for {
		k, err := a.Billing.RunCollections(ctx, "", app.CollectionBatch)
		if err != nil {
			b.Fatal(err)
		}
		if k == 0 {
			break
		}
	}
	drain := time.Since(start)
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	queued, err := st.Client.EmailMessage.Query().Where(emailmessage.Kind("invoice_reminder")).Count(sys)
	if err != nil {
		b.Fatal(err)
	}
	if queued != due {
		b.Fatalf("%d reminders queued for %d due invoices", queued, due)
	}
	// The drain moved 1 % of the index's entries: PostgreSQL keeps the
	// old ones until a vacuum, which autovacuum runs after such a batch;
	// measured as it then stands (statistics included), not mid-cleanup.
	if st.Dialect == dialect.Postgres {
		if _, err := st.DB.Exec("VACUUM ANALYZE invoices"); err != nil {
			b.Fatal(err)
		}
	} else if _, err := st.DB.Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	logEmptyPassPlan(b, st, now)

	b.ResetTimer()
	for range b.N {
		k, err := a.Billing.RunCollections(ctx, "", app.CollectionBatch)
		if err != nil || k != 0 {
			b.Fatalf("empty pass: %d, %v", k, err)
		}
	}
	// After the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(drain.Milliseconds()), "drain_ms")
	b.ReportMetric(float64(due)/drain.Seconds(), "reminders/s")
	b.ReportMetric(float64(due), "due")
}

// logEmptyPassPlan logs how the database answers the job's query.
func logEmptyPassPlan(b *testing.B, st *store.Store, now time.Time) {
	b.Helper()
	var q string
	var args []any
	if st.Dialect == dialect.Postgres {
		q = `EXPLAIN (ANALYZE, BUFFERS) SELECT id, account_id, mode, next_collection_at FROM invoices WHERE next_collection_at <= $1 AND test_clock_id IS NULL ORDER BY next_collection_at LIMIT 100`
		args = []any{now}
	} else {
		q = "EXPLAIN QUERY PLAN SELECT `id`, `account_id`, `mode`, `next_collection_at` FROM `invoices` WHERE `next_collection_at` <= ? AND `test_clock_id` IS NULL ORDER BY `next_collection_at` LIMIT 100"
		args = []any{now}
	}
	rows, err := st.DB.Query(q, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, vals[len(vals)-1].String)
	}
	b.Logf("empty pass plan (%s): %s", st.Dialect, strings.Join(plan, " | "))
}

// seedCollections writes n open send-invoice invoices, one in
// collectionDueEvery with a reminder due (due yesterday, last reminded
// four days before that), the others due in a month; it returns how many
// are due.
func seedCollections(b *testing.B, st *store.Store, n int, now time.Time) int {
	b.Helper()
	ctx, _ := seedAccount(b, st)
	customers := seedScaleCustomers(b, ctx, st, 100, now)
	issuer := &values.Party{Name: "Acme SAS"}
	dueCount := 0
	const batch = 5000
	for lo := 0; lo < n; lo += batch {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			invs := make([]*ent.InvoiceCreate, 0, batch)
			for i := lo; i < min(lo+batch, n); i++ {
				at := now.Add(-time.Duration(n-i) * time.Second)
				dueDate := now.AddDate(0, 0, 30)
				if i%collectionDueEvery == 0 {
					dueDate = now.AddDate(0, 0, -1)
					dueCount++
				}
				last := dueDate.AddDate(0, 0, -4)
				next := dueDate.AddDate(0, 0, -3)
				cus := customers[i%len(customers)]
				invs = append(invs, tx.Invoice.Create().
					SetCustomerID(cus).SetCurrency("EUR").SetCreatedAt(at).SetUpdatedAt(at).
					SetStatus(invoice.StatusOpen).SetNumber(fmt.Sprintf("CO-%07d", i)).SetFinalizedAt(at).
					SetTotal(10000).SetSubtotal(10000).SetTotalExcludingTax(10000).SetAmountDue(10000).
					SetDueDate(dueDate).SetLastReminderAt(last).SetNextCollectionAt(next).
					SetCustomerSnapshot(&values.Party{Name: "Customer", Email: fmt.Sprintf("c%d@example.com", i%len(customers))}).
					SetIssuerSnapshot(issuer))
			}
			for chunk := range slices.Chunk(invs, 250) {
				if err := tx.Invoice.CreateBulk(chunk...).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed invoices: %v", err)
		}
	}
	return dueCount
}
