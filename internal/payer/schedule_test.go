package payer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	iportal "github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

func TestOnTimeBy(t *testing.T) {
	day := func(d int) *time.Time { v := time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC); return &v }
	plan := []values.Installment{{Amount: 1000, DueDate: day(1)}, {Amount: 2000, DueDate: day(15)}, {Amount: 2000, DueDate: day(31)}}
	tests := []struct {
		name string
		inv  ent.Invoice
		want *time.Time
	}{
		{"no due date", ent.Invoice{}, nil},
		{"due date", ent.Invoice{DueDate: day(20)}, day(20)},
		{"plan, nothing paid", ent.Invoice{DueDate: day(31), AmountsDue: plan}, day(1)},
		{"plan, deposit paid", ent.Invoice{DueDate: day(31), AmountsDue: plan, AmountPaid: 1000}, day(15)},
		{"plan, second partly paid", ent.Invoice{DueDate: day(31), AmountsDue: plan, AmountPaid: 1500}, day(15)},
		{"plan, second in flight", ent.Invoice{DueDate: day(31), AmountsDue: plan, AmountPaid: 1000, AmountPending: 2000}, day(31)},
		{"plan, all covered", ent.Invoice{DueDate: day(31), AmountsDue: plan, AmountPaid: 5000}, day(31)},
	}
	for _, tt := range tests {
		got := OnTimeBy(&tt.inv)
		if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestScheduleRange(t *testing.T) {
	tests := []struct {
		now         time.Time
		first, last string
	}{
		{time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), "2026-01-16", "2027-01-16"},
		{time.Date(2026, 1, 15, 23, 59, 0, 0, time.UTC), "2026-01-16", "2027-01-16"},
		// A time in another zone counts by its UTC day, as billing does.
		{time.Date(2026, 1, 16, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-01-16", "2027-01-16"},
		{time.Date(2028, 2, 28, 12, 0, 0, 0, time.UTC), "2028-02-29", "2029-02-28"},
	}
	for _, tt := range tests {
		first, last := ScheduleRange(tt.now)
		if first.Format(DateLayout) != tt.first || last.Format(DateLayout) != tt.last {
			t.Errorf("ScheduleRange(%s) = %s, %s; want %s, %s", tt.now, first.Format(DateLayout), last.Format(DateLayout), tt.first, tt.last)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, ok := range map[string]bool{"2026-02-14": true, "": false, "14/02/2026": false, "2026-02-30": false, "2026-02-14T00:00:00Z": false} {
		d, err := ParseDate(in, "date")
		if ok != (err == nil) {
			t.Errorf("ParseDate(%q): %v", in, err)
		}
		if ok && d.Format(DateLayout) != in {
			t.Errorf("ParseDate(%q) = %s", in, d)
		}
		if ue := usererr.From(err); !ok && (len(ue) != 1 || ue[0].Code != usererr.Invalid || len(ue[0].Field) != 1 || ue[0].Field[0] != "date") {
			t.Errorf("ParseDate(%q): %v, want INVALID at date", in, err)
		}
	}
}

func TestPageError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("database down"), ""},
		{usererr.New(usererr.Invalid, "choose a day after today", "date"), "SCHEDULE_DATE"},
		{usererr.New(usererr.Invalid, "give either paymentMethod or card", "card"), "INVALID"},
		{usererr.New(usererr.SchedulingDisabled, "no"), "SCHEDULING_DISABLED"},
		{invoiceField(usererr.New(usererr.InvalidTransition, "paid", "id")), "INVALID_TRANSITION"},
	}
	for _, tt := range tests {
		if got := PageError(tt.err); got != tt.want {
			t.Errorf("PageError(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	ue := usererr.From(invoiceField(usererr.New(usererr.NotFound, "no such invoice", "id")))
	if len(ue) != 1 || len(ue[0].Field) != 1 || ue[0].Field[0] != "invoice" {
		t.Errorf("billing's id is the payer's invoice: %v", ue)
	}
}

// The refusals come before any service is called: a zero Service serves.
func TestScheduleRefused(t *testing.T) {
	ctx := context.Background()
	s := &Service{}
	off := portalPayer(ent.PortalConfig{ManagePaymentMethods: true}, time.Time{})
	if _, _, err := s.SchedulePayment(ctx, off, ScheduleRequest{InvoiceID: "in_1", PaymentMethodID: "pm_1"}); !errors.Is(err, iportal.ErrFeatureOff) {
		t.Errorf("schedule without the pay feature: %v", err)
	}
	if _, err := s.CancelScheduledPayment(ctx, off, "in_1"); !errors.Is(err, iportal.ErrFeatureOff) {
		t.Errorf("cancel without the pay feature: %v", err)
	}
}
