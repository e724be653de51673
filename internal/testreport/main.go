// Command testreport reads `go test -json` from standard input, prints what
// a person needs from it (each package's result, the output of failing
// tests, every skipped test with its reason) and a closing count, and
// exits non-zero when a test or package failed, when no package passed,
// or, with -fail-on-skip, when a test was skipped. CI runs:
//
//	go test -race -json ./... | go run ./internal/testreport -fail-on-skip
//
// Lines that are not JSON (build errors on stderr) are printed as they are.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

func main() {
	failOnSkip := flag.Bool("fail-on-skip", false, "exit non-zero when any test was skipped (CI, where nothing a test needs may be missing)")
	flag.Parse()
	if !report(os.Stdin, os.Stdout, *failOnSkip) {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string
}

// skipped is a skipped test and why.
type skipped struct {
	pkg, test, reason string
}

// tally accumulates a run's results.
type tally struct {
	passed, failed, skipped int // tests, subtests included
	pkgOK, pkgFailed        int
	skips                   []skipped
	failures                []string            // "pkg TestName"
	out                     map[string][]string // buffered output by package and test
}

func key(pkg, test string) string { return pkg + "\x00" + test }

// report reads events from r and writes the summary to w. It reports
// whether the run passed.
func report(r io.Reader, w io.Writer, failOnSkip bool) bool {
	t := tally{out: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		t.add(w, e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(w, "testreport: reading go test -json: %v\n", err)
		return false
	}
	return t.summary(w, failOnSkip)
}

func (t *tally) add(w io.Writer, e event) {
	switch e.Action {
	case "build-output":
		fmt.Fprint(w, e.Output)
		return
	case "build-fail":
		return // the package's fail event follows
	}
	k := key(e.Package, e.Test)
	switch e.Action {
	case "output":
		t.out[k] = append(t.out[k], e.Output)
	case "pass":
		if e.Test == "" {
			t.pkgOK++
			took := fmt.Sprintf("%.3fs", e.Elapsed)
			for _, o := range t.out[k] {
				if strings.HasPrefix(o, "ok ") && strings.Contains(o, "(cached)") {
					took = "(cached)"
				}
			}
			fmt.Fprintf(w, "ok  \t%s\t%s\n", e.Package, took)
		} else {
			t.passed++
		}
		delete(t.out, k)
	case "fail":
		if e.Test == "" {
			t.pkgFailed++
			t.unfinished(w, e.Package)
			for _, o := range t.out[k] {
				if !strings.HasPrefix(o, "FAIL\t") && o != "FAIL\n" {
					fmt.Fprint(w, o)
				}
			}
			fmt.Fprintf(w, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
		} else {
			t.failed++
			t.failures = append(t.failures, e.Package+" "+e.Test)
			fmt.Fprintf(w, "--- FAIL: %s (%s)\n", e.Test, e.Package)
			for _, o := range t.out[k] {
				if !isFramingLine(o) {
					fmt.Fprint(w, o)
				}
			}
		}
		delete(t.out, k)
	case "skip":
		if e.Test == "" { // a package without tests
			fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
		} else {
			t.skipped++
			var reason []string
			for _, o := range t.out[k] {
				if !isFramingLine(o) {
					reason = append(reason, strings.TrimSpace(o))
				}
			}
			s := skipped{e.Package, e.Test, strings.Join(reason, " ")}
			t.skips = append(t.skips, s)
			fmt.Fprintf(w, "--- SKIP: %s (%s): %s\n", s.test, s.pkg, s.reason)
		}
		delete(t.out, k)
	}
}

// unfinished prints the output of pkg's tests that have no result: the
// package died while they ran (a timeout's goroutine dump, a crash), and
// go test -json files that output under the running test.
func (t *tally) unfinished(w io.Writer, pkg string) {
	prefix := key(pkg, "")
	var keys []string
	for k := range t.out {
		if strings.HasPrefix(k, prefix) && k != prefix {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "--- DID NOT FINISH: %s (%s)\n", strings.TrimPrefix(k, prefix), pkg)
		for _, o := range t.out[k] {
			if !isFramingLine(o) {
				fmt.Fprint(w, o)
			}
		}
		delete(t.out, k)
	}
}

// isFramingLine reports whether a line of a test's output is go test's
// own framing (=== RUN, --- PASS, ...) rather than what the test wrote.
func isFramingLine(o string) bool {
	s := strings.TrimSpace(o)
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- FAIL", "--- SKIP"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (t *tally) summary(w io.Writer, failOnSkip bool) bool {
	ok := true
	fmt.Fprintln(w)
	if len(t.failures) > 0 {
		ok = false
		sort.Strings(t.failures)
		fmt.Fprintf(w, "failed tests:\n  %s\n", strings.Join(t.failures, "\n  "))
	}
	if len(t.skips) > 0 {
		fmt.Fprintln(w, "skipped tests:")
		for _, s := range t.skips {
			fmt.Fprintf(w, "  %s %s: %s\n", s.pkg, s.test, s.reason)
		}
		if failOnSkip {
			ok = false
			fmt.Fprintf(w, "%d test(s) skipped, which this run does not allow (CI=true: install what they need)\n", len(t.skips))
		}
	}
	if t.pkgFailed > 0 {
		ok = false
	}
	if t.pkgOK == 0 {
		ok = false
		fmt.Fprintln(w, "no test package passed")
	}
	fmt.Fprintf(w, "packages: %d ok, %d failed\n", t.pkgOK, t.pkgFailed)
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped)
	return ok
}
