package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
)

const invoicePayMutation = `mutation Pay($in: InvoicePayInput!) {
  invoicePay(input: $in) {
    invoice { id status amountRemaining { amount } }
    payment { id status amount { amount } }
    userErrors { code field message }
  }
}`

// BenchmarkInvoicePay pays open invoices in full with each customer's
// default test card (4242…), one invoicePay per invoice — a GraphQL
// mutation over HTTP with an Idempotency-Key — from 8 concurrent clients
// on SQLite. The invoices are created and finalized before the timer
// starts. Goal: ≥ 1,000 payments/s. cpu_ms/pay is the CPU of this
// process (server, client, GC) per payment; other_cpu_pct the CPU other
// processes used meanwhile, in % of the machine (see cpuMeter).
func BenchmarkInvoicePay(b *testing.B) {
	var summary string
	b.Run(fmt.Sprintf("sqlite_%dclients", clients), func(b *testing.B) {
		api := startAPI(b, clients)
		for _, cus := range api.customers {
			var r struct {
				P struct {
					UserErrors []userError `json:"userErrors"`
				} `json:"paymentMethodAttach"`
			}
			api.mustDo(`mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, setDefault: true, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}}) { userErrors { code message } } }`,
				map[string]any{"c": cus}, &r)
			if len(r.P.UserErrors) > 0 {
				b.Fatalf("paymentMethodAttach: %+v", r.P.UserErrors)
			}
		}
		ids := make([]string, b.N+4*clients)
		create := func(ctx context.Context, i int, _ *[2]time.Duration) error {
			var c struct {
				P invoicePayload `json:"invoiceCreate"`
			}
			in := map[string]any{"in": map[string]any{"customer": api.customers[i%len(api.customers)], "lines": []any{
				map[string]any{"description": "Subscription", "quantity": "1", "unitAmount": "49.90"},
			}}}
			if err := api.do(ctx, invoiceCreateMutation, in, &c); err != nil || c.P.Invoice == nil {
				return fmt.Errorf("invoiceCreate: %v %+v", err, c.P.UserErrors)
			}
			var f struct {
				P invoicePayload `json:"invoiceFinalize"`
			}
			if err := api.do(ctx, invoiceFinalizeMutation, map[string]any{"in": map[string]any{"id": c.P.Invoice.ID, "send": false}}, &f); err != nil || len(f.P.UserErrors) > 0 {
				return fmt.Errorf("invoiceFinalize: %v %+v", err, f.P.UserErrors)
			}
			ids[i] = c.P.Invoice.ID
			return nil
		}
		if p := runPhase(clients, len(ids), 0, create); p.err != nil {
			b.Fatal(p.err)
		}
		pay := func(ctx context.Context, i int, _ *[2]time.Duration) error {
			var r struct {
				P struct {
					Invoice *struct {
						Status string `json:"status"`
					} `json:"invoice"`
					Payment *struct {
						Status string `json:"status"`
					} `json:"payment"`
					UserErrors []userError `json:"userErrors"`
				} `json:"invoicePay"`
			}
			if err := api.doKeyed(ctx, "bench-"+ids[i], invoicePayMutation, map[string]any{"in": map[string]any{"id": ids[i]}}, &r); err != nil {
				return err
			}
			if len(r.P.UserErrors) > 0 || r.P.Payment == nil || r.P.Payment.Status != "SUCCEEDED" || r.P.Invoice.Status != "PAID" {
				return fmt.Errorf("invoicePay %s: %+v", ids[i], r.P)
			}
			return nil
		}
		// Warm-up: connections, query cache.
		if p := runPhase(clients, 4*clients, b.N, pay); p.err != nil {
			b.Fatal(p.err)
		}
		cpu := startCPUMeter()
		b.ResetTimer()
		p := runPhase(clients, b.N, 0, pay)
		b.StopTimer()
		other := cpu.otherPct()
		if p.err != nil {
			b.Fatal(p.err)
		}
		b.ReportMetric(p.perSec(), "payments/s")
		b.ReportMetric(p.lat.pct(50), "p50_ms")
		b.ReportMetric(p.lat.pct(99), "p99_ms")
		b.ReportMetric(p.cpuPerOp(), "cpu_ms/pay")
		b.ReportMetric(other, "other_cpu_pct")
		summary = fmt.Sprintf("%.0f payments/s (goal ≥ 1000), p50 %.1f ms, p99 %.1f ms, n=%d; CPU of this process %.2f ms/payment, of other processes %.0f %%",
			p.perSec(), p.lat.pct(50), p.lat.pct(99), b.N, p.cpuPerOp(), other)
	})
	report(b, summary)
}
