package web_test

import (
	"bytes"
	"compress/gzip"
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

func get(t *testing.T, h http.Handler, p string, header ...string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", p, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestIndexAndHeaders(t *testing.T) {
	h := web.Handler()
	res := get(t, h, "/")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), `<script type="module" src="/assets/v-`+web.Version()+`/app.js">`) {
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

// Assets travel gzip-compressed with a strong ETag; the versioned names
// are cached for a year, index.html and unversioned names are revalidated,
// and a matching If-None-Match is answered 304 without a body.
func TestAssetsCompressedAndCached(t *testing.T) {
	h := web.Handler()
	v := "/assets/v-" + web.Version() + "/"
	cases := []struct {
		path, cache string
		gzip        bool
	}{
		{"/", "no-cache", true},
		{v + "app.js", "public, max-age=31536000, immutable", true},
		{v + "views/schedules.js", "public, max-age=31536000, immutable", true},
		{v + "app.css", "public, max-age=31536000, immutable", true},
		{"/assets/app.js", "no-cache", true},
		{"/assets/v-0123456789ab/app.js", "no-cache", true}, // an older page's name
	}
	for _, c := range cases {
		plain := get(t, h, c.path)
		plainBody, _ := io.ReadAll(plain.Body)
		res := get(t, h, c.path, "Accept-Encoding", "gzip, deflate, br")
		if res.StatusCode != 200 {
			t.Errorf("GET %s = %d", c.path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", c.path, got, c.cache)
		}
		etag := res.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) || etag != plain.Header.Get("ETag") {
			t.Errorf("GET %s: ETag %q (plain %q), want one strong tag for both encodings", c.path, etag, plain.Header.Get("ETag"))
		}
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != c.gzip {
			t.Errorf("GET %s: gzip %v, want %v", c.path, got, c.gzip)
		}
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", c.path, plain.Header.Get("Content-Encoding"))
		}
		if c.gzip {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatalf("GET %s: %v", c.path, err)
			}
			unzipped, _ := io.ReadAll(zr)
			if !bytes.Equal(unzipped, plainBody) {
				t.Errorf("GET %s: the gzip body does not unpack to the plain one", c.path)
			}
			if res.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("GET %s: Vary %q", c.path, res.Header.Get("Vary"))
			}
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
			again := get(t, h, c.path, "If-None-Match", inm, "Accept-Encoding", "gzip")
			b, _ := io.ReadAll(again.Body)
			if again.StatusCode != http.StatusNotModified || len(b) != 0 {
				t.Errorf("GET %s with If-None-Match %s = %d with %d bytes, want 304 and none", c.path, inm, again.StatusCode, len(b))
			}
		}
		if stale := get(t, h, c.path, "If-None-Match", `"0000"`); stale.StatusCode != 200 {
			t.Errorf("GET %s with another ETag = %d, want 200", c.path, stale.StatusCode)
		}
	}
	// Refused: gzip;q=0.
	if res := get(t, h, v+"app.js", "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	if res := get(t, h, "/assets/nope.js"); res.StatusCode != 404 {
		t.Errorf("GET /assets/nope.js = %d, want 404", res.StatusCode)
	}
}

// index.html names every module as a modulepreload under the versioned
// prefix, so the module graph loads in one round trip.
func TestIndexPreloadsModules(t *testing.T) {
	res := get(t, web.Handler(), "/")
	body, _ := io.ReadAll(res.Body)
	var want []string
	_ = fs.WalkDir(web.Files(), "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".js" && p != "assets/app.js" {
			want = append(want, p)
		}
		return err
	})
	if len(want) < 10 {
		t.Fatalf("only %d modules found", len(want))
	}
	for _, m := range want {
		link := `<link rel="modulepreload" href="/assets/v-` + web.Version() + "/" + strings.TrimPrefix(m, "assets/") + `">`
		if !strings.Contains(string(body), link) {
			t.Errorf("index.html lacks %s", link)
		}
	}
	if strings.Contains(string(body), `"/assets/app.css"`) {
		t.Error("index.html still names an unversioned asset")
	}
}
