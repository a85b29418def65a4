package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestBrowserSchedulePayment schedules a payment from the portal's
// invoice page in headless Chromium: on the saved card for a day before
// the due date, then changed to a day after it (warned), then canceled.
func TestBrowserSchedulePayment(t *testing.T) {
	c := startChrome(t)
	f := setup(t)
	f.e.Mutate("accountCollectionSettingsUpdate", allowScheduling, nil)
	base := strings.Replace(f.base, "127.0.0.1", "localhost", 1)
	scheduled := func() map[string]any {
		return f.e.Query(`query($id: ID!) { invoice(id: $id) { standing dueDate scheduledPayment { at paymentMethod { last4 } } } }`,
			map[string]any{"id": f.open1})["invoice"].(map[string]any)
	}

	c.signIn(base, f.e, "jenny@example.com")
	c.run("open invoice",
		chromedp.Click(chromedp.CSS("#inv-"+f.open1+" a")),
		chromedp.WaitVisible(chromedp.ID("schedule-date")),
		c.shot("schedule-01-form"),
	)
	if s := c.text("#ontime"); !strings.HasPrefix(s, "Due by ") {
		t.Errorf("the form does not tell the due date: %q", s)
	}
	if s := c.text("#schedule-section fieldset"); !strings.Contains(s, "Visa ending in 4242") {
		t.Errorf("the form does not offer the saved card: %q", s)
	}

	c.run("schedule",
		chromedp.SetValue(chromedp.ID("schedule-date"), "2026-02-01"),
		chromedp.Click(chromedp.ID("schedule")),
		chromedp.WaitVisible(chromedp.ID("outcome")),
		c.shot("schedule-02-scheduled"),
	)
	if s := c.text("#outcome"); s != "Your payment is scheduled for Feb 1, 2026." {
		t.Errorf("outcome: %q", s)
	}
	if s := c.text("#status"); s != "Payment scheduled" {
		t.Errorf("status: %q", s)
	}
	if s := c.text("#scheduled"); !strings.Contains(s, "Visa ending in 4242") {
		t.Errorf("scheduled payment: %q", s)
	}
	inv := scheduled()
	if apitest.Str(t, inv, "scheduledPayment", "at") != "2026-02-01T00:00:00Z" || apitest.Str(t, inv, "standing") != "SCHEDULED" {
		t.Errorf("merchant API: %v", inv)
	}

	// Change it to a day after the due date: the page warns.
	due, err := time.Parse(time.RFC3339, apitest.Str(t, inv, "dueDate"))
	if err != nil {
		t.Fatal(err)
	}
	late := due.AddDate(0, 0, 3).Format("2006-01-02")
	c.run("change",
		chromedp.Click(chromedp.CSS("#change-schedule summary")),
		chromedp.WaitVisible(chromedp.ID("schedule-date")),
		chromedp.SetValue(chromedp.ID("schedule-date"), late),
		chromedp.Click(chromedp.ID("schedule")),
		chromedp.WaitVisible(chromedp.ID("warning")),
		c.shot("schedule-03-late"),
	)
	if s := c.text("#warning"); !strings.Contains(s, "after the due date") {
		t.Errorf("warning: %q", s)
	}
	if at := apitest.Str(t, scheduled(), "scheduledPayment", "at"); at != late+"T00:00:00Z" {
		t.Errorf("changed to %s, want %s", at, late)
	}

	c.run("cancel",
		chromedp.Click(chromedp.ID("unschedule")),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="outcome" and contains(., "canceled")]`)),
		c.shot("schedule-04-canceled"),
	)
	if s := c.text("#status"); s != "Open" {
		t.Errorf("status after canceling: %q", s)
	}
	if inv := scheduled(); inv["scheduledPayment"] != nil {
		t.Errorf("merchant API after canceling: %v", inv)
	}
}
