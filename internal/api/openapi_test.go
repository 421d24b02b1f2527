package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIDescribesExactlyTheRegisteredRoutes registers the API on a
// mux that records every pattern, and compares with the document.
func TestOpenAPIDescribesExactlyTheRegisteredRoutes(t *testing.T) {
	a := New(Config{})
	var registered []string
	rec := &recordingMux{ServeMux: http.NewServeMux(), seen: &registered}
	a.register(rec)
	documented := map[string]bool{}
	doc := a.openAPIDocument()
	for p, ops := range doc["paths"].(map[string]map[string]any) {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+p] = true
		}
	}
	wild := regexp.MustCompile(`\{([a-z]+)\.\.\.\}`)
	seen := map[string]bool{}
	for _, pattern := range registered {
		if !strings.Contains(pattern, " ") {
			continue // the catch-all for unknown calls
		}
		key := wild.ReplaceAllString(pattern, "{$1}")
		seen[key] = true
		if !documented[key] {
			t.Errorf("registered but not documented: %s", pattern)
		}
	}
	var missing []string
	for key := range documented {
		if !seen[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("documented but not registered: %s", m)
	}
	if len(seen) < 25 {
		t.Errorf("only %d routes registered", len(seen))
	}
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi version %v", doc["openapi"])
	}
}

type recordingMux struct {
	*http.ServeMux
	seen *[]string
}

func (m *recordingMux) Handle(pattern string, h http.Handler) {
	*m.seen = append(*m.seen, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	*m.seen = append(*m.seen, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// TestOpenAPIDiff: the diff call is described with its query parameters
// and the shape of its answer.
func TestOpenAPIDiff(t *testing.T) {
	doc := New(Config{}).openAPIDocument()
	op, ok := doc["paths"].(map[string]map[string]any)[Prefix+"/requests/{id}/diff/{path}"]["get"].(map[string]any)
	if !ok {
		t.Fatal("no GET …/diff/{path} in the document")
	}
	var names []string
	for _, p := range op["parameters"].([]any) {
		names = append(names, p.(map[string]any)["name"].(string)+":"+p.(map[string]any)["in"].(string))
	}
	if want := []string{"id:path", "path:path", "from:query", "to:query"}; !slices.Equal(names, want) {
		t.Errorf("parameters %v, want %v", names, want)
	}
	raw, _ := json.Marshal(op["responses"])
	for _, field := range []string{`"kind"`, `"header_changed"`, `"rows_added"`, `"cells"`, `"unified"`, `"sha256"`, `"added_at"`, `"csv","text","binary"`} {
		if !strings.Contains(string(raw), field) {
			t.Errorf("the diff's answer does not describe %s", field)
		}
	}
}
