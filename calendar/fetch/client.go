package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Reason classifies a failed fetch, for the metric label and the API.
type Reason string

// Reasons a fetch fails. The last good copy stays in the config for each.
const (
	ReasonRefused   Reason = "refused"   // the address is private or loopback and that is not allowed
	ReasonNetwork   Reason = "network"   // DNS, connection, TLS
	ReasonTimeout   Reason = "timeout"   // no complete answer within the timeout
	ReasonStatus    Reason = "status"    // an HTTP status other than 200 (or 304)
	ReasonTooLarge  Reason = "too_large" // the body is over the size limit
	ReasonMalformed Reason = "malformed" // not an iCalendar calendar the engine accepts, or over its limits
	ReasonStore     Reason = "store"     // the new version could not be written
)

// Error is a failed fetch: why (Reason) and the underlying error.
type Error struct {
	Reason Reason
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func failf(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Err: fmt.Errorf(format, args...)}
}

// ErrPrivateAddress is matched by the error of a fetch refused because the
// host resolves to a private, loopback or link-local address.
var ErrPrivateAddress = errors.New("private or loopback address refused")

// blockedPrefixes are the address ranges a calendar URL may not reach
// unless private addresses are allowed: besides Go's IsPrivate, IsLoopback
// and friends, the shared (CGNAT) range and the IPv4-mapped forms.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 (could reach private IPv4)
	netip.MustParsePrefix("2002::/16"),     // 6to4 (likewise)
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("255.255.255.255/32"),
}

// blocked reports whether a calendar fetch may not connect to addr.
func blocked(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// NewHTTPClient returns the client calendars are fetched with: no proxy
// from the environment (it would hide the real address), the dialer's
// Control refusing private addresses unless allowPrivate (checked on the
// resolved address of every connection, redirects included, so DNS
// tricks do not get around it), at most 5 redirects, and timeout for the
// whole exchange.
func NewHTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot parse %q", ErrPrivateAddress, address)
			}
			if blocked(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          4,
		IdleConnTimeout:       time.Minute,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
			}
			return nil
		},
	}
}

// download GETs url and returns its body, at most maxBytes. etag, when
// set, is sent as If-None-Match; notModified reports a 304.
func download(ctx context.Context, client *http.Client, url, etag string, maxBytes int64) (body []byte, newETag string, notModified bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", false, failf(ReasonNetwork, "bad URL: %v", err)
	}
	req.Header.Set("Accept", "text/calendar, text/plain;q=0.5, */*;q=0.1")
	req.Header.Set("User-Agent", "schedule-manager calendar fetch")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", false, classify(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		return nil, etag, true, nil
	case resp.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, "", false, failf(ReasonStatus, "HTTP %d %s", resp.StatusCode, strings.TrimSpace(http.StatusText(resp.StatusCode)))
	case resp.ContentLength > maxBytes:
		return nil, "", false, failf(ReasonTooLarge, "the calendar is %d bytes, the limit is %d", resp.ContentLength, maxBytes)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, "", false, classify(err)
	}
	if int64(len(body)) > maxBytes {
		return nil, "", false, failf(ReasonTooLarge, "the calendar is larger than the limit of %d bytes", maxBytes)
	}
	return body, resp.Header.Get("ETag"), false, nil
}

// classify turns a client error into a fetch Error.
func classify(err error) *Error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return &Error{Reason: ReasonRefused, Err: fmt.Errorf("%w (set calendar-allow-private to fetch from this network)", ErrPrivateAddress)}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return failf(ReasonTimeout, "no answer in time: %v", unwrapURL(err))
	}
	return &Error{Reason: ReasonNetwork, Err: unwrapURL(err)}
}

// unwrapURL drops net/http's "Get \"url\": " wrapping: the URL is in the
// config already, and a URL may carry a secret (Google's private links)
// that must not reach logs and API answers.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
