package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrTargetRefused is matched by the error of a delivery attempt, or of a
// registration, whose target is an address webhooks may not reach
// (loopback, link-local, private, cloud metadata...). Options.AllowPrivate
// lifts the rule.
var ErrTargetRefused = errors.New("webhook: target address refused")

// allowPrivateHint tells the admin how to lift the rule.
const allowPrivateHint = "webhook targets must be public addresses; the setting webhook-allow-private allows others (local development, tests)"

// refusedError is a target refused by the address rule.
type refusedError struct {
	target string // what was refused: an address or a host name
	why    string // the kind of address
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("%s is %s; %s", e.target, e.why, allowPrivateHint)
}

func (e *refusedError) Unwrap() error { return ErrTargetRefused }

// Address ranges refused besides those netip classifies (loopback,
// private, link-local, multicast, unspecified).
var refusedPrefixes = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address, where some clouds serve instance metadata"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address, where some clouds serve instance metadata"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
}

// Prefixes that embed an IPv4 address, which is checked in turn.
var (
	nat64Prefix  = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour    = netip.MustParsePrefix("2002::/16")
	v4Compatible = netip.MustParsePrefix("::/96")
)

// Cloud instance-metadata services, named in the refusal.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OpenStack...
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("192.0.0.192"):     true, // Oracle Cloud
}

// refusedAddr says why a webhook may not reach a, or "" when it may.
func refusedAddr(a netip.Addr) string {
	a = a.Unmap()
	if metadataAddrs[a] {
		return "a cloud instance-metadata address"
	}
	switch {
	case !a.IsValid():
		return "not an IP address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsLinkLocalUnicast():
		return "a link-local address"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case a.IsPrivate():
		return "a private address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	for _, p := range refusedPrefixes {
		if p.prefix.Contains(a) {
			return p.why
		}
	}
	if a.Is6() {
		b := a.As16()
		var embedded netip.Addr
		switch {
		case nat64Prefix.Contains(a), v4Compatible.Contains(a):
			embedded = netip.AddrFrom4([4]byte(b[12:16]))
		case sixToFour.Contains(a):
			embedded = netip.AddrFrom4([4]byte(b[2:6]))
		}
		if embedded.IsValid() {
			if why := refusedAddr(embedded); why != "" {
				return why + " (embedded in " + a.String() + ")"
			}
		}
	}
	return ""
}

// refusedName says why a host name is refused without resolving it: names
// that by definition point inside a private network. "" when it may be
// resolved (and its addresses checked at connect time).
func refusedName(host string) string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	switch {
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return "a loopback name"
	case h == "metadata.google.internal" || h == "metadata" || h == "instance-data":
		return "a cloud instance-metadata name"
	case strings.HasSuffix(h, ".internal"), strings.HasSuffix(h, ".local"), strings.HasSuffix(h, ".home.arpa"),
		strings.HasSuffix(h, ".localdomain"):
		return "a private-network name"
	case !strings.Contains(h, "."):
		return "a single-label name (resolved through the local search domains)"
	}
	return ""
}

// checkTarget applies the address rule to a URL's host without resolving
// it: an IP literal is checked, a host name by its suffix. It returns the
// refusal, or nil.
func checkTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // checkURL reports it
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if why := refusedAddr(a); why != "" {
			return &refusedError{target: a.String(), why: why}
		}
		return nil
	}
	if why := refusedName(host); why != "" {
		return &refusedError{target: "host " + host, why: why}
	}
	return nil
}

// LookupFunc resolves a host name to its addresses.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// defaultLookup resolves with the system's resolver.
func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// registrationLookupTimeout bounds the resolution of a new endpoint's host.
const registrationLookupTimeout = 3 * time.Second

// checkResolved resolves a URL's host name and refuses it if any address
// is refused. A name that does not resolve now is accepted: the address
// rule applies again on every connection.
func checkResolved(ctx context.Context, lookup LookupFunc, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // checkTarget did
	}
	ctx, cancel := context.WithTimeout(ctx, registrationLookupTimeout)
	defer cancel()
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if why := refusedAddr(a); why != "" {
			return &refusedError{target: fmt.Sprintf("host %s (resolves to %s)", host, a.Unmap()), why: why}
		}
	}
	return nil
}

// dialer connects delivery attempts. Unless private targets are allowed,
// its Control function refuses every refused address after resolution and
// before the connection is attempted, so a name that resolved to a public
// address when the endpoint was registered and to a private one now (DNS
// rebinding) is refused as well.
type dialer struct {
	allowPrivate bool
	lookup       LookupFunc
	net          net.Dialer
}

func newDialer(allowPrivate bool, lookup LookupFunc) *dialer {
	d := &dialer{allowPrivate: allowPrivate, lookup: lookup}
	d.net = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: d.control}
	return d
}

// control runs after the socket is created and before it connects.
func (d *dialer) control(_, address string, _ syscall.RawConn) error {
	if d.allowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusedError{target: address, why: "not an IP address and port"}
	}
	if why := refusedAddr(ap.Addr()); why != "" {
		return &refusedError{target: ap.Addr().Unmap().String(), why: why}
	}
	return nil
}

// DialContext resolves the host with d.lookup and connects to its
// addresses in turn; control vets each.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = d.lookup(ctx, host); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	var first error
	for _, a := range addrs {
		conn, err := d.net.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil || (errors.Is(err, ErrTargetRefused) && !errors.Is(first, ErrTargetRefused)) {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}
