package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, seen from this package's directory.
const root = ".."

// TestEveryFileParses parses every YAML and JSON file under deploy/ and
// examples/studio/ (YAML files may hold several documents).
func TestEveryFileParses(t *testing.T) {
	var n int
	for _, dir := range []string{"deploy", "examples/studio"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(path) {
			case ".yaml", ".yml":
				n++
				if docs := yamlDocs(t, path); len(docs) == 0 {
					t.Errorf("%s: no YAML document", rel(path))
				}
			case ".json":
				n++
				readJSON(t, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 15 {
		t.Errorf("found only %d YAML/JSON files under deploy/ and examples/studio/", n)
	}
}

// TestReadmeMentionsEveryFile keeps deploy/README.md a complete guide.
func TestReadmeMentionsEveryFile(t *testing.T) {
	readme := readFile(t, "deploy/README.md")
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") || path == "README.md" {
			return err
		}
		if !strings.Contains(readme, filepath.ToSlash(path)) {
			t.Errorf("deploy/README.md does not mention %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSettingsNamesAreKnown checks every SCHEDMGR_* variable and settings
// file key used by the deployment files against the keys the serve command
// accepts (the flags of addServeFlags and the keys of nonFlagSettings in
// cmd/schedule-manager/settings.go): an unknown one stops the service at
// start-up.
func TestSettingsNamesAreKnown(t *testing.T) {
	keys := settingKeys(t)
	envRE := regexp.MustCompile(`\bSCHEDMGR_[A-Z0-9_]+`)
	for _, f := range []string{"deploy/Dockerfile", "deploy/compose.yaml", "deploy/k8s/deployment.yaml",
		"deploy/systemd/schedule-manager.service"} {
		for _, v := range envRE.FindAllString(uncommented(readFile(t, f)), -1) {
			if v == "SCHEDMGR_EVENTS" {
				continue // the events stream (nats-setup), not a variable
			}
			key := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, "SCHEDMGR_")), "_", "-")
			if key != "settings" && !keys[key] {
				t.Errorf("%s: %s is not a setting (known: SCHEDMGR_ + one of %s)", f, v, strings.Join(sortedKeys(keys), ", "))
			}
		}
	}
	files := map[string]string{"deploy/compose/settings.yaml": readFile(t, "deploy/compose/settings.yaml")}
	for _, doc := range yamlDocs(t, "deploy/k8s/configmap.yaml") {
		for k, v := range asMap(dig(doc, "data")) {
			if strings.HasSuffix(k, ".yaml") {
				files["deploy/k8s/configmap.yaml "+k] = v.(string)
			}
		}
	}
	for name, text := range files {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for k := range m {
			if !keys[k] {
				t.Errorf("%s: unknown setting %q", name, k)
			}
		}
	}
}

// settingKeys reads the serve command's setting keys from its source: the
// flag names addServeFlags and addNATSClientFlags define (the first string
// literal of each fs.* call) and the keys of the nonFlagSettings map
// literal.
func settingKeys(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	var flags, others int
	for _, name := range []string{"settings.go", "natsurl.go"} {
		path := filepath.Join(root, "cmd/schedule-manager", name)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		collectSettingKeys(f, keys, &flags, &others)
	}
	if flags < 10 || others == 0 {
		t.Fatalf("cmd/schedule-manager: found %d flags in addServeFlags and addNATSClientFlags and %d keys in nonFlagSettings; have they moved?", flags, others)
	}
	return keys
}

// collectSettingKeys adds the setting keys defined in f to keys.
func collectSettingKeys(f *ast.File, keys map[string]bool, flags, others *int) {
	str := func(e ast.Expr) (string, bool) {
		if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			s, err := strconv.Unquote(bl.Value)
			return s, err == nil
		}
		return "", false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Name.Name != "addServeFlags" && n.Name.Name != "addNATSClientFlags" {
				return true
			}
			ast.Inspect(n.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || fmt.Sprint(sel.X) != "fs" {
					return true
				}
				for _, arg := range call.Args[:min(2, len(call.Args))] { // fs.String("name", ...), fs.StringVar(&v, "name", ...)
					if s, ok := str(arg); ok {
						keys[s] = true
						*flags++
						break
					}
				}
				return true
			})
			return false
		case *ast.ValueSpec:
			if len(n.Names) != 1 || n.Names[0].Name != "nonFlagSettings" || len(n.Values) != 1 {
				return true
			}
			if lit, ok := n.Values[0].(*ast.CompositeLit); ok {
				for _, e := range lit.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if s, ok := str(kv.Key); ok {
							keys[s] = true
							*others++
						}
					}
				}
			}
			return false
		}
		return true
	})
}

// --- helpers ---------------------------------------------------------------

// readFile reads a file given relative to the repository root.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		b, err = os.ReadFile(path) // already rooted
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// yamlDocs decodes every document of a YAML file (path relative to the
// repository root, or rooted); empty documents are skipped.
func yamlDocs(t *testing.T, path string) []any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, path)))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Errorf("%s: %v", rel(path), err)
			return docs
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}

// yamlDoc decodes a single-document YAML file into a map.
func yamlDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	docs := yamlDocs(t, path)
	if len(docs) != 1 {
		t.Fatalf("%s: want one YAML document, got %d", path, len(docs))
	}
	m := asMap(docs[0])
	if m == nil {
		t.Fatalf("%s: not a mapping", path)
	}
	return m
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(readFile(t, path))))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", rel(path), err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the JSON object", rel(path))
	}
	return m
}

// dig walks maps (string keys) and lists (int keys); nil when absent.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }
func asString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	default:
		return fmt.Sprint(s)
	}
}

func rel(path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// uncommented drops #-comment lines (YAML, shell, Dockerfile, unit files).
func uncommented(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// exists reports whether a path relative to the repository root exists.
func exists(path string) bool {
	_, err := os.Stat(filepath.Join(root, path))
	return err == nil
}
