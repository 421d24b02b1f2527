package api

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// docCall is a row of the Calls table of docs/api.md: "| `METHOD /api/v1/...` |".
var docCall = regexp.MustCompile("^\\| `(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^` ]*)` \\|")

// TestDocsAPIListsExactlyTheOpenAPIRoutes keeps docs/api.md in step with
// the OpenAPI document: every call of the one is a row of the other's
// Calls table, and the other way round.
func TestDocsAPIListsExactlyTheOpenAPIRoutes(t *testing.T) {
	raw, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if m := docCall.FindStringSubmatch(line); m != nil {
			key := m[1] + " " + strings.ReplaceAll(m[2], "...}", "}")
			if documented[key] {
				t.Errorf("docs/api.md lists %s twice", key)
			}
			documented[key] = true
		}
	}
	served := map[string]bool{}
	for p, ops := range New(Config{}).openAPIDocument()["paths"].(map[string]map[string]any) {
		for method := range ops {
			served[strings.ToUpper(method)+" "+p] = true
		}
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("the API has %s, but docs/api.md does not list it (add a row to its Calls table)", k)
	}
	for _, k := range extra {
		t.Errorf("docs/api.md lists %s, which the API does not have", k)
	}
	if len(documented) < 25 {
		t.Errorf("only %d calls found in docs/api.md: is its Calls table still \"| `METHOD /api/v1/...` |\"?", len(documented))
	}
}
