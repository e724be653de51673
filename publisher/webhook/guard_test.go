package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// These tests never send traffic to a non-loopback address: refusals of
// other addresses are checked on the address alone (refusedAddr, the
// dialer's control function, checkTarget), or at registration, where
// nothing connects.

func TestRefusedAddr(t *testing.T) {
	tests := []struct {
		addr string
		says string // "" when allowed
	}{
		{"169.254.169.254", "metadata"},
		{"fd00:ec2::254", "metadata"},
		{"100.100.100.200", "metadata"},
		{"192.0.0.192", "metadata"},
		{"127.0.0.1", "loopback"},
		{"127.9.9.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "metadata"},
		{"169.254.10.1", "link-local"},
		{"fe80::1", "link-local"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"fd12:3456::1", "private"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "this network"},
		{"::", "unspecified"},
		{"100.64.0.1", "shared"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"198.18.0.1", "benchmarking"},
		{"64:ff9b::a9fe:a9fe", "metadata"}, // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", "loopback"},    // NAT64 of 127.0.0.1
		{"2002:a00:1::1", "private"},       // 6to4 of 10.0.0.1
		{"::127.0.0.1", "loopback"},        // IPv4-compatible
		{"fec0::1", "site-local"},
		// Public addresses are allowed.
		{"93.184.216.34", ""},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700::1111", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"203.0.113.7", ""},
	}
	for _, tt := range tests {
		why := refusedAddr(netip.MustParseAddr(tt.addr))
		if (why == "") != (tt.says == "") || !strings.Contains(why, tt.says) {
			t.Errorf("refusedAddr(%s) = %q, want %q", tt.addr, why, tt.says)
		}
	}
}

// TestControlRefusesBeforeConnect checks the function the dialer runs
// between creating a socket and connecting it: it is what refuses every
// connection to a refused address, whatever the name resolved to.
func TestControlRefusesBeforeConnect(t *testing.T) {
	d := newDialer(false, defaultLookup)
	for _, addr := range []string{"169.254.169.254:80", "[fd00:ec2::254]:80", "127.0.0.1:8080", "[::1]:443", "10.0.0.1:443", "[fe80::1%eth0]:80"} {
		err := d.control("tcp", addr, nil)
		if !errors.Is(err, ErrTargetRefused) || !strings.Contains(err.Error(), "webhook-allow-private") {
			t.Errorf("control(%s) = %v, want a refusal naming the setting", addr, err)
		}
	}
	for _, addr := range []string{"93.184.216.34:443", "[2606:4700::1111]:443"} {
		if err := d.control("tcp", addr, nil); err != nil {
			t.Errorf("control(%s) = %v, want nil", addr, err)
		}
	}
	if err := newDialer(true, defaultLookup).control("tcp", "169.254.169.254:80", nil); err != nil {
		t.Errorf("with private targets allowed: %v", err)
	}
}

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		url  string
		says string
	}{
		{"http://169.254.169.254/latest/meta-data", "169.254.169.254 is a cloud instance-metadata address"},
		{"http://[fd00:ec2::254]/", "metadata"},
		{"http://127.0.0.1:9000/hook", "127.0.0.1 is a loopback address"},
		{"https://[::1]/hook", "loopback"},
		{"http://10.0.0.5/hook", "private"},
		{"http://localhost:8080/hook", "host localhost is a loopback name"},
		{"http://api.localhost/hook", "loopback name"},
		{"http://metadata.google.internal/computeMetadata", "metadata name"},
		{"http://crm.corp.internal/hook", "private-network name"},
		{"http://printer.local/hook", "private-network name"},
		{"http://receiver:9000/hook", "single-label"},
		{"https://crm.example.com/hooks", ""},
		{"https://93.184.216.34/hooks", ""},
	}
	for _, tt := range tests {
		err := checkTarget(tt.url)
		if (err == nil) != (tt.says == "") || (err != nil && !strings.Contains(err.Error(), tt.says)) {
			t.Errorf("checkTarget(%s) = %v, want %q", tt.url, err, tt.says)
		}
		if err != nil && !errors.Is(err, ErrTargetRefused) {
			t.Errorf("checkTarget(%s): %v does not match ErrTargetRefused", tt.url, err)
		}
	}
}

// countingListener is a loopback server that counts the connections it
// accepts.
func countingListener(t *testing.T) (url string, accepted *atomic.Int32) {
	accepted = new(atomic.Int32)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			accepted.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, accepted
}

// TestSendRefusesLoopbackBeforeConnecting: an attempt to a loopback
// address, given as such or as a name resolving to it (DNS rebinding), is
// refused before any connection: the listener accepts none. With private
// targets allowed the same attempt connects.
func TestSendRefusesLoopbackBeforeConnecting(t *testing.T) {
	base, accepted := countingListener(t)
	port := base[strings.LastIndexByte(base, ':')+1:]
	lookups := atomic.Int32{}
	rebind := func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		if host != "hooks.example.test" {
			return nil, fmt.Errorf("no such host %s", host)
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	key, _ := event.ParseSecret(testSecret)
	refusing := newSender(newDialer(false, rebind), 2*time.Second, 4, time.Now)
	for _, url := range []string{base + "/hook", "http://hooks.example.test:" + port + "/hook"} {
		res := refusing.send(context.Background(), url, key, "e1", []byte(`{}`))
		if res.ok() || !errors.Is(res.Err, ErrTargetRefused) || !res.Retryable {
			t.Errorf("send to %s: %+v, want a retryable refusal", url, res)
		}
		if !strings.Contains(res.Err.Error(), "127.0.0.1 is a loopback address") {
			t.Errorf("send to %s: error %q does not say which address", url, res.Err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the listener accepted %d connections; the refusal must come before connecting", n)
	}
	if lookups.Load() != 1 {
		t.Errorf("%d lookups of the name, want 1", lookups.Load())
	}
	allowing := newSender(newDialer(true, rebind), 2*time.Second, 4, time.Now)
	if res := allowing.send(context.Background(), "http://hooks.example.test:"+port+"/hook", key, "e1", []byte(`{}`)); !res.ok() {
		t.Errorf("with private targets allowed: %+v", res)
	}
	if accepted.Load() != 1 {
		t.Errorf("accepted %d connections with private targets allowed, want 1", accepted.Load())
	}
}

// TestPrivateEndpointsRefusedUnlessAllowed: registering an endpoint on a
// refused address fails (API and settings) unless AllowPrivate; a name is
// resolved at registration; a name that resolved to a public address at
// registration and to loopback later (DNS rebinding) is refused at
// connect time, every attempt, until the event is dead-lettered with the
// refusal as its reason.
func TestPrivateEndpointsRefusedUnlessAllowed(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	base, accepted := countingListener(t)
	port := base[strings.LastIndexByte(base, ':')+1:]
	var rebound atomic.Bool
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch {
		case host == "internal.example.test":
			return []netip.Addr{netip.MustParseAddr("10.20.30.40")}, nil
		case host == "hooks.example.test" && !rebound.Load():
			return []netip.Addr{netip.MustParseAddr("203.0.113.7")}, nil // public (documentation range), never dialled
		case host == "hooks.example.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	o := fastOptions(t)
	o.AllowPrivate, o.LookupIP = false, lookup
	o.RetryFor, o.BackoffBase, o.BackoffMax = 300*time.Millisecond, 20*time.Millisecond, 50*time.Millisecond
	d := startDispatcher(t, js, o)
	ctx := context.Background()
	for _, url := range []string{"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:" + port + "/hook",
		"http://localhost:" + port + "/hook", "https://internal.example.test/hook"} {
		_, err := d.CreateEndpoint(ctx, Endpoint{ID: "bad", URL: url, Secret: testSecret})
		var invalid *InvalidError
		if !errors.As(err, &invalid) || invalid.Fields[0].Path != "url" || !strings.Contains(invalid.Fields[0].Message, "webhook-allow-private") {
			t.Errorf("create %s: %v, want an invalid url", url, err)
		}
	}
	if eps := d.Endpoints(); len(eps) != 0 {
		t.Fatalf("refused endpoints were stored: %v", eps)
	}
	o.Endpoints = []Endpoint{{ID: "cfg", URL: "http://169.254.169.254/x", Secret: testSecret}}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "webhooks.endpoints[0].url: 169.254.169.254") {
		t.Errorf("Validate = %v, want the configured endpoint refused", err)
	}
	o.AllowPrivate = true
	if err := o.Validate(); err != nil {
		t.Errorf("Validate with private targets allowed: %v", err)
	}

	// Rebinding: public at registration, loopback when connecting.
	if _, err := d.CreateEndpoint(ctx, Endpoint{ID: "rebind", URL: "http://hooks.example.test:" + port + "/hook", Secret: testSecret}); err != nil {
		t.Fatalf("create an endpoint on a public name: %v", err)
	}
	rebound.Store(true) // before any event exists, so nothing dials the public address
	id := publish(t, js, "Support", true, 1)
	var dl []DeadLetter
	poll.Until(t, "the refused event's dead letter", func() bool {
		dl = deadLettersOf(t, d, "rebind")
		return len(dl) == 1
	})
	if dl[0].EventID != id || dl[0].Reason != ReasonExhausted || !strings.Contains(dl[0].LastError, "127.0.0.1 is a loopback address") {
		t.Errorf("dead letter %+v", dl[0])
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the loopback listener accepted %d connections", n)
	}
	reg := o.Registerer.(*prometheus.Registry)
	if v := metricValue(t, reg, "schedmgr_webhook_attempts_total", map[string]string{"endpoint": "rebind", "outcome": OutcomeRetry}); v < 2 {
		t.Errorf("%v refused attempts counted, want every attempt", v)
	}
}
