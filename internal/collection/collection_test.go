package collection

import (
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

func TestSmartRetriesSpreadOnDistinctDays(t *testing.T) {
	for _, w := range Windows {
		for tries := 1; tries <= w.minDays(); tries++ {
			s := Defaults()
			s.RetryWindow, s.RetryTries = w, tries
			seen := map[int]bool{}
			last := t0
			for n := 1; n <= tries; n++ {
				at, ok := RetryAt(s, t0, n)
				if !ok {
					t.Fatalf("%s/%d: retry %d missing", w, tries, n)
				}
				d := int(at.Sub(t0).Hours() / 24)
				if seen[d] || !at.After(last) {
					t.Fatalf("%s/%d: retry %d on day %d again or out of order", w, tries, n, d)
				}
				seen[d], last = true, at
			}
			if at, _ := RetryAt(s, t0, tries); !at.Equal(w.End(t0)) {
				t.Errorf("%s/%d: last retry %v, want the window's end %v", w, tries, at, w.End(t0))
			}
			if _, ok := RetryAt(s, t0, tries+1); ok {
				t.Errorf("%s/%d: a retry beyond the tries", w, tries)
			}
		}
	}
}

func TestDefaultRetriesAreEightInTwoWeeks(t *testing.T) {
	s := Defaults()
	want := []int{2, 4, 6, 7, 9, 11, 13, 14}
	for i, d := range want {
		if at, ok := RetryAt(s, t0, i+1); !ok || !at.Equal(day(d)) {
			t.Errorf("retry %d at %v, want day %d", i+1, at, d)
		}
	}
}

func TestCustomScheduleAndDisabled(t *testing.T) {
	s := Resolve(&values.CollectionSettings{Retries: &values.RetrySettings{Policy: ptr("CUSTOM"), ScheduleDays: []int{1, 3}}})
	if at, ok := RetryAt(s, t0, 2); !ok || !at.Equal(day(3)) {
		t.Errorf("custom retry 2 = %v %v", at, ok)
	}
	if _, ok := RetryAt(s, t0, 3); ok {
		t.Error("custom schedule retried past its days")
	}
	s.RetriesEnabled = false
	if _, ok := RetryAt(s, t0, 1); ok {
		t.Error("disabled retries retried")
	}
}

func TestResolveLevels(t *testing.T) {
	acct := &values.CollectionSettings{Reminders: &values.ReminderSettings{OffsetDays: []int{7, -3, 7}}, ScheduledPayments: ptr(true)}
	cus := &values.CollectionSettings{Retries: &values.RetrySettings{WhenExhausted: ptr("MARK_UNCOLLECTIBLE")}}
	inv := &values.CollectionSettings{Reminders: &values.ReminderSettings{Enabled: ptr(false)}}
	s := Resolve(acct, nil, cus, inv)
	if s.RemindersEnabled || !s.ScheduledPayments || s.WhenExhausted != MarkUncollectible {
		t.Fatalf("levels not applied: %+v", s)
	}
	if got := Resolve(acct).ReminderOffsetDays; len(got) != 2 || got[0] != -3 || got[1] != 7 {
		t.Errorf("offsets %v, want sorted and distinct [-3 7]", got)
	}
	none := Resolve(&values.CollectionSettings{Reminders: &values.ReminderSettings{OffsetDaysSet: true}})
	if len(none.ReminderOffsetDays) != 0 {
		t.Errorf("an explicit empty list kept %v", none.ReminderOffsetDays)
	}
}

func TestMergeKeepsWhatThePatchDoesNotName(t *testing.T) {
	base := &values.CollectionSettings{Retries: &values.RetrySettings{Tries: ptr(4)}, Emails: &values.CollectionEmails{Receipt: ptr(false)}}
	out := Merge(base, &values.CollectionSettings{Retries: &values.RetrySettings{Window: ptr("ONE_WEEK")}})
	if *out.Retries.Tries != 4 || *out.Retries.Window != "ONE_WEEK" || *out.Emails.Receipt {
		t.Errorf("merge lost a field: %+v %+v", out.Retries, out.Emails)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		in   values.CollectionSettings
		path string
	}{
		{"offset too far", values.CollectionSettings{Reminders: &values.ReminderSettings{OffsetDays: []int{0, 400}}}, "settings.reminders.offsetDays.1"},
		{"bad policy", values.CollectionSettings{Retries: &values.RetrySettings{Policy: ptr("ML")}}, "settings.retries.policy"},
		{"bad window", values.CollectionSettings{Retries: &values.RetrySettings{Window: ptr("A_YEAR")}}, "settings.retries.window"},
		{"zero tries", values.CollectionSettings{Retries: &values.RetrySettings{Tries: ptr(0)}}, "settings.retries.tries"},
		{"decreasing days", values.CollectionSettings{Retries: &values.RetrySettings{ScheduleDays: []int{3, 2}}}, "settings.retries.scheduleDays.1"},
		{"bad exhausted", values.CollectionSettings{Retries: &values.RetrySettings{WhenExhausted: ptr("DELETE")}}, "settings.retries.whenExhausted"},
	}
	for _, c := range cases {
		errs := usererr.From(Validate(&c.in, "settings"))
		if len(errs) != 1 || pathOf(errs[0]) != c.path {
			t.Errorf("%s: %v, want one error at %s", c.name, errs, c.path)
		}
	}
	if err := Validate(&values.CollectionSettings{Reminders: &values.ReminderSettings{OffsetDays: []int{-3, 0, 7}}}); err != nil {
		t.Errorf("valid settings refused: %v", err)
	}
	s := Defaults()
	s.RetryTries, s.RetryWindow = 8, WindowOneWeek
	if CheckResolved(s) == nil {
		t.Error("8 tries in a week accepted")
	}
}

func TestRemindersAndDueAt(t *testing.T) {
	s := Defaults()
	s.ReminderOffsetDays = []int{-3, 0, 7}
	due := day(30)
	rs := Reminders(s, &due, nil)
	if len(rs) != 3 || !rs[0].At.Equal(day(27)) || !rs[2].At.Equal(day(37)) {
		t.Fatalf("reminders %+v", rs)
	}
	cases := []struct {
		after, now time.Time
		due, next  int // days, -1 for none
	}{
		{t0, day(1), -1, 27},
		{t0, day(27), 27, 30},
		{day(27), day(29), -1, 30},
		{day(27), day(40), 37, -1}, // missed ones go out once, the latest
		{day(37), day(90), -1, -1},
	}
	for i, c := range cases {
		d, n := DueAt(rs, c.after, c.now)
		if (d == nil) != (c.due < 0) || (d != nil && !d.At.Equal(day(c.due))) {
			t.Errorf("%d: due %+v, want day %d", i, d, c.due)
		}
		if (n == nil) != (c.next < 0) || (n != nil && !n.At.Equal(day(c.next))) {
			t.Errorf("%d: next %+v, want day %d", i, n, c.next)
		}
	}
	plan := Reminders(s, &due, []Due{{Date: day(10), Settled: true}, {Date: day(40)}})
	if len(plan) != 1 || plan[0].Installment != 2 || !plan[0].At.Equal(day(33)) {
		t.Errorf("installment reminders %+v, want one a week before the second", plan)
	}
	s.Emails.Reminder = false
	if Reminders(s, &due, nil) != nil {
		t.Error("reminders planned with their email off")
	}
}

func pathOf(e *usererr.Error) string {
	out := ""
	for i, p := range e.Field {
		if i > 0 {
			out += "."
		}
		out += p
	}
	return out
}

func ptr[T any](v T) *T { return &v }
