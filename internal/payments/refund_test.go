package payments

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/clock"
)

// settledCharge charges m and, for a debit, moves the clock past its
// settlement, returning the succeeded charge's reference.
func settledCharge(t *testing.T, s *Simulator, fc *clock.Fake, m Method, cur string) string {
	t.Helper()
	r := mustCharge(t, s, charge(m, cur))
	if r.Status == StatusProcessing {
		fc.Advance(r.SettlesAt.Sub(t0) + time.Second)
		if r, _ = s.Settle(context.Background(), r.Reference); r.Status != StatusSucceeded {
			t.Fatalf("debit settled %s", r.Status)
		}
	}
	if r.Status != StatusSucceeded {
		t.Fatalf("charge %s", r.Status)
	}
	return r.Reference
}

// TestRefunds follows each kind of refund through time: a card refunds at
// once; a debit's refund is PENDING until its delay has passed; the
// asynchronous-failure card reads SUCCEEDED, then FAILED once the delay
// has passed, as Stripe's 4000000000005126 does.
func TestRefunds(t *testing.T) {
	tests := []struct {
		name     string
		in       any
		currency string
		first    RefundStatus
		delay    time.Duration // until SettleRefund says final; 0 when final at once
		final    RefundStatus
	}{
		{"card", card("4242424242424242"), "USD", RefundSucceeded, 0, RefundSucceeded},
		{"async failure card", card("4000000000005126"), "EUR", RefundSucceeded, DefaultRefundFailDelay, RefundFailed},
		{"sepa", SEPAInput{"DE89370400440532013000", "Jenny Rosen"}, "EUR", RefundPending, DefaultSEPARefundDelay, RefundSucceeded},
		{"ach", ACHInput{"110000000", "000123456789", "Jenny Rosen", ""}, "USD", RefundPending, DefaultACHRefundDelay, RefundSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fc := newSim(t)
			ctx := context.Background()
			ref := settledCharge(t, s, fc, mustTokenize(t, s, tt.in), tt.currency)
			start := s.now(ctx)
			res, err := s.Refund(ctx, RefundRequest{Charge: ref, Amount: 500, Currency: tt.currency, IdempotencyKey: "re_1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.first || res.Reference == "" {
				t.Fatalf("refund %+v, want %s", res, tt.first)
			}
			if tt.delay == 0 {
				if !res.SettlesAt.IsZero() {
					t.Errorf("a final refund asks to be settled at %v", res.SettlesAt)
				}
			} else if want := start.Add(tt.delay); !res.SettlesAt.Equal(want) {
				t.Errorf("SettlesAt %v, want %v", res.SettlesAt, want)
			}
			// The same key gives the same refund.
			again, err := s.Refund(ctx, RefundRequest{Charge: ref, Amount: 500, Currency: tt.currency, IdempotencyKey: "re_1"})
			if err != nil || again != res {
				t.Errorf("retry: %+v %v, want %+v", again, err, res)
			}
			if _, err := s.Refund(ctx, RefundRequest{Charge: ref, Amount: 600, Currency: tt.currency, IdempotencyKey: "re_1"}); !errors.Is(err, ErrIdempotencyConflict) {
				t.Errorf("key reused for another amount: %v", err)
			}
			if tt.delay > 0 {
				fc.Advance(tt.delay - time.Second)
				before, err := s.SettleRefund(ctx, res.Reference)
				if err != nil || before.Status != tt.first || !before.SettlesAt.Equal(res.SettlesAt) {
					t.Errorf("before its time: %+v %v", before, err)
				}
				fc.Advance(time.Second)
			}
			after, err := s.SettleRefund(ctx, res.Reference)
			if err != nil || after.Status != tt.final || !after.SettlesAt.IsZero() {
				t.Errorf("settled: %+v %v, want %s", after, err, tt.final)
			}
			if tt.final == RefundFailed && (after.FailureCode == "" || after.FailureMessage == "") {
				t.Errorf("failure without a reason: %+v", after)
			}
			// Settling needs no memory: a restarted simulator agrees.
			fresh := NewSimulator(fc, []byte("test-key"))
			if r, err := fresh.SettleRefund(ctx, res.Reference); err != nil || r.Status != after.Status {
				t.Errorf("after a restart: %+v %v", r, err)
			}
		})
	}
}

// TestRefundRefusals refuses refunds that could never be made: of a
// declined charge, of a debit before it settled, of a 3-D Secure charge
// whose authentication failed, of no charge at all, or of nothing.
func TestRefundRefusals(t *testing.T) {
	s, fc := newSim(t)
	ctx := context.Background()
	declined := mustCharge(t, s, charge(mustTokenize(t, s, card("4000000000000002")), "USD"))
	debit := mustCharge(t, s, charge(mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "Jenny Rosen"}), "EUR"))
	threeDS := mustCharge(t, s, charge(mustTokenize(t, s, card("4000002760003184")), "USD"))
	if _, err := s.Confirm(ctx, threeDS.Reference, false); err != nil {
		t.Fatal(err)
	}
	ok := settledCharge(t, s, fc, mustTokenize(t, s, card("4242424242424242")), "USD")
	for name, c := range map[string]struct {
		req  RefundRequest
		want error
	}{
		"declined charge":        {RefundRequest{Charge: declined.Reference, Amount: 100, Currency: "USD"}, ErrInvalidReference},
		"unauthenticated 3DS":    {RefundRequest{Charge: threeDS.Reference, Amount: 100, Currency: "USD"}, ErrInvalidReference},
		"unknown charge":         {RefundRequest{Charge: "ch_123", Amount: 100, Currency: "USD"}, ErrInvalidReference},
		"zero":                   {RefundRequest{Charge: ok, Amount: 0, Currency: "USD"}, ErrInvalidRequest},
		"bad currency":           {RefundRequest{Charge: ok, Amount: 100, Currency: "US"}, ErrInvalidRequest},
		"debit still processing": {RefundRequest{Charge: debit.Reference, Amount: 100, Currency: "EUR"}, ErrInvalidReference},
	} {
		if _, err := s.Refund(ctx, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Once settled, the debit refunds.
	fc.Advance(DefaultSEPADelay)
	if _, err := s.Refund(ctx, RefundRequest{Charge: debit.Reference, Amount: 100, Currency: "EUR"}); err != nil {
		t.Errorf("refund of a settled debit: %v", err)
	}
	if _, err := s.SettleRefund(ctx, "sim_re_nope_0_00"); !errors.Is(err, ErrInvalidReference) {
		t.Errorf("unknown refund reference: %v", err)
	}
	var p Processor = Refusing{}
	if _, err := p.Refund(ctx, RefundRequest{}); !errors.Is(err, ErrLiveModeUnavailable) {
		t.Errorf("Refusing.Refund: %v", err)
	}
	if _, err := p.SettleRefund(ctx, "x"); !errors.Is(err, ErrLiveModeUnavailable) {
		t.Errorf("Refusing.SettleRefund: %v", err)
	}
}
