package billing_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// checkingRefunds is the simulator seen as a processor whose refunds go
// over a network: each refund checks it was reserved (written PENDING,
// its amount held on its payment) before the processor was asked, and
// the first call of each refund can be made to time out.
type checkingRefunds struct {
	payments.Processor
	db *ent.Client
	t  *testing.T

	mu      sync.Mutex
	calls   map[string]int // refund id (the idempotency key) → calls
	timeout bool           // the first call of each refund times out
}

func (p *checkingRefunds) Refund(ctx context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	p.mu.Lock()
	p.calls[req.IdempotencyKey]++
	first := p.calls[req.IdempotencyKey] == 1
	p.mu.Unlock()
	r, err := p.db.Refund.Query().Where(refund.ID(req.IdempotencyKey)).WithPayment().Only(ctx)
	if err != nil {
		p.t.Errorf("refund %s sent before it was written: %v", req.IdempotencyKey, err)
	} else if r.Status != refund.StatusPending || r.Amount != req.Amount || r.Edges.Payment.AmountRefundPending < req.Amount {
		p.t.Errorf("refund of %d sent: refund %s of %d, %d held on the payment", req.Amount, r.Status, r.Amount, r.Edges.Payment.AmountRefundPending)
	}
	if first && p.timeout {
		return payments.RefundResult{}, context.DeadlineExceeded
	}
	return p.Processor.Refund(ctx, req)
}

type refundSvc struct {
	app  *app.App
	ctx  context.Context
	clk  *clock.Fake
	proc *checkingRefunds
	cus  string
	card string
}

func newRefundSvc(t *testing.T, dialect string) *refundSvc {
	t.Helper()
	st := storetest.Open(t, dialect)
	clk := clock.NewFake(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	proc := &checkingRefunds{Processor: payments.NewSimulator(clk, []byte("fingerprints")), db: st.Client, t: t, calls: map[string]int{}}
	a, err := app.New(context.Background(), app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mailing:    billing.Mailing{From: "invoices@remit.test", PublicURL: "http://remit.test"},
		Processors: payments.ByMode(func(viewer.Mode) payments.Processor { return proc }),
	})
	if err != nil {
		t.Fatal(err)
	}
	base := clock.WithContext(context.Background(), clk)
	acct, err := a.Accounts.Create(base, "Acme SAS")
	if err != nil {
		t.Fatal(err)
	}
	s := &refundSvc{app: a, clk: clk, proc: proc, ctx: viewer.NewContext(base, viewer.Merchant(acct.ID, viewer.Test, "key_test"))}
	email, name := "ada@example.com", "Ada"
	c, err := a.Customers.Create(s.ctx, customers.Input{Email: &email, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	s.cus = c.Customer.ID
	pm, err := a.Methods.Attach(s.ctx, paymentmethods.AttachInput{CustomerID: s.cus, SetDefault: true,
		Card: &payments.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2034, CVC: "123"}})
	if err != nil {
		t.Fatal(err)
	}
	s.card = pm.ID
	return s
}

// open finalizes an invoice of amount (major units) in EUR.
func (s *refundSvc) open(t *testing.T, amount string) string {
	t.Helper()
	desc, cur := "Consulting", "EUR"
	inv, err := s.app.Billing.Create(s.ctx, billing.DraftInput{CustomerID: s.cus, Currency: &cur,
		Lines: []billing.LineInput{{Description: &desc, UnitAmount: &amount}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Billing.Finalize(s.ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	return inv.ID
}

// pay charges the card minor units, a minute after the last payment (so
// payments have distinct times).
func (s *refundSvc) pay(t *testing.T, inv string, minor int64) string {
	t.Helper()
	s.clk.Advance(time.Minute)
	_, p, err := s.app.Billing.Pay(s.ctx, billing.PayInput{InvoiceID: inv, Amount: &minor, IdempotencyKey: fmt.Sprintf("pay-%s-%d", inv, minor)})
	if err != nil || p.Status != payment.StatusSucceeded {
		t.Fatalf("pay %d: %v %v", minor, p, err)
	}
	return p.ID
}

func (s *refundSvc) eventCount(t *testing.T, types ...string) int {
	t.Helper()
	n, err := s.app.DB.Event.Query().Where(event.TypeIn(types...)).Count(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *refundSvc) payment(t *testing.T, id string) *ent.Payment {
	t.Helper()
	p, err := s.app.DB.Payment.Get(s.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReserveRefunds uses the refund contract the way a credit note does:
// inside the caller's transaction, for an amount spread over the
// invoice's succeeded payments, newest first, skipping money recorded
// outside Remit; refunds are written PENDING with their events and are
// sent once the transaction committed. A refusal is REFUND_EXCEEDS_PAYMENT
// at the caller's field; a caller's rollback takes the refunds with it.
func TestReserveRefunds(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := newRefundSvc(t, d)
			b := s.app.Billing
			inv := s.open(t, "100.00")
			oldest := s.pay(t, inv, 2000)
			s.clk.Advance(time.Minute)
			if _, _, err := b.RecordPayment(s.ctx, inv, billing.RecordPaymentInput{Amount: "10.00", Method: "cash"}); err != nil {
				t.Fatal(err)
			}
			middle := s.pay(t, inv, 3000)
			newest := s.pay(t, inv, 4000)
			created := s.eventCount(t, "refund.created")

			// Refused: more than the card payments can give back (90.00),
			// and nothing, each at the caller's field, with nothing written.
			for _, c := range []struct {
				amount int64
				code   usererr.Code
			}{{9001, usererr.RefundExceedsPayment}, {0, usererr.InvalidAmount}, {-1, usererr.InvalidAmount}} {
				err := dbtx.RunContext(s.ctx, s.app.DB, func(ctx context.Context, tx *ent.Tx) error {
					_, err := b.ReserveRefunds(ctx, billing.RefundRequest{InvoiceID: inv, Amount: c.amount, Field: "input.refundAmount"})
					return err
				})
				var ue *usererr.Error
				if !errors.As(err, &ue) || ue.Code != c.code || !slices.Equal(ue.Field, []string{"input", "refundAmount"}) {
					t.Errorf("refund of %d: %v, want %s at input.refundAmount", c.amount, err, c.code)
				}
			}
			err := dbtx.RunContext(s.ctx, s.app.DB, func(ctx context.Context, tx *ent.Tx) error {
				_, err := b.ReserveRefunds(ctx, billing.RefundRequest{InvoiceID: inv, Amount: 100, Reason: "BECAUSE", Field: "input.refundAmount"})
				return err
			})
			if ue := usererr.From(err); len(ue) != 1 || ue[0].Code != usererr.Invalid || !slices.Equal(ue[0].Field, []string{"input", "reason"}) {
				t.Errorf("unknown reason: %v", err)
			}
			// The caller rolls back: the refunds go with it.
			boom := errors.New("credit note refused")
			err = dbtx.RunContext(s.ctx, s.app.DB, func(ctx context.Context, tx *ent.Tx) error {
				if _, err := b.ReserveRefunds(ctx, billing.RefundRequest{InvoiceID: inv, Amount: 1000, Field: "input.refundAmount"}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("rollback: %v", err)
			}
			if n := s.eventCount(t, "refund.created"); n != created {
				t.Errorf("refused or rolled back reservations wrote %d events", n-created)
			}
			if n, _ := s.app.DB.Refund.Query().Count(s.ctx); n != 0 {
				t.Errorf("%d refunds written", n)
			}

			// 80.00 over the card payments, newest first: 40, 30, then 10
			// of the oldest; the cash is not refunded through Remit.
			var ids []string
			err = dbtx.RunContext(s.ctx, s.app.DB, func(ctx context.Context, tx *ent.Tx) error {
				var err error
				// A credit note's reason reads as the refund reason it
				// amounts to.
				ids, err = b.ReserveRefunds(ctx, billing.RefundRequest{InvoiceID: inv, Amount: 8000, Reason: "ORDER_CHANGE", CreditNoteID: "cn_test", Field: "input.refundAmount"})
				if err != nil {
					return err
				}
				if err := b.ExecuteRefunds(ctx, ids); err == nil {
					t.Error("ExecuteRefunds ran inside the reserving transaction")
				}
				// Inside the transaction: PENDING, held on the payments,
				// nothing sent yet.
				if n := len(s.proc.calls); n != 0 {
					t.Errorf("%d refunds sent before the commit", n)
				}
				held, err := tx.Payment.Get(ctx, newest)
				if err != nil {
					return err
				}
				if held.AmountRefundPending != 4000 {
					t.Errorf("held on the newest payment: %d", held.AmountRefundPending)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 3 {
				t.Fatalf("refund ids %v", ids)
			}
			want := map[string]int64{newest: 4000, middle: 3000, oldest: 1000}
			for _, id := range ids {
				r, err := s.app.DB.Refund.Get(s.ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != refund.StatusPending || r.Amount != want[r.PaymentID] || r.CreditNoteID == nil || *r.CreditNoteID != "cn_test" ||
					r.Reason == nil || *r.Reason != refund.ReasonRequestedByCustomer || r.InvoiceID != inv || r.CustomerID != s.cus {
					t.Errorf("reserved refund %+v", r)
				}
				delete(want, r.PaymentID)
			}
			if len(want) != 0 {
				t.Errorf("payments not refunded: %v", want)
			}
			if n := s.eventCount(t, "refund.created"); n != created+3 {
				t.Errorf("%d refund.created events, want 3", n-created)
			}

			if err := b.ExecuteRefunds(s.ctx, ids); err != nil {
				t.Fatal(err)
			}
			for id, amount := range map[string]int64{newest: 4000, middle: 3000, oldest: 1000} {
				if p := s.payment(t, id); p.AmountRefunded != amount || p.AmountRefundPending != 0 {
					t.Errorf("payment of %d: refunded %d, held %d; want %d, 0", p.Amount, p.AmountRefunded, p.AmountRefundPending, amount)
				}
			}
			for _, id := range ids {
				if s.proc.calls[id] != 1 {
					t.Errorf("refund %s sent %d times", id, s.proc.calls[id])
				}
			}
			// Executing again sends nothing.
			if err := b.ExecuteRefunds(s.ctx, ids); err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if s.proc.calls[id] != 1 {
					t.Errorf("refund %s sent %d times after a second execution", id, s.proc.calls[id])
				}
			}
			// 10.00 are left, on the oldest payment.
			err = dbtx.RunContext(s.ctx, s.app.DB, func(ctx context.Context, tx *ent.Tx) error {
				_, err := b.ReserveRefunds(ctx, billing.RefundRequest{InvoiceID: inv, Amount: 1001, Field: "refundAmount"})
				return err
			})
			var ue *usererr.Error
			if !errors.As(err, &ue) || ue.Code != usererr.RefundExceedsPayment {
				t.Errorf("refund of the last 10.01: %v", err)
			}
			if n := s.eventCount(t, "refund.succeeded"); n != 3 {
				t.Errorf("%d refund.succeeded events, want 3", n)
			}
		})
	}
}

// TestRefundLostAndResent: the processor does not answer a refund (a
// timeout): it stays PENDING with its amount held, and a minute later the
// worker sends it again with the same key; it then succeeds, once.
func TestRefundLostAndResent(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			s := newRefundSvc(t, d)
			s.proc.timeout = true
			inv := s.open(t, "50.00")
			pay := s.pay(t, inv, 5000)
			r, p, err := s.app.Billing.RefundPayment(s.ctx, billing.RefundInput{PaymentID: pay, Amount: "20.00", IdempotencyKey: "refund-1"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != refund.StatusPending || r.ProcessorReference != "" || p.AmountRefundPending != 2000 || p.AmountRefunded != 0 {
				t.Fatalf("refund after a timeout: %s %q, payment held %d refunded %d", r.Status, r.ProcessorReference, p.AmountRefundPending, p.AmountRefunded)
			}
			settle := func() int {
				n, err := s.app.Billing.SettleRefunds(clock.WithContext(context.Background(), s.clk), 100)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := settle(); n != 0 || s.proc.calls[r.ID] != 1 {
				t.Errorf("within the minute: settled %d, %d calls", n, s.proc.calls[r.ID])
			}
			s.clk.Advance(61 * time.Second)
			if n := settle(); n != 1 || s.proc.calls[r.ID] != 2 {
				t.Errorf("after the minute: settled %d, %d calls", n, s.proc.calls[r.ID])
			}
			got, err := s.app.DB.Refund.Get(s.ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p := s.payment(t, pay); got.Status != refund.StatusSucceeded || p.AmountRefunded != 2000 || p.AmountRefundPending != 0 {
				t.Errorf("resent refund %s, payment refunded %d held %d", got.Status, p.AmountRefunded, p.AmountRefundPending)
			}
			if n := settle(); n != 0 || s.proc.calls[r.ID] != 2 {
				t.Errorf("after success: settled %d, %d calls", n, s.proc.calls[r.ID])
			}
			if n := s.eventCount(t, "refund.succeeded"); n != 1 {
				t.Errorf("%d refund.succeeded events", n)
			}
		})
	}
}
