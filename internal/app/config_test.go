package app_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/rowcache"
)

func TestConfigValidate(t *testing.T) {
	valid := func() app.Config {
		return app.Config{
			DB: &ent.Client{}, Dialect: "sqlite3", Changes: rowcache.Never{}, Clock: clock.Real{},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mailing: app.DefaultMailing,
		}
	}
	cases := []struct {
		name    string
		change  func(*app.Config)
		wantErr string // "" for valid
	}{
		{"complete", func(*app.Config) {}, ""},
		{"postgres", func(c *app.Config) { c.Dialect = "postgres" }, ""},
		{"no database", func(c *app.Config) { c.DB = nil }, "DB is required"},
		{"no change signal", func(c *app.Config) { c.Changes = nil }, "Changes is required"},
		{"unknown dialect", func(c *app.Config) { c.Dialect = "mysql" }, `unknown dialect "mysql"`},
		{"no clock", func(c *app.Config) { c.Clock = nil }, "Clock is required"},
		{"no logger", func(c *app.Config) { c.Logger = nil }, "Logger is required"},
		{"no sender address", func(c *app.Config) { c.Mailing = billing.Mailing{PublicURL: "http://x"} }, "Mailing needs From and PublicURL"},
		{"no public URL", func(c *app.Config) { c.Mailing = billing.Mailing{From: "a@b.c"} }, "Mailing needs From and PublicURL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			err := cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
