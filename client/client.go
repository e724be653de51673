package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Client built without options.
const (
	// DefaultTimeout bounds one attempt of a request (see WithTimeout).
	DefaultTimeout = 30 * time.Second
	// DefaultRetries is how many times a failed read is retried.
	DefaultRetries = 2
	// DefaultBackoff is the first retry delay; it doubles on each retry.
	DefaultBackoff = 200 * time.Millisecond
	// MaxBackoff caps the delay between two attempts, Retry-After included.
	MaxBackoff = 30 * time.Second
)

// maxResponseBytes bounds a response body read into memory (a config
// document, a long history).
const maxResponseBytes = 64 << 20

// userAgent identifies the client to the service.
const userAgent = "schedule-manager-go-client/1"

// Client calls one Schedule Manager service. It is safe for concurrent use;
// build it once and share it.
type Client struct {
	base    string // scheme://host[/prefix], without a trailing slash
	token   string
	hc      *http.Client
	timeout time.Duration
	retries int
	backoff time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends "Authorization: Bearer token" with every request. The
// admin API needs a viewer token to read and an admin token to write;
// check-schedule is public unless the service says otherwise.
func WithToken(token string) Option {
	return func(c *Client) { c.token = strings.TrimSpace(token) }
}

// WithHTTPClient uses hc instead of a client with http.DefaultTransport
// (for TLS settings, proxies, instrumentation). Leave hc.Timeout zero: it
// would also cut event streams; use WithTimeout instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithTimeout bounds each attempt of a request (default DefaultTimeout):
// connecting, sending and reading the whole answer. For an event stream it
// bounds the wait for the response headers. A zero or negative d means no
// per-attempt limit; the context still applies.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithRetries sets how many times a failed read (GET) is retried and the
// first delay (doubled on each retry, with jitter, at most MaxBackoff). A
// read is retried after a network error, a timed-out attempt, a 5xx other
// than 501 and 505, or a 429; a Retry-After header sets the delay. Writes
// (PUT, POST) are never retried: a write whose answer was lost may have
// been applied. n = 0 disables retries; backoff <= 0 keeps the default.
// Without this option: DefaultRetries and DefaultBackoff.
func WithRetries(n int, backoff time.Duration) Option {
	return func(c *Client) {
		c.retries = max(n, 0)
		if backoff > 0 {
			c.backoff = backoff
		}
	}
}

// New returns a client of the service at baseURL, such as
// "http://127.0.0.1:8080" or "https://example.com/schedule-manager" (a path
// prefix is kept).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	switch {
	case !strings.Contains(baseURL, "://"):
		return nil, fmt.Errorf("client: base URL %q: the scheme must be http or https (http://host:port)", baseURL)
	case err != nil:
		return nil, fmt.Errorf("client: base URL %q: %w", baseURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("client: base URL %q: the scheme must be http or https", baseURL)
	case u.Host == "":
		return nil, fmt.Errorf("client: base URL %q has no host", baseURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("client: base URL %q: give only scheme, host and an optional path prefix", baseURL)
	}
	c := &Client{
		base:    strings.TrimRight(u.String(), "/"),
		hc:      &http.Client{},
		timeout: DefaultTimeout,
		retries: DefaultRetries,
		backoff: DefaultBackoff,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the service URL the client calls.
func (c *Client) BaseURL() string { return c.base }

// request is one API call.
type request struct {
	method string
	path   string // escaped, starting with '/'
	query  url.Values
	body   []byte // JSON, nil for none
	retry  bool   // a POST without effect (a preview): retried like a read
}

func (r request) target() string {
	if len(r.query) == 0 {
		return r.path
	}
	return r.path + "?" + r.query.Encode()
}

// idempotent reports whether the request may be sent again after a failure.
func (r request) idempotent() bool {
	return r.method == http.MethodGet || r.method == http.MethodHead || r.retry
}

// do sends r, retrying reads, and decodes a 2xx JSON answer into out (when
// out is not nil). Any other status is an *Error.
func (c *Client) do(ctx context.Context, r request, out any) error {
	body, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("client: %s %s: decode the answer: %w", r.method, r.path, err)
	}
	return nil
}

// send performs r with retries and returns the body of a 2xx answer.
func (c *Client) send(ctx context.Context, r request) ([]byte, error) {
	attempts := 1
	if r.idempotent() {
		attempts += c.retries
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		body, retryAfter, err := c.attempt(ctx, r)
		if err == nil {
			return body, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return nil, contextError(ctx, r, lastErr)
		}
		wait := c.delay(attempt, retryAfter)
		dl, hasDeadline := ctx.Deadline()
		// Give up when out of attempts, when sending again cannot help, or
		// when the context would end before the next attempt could start.
		if attempt+1 >= attempts || !retryable(err) || hasDeadline && time.Until(dl) < wait {
			if ne := (*netError)(nil); errors.As(lastErr, &ne) {
				ne.attempts = attempt + 1
			}
			return nil, lastErr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, contextError(ctx, r, lastErr)
		case <-t.C:
		}
	}
}

// contextError reports that ctx ended, keeping the last failure for the
// message. errors.Is(err, ctx.Err()) holds.
func contextError(ctx context.Context, r request, last error) error {
	var ae *Error
	if errors.As(last, &ae) {
		return fmt.Errorf("client: %s %s: %w (last answer: %d %s)", r.method, r.path, ctx.Err(), ae.Status, ae.Message)
	}
	if last != nil && !errors.Is(last, ctx.Err()) {
		return fmt.Errorf("client: %s %s: %w (last error: %v)", r.method, r.path, ctx.Err(), last)
	}
	return fmt.Errorf("client: %s %s: %w", r.method, r.path, ctx.Err())
}

// attempt sends r once within the per-attempt timeout. It returns the body
// of a 2xx answer, or an error and the Retry-After the server asked for.
func (c *Client) attempt(ctx context.Context, r request) ([]byte, time.Duration, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	req, err := c.newRequest(actx, r)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, &netError{op: r.method + " " + r.path, err: attemptErr(ctx, actx, c.timeout, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, 0, &netError{op: r.method + " " + r.path, err: attemptErr(ctx, actx, c.timeout, err)}
	}
	if len(body) > maxResponseBytes {
		return nil, 0, fmt.Errorf("client: %s %s: the answer is larger than %d bytes", r.method, r.path, maxResponseBytes)
	}
	if resp.StatusCode/100 == 2 {
		return body, 0, nil
	}
	e := newError(r.method, r.path, resp, body)
	return nil, e.RetryAfter, e
}

// attemptErr names a per-attempt timeout as such (the parent context is
// still alive, so the attempt's own deadline ended it).
func attemptErr(parent, actx context.Context, timeout time.Duration, err error) error {
	if parent.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Timeout: timeout, Err: err}
	}
	return err
}

func (c *Client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.target(), rd)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", r.method, r.path, err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// delay is the wait before retry number attempt+1: the server's
// Retry-After when it gave one, else exponential backoff with jitter
// (between half and all of backoff·2^attempt), never above MaxBackoff.
func (c *Client) delay(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, MaxBackoff)
	}
	d := c.backoff << min(attempt, 20)
	if d <= 0 || d > MaxBackoff {
		d = MaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// retryable reports whether a failed read may succeed when sent again.
func retryable(err error) bool {
	var ne *netError
	if errors.As(err, &ne) {
		return true
	}
	var ae *Error
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusTooManyRequests:
			return true
		case ae.Status == http.StatusNotImplemented, ae.Status == http.StatusHTTPVersionNotSupported:
			return false
		default:
			return ae.Status >= 500 && ae.Status <= 599
		}
	}
	return false
}

// netError is a failure to get an answer at all (connection refused,
// reset, timed-out attempt). Reads are retried after one.
type netError struct {
	op       string
	err      error
	attempts int // when more than one was made
}

func (e *netError) Error() string {
	inner := e.err
	if ue, ok := inner.(*url.Error); ok && ue.Err != nil {
		inner = ue.Err // its message repeats the method and URL
	}
	msg := "client: " + e.op + ": " + inner.Error()
	if e.attempts > 1 {
		msg += fmt.Sprintf(" (%d attempts)", e.attempts)
	}
	return msg
}
func (e *netError) Unwrap() error { return e.err }

// TimeoutError is an attempt that did not finish within the per-attempt
// timeout (WithTimeout). It matches context.DeadlineExceeded with
// errors.Is.
type TimeoutError struct {
	Timeout time.Duration
	Err     error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer within the per-attempt timeout of %s", e.Timeout)
}

// Unwrap returns the transport's error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, context.DeadlineExceeded) hold.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(MaxBackoff/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// randN returns a random number in [0, n) (n > 0).
func randN(n int64) int64 { return rand.Int64N(n) }

// pathEscape escapes a schedule name as one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }
