package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
)

const creditNoteCreateMutation = `mutation CreditNote($in: CreditNoteCreateInput!) {
  creditNoteCreate(input: $in) {
    creditNote { id number status total { amount } lines { id amount { amount } } invoice { id amountDue { amount } } }
    userErrors { code field message }
  }
}`

// issuedInvoice is an invoice the create+finalize side issued, for the
// credit note side to credit.
type issuedInvoice struct {
	id    string
	lines []string
}

// issueInvoice creates and finalizes invoice i as apiInvoice does, and
// keeps its id and line ids in into[i].
func (e *apiEnv) issueInvoice(ctx context.Context, i int, steps *[2]time.Duration, into []issuedInvoice) error {
	t0 := time.Now()
	var c struct {
		P invoicePayload `json:"invoiceCreate"`
	}
	if err := e.do(ctx, invoiceCreateMutation, e.createInput(i), &c); err != nil {
		return fmt.Errorf("invoiceCreate: %w", err)
	}
	if len(c.P.UserErrors) > 0 || c.P.Invoice == nil || len(c.P.Invoice.Lines) != linesPerInvoice {
		return fmt.Errorf("invoiceCreate: userErrors %+v", c.P.UserErrors)
	}
	t1 := time.Now()
	steps[0] = t1.Sub(t0)
	var f struct {
		P invoicePayload `json:"invoiceFinalize"`
	}
	if err := e.do(ctx, invoiceFinalizeMutation, map[string]any{"in": map[string]any{"id": c.P.Invoice.ID}}, &f); err != nil {
		return fmt.Errorf("invoiceFinalize: %w", err)
	}
	if len(f.P.UserErrors) > 0 || f.P.Invoice == nil || f.P.Invoice.Status != "OPEN" {
		return fmt.Errorf("invoiceFinalize: userErrors %+v", f.P.UserErrors)
	}
	steps[1] = time.Since(t1)
	inv := issuedInvoice{id: c.P.Invoice.ID}
	for _, l := range c.P.Invoice.Lines {
		inv.lines = append(inv.lines, l.ID)
	}
	into[i] = inv
	return nil
}

// creditInvoice issues a credit note of 10 lines on inv, one unit of each
// of its lines (a pre-payment credit; no email, as the create+finalize
// side sends none).
func (e *apiEnv) creditInvoice(ctx context.Context, inv issuedInvoice) error {
	lines := make([]any, len(inv.lines))
	for j, id := range inv.lines {
		lines[j] = map[string]any{"invoiceLine": id, "quantity": "1"}
	}
	var r struct {
		P struct {
			CreditNote *struct {
				Status string `json:"status"`
				Lines  []struct {
					ID string `json:"id"`
				} `json:"lines"`
			} `json:"creditNote"`
			UserErrors []userError `json:"userErrors"`
		} `json:"creditNoteCreate"`
	}
	in := map[string]any{"in": map[string]any{"invoice": inv.id, "reason": "ORDER_CHANGE", "email": false, "lines": lines}}
	if err := e.do(ctx, creditNoteCreateMutation, in, &r); err != nil {
		return fmt.Errorf("creditNoteCreate: %w", err)
	}
	if len(r.P.UserErrors) > 0 || r.P.CreditNote == nil || r.P.CreditNote.Status != "ISSUED" || len(r.P.CreditNote.Lines) != linesPerInvoice {
		return fmt.Errorf("creditNoteCreate %s: %+v", inv.id, r.P)
	}
	return nil
}

// BenchmarkCreditNoteCreate issues credit notes of 10 lines — one
// creditNoteCreate mutation over HTTP each, crediting one unit of each
// line of an issued 10-line invoice — from 8 concurrent clients on
// SQLite, beside create+finalize of those invoices (BenchmarkInvoiceCreate
// Finalize's API side) in the same run: it is the same kind of write and
// should cost no more.
//
// b.N is the number of invoices, hence of credit notes. The sides run
// interleaved in rounds (create+finalize n invoices, then credit those n),
// so both see the same disk; the timer runs during the credit note rounds
// only, so ns/op is the wall time per credit note at 8 clients.
//
// Metrics: cf_inv/s and cn/s (steady-state invoices created and finalized,
// credit notes issued, per second), ratio_pct (credit notes / invoices),
// p50/p99 of each side's latency (an invoice's two requests together; a
// credit note's one), and the process's CPU per credit note.
func BenchmarkCreditNoteCreate(b *testing.B) {
	var note, summary string
	b.Run(fmt.Sprintf("sqlite_%dclients", clients), func(b *testing.B) {
		note, summary = creditNoteBench(b)
	})
	report(b, note, summary)
}

func creditNoteBench(b *testing.B) (note, summary string) {
	api := startAPI(b, 1)
	taxed, why := api.probeTaxed()
	api.taxed = taxed
	if !taxed {
		note = "NOTE: lines are sent WITHOUT taxRates (server: " + why + ")"
	}
	warm := 4 * clients
	issued := make([]issuedInvoice, b.N+warm)
	cf := func(ctx context.Context, i int, steps *[2]time.Duration) error {
		return api.issueInvoice(ctx, i, steps, issued)
	}
	cn := func(ctx context.Context, i int, _ *[2]time.Duration) error {
		return api.creditInvoice(ctx, issued[i])
	}
	// Warm up both sides: connections, the GraphQL query cache.
	for _, fn := range []opFunc{cf, cn} {
		if p := runPhase(clients, warm, b.N, fn); p.err != nil {
			b.Fatal(p.err)
		}
	}

	rounds := max(1, min(8, b.N/150))
	var cfP, cnP phase
	cpu := startCPUMeter()
	b.ResetTimer()
	first := 0
	for r := range rounds {
		n := b.N / rounds
		if r < b.N%rounds {
			n++
		}
		b.StopTimer()
		cfP.add(runPhase(clients, n, first, cf))
		if cfP.err != nil {
			b.Fatalf("create+finalize: %v", cfP.err)
		}
		b.StartTimer()
		cnP.add(runPhase(clients, n, first, cn))
		first += n
	}
	b.StopTimer()
	other := cpu.otherPct()
	if cnP.err != nil {
		b.Fatalf("credit notes: %v", cnP.err)
	}
	ratio := 100 * cnP.perSec() / cfP.perSec()
	b.ReportMetric(cfP.perSec(), "cf_inv/s")
	b.ReportMetric(cnP.perSec(), "cn/s")
	b.ReportMetric(ratio, "ratio_pct")
	b.ReportMetric(cnP.lat.pct(50), "cn_p50_ms")
	b.ReportMetric(cnP.lat.pct(99), "cn_p99_ms")
	b.ReportMetric(cfP.lat.pct(50), "cf_p50_ms")
	b.ReportMetric(cfP.lat.pct(99), "cf_p99_ms")
	b.ReportMetric(cnP.cpuPerOp(), "cn_cpu_ms/op")
	b.ReportMetric(other, "other_cpu_pct")
	return note, fmt.Sprintf("%d credit notes of %d lines and as many invoices in %d rounds, %d clients, taxed lines=%v\n"+
		"  create+finalize: %6.0f inv/s  p50 %6.2f ms  p99 %6.2f ms  (CPU %.2f ms/invoice)\n"+
		"  creditNoteCreate: %6.0f cn/s   p50 %6.2f ms  p99 %6.2f ms  (CPU %.2f ms/credit note; %.1f k allocations)\n"+
		"  credit notes / invoices = %.1f %%; CPU used by other processes meanwhile: %.0f %%",
		b.N, linesPerInvoice, rounds, clients, taxed,
		cfP.perSec(), cfP.lat.pct(50), cfP.lat.pct(99), cfP.cpuPerOp(),
		cnP.perSec(), cnP.lat.pct(50), cnP.lat.pct(99), cnP.cpuPerOp(), cnP.allocsPerOp(),
		ratio, other)
}
