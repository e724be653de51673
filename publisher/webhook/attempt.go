package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/text"
)

// userAgent identifies deliveries to receivers.
const userAgent = "schedule-manager-webhook/1"

// maxResponseRead bounds how much of a receiver's answer is read (so the
// connection can be reused) and detailLen how much of it is logged. The
// answer is never stored nor shown by the API: a viewer of dead letters
// must not read what an arbitrary target answered.
const (
	maxResponseRead = 64 << 10
	detailLen       = 200
)

// result is the outcome of one delivery attempt.
type result struct {
	Status int   // HTTP status; 0 when no response arrived
	Err    error // a short reason, safe to store and show; nil on 2xx
	// Detail is the start of the receiver's answer on a failure, for the
	// service log only.
	Detail     string
	Retryable  bool          // a later attempt may succeed
	Gone       bool          // 410: the receiver asks to stop deliveries
	RetryAfter time.Duration // the receiver's Retry-After, if any
	Duration   time.Duration
}

// ok reports a delivered event.
func (r result) ok() bool { return r.Err == nil }

// classify maps an HTTP status to success or failure and whether a failure
// is worth retrying: 2xx delivered; 5xx, 408 and 429 retryable; anything
// else (3xx, since redirects are not followed, and 4xx) permanent.
func classify(status int) (ok, retryable bool) {
	switch {
	case status >= 200 && status < 300:
		return true, false
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return false, true
	default:
		return false, false
	}
}

// sender POSTs signed events.
type sender struct {
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

// newSender returns a sender that connects through d (which applies the
// address rule) and never follows redirects: a redirect is answered as a
// permanent failure, since following it would send the signed event
// somewhere the admin did not configure. It uses no proxy: a proxy would
// connect on our behalf to any address. maxConns is the idle connections
// kept per host (the concurrency of an endpoint).
func newSender(d *dialer, timeout time.Duration, maxConns int, now func() time.Time) *sender {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	t.MaxIdleConnsPerHost = maxConns
	t.ResponseHeaderTimeout = timeout
	return &sender{
		client: &http.Client{
			Transport: t,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		timeout: timeout,
		now:     now,
	}
}

// send makes one attempt to deliver body (a CloudEvent) to target, signed
// with key, within the attempt timeout.
func (s *sender) send(ctx context.Context, target string, key []byte, id string, body []byte) result {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return result{Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", event.ContentType)
	req.Header.Set("User-Agent", userAgent)
	event.SetSignatureHeaders(req.Header, key, id, s.now(), body)
	resp, err := s.client.Do(req)
	if err != nil {
		// Keep the cause without the URL, whose query may hold a token.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		r := result{Err: err, Retryable: true, Duration: time.Since(start)}
		// The context and the transport's ResponseHeaderTimeout end at the
		// same moment; either one is the attempt timing out.
		var ne net.Error
		var refused *refusedError
		switch {
		case errors.As(err, &refused):
			r.Err = fmt.Errorf("%w: %s", ErrTargetRefused, refused.Error())
		case errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			r.Err = fmt.Errorf("no answer within %s", s.timeout)
		}
		return r
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	r := result{Status: resp.StatusCode, Duration: time.Since(start)}
	ok, retryable := classify(resp.StatusCode)
	if ok {
		return r
	}
	r.Retryable = retryable
	r.Gone = resp.StatusCode == http.StatusGone
	r.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	r.Err = errors.New(statusReason(resp.StatusCode))
	r.Detail = text.Truncate(string(answer), detailLen)
	if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
		r.Detail = "redirect to " + text.Truncate(loc, detailLen)
	}
	return r
}

// statusReason is the stored reason of a failed answer: its status and
// what it means for the delivery, never the receiver's words.
func statusReason(status int) string {
	msg := "HTTP " + strconv.Itoa(status)
	if t := http.StatusText(status); t != "" {
		msg += " " + t
	}
	switch {
	case status == http.StatusGone:
		msg += ": the receiver asks to stop deliveries; the endpoint is disabled"
	case status >= 300 && status < 400:
		msg += ": redirects are not followed; configure the final URL"
	}
	return msg
}

// shortReason reduces a stored error to what statusReason keeps: older
// versions stored the start of the receiver's answer after "HTTP nnn: ".
func shortReason(s string) string {
	if rest, ok := strings.CutPrefix(s, "HTTP "); ok && len(rest) >= 3 {
		if status, err := strconv.Atoi(rest[:3]); err == nil {
			return statusReason(status)
		}
	}
	return text.Truncate(s, detailLen)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the delay after failed attempt n (1-based): base·2ⁿ⁻¹ capped
// at ceiling, less up to 20% of random jitter so that endpoints failing
// together do not retry in lockstep. With at most 20% off, each delay is
// still at least 1.6 times the previous uncapped one, so gaps grow. A
// receiver's Retry-After is honoured up to ceiling.
func backoff(base, ceiling time.Duration, attempt int, retryAfter time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	d -= time.Duration(rand.Float64() * 0.2 * float64(d))
	if retryAfter > d {
		d = min(retryAfter, ceiling)
	}
	return d
}
