package release

import (
	"mime"
	"testing"
)

// Uploads name the file as OpenSAFELY Airlock does: attachment;
// filename="<path>", the path as it is, in ISO-8859-1.
func TestContentDisposition(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"output/a.csv", `attachment; filename="output/a.csv"`},
		{"output/tables/my file (v2).csv", `attachment; filename="output/tables/my file (v2).csv"`},
		{"output/café.csv", "attachment; filename=\"output/caf\xe9.csv\""},
		{"output/a;b=c.csv", `attachment; filename="output/a;b=c.csv"`},
		{"output/数据 é.csv", `attachment; filename="output/?? ?.csv"; filename*=UTF-8''output%2F%E6%95%B0%E6%8D%AE%20%C3%A9.csv`},
	} {
		got := contentDisposition(tc.path)
		if got != tc.want {
			t.Errorf("contentDisposition(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	// A reader of RFC 6266 finds the whole name of a path beyond ISO-8859-1.
	_, params, err := mime.ParseMediaType(contentDisposition("output/数据 é.csv"))
	if err != nil || params["filename"] != "output/数据 é.csv" {
		t.Errorf("parsed %q, %v", params, err)
	}
}
