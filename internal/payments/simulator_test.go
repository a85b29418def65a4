package payments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/clock"
)

var t0 = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func newSim(t testing.TB) (*Simulator, *clock.Fake) {
	t.Helper()
	fc := clock.NewFake(t0)
	return NewSimulator(fc, []byte("test-key")), fc
}

func card(number string) CardInput {
	cvc := "123"
	if Brand(number) == "amex" {
		cvc = "1234"
	}
	return CardInput{Number: number, ExpMonth: 12, ExpYear: 2034, CVC: cvc}
}

func mustTokenize(t testing.TB, s *Simulator, in any) Method {
	t.Helper()
	m, err := s.Tokenize(context.Background(), in)
	if err != nil {
		t.Fatalf("Tokenize(%+v): %v", in, err)
	}
	return m
}

func mustCharge(t testing.TB, s *Simulator, req ChargeRequest) ChargeResult {
	t.Helper()
	r, err := s.Charge(context.Background(), req)
	if err != nil {
		t.Fatalf("Charge: %v", err)
	}
	return r
}

func charge(m Method, cur string) ChargeRequest {
	return ChargeRequest{Method: m, Amount: 1999, Currency: cur}
}

func TestTestCards(t *testing.T) {
	tests := []struct {
		number  string
		brand   string
		status  Status
		failure string
		decline string
		hard    bool
	}{
		{"4242424242424242", "visa", StatusSucceeded, "", "", false},
		{"4242 4242 4242 4242", "visa", StatusSucceeded, "", "", false},
		{"5555555555554444", "mastercard", StatusSucceeded, "", "", false},
		{"2223003122003222", "mastercard", StatusSucceeded, "", "", false},
		{"378282246310005", "amex", StatusSucceeded, "", "", false},
		{"6011111111111117", "discover", StatusSucceeded, "", "", false},
		{"4000000000000259", "visa", StatusSucceeded, "", "", false}, // disputes are not simulated
		{"4000000000005126", "visa", StatusSucceeded, "", "", false}, // its refunds fail later (refund_test.go)
		{"4000000000000002", "visa", StatusFailed, CodeCardDeclined, CodeGenericDecline, false},
		{"4000000000009995", "visa", StatusFailed, CodeCardDeclined, CodeInsufficientFunds, false},
		{"4000000000009987", "visa", StatusFailed, CodeCardDeclined, CodeLostCard, true},
		{"4000000000009979", "visa", StatusFailed, CodeCardDeclined, CodeStolenCard, true},
		{"4000000000000069", "visa", StatusFailed, CodeExpiredCard, "", false},
		{"4000000000000127", "visa", StatusFailed, CodeIncorrectCVC, "", false},
		{"4000000000000119", "visa", StatusFailed, CodeProcessingError, "", false},
		{"4000000000000341", "visa", StatusFailed, CodeCardDeclined, CodeGenericDecline, false},
		{"4000002500003155", "visa", StatusRequiresAction, "", "", false},
		{"4000002760003184", "visa", StatusRequiresAction, "", "", false},
		{"4000008260003178", "visa", StatusRequiresAction, "", "", false},
	}
	s, _ := newSim(t)
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			m := mustTokenize(t, s, card(tt.number))
			digits := strings.ReplaceAll(tt.number, " ", "")
			if m.Type != Card || m.Brand != tt.brand || m.Last4 != digits[len(digits)-4:] ||
				m.ExpMonth != 12 || m.ExpYear != 2034 || m.Fingerprint == "" {
				t.Fatalf("method = %+v", m)
			}
			if strings.Contains(m.Token, digits) || strings.Contains(m.Token, digits[:12]) {
				t.Fatalf("token %q leaks the card number", m.Token)
			}
			for _, off := range []bool{false, true} {
				req := charge(m, "usd")
				req.OffSession = off
				r := mustCharge(t, s, req)
				if r.Status != tt.status || r.FailureCode != tt.failure || r.DeclineCode != tt.decline {
					t.Fatalf("off=%v: result = %+v, want %s %q/%q", off, r, tt.status, tt.failure, tt.decline)
				}
				if r.HardDecline() != tt.hard {
					t.Fatalf("HardDecline = %v, want %v", r.HardDecline(), tt.hard)
				}
				if !strings.HasPrefix(r.Reference, "sim_ch_") {
					t.Fatalf("reference = %q", r.Reference)
				}
				if (r.Status == StatusFailed) != (r.FailureMessage != "") {
					t.Fatalf("failure message %q for status %s", r.FailureMessage, r.Status)
				}
				if !r.SettlesAt.IsZero() {
					t.Fatalf("card charge has SettlesAt %v", r.SettlesAt)
				}
			}
		})
	}
}

// 0341 is Stripe's "attaches fine, every charge fails" card: the whole
// point is that tokenizing succeeds.
func TestChargeCustomerFailCardFailsEveryTime(t *testing.T) {
	s, _ := newSim(t)
	m := mustTokenize(t, s, card("4000 0000 0000 0341"))
	for range 3 {
		if r := mustCharge(t, s, charge(m, "EUR")); r.Status != StatusFailed || r.FailureCode != CodeCardDeclined {
			t.Fatalf("result = %+v", r)
		}
	}
}

func TestTokenizeCardErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    CardInput
		err   error
		field string
	}{
		{"fails Luhn", CardInput{"4242424242424241", 12, 2034, "123"}, ErrInvalidNumber, "number"},
		{"too short", CardInput{"42424242424", 12, 2034, "123"}, ErrInvalidNumber, "number"},
		{"too long", CardInput{"42424242424242424242", 12, 2034, "123"}, ErrInvalidNumber, "number"},
		{"letters", CardInput{"4242abcd42424242", 12, 2034, "123"}, ErrInvalidNumber, "number"},
		{"empty", CardInput{"", 12, 2034, "123"}, ErrInvalidNumber, "number"},
		{"month 0", CardInput{"4242424242424242", 0, 2034, "123"}, ErrInvalidExpiry, "exp_month"},
		{"month 13", CardInput{"4242424242424242", 13, 2034, "123"}, ErrInvalidExpiry, "exp_month"},
		{"year too far", CardInput{"4242424242424242", 1, 2077, "123"}, ErrInvalidExpiry, "exp_year"},
		{"negative year", CardInput{"4242424242424242", 1, -1, "123"}, ErrInvalidExpiry, "exp_year"},
		{"last month", CardInput{"4242424242424242", 2, 2026, "123"}, ErrExpiredCard, "exp_year"},
		{"last year", CardInput{"4242424242424242", 12, 2025, "123"}, ErrExpiredCard, "exp_year"},
		{"two-digit past year", CardInput{"4242424242424242", 12, 25, "123"}, ErrExpiredCard, "exp_year"},
		{"missing cvc", CardInput{"4242424242424242", 12, 2034, ""}, ErrInvalidCVC, "cvc"},
		{"short cvc", CardInput{"4242424242424242", 12, 2034, "12"}, ErrInvalidCVC, "cvc"},
		{"visa 4-digit cvc", CardInput{"4242424242424242", 12, 2034, "1234"}, ErrInvalidCVC, "cvc"},
		{"amex 3-digit cvc", CardInput{"378282246310005", 12, 2034, "123"}, ErrInvalidCVC, "cvc"},
		{"letter cvc", CardInput{"4242424242424242", 12, 2034, "12a"}, ErrInvalidCVC, "cvc"},
	}
	s, _ := newSim(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Tokenize(context.Background(), tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tt.field {
				t.Fatalf("err = %#v, want *InputError on %s", err, tt.field)
			}
		})
	}
}

func TestCardExpiryFollowsClock(t *testing.T) {
	s, fc := newSim(t)
	in := CardInput{Number: "4242424242424242", ExpMonth: 3, ExpYear: 26, CVC: "123"}
	m := mustTokenize(t, s, in) // March 2026 is still valid during March 2026
	if m.ExpYear != 2026 {
		t.Fatalf("ExpYear = %d, want 2026", m.ExpYear)
	}
	fc.Set(time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC))
	mustTokenize(t, s, in)
	fc.Set(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if _, err := s.Tokenize(context.Background(), in); !errors.Is(err, ErrExpiredCard) {
		t.Fatalf("err = %v, want ErrExpiredCard", err)
	}
	// The clock in the context (a sandbox test clock) takes precedence.
	ctx := clock.WithContext(context.Background(), clock.NewFake(t0))
	if _, err := s.Tokenize(ctx, in); err != nil {
		t.Fatalf("with context clock: %v", err)
	}
}

func TestTokenizeInputs(t *testing.T) {
	s, _ := newSim(t)
	ctx := context.Background()
	in := card("4242424242424242")
	if _, err := s.Tokenize(ctx, &in); err != nil {
		t.Fatalf("pointer input: %v", err)
	}
	for _, bad := range []any{nil, "4242424242424242", (*CardInput)(nil), (*SEPAInput)(nil), 42} {
		if _, err := s.Tokenize(ctx, bad); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Tokenize(%#v) err = %v, want ErrUnsupported", bad, err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Tokenize(canceled, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled ctx err = %v", err)
	}
}

func TestThreeDSecure(t *testing.T) {
	tests := []struct {
		number  string
		succeed bool
		status  Status
		failure string
		decline string
	}{
		{"4000002500003155", true, StatusSucceeded, "", ""},
		{"4000002500003155", false, StatusFailed, CodeAuthenticationFailed, ""},
		{"4000002760003184", true, StatusSucceeded, "", ""},
		{"4000002760003184", false, StatusFailed, CodeAuthenticationFailed, ""},
		{"4000008260003178", true, StatusFailed, CodeCardDeclined, CodeInsufficientFunds},
		{"4000008260003178", false, StatusFailed, CodeAuthenticationFailed, ""},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.number, tt.succeed), func(t *testing.T) {
			s, _ := newSim(t)
			m := mustTokenize(t, s, card(tt.number))
			r := mustCharge(t, s, charge(m, "eur"))
			if r.Status != StatusRequiresAction {
				t.Fatalf("charge = %+v", r)
			}
			check := func(c ChargeResult) {
				t.Helper()
				if c.Status != tt.status || c.FailureCode != tt.failure || c.DeclineCode != tt.decline || c.Reference != r.Reference {
					t.Fatalf("confirm = %+v, want %s %q/%q ref %s", c, tt.status, tt.failure, tt.decline, r.Reference)
				}
			}
			c, err := s.Confirm(ctx, r.Reference, tt.succeed)
			if err != nil {
				t.Fatal(err)
			}
			check(c)
			// The first answer sticks.
			c, err = s.Confirm(ctx, r.Reference, !tt.succeed)
			if err != nil {
				t.Fatal(err)
			}
			check(c)
			// A restarted simulator has no memory but can still confirm.
			fresh, _ := newSim(t)
			c, err = fresh.Confirm(ctx, r.Reference, tt.succeed)
			if err != nil {
				t.Fatal(err)
			}
			check(c)
		})
	}
}

func TestConfirmAndSettleRejectWrongReferences(t *testing.T) {
	s, _ := newSim(t)
	cardRef := mustCharge(t, s, charge(mustTokenize(t, s, card("4242424242424242")), "usd")).Reference
	sepaRef := mustCharge(t, s, charge(mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "Jenny Rosen"}), "eur")).Reference
	tests := []struct {
		name string
		call func(string) error
		ref  string
	}{
		{"confirm plain card", confirmErr(s, true), cardRef},
		{"confirm debit", confirmErr(s, true), sepaRef},
		{"settle card", settleErr(s), cardRef},
		{"confirm garbage", confirmErr(s, true), "ch_123"},
		{"settle garbage", settleErr(s), "sim_ch_sepaok_abc_0123"},
		{"unknown scenario", settleErr(s), "sim_ch_nope_0_0123"},
		{"missing id", settleErr(s), "sim_ch_sepaok_0_"},
		{"empty", settleErr(s), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(tt.ref); !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("err = %v, want ErrInvalidReference", err)
			}
		})
	}
}

func confirmErr(s *Simulator, ok bool) func(string) error {
	return func(ref string) error { _, err := s.Confirm(context.Background(), ref, ok); return err }
}

func settleErr(s *Simulator) func(string) error {
	return func(ref string) error { _, err := s.Settle(context.Background(), ref); return err }
}

func TestDebits(t *testing.T) {
	tests := []struct {
		name     string
		in       any
		currency string
		delay    time.Duration
		status   Status
		failure  string
		hard     bool
	}{
		{"sepa DE ok", SEPAInput{"DE89 3704 0044 0532 0130 00", "Jenny Rosen"}, "EUR", DefaultSEPADelay, StatusSucceeded, "", false},
		{"sepa AT ok", SEPAInput{"AT611904300234573201", "Jenny Rosen"}, "eur", DefaultSEPADelay, StatusSucceeded, "", false},
		{"sepa AT fails", SEPAInput{"AT861904300235473202", "Jenny Rosen"}, "EUR", DefaultSEPADelay, StatusFailed, CodeInsufficientFunds, false},
		{"sepa DE fails", SEPAInput{"DE62370400440532013001", "Jenny Rosen"}, "EUR", DefaultSEPADelay, StatusFailed, CodeDebitNotAuthorized, true},
		{"sepa other", SEPAInput{"FR1420041010050500013M02606", "Jean Dupont"}, "EUR", DefaultSEPADelay, StatusSucceeded, "", false},
		{"ach ok", ACHInput{"110000000", "000123456789", "Jenny Rosen", ""}, "USD", DefaultACHDelay, StatusSucceeded, "", false},
		{"ach nsf", ACHInput{"110000000", "000111111116", "Jenny Rosen", "savings"}, "usd", DefaultACHDelay, StatusFailed, CodeInsufficientFunds, false},
		{"ach nsf 2", ACHInput{"110000000", "000222222227", "Jenny Rosen", ""}, "USD", DefaultACHDelay, StatusFailed, CodeInsufficientFunds, false},
		{"ach dna", ACHInput{"110000000", "000333333335", "Jenny Rosen", ""}, "USD", DefaultACHDelay, StatusFailed, CodeDebitNotAuthorized, true},
		{"ach closed", ACHInput{"110000000", "000111111113", "Jenny Rosen", ""}, "USD", DefaultACHDelay, StatusFailed, CodeAccountClosed, true},
		// Test account numbers only mean something at the test routing number.
		{"ach real bank", ACHInput{"021000021", "000111111116", "Jenny Rosen", ""}, "USD", DefaultACHDelay, StatusSucceeded, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fc := newSim(t)
			ctx := context.Background()
			m := mustTokenize(t, s, tt.in)
			if !m.Type.Delayed() || m.MandateReference == "" || m.Fingerprint == "" || len(m.Last4) != 4 || m.Country == "" || m.BankCode == "" {
				t.Fatalf("method = %+v", m)
			}
			r := mustCharge(t, s, charge(m, tt.currency))
			wantAt := t0.Add(tt.delay)
			if r.Status != StatusProcessing || !r.SettlesAt.Equal(wantAt) || r.FailureCode != "" {
				t.Fatalf("charge = %+v, want PROCESSING until %v", r, wantAt)
			}
			fc.Set(wantAt.Add(-time.Second))
			p, err := s.Settle(ctx, r.Reference)
			if err != nil || p.Status != StatusProcessing || !p.SettlesAt.Equal(wantAt) || p.Reference != r.Reference {
				t.Fatalf("settle before delay = %+v, %v", p, err)
			}
			fc.Set(wantAt)
			f, err := s.Settle(ctx, r.Reference)
			if err != nil || f.Status != tt.status || f.FailureCode != tt.failure || f.Reference != r.Reference {
				t.Fatalf("settle after delay = %+v, %v; want %s %q", f, err, tt.status, tt.failure)
			}
			if f.HardDecline() != tt.hard {
				t.Fatalf("HardDecline = %v, want %v", f.HardDecline(), tt.hard)
			}
			if (f.Status == StatusFailed) != (f.FailureMessage != "") {
				t.Fatalf("failure message %q for %s", f.FailureMessage, f.Status)
			}
			// Settling is stateless: a restarted simulator agrees.
			fresh := NewSimulator(clock.NewFake(wantAt.Add(time.Hour)), []byte("other"))
			if g, err := fresh.Settle(ctx, r.Reference); err != nil || g != f {
				t.Fatalf("fresh settle = %+v, %v; want %+v", g, err, f)
			}
		})
	}
}

func TestDebitDetails(t *testing.T) {
	s, _ := newSim(t)
	m := mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "Jenny Rosen"})
	if m.Type != SEPADebit || m.Last4 != "3000" || m.BankCode != "37040044" || m.Country != "DE" {
		t.Fatalf("sepa method = %+v", m)
	}
	a := mustTokenize(t, s, ACHInput{"110000000", "000123456789", "Jenny Rosen", "Savings"})
	if a.Type != ACHDebit || a.Last4 != "6789" || a.BankCode != "110000000" || a.Country != "US" || a.AccountType != "savings" {
		t.Fatalf("ach method = %+v", a)
	}
	if m.MandateReference == mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "Jenny Rosen"}).MandateReference {
		t.Fatal("mandate references must be unique per mandate")
	}
}

func TestDebitDelayIsConfigurable(t *testing.T) {
	s, _ := newSim(t)
	s.SEPADelay = 0
	s.ACHDelay = time.Minute
	ctx := context.Background()
	r := mustCharge(t, s, charge(mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "J"}), "EUR"))
	if r.Status != StatusProcessing {
		t.Fatalf("zero delay still reports PROCESSING first, got %+v", r)
	}
	if f, _ := s.Settle(ctx, r.Reference); f.Status != StatusSucceeded {
		t.Fatalf("settle = %+v", f)
	}
	a := mustCharge(t, s, charge(mustTokenize(t, s, ACHInput{"110000000", "000123456789", "J", ""}), "USD"))
	if !a.SettlesAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("SettlesAt = %v", a.SettlesAt)
	}
	// A sandbox test clock in the context moves settlement too.
	later := clock.WithContext(ctx, clock.NewFake(t0.Add(time.Hour)))
	if f, _ := s.Settle(later, a.Reference); f.Status != StatusSucceeded {
		t.Fatalf("settle with context clock = %+v", f)
	}
	if f, _ := s.Settle(ctx, a.Reference); f.Status != StatusProcessing {
		t.Fatalf("settle with simulator clock = %+v", f)
	}
}

func TestTokenizeDebitErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    any
		err   error
		field string
	}{
		{"bad iban", SEPAInput{"DE89370400440532013001", "J"}, ErrInvalidIBAN, "iban"},
		{"non-SEPA iban", SEPAInput{makeIBAN("AE", "0331234567890123456"), "J"}, ErrUnsupported, "iban"},
		{"sepa holder", SEPAInput{"DE89370400440532013000", "  "}, ErrMissingHolder, "account_holder"},
		{"bad routing", ACHInput{"110000001", "000123456789", "J", ""}, ErrInvalidRouting, "routing_number"},
		{"short account", ACHInput{"110000000", "123", "J", ""}, ErrInvalidAccount, "account_number"},
		{"long account", ACHInput{"110000000", "123456789012345678", "J", ""}, ErrInvalidAccount, "account_number"},
		{"account letters", ACHInput{"110000000", "12345x", "J", ""}, ErrInvalidAccount, "account_number"},
		{"account type", ACHInput{"110000000", "000123456789", "J", "business"}, ErrInvalidAccount, "account_type"},
		{"ach holder", ACHInput{"110000000", "000123456789", "", ""}, ErrMissingHolder, "account_holder"},
	}
	s, _ := newSim(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Tokenize(context.Background(), tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tt.field {
				t.Fatalf("err = %#v, want field %s", err, tt.field)
			}
		})
	}
}

func TestChargeRequestErrors(t *testing.T) {
	s, _ := newSim(t)
	visa := mustTokenize(t, s, card("4242424242424242"))
	sepa := mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "J"})
	ach := mustTokenize(t, s, ACHInput{"110000000", "000123456789", "J", ""})
	wrongType := visa
	wrongType.Type = SEPADebit
	noType := visa
	noType.Type = ""
	forged := visa
	forged.Token = "sim_pm_bogus_0123"
	tests := []struct {
		name string
		req  ChargeRequest
		err  error
	}{
		{"zero amount", ChargeRequest{Method: visa, Amount: 0, Currency: "USD"}, ErrInvalidRequest},
		{"negative amount", ChargeRequest{Method: visa, Amount: -5, Currency: "USD"}, ErrInvalidRequest},
		{"bad currency", ChargeRequest{Method: visa, Amount: 5, Currency: "US"}, ErrInvalidRequest},
		{"numeric currency", ChargeRequest{Method: visa, Amount: 5, Currency: "978"}, ErrInvalidRequest},
		{"sepa in usd", ChargeRequest{Method: sepa, Amount: 5, Currency: "USD"}, ErrUnsupported},
		{"ach in eur", ChargeRequest{Method: ach, Amount: 5, Currency: "EUR"}, ErrUnsupported},
		{"bank transfer", ChargeRequest{Method: Method{Type: BankTransfer}, Amount: 5, Currency: "EUR"}, ErrUnsupported},
		{"type mismatch", ChargeRequest{Method: wrongType, Amount: 5, Currency: "EUR"}, ErrInvalidToken},
		{"missing type", ChargeRequest{Method: noType, Amount: 5, Currency: "EUR"}, ErrInvalidToken},
		{"unknown scenario", ChargeRequest{Method: forged, Amount: 5, Currency: "EUR"}, ErrInvalidToken},
		{"foreign token", ChargeRequest{Method: Method{Type: Card, Token: "pm_card_visa"}, Amount: 5, Currency: "EUR"}, ErrInvalidToken},
		{"empty token", ChargeRequest{Method: Method{Type: Card}, Amount: 5, Currency: "EUR"}, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Charge(context.Background(), tt.req); !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// Tokens and references carry the scenario, so a restarted simulator (with
// a different fingerprint key, even) still behaves the same.
func TestTokensSurviveRestart(t *testing.T) {
	s, _ := newSim(t)
	m := mustTokenize(t, s, card("4000000000009995"))
	fresh := NewSimulator(clock.NewFake(t0), []byte("another-key"))
	if r := mustCharge(t, fresh, charge(m, "usd")); r.DeclineCode != CodeInsufficientFunds {
		t.Fatalf("result = %+v", r)
	}
}

func TestIdempotency(t *testing.T) {
	s, _ := newSim(t)
	visa := mustTokenize(t, s, card("4242424242424242"))
	sepa := mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "J"})
	req := ChargeRequest{Method: visa, Amount: 500, Currency: "usd", IdempotencyKey: "acct_1:inpay_1"}
	first := mustCharge(t, s, req)
	req.Currency = "USD" // currency case is not a different request
	if again := mustCharge(t, s, req); again != first {
		t.Fatalf("replay = %+v, want %+v", again, first)
	}
	other := req
	other.IdempotencyKey = "acct_1:inpay_2"
	if r := mustCharge(t, s, other); r.Reference == first.Reference {
		t.Fatal("a new key must create a new charge")
	}
	noKey := req
	noKey.IdempotencyKey = ""
	if a, b := mustCharge(t, s, noKey), mustCharge(t, s, noKey); a.Reference == b.Reference {
		t.Fatal("without a key every call is a new charge")
	}
	changed := []func(*ChargeRequest){
		func(r *ChargeRequest) { r.Amount = 501 },
		func(r *ChargeRequest) { r.Currency = "EUR" },
		func(r *ChargeRequest) { r.OffSession = true },
		func(r *ChargeRequest) { r.Method = mustTokenize(t, s, card("4242424242424242")) },
	}
	for i, mutate := range changed {
		r := req
		mutate(&r)
		if _, err := s.Charge(context.Background(), r); !errors.Is(err, ErrIdempotencyConflict) {
			t.Fatalf("change %d: err = %v, want ErrIdempotencyConflict", i, err)
		}
	}
	// A replayed debit keeps its original settlement time even after the
	// clock moves, like Stripe returning the stored response.
	dreq := ChargeRequest{Method: sepa, Amount: 500, Currency: "EUR", IdempotencyKey: "debit"}
	d1 := mustCharge(t, s, dreq)
	s.clock.(*clock.Fake).Advance(time.Hour)
	if d2 := mustCharge(t, s, dreq); d2 != d1 {
		t.Fatalf("replayed debit = %+v, want %+v", d2, d1)
	}
}

func TestIdempotencyIsBounded(t *testing.T) {
	s, _ := newSim(t)
	s.MaxRemembered = 2
	m := mustTokenize(t, s, card("4242424242424242"))
	refs := map[string]string{}
	for _, k := range []string{"a", "b", "c"} {
		refs[k] = mustCharge(t, s, ChargeRequest{Method: m, Amount: 1, Currency: "USD", IdempotencyKey: k}).Reference
	}
	if len(s.idem.m) != 2 {
		t.Fatalf("remembered %d keys, want 2", len(s.idem.m))
	}
	if r := mustCharge(t, s, ChargeRequest{Method: m, Amount: 1, Currency: "USD", IdempotencyKey: "c"}); r.Reference != refs["c"] {
		t.Fatal("newest key forgotten")
	}
	if r := mustCharge(t, s, ChargeRequest{Method: m, Amount: 1, Currency: "USD", IdempotencyKey: "a"}); r.Reference == refs["a"] {
		t.Fatal("oldest key should have been evicted")
	}
}

func TestFingerprint(t *testing.T) {
	s, _ := newSim(t)
	a := mustTokenize(t, s, card("4242424242424242"))
	b := mustTokenize(t, s, CardInput{Number: "4242 4242-4242 4242", ExpMonth: 1, ExpYear: 2030, CVC: "999"})
	c := mustTokenize(t, s, card("5555555555554444"))
	if a.Fingerprint != b.Fingerprint {
		t.Fatalf("same card, different fingerprints %q %q", a.Fingerprint, b.Fingerprint)
	}
	if a.Token == b.Token {
		t.Fatal("each tokenization must mint a new token")
	}
	if a.Fingerprint == c.Fingerprint {
		t.Fatal("different cards share a fingerprint")
	}
	if len(a.Fingerprint) != 16 || strings.Contains(a.Fingerprint, "42424242") {
		t.Fatalf("fingerprint = %q", a.Fingerprint)
	}
	// Same key after a restart: same fingerprint. Different key: different.
	same := NewSimulator(clock.NewFake(t0), []byte("test-key"))
	if f := mustTokenize(t, same, card("4242424242424242")).Fingerprint; f != a.Fingerprint {
		t.Fatal("fingerprint not stable across instances with the same key")
	}
	other := NewSimulator(clock.NewFake(t0), []byte("other-key"))
	if f := mustTokenize(t, other, card("4242424242424242")).Fingerprint; f == a.Fingerprint {
		t.Fatal("fingerprint does not depend on the key")
	}
	s1 := mustTokenize(t, s, SEPAInput{"DE89370400440532013000", "A"})
	s2 := mustTokenize(t, s, SEPAInput{"de89 3704 0044 0532 0130 00", "B"})
	if s1.Fingerprint != s2.Fingerprint {
		t.Fatal("same IBAN, different fingerprints")
	}
	a1 := mustTokenize(t, s, ACHInput{"110000000", "000123456789", "A", ""})
	a2 := mustTokenize(t, s, ACHInput{"021000021", "000123456789", "A", ""})
	if a1.Fingerprint == a2.Fingerprint {
		t.Fatal("same account number at different banks must differ")
	}
}

func TestNewSimulatorPanicsOnMissingDependencies(t *testing.T) {
	for name, f := range map[string]func(){
		"nil clock": func() { NewSimulator(nil, []byte("k")) },
		"empty key": func() { NewSimulator(clock.NewFake(t0), nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestRefusing(t *testing.T) {
	var p Processor = Refusing{}
	ctx := context.Background()
	_, err1 := p.Tokenize(ctx, card("4242424242424242"))
	_, err2 := p.Charge(ctx, ChargeRequest{Amount: 1, Currency: "USD"})
	_, err3 := p.Confirm(ctx, "x", true)
	_, err4 := p.Settle(ctx, "x")
	for i, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, ErrLiveModeUnavailable) {
			t.Fatalf("call %d err = %v", i, err)
		}
	}
	if !strings.Contains(err1.Error(), "no payment provider is configured") {
		t.Fatalf("message %q does not say what to fix", err1)
	}
}

func TestStatusAndTypeHelpers(t *testing.T) {
	for s, want := range map[Status]bool{
		StatusProcessing: false, StatusRequiresAction: false,
		StatusSucceeded: true, StatusFailed: true, StatusCanceled: true,
	} {
		if s.Final() != want {
			t.Errorf("%s.Final() = %v", s, !want)
		}
	}
	for typ, want := range map[MethodType]bool{Card: false, SEPADebit: true, ACHDebit: true, BankTransfer: false} {
		if typ.Delayed() != want {
			t.Errorf("%s.Delayed() = %v", typ, !want)
		}
	}
	if (ChargeResult{Status: StatusSucceeded, DeclineCode: CodeLostCard}).HardDecline() {
		t.Error("a success is never a hard decline")
	}
}

func TestConcurrentUse(t *testing.T) {
	s, fc := newSim(t)
	ctx := context.Background()
	numbers := []string{"4242424242424242", "4000000000009995", "4000002760003184", "5555555555554444"}
	const workers, perWorker = 16, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	shared := map[string]map[string]bool{} // idempotency key -> references seen
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				m, err := s.Tokenize(ctx, card(numbers[(w+i)%len(numbers)]))
				if err != nil {
					errs <- err
					return
				}
				// Shared keys use one method so replays are identical requests.
				key := ""
				if i%5 == 0 {
					key = fmt.Sprintf("shared-%d", i)
					m = Method{Type: Card, Token: "sim_pm_ok_shared"}
				}
				r, err := s.Charge(ctx, ChargeRequest{Method: m, Amount: 100, Currency: "USD", IdempotencyKey: key})
				if err != nil {
					errs <- err
					return
				}
				if r.Status == StatusRequiresAction {
					if _, err := s.Confirm(ctx, r.Reference, i%2 == 0); err != nil {
						errs <- err
						return
					}
				}
				if key != "" {
					mu.Lock()
					if shared[key] == nil {
						shared[key] = map[string]bool{}
					}
					shared[key][r.Reference] = true
					mu.Unlock()
				}
				if i%10 == 0 {
					fc.Advance(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k, refs := range shared {
		if len(refs) != 1 {
			t.Fatalf("key %s produced %d charges", k, len(refs))
		}
	}
}

func BenchmarkTokenizeAndCharge(b *testing.B) {
	s, _ := newSim(b)
	ctx := context.Background()
	in := card("4242424242424242")
	b.ReportAllocs()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m, err := s.Tokenize(ctx, in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Charge(ctx, ChargeRequest{Method: m, Amount: 1000, Currency: "EUR", IdempotencyKey: strconv.FormatInt(n.Add(1), 10)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
