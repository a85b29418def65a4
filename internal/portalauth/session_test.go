package portalauth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSessionValid(t *testing.T) {
	created := epoch
	tests := []struct {
		name     string
		created  time.Time
		lastSeen time.Time
		now      time.Time
		revoked  bool
		want     error
	}{
		{"fresh", created, created, created, false, nil},
		{"active within limits", created, created.Add(23 * time.Hour), created.Add(23*time.Hour + 29*time.Minute), false, nil},
		{"idle just under", created, created, created.Add(SessionIdleTTL - time.Nanosecond), false, nil},
		{"idle exactly", created, created, created.Add(SessionIdleTTL), false, ErrSessionExpired},
		{"idle long", created, created.Add(time.Hour), created.Add(3 * time.Hour), false, ErrSessionExpired},
		{"absolute just under", created, created.Add(24*time.Hour - time.Minute), created.Add(24*time.Hour - time.Nanosecond), false, nil},
		{"absolute exactly despite activity", created, created.Add(24*time.Hour - time.Minute), created.Add(24 * time.Hour), false, ErrSessionExpired},
		{"revoked", created, created, created, true, ErrSessionRevoked},
		{"revoked and expired reports revoked", created, created, created.Add(48 * time.Hour), true, ErrSessionRevoked},
		{"zero created fails closed", time.Time{}, created, created, false, ErrSessionExpired},
		{"zero lastSeen fails closed", created, time.Time{}, created, false, ErrSessionExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SessionValid(tt.created, tt.lastSeen, tt.now, tt.revoked); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("SessionValid = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRecentLogin(t *testing.T) {
	tests := []struct {
		name string
		auth time.Time
		now  time.Time
		want bool
	}{
		{"just now", epoch, epoch, true},
		{"inside window", epoch, epoch.Add(RecentLoginWindow - time.Second), true},
		{"window edge", epoch, epoch.Add(RecentLoginWindow), false},
		{"stale", epoch, epoch.Add(time.Hour), false},
		{"future auth time", epoch.Add(time.Minute), epoch, false},
		{"never authenticated", time.Time{}, epoch, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RecentLogin(tt.auth, tt.now); got != tt.want {
				t.Errorf("RecentLogin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	tests := []struct {
		name       string
		value      string
		maxAge     time.Duration
		wantMaxAge int
		wantHeader string
	}{
		{"normal", "tok_abc-DEF_123", SessionAbsoluteTTL, 86400, "Max-Age=86400"},
		{"sub-second rounds up", "tok", 300 * time.Millisecond, 1, "Max-Age=1"},
		{"zero deletes", "tok", 0, -1, "Max-Age=0"},
		{"negative deletes", "tok", -time.Hour, -1, "Max-Age=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := SessionCookie(tt.value, tt.maxAge)
			if err := c.Valid(); err != nil {
				t.Fatalf("invalid cookie: %v", err)
			}
			if c.Name != CookieName || !strings.HasPrefix(c.Name, "__Host-") {
				t.Errorf("name %q", c.Name)
			}
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("attributes violate __Host- or session rules: %+v", c)
			}
			if c.MaxAge != tt.wantMaxAge {
				t.Errorf("MaxAge = %d, want %d", c.MaxAge, tt.wantMaxAge)
			}
			h := c.String()
			for _, want := range []string{tt.wantHeader, "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
				if !strings.Contains(h, want) {
					t.Errorf("Set-Cookie %q lacks %q", h, want)
				}
			}
			if strings.Contains(h, "Domain") || strings.Contains(h, "Expires") {
				t.Errorf("Set-Cookie %q must not carry Domain or Expires", h)
			}
			if tt.wantMaxAge < 0 && c.Value != "" {
				t.Error("deletion cookie still carries the credential")
			}
		})
	}
	if got := ClearSessionCookie().String(); !strings.Contains(got, "Max-Age=0") || !strings.HasPrefix(got, CookieName+"=;") {
		t.Errorf("ClearSessionCookie = %q", got)
	}
}
