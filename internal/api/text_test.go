package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// TestInvalidTextRefused: a JSON string that is not valid UTF-8 (raw, as
// encoding/json would quietly replace it) or that decodes to a NUL is a
// 400 naming the text, and nothing is stored.
func TestInvalidTextRefused(t *testing.T) {
	h := newHarness(t)
	r := h.RequestIn(h.Author, domain.StatusPending)
	g := r.Groups[0].Name
	tests := []struct {
		name, method, path, body, want string
	}{
		{"raw 0xff in a comment", "POST", "/api/v1/requests/" + r.ID + "/groups/" + g + "/comments", "{\"text\": \"bad \xff\xfe\", \"visibility\": \"PUBLIC\"}", "not valid UTF-8"},
		{"NUL in a comment", "POST", "/api/v1/requests/" + r.ID + "/groups/" + g + "/comments", `{"text": "a\u0000b", "visibility": "PUBLIC"}`, "The comment holds a NUL"},
		{"raw 0xff in context", "PUT", "/api/v1/requests/" + r.ID + "/groups/" + g, "{\"context\": \"ctx\xff\", \"controls\": \"c\"}", "not valid UTF-8"},
		{"NUL in controls", "PUT", "/api/v1/requests/" + r.ID + "/groups/" + g, `{"context": "c", "controls": "\u0000"}`, "The controls holds a NUL"},
		{"NUL in a group name", "POST", "/api/v1/workspaces/" + r.Workspace + "/request/files", `{"group": "g\u0000", "files": [{"path": "out/z.csv", "filetype": "OUTPUT"}]}`, "The group name holds a NUL"},
		{"too long a justification", "POST", "/api/v1/requests/" + r.ID + "/files/override-checks", `{"path": "` + r.Files[0].Relpath + `", "justification": "` + strings.Repeat("é", domain.MaxTextLength+1) + `"}`, "longer than 20000"},
		{"invalid query", "GET", "/api/v1/requests?author=%ff", "", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.snap(r.ID)
			var body any
			if tt.body != "" {
				body = tt.body
			}
			status, raw := h.call("author", tt.method, tt.path, body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", status, raw)
			}
			if eb := checkError(t, tt.name, status, raw); !strings.Contains(eb.Error.Message, tt.want) || eb.Error.Code != "invalid_input" {
				t.Errorf("error %s %q, want invalid_input saying %q", eb.Error.Code, eb.Error.Message, tt.want)
			}
			if after := h.snap(r.ID); after != before {
				t.Errorf("refused, but the request or the audit log changed: %+v → %+v", before, after)
			}
		})
	}
	if _, err := h.Svc.VerifyAudit(h.Ctx); err != nil {
		t.Errorf("audit verify: %v", err)
	}
}
