package payer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/payments"
	iportal "github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

func portalPayer(cfg ent.PortalConfig, authenticatedAt time.Time) Payer {
	sess := &iportal.Session{Row: &ent.PortalSession{CustomerID: "cus_1", AuthenticatedAt: authenticatedAt}}
	return PortalPayer(&cfg, sess, "/portal/bp_x")
}

func TestAllows(t *testing.T) {
	all := ent.PortalConfig{PayInvoices: true, ManagePaymentMethods: true, UpdateBillingDetails: true, ShowHistory: true}
	tests := []struct {
		name string
		who  Payer
		want map[Feature]bool
	}{
		{"hosted page", HostedPayer("tok"), map[Feature]bool{FeaturePay: true, FeatureHistory: true, FeatureMethods: false, FeatureBilling: false}},
		{"portal, all on", portalPayer(all, time.Time{}), map[Feature]bool{FeaturePay: true, FeatureHistory: true, FeatureMethods: true, FeatureBilling: true}},
		{"portal, all off", portalPayer(ent.PortalConfig{}, time.Time{}), map[Feature]bool{FeaturePay: false, FeatureHistory: false, FeatureMethods: false, FeatureBilling: false}},
		{"portal, pay only", portalPayer(ent.PortalConfig{PayInvoices: true}, time.Time{}), map[Feature]bool{FeaturePay: true, FeatureHistory: false, FeatureMethods: false, FeatureBilling: false}},
		{"portal without settings", Payer{Surface: Portal}, map[Feature]bool{FeaturePay: false, FeatureHistory: false}},
	}
	for _, tt := range tests {
		for f, want := range tt.want {
			if got := tt.who.Allows(f); got != want {
				t.Errorf("%s: Allows(%d) = %t, want %t", tt.name, f, got, want)
			}
			if err := tt.who.Require(f); (err == nil) != want || (err != nil && !errors.Is(err, iportal.ErrFeatureOff)) {
				t.Errorf("%s: Require(%d) = %v", tt.name, f, err)
			}
		}
	}
}

func TestNamespacedKey(t *testing.T) {
	tests := []struct {
		who      Payer
		key      string
		want     string
		wantCode usererr.Code
	}{
		{HostedPayer("secret-token"), "k1", "hosted:in_1:k1", ""},
		{portalPayer(ent.PortalConfig{}, time.Time{}), "k1", "portal:cus_1:k1", ""},
		{HostedPayer("t"), "", "", usererr.IdempotencyKeyRequired},
		{HostedPayer("t"), strings.Repeat("k", MaxKeyLength), "hosted:in_1:" + strings.Repeat("k", MaxKeyLength), ""},
		{HostedPayer("t"), strings.Repeat("k", MaxKeyLength+1), "", CodeIdempotencyKeyInvalid},
		{HostedPayer("t"), "a key", "", CodeIdempotencyKeyInvalid},
		{HostedPayer("t"), "clé", "", CodeIdempotencyKeyInvalid},
	}
	for _, tt := range tests {
		got, err := tt.who.namespacedKey("in_1", tt.key)
		code := usererr.Code("")
		if ue := usererr.From(err); len(ue) > 0 {
			code = ue[0].Code
		}
		if got != tt.want || code != tt.wantCode {
			t.Errorf("%q: %q, %v; want %q, %s", tt.key, got, err, tt.want, tt.wantCode)
		}
		if strings.Contains(got, "secret-token") {
			t.Errorf("the link's token is in a stored key: %q", got)
		}
	}
}

// The refusals come before any service is called: a zero Service serves.
func TestActionsRefused(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ctx := clock.WithContext(context.Background(), clock.NewFake(now))
	all := ent.PortalConfig{PayInvoices: true, ManagePaymentMethods: true, UpdateBillingDetails: true, ShowHistory: true}
	fresh, stale := now.Add(-time.Minute), now.Add(-time.Hour)
	s := &Service{}
	card := &payments.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2034, CVC: "123"}
	tests := []struct {
		name string
		do   func() error
		want error
		code usererr.Code
	}{
		{"pay, feature off", func() error {
			_, _, err := s.Pay(ctx, portalPayer(ent.PortalConfig{}, fresh), PayRequest{InvoiceID: "in_1", Key: "k"})
			return err
		}, iportal.ErrFeatureOff, ""},
		{"pay, no key", func() error {
			_, _, err := s.Pay(ctx, portalPayer(all, fresh), PayRequest{InvoiceID: "in_1"})
			return err
		}, nil, usererr.IdempotencyKeyRequired},
		{"pay, card and method", func() error {
			_, _, err := s.Pay(ctx, portalPayer(all, fresh), PayRequest{InvoiceID: "in_1", Key: "k", Card: card, PaymentMethodID: "pm_1"})
			return err
		}, nil, usererr.Invalid},
		{"confirm, feature off", func() error {
			_, _, err := s.Confirm(ctx, portalPayer(ent.PortalConfig{}, fresh), "in_1", "py_1", true)
			return err
		}, iportal.ErrFeatureOff, ""},
		{"add card, feature off", func() error {
			_, err := s.AddCard(ctx, portalPayer(ent.PortalConfig{PayInvoices: true}, fresh), card, false)
			return err
		}, iportal.ErrFeatureOff, ""},
		{"add card, login too old", func() error {
			_, err := s.AddCard(ctx, portalPayer(all, stale), card, false)
			return err
		}, iportal.ErrReauthenticate, ""},
		{"set default, login too old", func() error {
			_, err := s.SetDefault(ctx, portalPayer(all, stale), "pm_1")
			return err
		}, iportal.ErrReauthenticate, ""},
		{"remove card, login too old", func() error {
			_, err := s.RemoveCard(ctx, portalPayer(all, stale), "pm_1")
			return err
		}, iportal.ErrReauthenticate, ""},
		{"remove card, on the hosted page", func() error {
			_, err := s.RemoveCard(ctx, HostedPayer("t"), "pm_1")
			return err
		}, iportal.ErrFeatureOff, ""},
		{"billing details, feature off", func() error {
			_, err := s.UpdateBilling(ctx, portalPayer(ent.PortalConfig{}, fresh), customersInput())
			return err
		}, iportal.ErrFeatureOff, ""},
		{"history, feature off", func() error {
			_, err := s.History(ctx, portalPayer(ent.PortalConfig{}, fresh), "en")
			return err
		}, iportal.ErrFeatureOff, ""},
	}
	for _, tt := range tests {
		err := tt.do()
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		if tt.code != "" {
			if ue := usererr.From(err); len(ue) == 0 || ue[0].Code != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
	}
}

func TestReceived(t *testing.T) {
	day := func(d int) *time.Time { v := time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC); return &v }
	paid := func(amount int64, d int) *ent.Payment {
		return &ent.Payment{Amount: amount, Currency: "EUR", Status: payment.StatusSucceeded, SucceededAt: day(d), MethodType: payment.MethodTypeCard}
	}
	paidID := func(id string, amount int64, d int) *ent.Payment { p := paid(amount, d); p.ID = id; return p }
	failed := &ent.Payment{Amount: 500, Currency: "EUR", Status: payment.StatusFailed, MethodType: payment.MethodTypeCard}
	tests := []struct {
		name    string
		inv     *ent.Invoice
		pays    []*ent.Payment
		want    []Paid
		refunds []*ent.Refund
	}{
		{"card payments only", &ent.Invoice{Currency: "EUR", AmountPaid: 1500}, []*ent.Payment{paid(1000, 2), failed, paid(500, 3)},
			[]Paid{{"Mar 2, 2026", "€10.00", "Card"}, {"Mar 3, 2026", "€5.00", "Card"}}, nil},
		{"the rest paid outside Remit, before", &ent.Invoice{Currency: "EUR", AmountPaid: 3000,
			OutOfBandPayment: &values.OutOfBandPayment{Method: "bank_transfer", Reference: "VIR-1", PaidAt: *day(1)}}, []*ent.Payment{paid(1000, 2)},
			[]Paid{{"Mar 1, 2026", "€20.00", "Bank transfer, reference VIR-1"}, {"Mar 2, 2026", "€10.00", "Card"}}, nil},
		{"all paid outside Remit", &ent.Invoice{Currency: "EUR", AmountPaid: 1500,
			OutOfBandPayment: &values.OutOfBandPayment{Method: "check", PaidAt: *day(4)}}, nil,
			[]Paid{{"Mar 4, 2026", "€15.00", "Check"}}, nil},
		{"nothing left for the outside payment", &ent.Invoice{Currency: "EUR", AmountPaid: 1000,
			OutOfBandPayment: &values.OutOfBandPayment{Method: "cash", PaidAt: *day(4)}}, []*ent.Payment{paid(1000, 2)},
			[]Paid{{"Mar 2, 2026", "€10.00", "Card"}}, nil},
		{"nothing", &ent.Invoice{Currency: "EUR"}, []*ent.Payment{failed}, []Paid{}, nil},
		{"refunds done and under way, not failed ones", &ent.Invoice{Currency: "EUR", AmountPaid: 1000}, []*ent.Payment{paidID("py_1", 1000, 2)},
			[]Paid{{"Mar 2, 2026", "€10.00", "Card"}, {"Mar 5, 2026", "-€3.00", "Refund to Card"}, {"Mar 6, 2026", "-€2.00", "Refund to Card — Refund in progress"}},
			[]*ent.Refund{
				{PaymentID: "py_1", Amount: 300, Currency: "EUR", Status: refund.StatusSucceeded, CreatedAt: *day(5)},
				{PaymentID: "py_1", Amount: 200, Currency: "EUR", Status: refund.StatusPending, CreatedAt: *day(6)},
				{PaymentID: "py_1", Amount: 100, Currency: "EUR", Status: refund.StatusFailed, CreatedAt: *day(7)},
			}},
	}
	for _, tt := range tests {
		got := received(tt.inv, tt.pays, tt.refunds, "en")
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
	if got := OutsideMethod("wire", "", "fr"); got != "Autre moyen" {
		t.Errorf("unknown method in French: %q", got)
	}
	if got := OutsideMethod("bank_transfer", "VIR-1", "fr"); got != "Virement, référence VIR-1" {
		t.Errorf("French bank transfer: %q", got)
	}
}

func customersInput() customers.Input {
	name := "Mallory"
	return customers.Input{Name: &name}
}
