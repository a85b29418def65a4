// Package collection is the arithmetic of chasing payment: the collection
// settings an invoice lives under (Remit's defaults, overridden by the
// account, its customer and the invoice itself), when its reminders fall,
// and when a failed automatic charge is tried again. It holds no state and
// reads no clock: billing asks it with the invoice's facts and the time.
package collection

import (
	"fmt"
	"slices"
	"time"

	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// Policy is how retries are spread.
type Policy string

const (
	// PolicySmart makes Tries attempts spread evenly over Window, never
	// two on one day (Stripe's Smart Retries policy, without the model).
	PolicySmart Policy = "SMART"
	// PolicyCustom tries again on the days of ScheduleDays, counted from
	// the first failure.
	PolicyCustom Policy = "CUSTOM"
)

// Window is the span Smart retries are spread over.
type Window string

const (
	WindowOneWeek    Window = "ONE_WEEK"
	WindowTwoWeeks   Window = "TWO_WEEKS"
	WindowThreeWeeks Window = "THREE_WEEKS"
	WindowOneMonth   Window = "ONE_MONTH"
	WindowTwoMonths  Window = "TWO_MONTHS"
)

// Windows are the windows a policy may use, shortest first.
var Windows = []Window{WindowOneWeek, WindowTwoWeeks, WindowThreeWeeks, WindowOneMonth, WindowTwoMonths}

// End is when a window that starts at start ends.
func (w Window) End(start time.Time) time.Time {
	switch w {
	case WindowOneWeek:
		return start.AddDate(0, 0, 7)
	case WindowThreeWeeks:
		return start.AddDate(0, 0, 21)
	case WindowOneMonth:
		return start.AddDate(0, 1, 0)
	case WindowTwoMonths:
		return start.AddDate(0, 2, 0)
	}
	return start.AddDate(0, 0, 14)
}

// minDays is the fewest days the window can hold (a month is at least 28).
func (w Window) minDays() int {
	switch w {
	case WindowOneWeek:
		return 7
	case WindowThreeWeeks:
		return 21
	case WindowOneMonth:
		return 28
	case WindowTwoMonths:
		return 59
	}
	return 14
}

// Exhausted is what happens to an invoice once its retries are spent.
type Exhausted string

const (
	LeaveOpen         Exhausted = "LEAVE_OPEN"
	MarkUncollectible Exhausted = "MARK_UNCOLLECTIBLE"
)

// Limits of what a user may set.
const (
	MaxReminders      = 10
	MinReminderOffset = -60
	MaxReminderOffset = 365
	MaxInstallmentDay = 60
	MaxTries          = 20
	MaxScheduleDay    = 120
)

// Settings are the resolved settings an invoice lives under.
type Settings struct {
	RemindersEnabled bool
	// ReminderOffsetDays are sorted and distinct.
	ReminderOffsetDays    []int
	InstallmentDaysBefore int

	RetriesEnabled bool
	RetryPolicy    Policy
	RetryTries     int
	RetryWindow    Window
	// RetryScheduleDays are increasing days after the first failure.
	RetryScheduleDays  []int
	DirectDebitRetries bool
	WhenExhausted      Exhausted

	Emails            Emails
	ScheduledPayments bool
}

// Emails says which automatic customer emails go.
type Emails struct {
	Reminder, PaymentFailed, ActionRequired, Receipt, CardExpiring, ScheduledPayment bool
}

// Defaults are Remit's settings before any account changes them:
// reminders three days before, on, and one and two weeks after the due
// date, installments a week before each; eight smart retries within two
// weeks, then the invoice stays open, past due; every email on; customers
// may not schedule payments until the account allows it.
func Defaults() Settings {
	return Settings{
		RemindersEnabled:      true,
		ReminderOffsetDays:    []int{-3, 0, 7, 14},
		InstallmentDaysBefore: 7,
		RetriesEnabled:        true,
		RetryPolicy:           PolicySmart,
		RetryTries:            8,
		RetryWindow:           WindowTwoWeeks,
		RetryScheduleDays:     []int{3, 5, 7},
		DirectDebitRetries:    true,
		WhenExhausted:         LeaveOpen,
		Emails:                Emails{true, true, true, true, true, true},
	}
}

// Resolve applies levels, most general first (account, customer, invoice;
// nil levels are skipped), onto Defaults.
func Resolve(levels ...*values.CollectionSettings) Settings {
	s := Defaults()
	for _, l := range levels {
		if l == nil {
			continue
		}
		if r := l.Reminders; r != nil {
			set(&s.RemindersEnabled, r.Enabled)
			if r.OffsetDays != nil || r.OffsetDaysSet {
				s.ReminderOffsetDays = normalized(r.OffsetDays)
			}
			set(&s.InstallmentDaysBefore, r.InstallmentDaysBefore)
		}
		if r := l.Retries; r != nil {
			set(&s.RetriesEnabled, r.Enabled)
			if r.Policy != nil {
				s.RetryPolicy = Policy(*r.Policy)
			}
			set(&s.RetryTries, r.Tries)
			if r.Window != nil {
				s.RetryWindow = Window(*r.Window)
			}
			if r.ScheduleDays != nil {
				s.RetryScheduleDays = slices.Clone(r.ScheduleDays)
			}
			set(&s.DirectDebitRetries, r.DirectDebit)
			if r.WhenExhausted != nil {
				s.WhenExhausted = Exhausted(*r.WhenExhausted)
			}
		}
		if e := l.Emails; e != nil {
			set(&s.Emails.Reminder, e.Reminder)
			set(&s.Emails.PaymentFailed, e.PaymentFailed)
			set(&s.Emails.ActionRequired, e.ActionRequired)
			set(&s.Emails.Receipt, e.Receipt)
			set(&s.Emails.CardExpiring, e.CardExpiring)
			set(&s.Emails.ScheduledPayment, e.ScheduledPayment)
		}
		set(&s.ScheduledPayments, l.ScheduledPayments)
	}
	return s
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func normalized(days []int) []int {
	out := slices.Clone(days)
	slices.Sort(out)
	return slices.Compact(out)
}

// Merge returns base with every field patch sets replacing base's, so an
// update changes only what it names.
func Merge(base, patch *values.CollectionSettings) *values.CollectionSettings {
	out := values.CollectionSettings{}
	if base != nil {
		out = *base
	}
	if patch == nil {
		return &out
	}
	if p := patch.Reminders; p != nil {
		r := values.ReminderSettings{}
		if out.Reminders != nil {
			r = *out.Reminders
		}
		if p.Enabled != nil {
			r.Enabled = p.Enabled
		}
		if p.OffsetDays != nil || p.OffsetDaysSet {
			r.OffsetDays, r.OffsetDaysSet = normalized(p.OffsetDays), true
		}
		if p.InstallmentDaysBefore != nil {
			r.InstallmentDaysBefore = p.InstallmentDaysBefore
		}
		out.Reminders = &r
	}
	if p := patch.Retries; p != nil {
		r := values.RetrySettings{}
		if out.Retries != nil {
			r = *out.Retries
		}
		pick(&r.Enabled, p.Enabled)
		pick(&r.Policy, p.Policy)
		pick(&r.Tries, p.Tries)
		pick(&r.Window, p.Window)
		if p.ScheduleDays != nil {
			r.ScheduleDays = slices.Clone(p.ScheduleDays)
		}
		pick(&r.DirectDebit, p.DirectDebit)
		pick(&r.WhenExhausted, p.WhenExhausted)
		out.Retries = &r
	}
	if p := patch.Emails; p != nil {
		e := values.CollectionEmails{}
		if out.Emails != nil {
			e = *out.Emails
		}
		pick(&e.Reminder, p.Reminder)
		pick(&e.PaymentFailed, p.PaymentFailed)
		pick(&e.ActionRequired, p.ActionRequired)
		pick(&e.Receipt, p.Receipt)
		pick(&e.CardExpiring, p.CardExpiring)
		pick(&e.ScheduledPayment, p.ScheduledPayment)
		out.Emails = &e
	}
	pick(&out.ScheduledPayments, patch.ScheduledPayments)
	return &out
}

func pick[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}

// Validate checks one level of settings as a caller sent it; field paths
// start at path.
func Validate(in *values.CollectionSettings, path ...string) error {
	if in == nil {
		return nil
	}
	var errs usererr.List
	at := func(p ...string) []string { return append(slices.Clone(path), p...) }
	if r := in.Reminders; r != nil {
		if len(r.OffsetDays) > MaxReminders {
			errs = append(errs, usererr.Newf(usererr.LimitExceeded, at("reminders", "offsetDays"), "at most %d reminders", MaxReminders))
		}
		for i, d := range r.OffsetDays {
			if d < MinReminderOffset || d > MaxReminderOffset {
				errs = append(errs, usererr.Newf(usererr.Invalid, at("reminders", "offsetDays", fmt.Sprint(i)),
					"a reminder falls between %d days before and %d days after the due date", -MinReminderOffset, MaxReminderOffset))
			}
		}
		if d := r.InstallmentDaysBefore; d != nil && (*d < 0 || *d > MaxInstallmentDay) {
			errs = append(errs, usererr.Newf(usererr.Invalid, at("reminders", "installmentDaysBefore"), "between 0 and %d days", MaxInstallmentDay))
		}
	}
	if r := in.Retries; r != nil {
		if r.Policy != nil && *r.Policy != string(PolicySmart) && *r.Policy != string(PolicyCustom) {
			errs = append(errs, usererr.New(usererr.Invalid, "the policy is SMART or CUSTOM", at("retries", "policy")...))
		}
		if r.Window != nil && !slices.Contains(Windows, Window(*r.Window)) {
			errs = append(errs, usererr.New(usererr.Invalid, "the window is ONE_WEEK, TWO_WEEKS, THREE_WEEKS, ONE_MONTH or TWO_MONTHS", at("retries", "window")...))
		}
		if r.Tries != nil && (*r.Tries < 1 || *r.Tries > MaxTries) {
			errs = append(errs, usererr.Newf(usererr.Invalid, at("retries", "tries"), "between 1 and %d tries", MaxTries))
		}
		if len(r.ScheduleDays) > MaxTries {
			errs = append(errs, usererr.Newf(usererr.LimitExceeded, at("retries", "scheduleDays"), "at most %d retries", MaxTries))
		}
		for i, d := range r.ScheduleDays {
			if d < 1 || d > MaxScheduleDay || (i > 0 && d <= r.ScheduleDays[i-1]) {
				errs = append(errs, usererr.Newf(usererr.Invalid, at("retries", "scheduleDays", fmt.Sprint(i)),
					"retry days count from the first failure, increasing, from 1 to %d", MaxScheduleDay))
				break
			}
		}
		if r.WhenExhausted != nil && *r.WhenExhausted != string(LeaveOpen) && *r.WhenExhausted != string(MarkUncollectible) {
			errs = append(errs, usererr.New(usererr.Invalid, "whenExhausted is LEAVE_OPEN or MARK_UNCOLLECTIBLE", at("retries", "whenExhausted")...))
		}
	}
	return errs.Err()
}

// CheckResolved checks what only the combination of levels can break:
// Smart retries need a day for each try.
func CheckResolved(s Settings, path ...string) error {
	if s.RetryPolicy == PolicySmart && s.RetryTries > s.RetryWindow.minDays() {
		return usererr.Newf(usererr.Invalid, append(slices.Clone(path), "retries", "tries"),
			"%d tries do not fit in %s without two on one day", s.RetryTries, s.RetryWindow)
	}
	return nil
}

// Reminder is one planned reminder of an invoice.
type Reminder struct {
	At time.Time
	// OffsetDays is the rule's offset from the due date it applies to.
	OffsetDays int
	// Installment is the 1-based installment it is about, 0 for none.
	Installment int
}

// Due is a date something is owed by: the invoice's due date, or one
// installment's.
type Due struct {
	Date time.Time
	// Settled says nothing is owed on it any more.
	Settled bool
}

// Reminders are the reminders of an invoice under s, in time order:
// plan installments are reminded InstallmentDaysBefore days before each
// unsettled installment (the one-off schedule does not apply to them);
// other invoices on every offset from their due date.
func Reminders(s Settings, due *time.Time, installments []Due) []Reminder {
	if !s.RemindersEnabled || !s.Emails.Reminder {
		return nil
	}
	var out []Reminder
	if len(installments) > 0 {
		for i, it := range installments {
			if !it.Settled {
				out = append(out, Reminder{At: it.Date.AddDate(0, 0, -s.InstallmentDaysBefore), OffsetDays: -s.InstallmentDaysBefore, Installment: i + 1})
			}
		}
	} else if due != nil {
		for _, d := range s.ReminderOffsetDays {
			out = append(out, Reminder{At: due.AddDate(0, 0, d), OffsetDays: d})
		}
	}
	slices.SortStableFunc(out, func(a, b Reminder) int { return a.At.Compare(b.At) })
	return out
}

// DueAt picks, among rs (in time order), the reminder to send at now,
// the last one sent or planned at after: the latest in (after, now], so
// that reminders missed while nothing ran go out once, not in a burst;
// and the next one after now, if any.
func DueAt(rs []Reminder, after, now time.Time) (due, next *Reminder) {
	for i := range rs {
		r := &rs[i]
		switch {
		case !r.At.After(after):
		case !r.At.After(now):
			due = r
		case next == nil:
			next = r
		}
	}
	return due, next
}

// RetryAt is when retry number n (1-based) of an automatic charge that
// first failed at start is made under s, or false when s makes no such
// retry.
func RetryAt(s Settings, start time.Time, n int) (time.Time, bool) {
	if !s.RetriesEnabled || n < 1 {
		return time.Time{}, false
	}
	if s.RetryPolicy == PolicyCustom {
		if n > len(s.RetryScheduleDays) {
			return time.Time{}, false
		}
		return start.AddDate(0, 0, s.RetryScheduleDays[n-1]), true
	}
	if n > s.RetryTries {
		return time.Time{}, false
	}
	// Try n of N falls on day ceil(n·W/N) of a W-day window: evenly
	// spread, the last on the window's last day, and never two on one
	// day while N ≤ W.
	days := int(s.RetryWindow.End(start).Sub(start).Hours() / 24)
	day := (n*days + s.RetryTries - 1) / s.RetryTries
	return start.AddDate(0, 0, day), true
}

// Explicit spells s out as stored settings with every field set, the
// shape the API reads.
func Explicit(s Settings) *values.CollectionSettings {
	policy, window, exhausted := string(s.RetryPolicy), string(s.RetryWindow), string(s.WhenExhausted)
	e := s.Emails
	return &values.CollectionSettings{
		Reminders: &values.ReminderSettings{
			Enabled: &s.RemindersEnabled, OffsetDays: nonNil(s.ReminderOffsetDays), InstallmentDaysBefore: &s.InstallmentDaysBefore,
		},
		Retries: &values.RetrySettings{
			Enabled: &s.RetriesEnabled, Policy: &policy, Tries: &s.RetryTries, Window: &window,
			ScheduleDays: nonNil(s.RetryScheduleDays), DirectDebit: &s.DirectDebitRetries, WhenExhausted: &exhausted,
		},
		Emails: &values.CollectionEmails{
			Reminder: &e.Reminder, PaymentFailed: &e.PaymentFailed, ActionRequired: &e.ActionRequired,
			Receipt: &e.Receipt, CardExpiring: &e.CardExpiring, ScheduledPayment: &e.ScheduledPayment,
		},
		ScheduledPayments: &s.ScheduledPayments,
	}
}

func nonNil(days []int) []int {
	if days == nil {
		return []int{}
	}
	return days
}
