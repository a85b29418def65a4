package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestSignAndVerify(t *testing.T) {
	at := time.Unix(1_767_225_600, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := Sign(at, body, "whsec_a", "whsec_b")
	cases := []struct {
		name   string
		header string
		secret string
		now    time.Time
		want   error
	}{
		{"current secret", h, "whsec_a", at, nil},
		{"rotated secret", h, "whsec_b", at.Add(time.Minute), nil},
		{"other secret", h, "whsec_c", at, ErrNoSignature},
		{"too old", h, "whsec_a", at.Add(Tolerance + time.Second), ErrTooOld},
		{"from the future", h, "whsec_a", at.Add(-Tolerance - time.Second), ErrTooOld},
		{"no timestamp", "v1=abc", "whsec_a", at, ErrMalformed},
		{"garbage", "nonsense", "whsec_a", at, ErrMalformed},
	}
	for _, c := range cases {
		if err := Verify(c.header, body, c.secret, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := Verify(h, []byte(`{"id":"evt_2"}`), "whsec_a", at); !errors.Is(err, ErrNoSignature) {
		t.Errorf("another body verified: %v", err)
	}
}

func TestPublicAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1:248:1893:25c8:1946": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fc00::1": false, "::ffff:127.0.0.1": false,
		"198.51.100.7": false, "224.0.0.1": false,
	} {
		if got := public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("public(%s) = %v", addr, got)
		}
	}
}

// TestDialerRefusesLoopback: the live client refuses a loopback address
// on the socket, before connecting: the receiver never hears of it.
func TestDialerRefusesLoopback(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	_, err := Client(true).Get(srv.URL)
	if !errors.Is(err, ErrNotPublic) || hit {
		t.Fatalf("live client to loopback: %v (reached: %v)", err, hit)
	}
	if _, err := Client(false).Get(srv.URL); err != nil || !hit {
		t.Fatalf("test client to loopback: %v", err)
	}
}

// TestLiveURLResolvedPrivate: a live URL whose name resolves to a private
// address is refused at creation (the resolver answers from a local DNS
// stub: no packet leaves the machine).
func TestLiveURLResolvedPrivate(t *testing.T) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}
	if err := checkURL(context.Background(), "https://hooks.example.invalid/x", true, r); err == nil {
		t.Error("an unresolvable name accepted")
	}
	for _, u := range []string{"https://127.0.0.1/x", "https://[::1]/x", "http://93.184.216.34/x", "ftp://93.184.216.34/x", "https://user:pw@93.184.216.34/x"} {
		if err := checkURL(context.Background(), u, true, r); err == nil {
			t.Errorf("%s accepted in live mode", u)
		}
	}
	if err := checkURL(context.Background(), "https://93.184.216.34/x", true, r); err != nil {
		t.Errorf("a public https address refused: %v", err)
	}
	if err := checkURL(context.Background(), "http://localhost:3000/hook", false, r); err != nil {
		t.Errorf("test mode refused localhost: %v", err)
	}
}
