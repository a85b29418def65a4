package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Timeout bounds one delivery attempt, connection to last byte.
const Timeout = 10 * time.Second

// ErrNotPublic refuses an address a live webhook must not reach.
var ErrNotPublic = errors.New("webhooks: the address is not a public one")

// public reports whether ip is a public unicast address: not loopback,
// private, link-local, unspecified, multicast, shared (CGNAT) or a
// documentation or benchmarking range.
func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Client returns the HTTP client deliveries are sent with: a 10-second
// timeout, redirects not followed (a 3xx is a failed attempt), and, when
// publicOnly, a dialer that refuses any non-public address after
// resolution, on the socket about to connect, so a name that resolves
// differently at delivery than at creation (DNS rebinding) is refused
// before a packet leaves.
func Client(publicOnly bool) *http.Client {
	d := &net.Dialer{Timeout: Timeout}
	if publicOnly {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrNotPublic, address)
			}
			if !public(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrNotPublic, ap.Addr())
			}
			return nil
		}
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Timeout:       Timeout,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkURL checks an endpoint's URL for a mode: https resolving only to
// public addresses in live mode; http or https anywhere in test mode (a
// developer's localhost).
func checkURL(ctx context.Context, raw string, live bool, resolver *net.Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return errors.New("give an absolute http(s) URL without credentials")
	}
	if !live {
		return nil
	}
	if u.Scheme != "https" {
		return errors.New("live endpoints use https")
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !public(ip) {
			return fmt.Errorf("%s is not a public address", ip)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("%s does not resolve", host)
	}
	for _, a := range addrs {
		if !public(a) {
			return fmt.Errorf("%s resolves to %s, not a public address", host, a.Unmap())
		}
	}
	return nil
}
