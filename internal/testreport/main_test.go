package main

import (
	"strings"
	"testing"
)

// Lines of go test -json as Go 1.26 writes them.
const (
	pkgPass = `{"Action":"start","Package":"example.com/a"}
{"Action":"run","Package":"example.com/a","Test":"TestOK"}
{"Action":"output","Package":"example.com/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"example.com/a","Test":"TestOK","Output":"    a_test.go:9: a log line of a passing test\n"}
{"Action":"output","Package":"example.com/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"example.com/a","Test":"TestOK","Elapsed":0}
{"Action":"output","Package":"example.com/a","Output":"ok  \texample.com/a\t0.010s\n"}
{"Action":"pass","Package":"example.com/a","Elapsed":0.01}
`
	pkgSkip = `{"Action":"run","Package":"example.com/b","Test":"TestTool"}
{"Action":"output","Package":"example.com/b","Test":"TestTool","Output":"=== RUN   TestTool\n"}
{"Action":"output","Package":"example.com/b","Test":"TestTool","Output":"    b_test.go:12: skipped: promtool not on PATH\n"}
{"Action":"output","Package":"example.com/b","Test":"TestTool","Output":"--- SKIP: TestTool (0.00s)\n"}
{"Action":"skip","Package":"example.com/b","Test":"TestTool","Elapsed":0}
{"Action":"pass","Package":"example.com/b","Elapsed":0.02}
`
	pkgFail = `{"Action":"run","Package":"example.com/c","Test":"TestBroken"}
{"Action":"output","Package":"example.com/c","Test":"TestBroken","Output":"=== RUN   TestBroken\n"}
{"Action":"output","Package":"example.com/c","Test":"TestBroken","Output":"    c_test.go:7: got 2, want 3\n"}
{"Action":"output","Package":"example.com/c","Test":"TestBroken","Output":"--- FAIL: TestBroken (0.00s)\n"}
{"Action":"fail","Package":"example.com/c","Test":"TestBroken","Elapsed":0}
{"Action":"output","Package":"example.com/c","Output":"FAIL\n"}
{"Action":"fail","Package":"example.com/c","Elapsed":0.03}
`
	pkgBuildFail = `{"ImportPath":"example.com/d [example.com/d.test]","Action":"build-output","Output":"d/d_test.go:3:2: undefined: x\n"}
{"ImportPath":"example.com/d [example.com/d.test]","Action":"build-fail"}
{"Action":"start","Package":"example.com/d"}
{"Action":"output","Package":"example.com/d","Output":"FAIL\texample.com/d [build failed]\n"}
{"Action":"fail","Package":"example.com/d","Elapsed":0,"FailedBuild":"example.com/d [example.com/d.test]"}
`
	pkgCached = `{"Action":"start","Package":"example.com/g"}
{"Action":"output","Package":"example.com/g","Output":"ok  \texample.com/g\t(cached)\n"}
{"Action":"pass","Package":"example.com/g","Elapsed":0}
`
	pkgNoTests = `{"Action":"start","Package":"example.com/e"}
{"Action":"output","Package":"example.com/e","Output":"?   \texample.com/e\t[no test files]\n"}
{"Action":"skip","Package":"example.com/e","Elapsed":0}
`
	panicked = `{"Action":"run","Package":"example.com/f","Test":"TestHang"}
{"Action":"output","Package":"example.com/f","Test":"TestHang","Output":"=== RUN   TestHang\n"}
{"Action":"output","Package":"example.com/f","Output":"panic: test timed out after 10m0s\n"}
{"Action":"fail","Package":"example.com/f","Elapsed":600}
`
	// As Go 1.26 writes a timeout: the dump is the running subtest's output.
	timedOut = `{"Action":"run","Package":"example.com/h","Test":"TestHang"}
{"Action":"output","Package":"example.com/h","Test":"TestHang","Output":"=== RUN   TestHang\n"}
{"Action":"run","Package":"example.com/h","Test":"TestHang/sub"}
{"Action":"output","Package":"example.com/h","Test":"TestHang/sub","Output":"=== RUN   TestHang/sub\n"}
{"Action":"output","Package":"example.com/h","Test":"TestHang/sub","Output":"panic: test timed out after 2s\n"}
{"Action":"output","Package":"example.com/h","Test":"TestHang/sub","Output":"goroutine 7 [select]:\n"}
{"Action":"output","Package":"example.com/h","Output":"FAIL\texample.com/h\t2.016s\n"}
{"Action":"fail","Package":"example.com/h","Elapsed":2.017}
`
)

func TestReport(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		failOnSkip bool
		ok         bool
		has        []string
		hasNot     []string
	}{
		{name: "passing", input: pkgPass, ok: true,
			has:    []string{"ok  \texample.com/a", "tests: 1 passed, 0 failed, 0 skipped", "packages: 1 ok, 0 failed"},
			hasNot: []string{"a log line", "=== RUN"}},
		{name: "a skip outside CI is listed", input: pkgPass + pkgSkip, ok: true,
			has: []string{"--- SKIP: TestTool (example.com/b): b_test.go:12: skipped: promtool not on PATH",
				"skipped tests:\n  example.com/b TestTool:", "tests: 1 passed, 0 failed, 1 skipped"}},
		{name: "a skip in CI fails", input: pkgPass + pkgSkip, failOnSkip: true, ok: false,
			has: []string{"1 test(s) skipped", "tests: 1 passed, 0 failed, 1 skipped"}},
		{name: "a failing test", input: pkgPass + pkgFail, ok: false,
			has:    []string{"--- FAIL: TestBroken (example.com/c)", "c_test.go:7: got 2, want 3", "FAIL\texample.com/c", "failed tests:\n  example.com/c TestBroken", "tests: 1 passed, 1 failed, 0 skipped"},
			hasNot: []string{"=== RUN"}},
		{name: "a build failure", input: pkgPass + pkgBuildFail, ok: false,
			has: []string{"d/d_test.go:3:2: undefined: x", "FAIL\texample.com/d", "packages: 1 ok, 1 failed"}},
		{name: "a package without tests is no skip", input: pkgPass + pkgNoTests, failOnSkip: true, ok: true,
			has: []string{"?   \texample.com/e\t[no test files]", "tests: 1 passed, 0 failed, 0 skipped"}},
		{name: "a timeout's panic is shown", input: pkgPass + panicked, ok: false,
			has: []string{"panic: test timed out", "FAIL\texample.com/f"}},
		{name: "a timeout inside a test shows the dump and the tests that did not finish", input: pkgPass + timedOut, ok: false,
			has:    []string{"--- DID NOT FINISH: TestHang/sub (example.com/h)", "panic: test timed out after 2s", "goroutine 7 [select]:", "FAIL\texample.com/h"},
			hasNot: []string{"=== RUN"}},
		{name: "a cached result says so", input: pkgCached, ok: true, has: []string{"ok  \texample.com/g\t(cached)"}},
		{name: "no package passed", input: pkgNoTests, ok: false, has: []string{"no test package passed"}},
		{name: "nothing at all", input: "", ok: false, has: []string{"no test package passed", "tests: 0 passed, 0 failed, 0 skipped"}},
		{name: "text lines pass through", input: "go: downloading x v1.0.0\n" + pkgPass, ok: true, has: []string{"go: downloading x v1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			if got := report(strings.NewReader(tt.input), &out, tt.failOnSkip); got != tt.ok {
				t.Errorf("report = %v, want %v; output:\n%s", got, tt.ok, out.String())
			}
			for _, h := range tt.has {
				if !strings.Contains(out.String(), h) {
					t.Errorf("output lacks %q:\n%s", h, out.String())
				}
			}
			for _, h := range tt.hasNot {
				if strings.Contains(out.String(), h) {
					t.Errorf("output has %q:\n%s", h, out.String())
				}
			}
		})
	}
}
