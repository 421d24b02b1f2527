package api

import (
	"net/http"
	"regexp"
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
