package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/web"
)

func get(t *testing.T, h http.Handler, p string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
	return rec.Result()
}

func TestIndexAndHeaders(t *testing.T) {
	h := web.Handler()
	res := get(t, h, "/")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), `<script type="module" src="/assets/app.js">`) {
		t.Fatalf("GET / = %d\n%s", res.StatusCode, body)
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Content-Type":            "text/html",
	} {
		if !strings.Contains(res.Header.Get(k), want) {
			t.Errorf("%s = %q, want it to contain %q", k, res.Header.Get(k), want)
		}
	}
	for p, typ := range map[string]string{
		"/assets/app.js":      "text/javascript",
		"/assets/app.css":     "text/css",
		"/assets/favicon.svg": "image/svg+xml",
	} {
		r := get(t, h, p)
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), typ) {
			t.Errorf("GET %s = %d %q, want 200 %s", p, r.StatusCode, r.Header.Get("Content-Type"), typ)
		}
	}
}

// The CSP forbids inline scripts and event-handler attributes; the UI must
// not need them, and must not write HTML from strings.
func TestNoInlineScriptsOrInnerHTML(t *testing.T) {
	files := web.Files()
	onAttr := regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		s := string(b)
		switch path.Ext(p) {
		case ".html":
			for _, m := range regexp.MustCompile(`(?is)<script\b[^>]*>(.*?)</script>`).FindAllStringSubmatch(s, -1) {
				if strings.TrimSpace(m[1]) != "" {
					t.Errorf("%s has an inline script", p)
				}
			}
			if onAttr.MatchString(s) {
				t.Errorf("%s has an inline event handler", p)
			}
		case ".js":
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s uses %s", p, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every relative module import points at an embedded file.
func TestModuleImportsResolve(t *testing.T) {
	files := web.Files()
	imp := regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}/[^']+)'`)
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".js" {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
			target := path.Join(path.Dir(p), m[1])
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s imports %s: %v", p, m[1], err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
