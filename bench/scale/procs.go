package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// adminToken is the admin token of every service the benchmark starts.
const adminToken = "scale-bench-admin-token-0123456789"

// proc is a running `schedule-manager serve` process.
type proc struct {
	name    string
	base    string // http://host:port
	natsURL string // host:port of its embedded NATS server ("" when joined)
	dataDir string
	cmd     *exec.Cmd
	stderr  *lockedBuffer
	done    chan struct{}
}

// lockedBuffer keeps the last bytes a process wrote to stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServe starts serve with args (plus the HTTP address and the extra
// arguments of the run) and waits until /readyz answers 200; ready is the
// time from exec to that answer.
func startServe(bin, name, dataDir string, embedded bool, extra []string, args ...string) (p *proc, ready time.Duration, err error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	p = &proc{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", httpPort), dataDir: dataDir, stderr: &lockedBuffer{}, done: make(chan struct{})}
	all := []string{"serve", "--http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort), "--data-dir", dataDir, "--replica-id", name,
		"--reconcile-spec", "@every 1m"}
	if embedded {
		natsPort, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		p.natsURL = fmt.Sprintf("127.0.0.1:%d", natsPort)
		all = append(all, "--nats-listen", p.natsURL)
	}
	all = append(all, args...)
	all = append(all, extra...)
	p.cmd = exec.Command(bin, all...)
	p.cmd.Env = append(os.Environ(), "SCHEDMGR_ADMIN_TOKEN="+adminToken)
	if os.Getenv("SCHEDMGR_LOG_LEVEL") == "" {
		p.cmd.Env = append(p.cmd.Env, "SCHEDMGR_LOG_LEVEL=warn")
	}
	p.cmd.Stderr = p.stderr
	if logs := os.Getenv("SCALE_LOG_DIR"); logs != "" {
		// Keep each process's whole log (SCHEDMGR_LOG_LEVEL=info for the
		// timings of each config applied).
		f, err := os.Create(filepath.Join(logs, fmt.Sprintf("%s-%d.log", name, httpPort)))
		if err != nil {
			return nil, 0, err
		}
		p.cmd.Stderr = io.MultiWriter(p.stderr, f)
	}
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, 0, err
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case <-p.done:
			return nil, 0, fmt.Errorf("%s exited before it was ready: %s", name, lastLines(p.stderr.String(), 5))
		default:
		}
		if code, _, err := request(http.MethodGet, p.base+"/readyz", nil); err == nil && code == http.StatusOK {
			return p, time.Since(start), nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, 0, fmt.Errorf("%s not ready after 3 minutes: %s", name, lastLines(p.stderr.String(), 5))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// stop sends SIGTERM and waits for the process to end.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// cpuTimes is the user and system CPU time the process has used so far.
func (p *proc) cpuTimes() (user, system time.Duration) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	// The fields after the command name (which may hold spaces) start
	// after the last ')'; utime and stime are the 14th and 15th fields.
	_, rest, _ := bytes.Cut(b, []byte(") "))
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0, 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(ut) * time.Second / ticks, time.Duration(st) * time.Second / ticks
}

// memory returns the process's resident set and its peak, in bytes.
func (p *proc) memory() (rss, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}

var client = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// request calls the admin API with the admin token.
func request(method, url string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// servedVersion is the version /readyz reports (0 when not ready).
func (p *proc) servedVersion() uint64 {
	code, body, err := request(http.MethodGet, p.base+"/readyz", nil)
	if err != nil || code != http.StatusOK {
		return 0
	}
	var r struct{ Version uint64 }
	_ = json.Unmarshal(body, &r)
	return r.Version
}

// configVersion is the stored version (GET /api/v1/config, without
// keeping the document).
func (p *proc) configVersion() (uint64, error) {
	code, body, err := request(http.MethodGet, p.base+"/api/v1/config", nil)
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("GET /api/v1/config: %d %s", code, truncate(body))
	}
	// The version is in the head, before the (large) data member.
	var head struct{ Version uint64 }
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&head); err != nil {
		return 0, err
	}
	return head.Version, nil
}

// putConfig writes data as the version after expected.
func (p *proc) putConfig(data []byte, expected uint64, message string) (uint64, error) {
	body := make([]byte, 0, len(data)+128)
	body = fmt.Appendf(body, `{"version": %d, "message": %q, "data": `, expected, message)
	body = append(body, data...)
	body = append(body, '}')
	code, out, err := request(http.MethodPut, p.base+"/api/v1/config", body)
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("PUT /api/v1/config: %d %s", code, truncate(out))
	}
	var v struct{ Version uint64 }
	if err := json.Unmarshal(out, &v); err != nil {
		return 0, err
	}
	return v.Version, nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// waitServing waits until every process serves version v or later and
// returns when the last one did.
func waitServing(ps []*proc, v uint64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for _, p := range ps {
		for p.servedVersion() < v {
			if time.Now().After(deadline) {
				return time.Time{}, fmt.Errorf("%s does not serve version %d after %s", p.name, v, timeout)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return time.Now(), nil
}
