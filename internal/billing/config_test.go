package billing_test

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/rowcache"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestConfig checks that New refuses a service missing a dependency,
// which it would otherwise find missing on the first payment or email.
func TestConfig(t *testing.T) {
	valid := func() billing.Config {
		return billing.Config{
			DB: &ent.Client{}, Dialect: "sqlite3",
			Processors: payments.ByMode(func(viewer.Mode) payments.Processor { return payments.Refusing{} }),
			Mailing:    billing.Mailing{From: "invoices@example.com", PublicURL: "https://billing.example.com"},
			Outbox:     outbox.NewQueue(outbox.QueueConfig{}),
			Accounts:   accounts.New(&ent.Client{}),
			Changes:    rowcache.Never{},
		}
	}
	cases := []struct {
		name    string
		change  func(*billing.Config)
		wantErr string
	}{
		{"complete", func(*billing.Config) {}, ""},
		{"no database", func(c *billing.Config) { c.DB = nil }, "DB is required"},
		{"unknown dialect", func(c *billing.Config) { c.Dialect = "" }, "unknown dialect"},
		{"no processors", func(c *billing.Config) { c.Processors = nil }, "Processors is required"},
		{"no mailing", func(c *billing.Config) { c.Mailing = billing.Mailing{} }, "Mailing needs From and PublicURL"},
		{"no outbox", func(c *billing.Config) { c.Outbox = nil }, "Outbox is required"},
		{"no accounts", func(c *billing.Config) { c.Accounts = nil }, "Accounts is required"},
		{"no change signal", func(c *billing.Config) { c.Changes = nil }, "Changes is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			s, err := billing.New(cfg)
			if tc.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New = %v, %v; want a service", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
