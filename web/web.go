// Package web serves the admin UI: static files embedded in the binary, so
// no Node toolchain is needed to build or run the service.
//
// The files are prepared once, when the handler is built: each gets a
// strong ETag (its SHA-256) and, when it shrinks, a gzip copy. index.html
// names the assets under a versioned prefix, /assets/v-<hash of every
// asset>/, so they can be cached for a year (immutable) while index.html
// itself is revalidated on every load; it also lists every module as a
// modulepreload, so the browser fetches the whole module graph in one
// round trip instead of discovering it import by import.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
)

//go:embed static
var files embed.FS

// Files returns the UI's files (index.html and assets/...).
func Files() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// Cache policies.
const (
	// cacheVersioned is for files under the versioned prefix: their URL
	// changes whenever any asset does.
	cacheVersioned = "public, max-age=31536000, immutable"
	// cacheRevalidate is for index.html and unversioned asset URLs: the
	// browser keeps them but asks (If-None-Match) before each use.
	cacheRevalidate = "no-cache"
)

// asset is one prepared file.
type asset struct {
	body  []byte
	gz    []byte // nil when gzip does not make it smaller
	etag  string // strong, quoted
	ctype string
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	a.ctype = mime.TypeByExtension(path.Ext(name))
	if a.ctype == "" {
		a.ctype = http.DetectContentType(body)
	}
	// Text compresses well; images like SVG too. 150 bytes is about where
	// the gzip header and a second lookup stop paying.
	if len(body) > 150 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// Version is the asset version of this build: a hash of every embedded
// file, the prefix index.html names the assets under (/assets/v-<Version>/).
func Version() string {
	v, _ := prepare()
	return v
}

// prepare reads every asset and hashes the set.
func prepare() (string, map[string]*asset) {
	assets := map[string]*asset{}
	var names []string
	err := fs.WalkDir(Files(), "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	slices.Sort(names)
	all := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(Files(), n)
		if err != nil {
			panic(err)
		}
		a := newAsset(n, b)
		assets[strings.TrimPrefix(n, "assets/")] = a
		fmt.Fprintf(all, "%s %s\n", n, a.etag)
	}
	return hex.EncodeToString(all.Sum(nil)[:6]), assets
}

// indexPage rewrites index.html: asset URLs under the versioned prefix and
// a modulepreload link per module.
func indexPage(version string, assets map[string]*asset) []byte {
	src, err := fs.ReadFile(Files(), "index.html")
	if err != nil {
		panic(err)
	}
	prefix := "/assets/v-" + version + "/"
	var modules []string
	for n := range assets {
		if path.Ext(n) == ".js" && n != "app.js" {
			modules = append(modules, n)
		}
	}
	slices.Sort(modules)
	var preload strings.Builder
	for _, m := range modules {
		fmt.Fprintf(&preload, "<link rel=\"modulepreload\" href=\"%s%s\">\n", prefix, m)
	}
	page := strings.ReplaceAll(string(src), `"/assets/`, `"`+prefix)
	page = strings.Replace(page, "</head>", preload.String()+"</head>", 1)
	return []byte(page)
}

// Handler serves the UI: index.html at "/" and its files under "/assets/"
// (also under the versioned prefix). The UI routes with the URL fragment
// (#/schedules), so no other server path is needed.
func Handler() http.Handler {
	version, assets := prepare()
	index := newAsset("index.html", indexPage(version, assets))
	versioned := "v-" + version + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		if p == "/" || p == "/index.html" {
			serve(w, r, index, cacheRevalidate)
			return
		}
		name, ok := strings.CutPrefix(p, "/assets/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		policy := cacheRevalidate
		if rest, ok := strings.CutPrefix(name, versioned); ok {
			name, policy = rest, cacheVersioned
		} else if strings.HasPrefix(name, "v-") {
			// A page of an older (or newer) build: serve this build's file,
			// but let no cache keep it under that version's name.
			if _, rest, ok := strings.Cut(name, "/"); ok {
				name = rest
			}
		}
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serve(w, r, a, policy)
	})
}

// serve answers with a's bytes, gzip when the client takes it, or 304
// when the client's copy is current.
func serve(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	h := w.Header()
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.etag)
	h.Set("Content-Type", a.ctype)
	if a.gz != nil {
		h.Set("Vary", "Accept-Encoding")
	}
	if matchETag(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = a.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// matchETag reports whether an If-None-Match header lists etag (or "*").
// A weak form of the tag matches too (RFC 9110 §13.1.2: weak comparison).
func matchETag(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip with a non-zero q.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
