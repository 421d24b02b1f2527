package workspace

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// sameAsJSON fails unless what decodeFast reads of raw, when it reads it,
// is what encoding/json reads into a Manifest, without an error.
func sameAsJSON(t *testing.T, raw []byte) bool {
	t.Helper()
	m, outs, missing, ok := decodeFast(raw)
	if !ok {
		return false
	}
	var want Manifest
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("the fast decoder read %q, which encoding/json refuses: %v", raw, err)
	}
	got := map[string]Output{}
	for _, e := range outs {
		got[e.key] = e.out
	}
	if missing != (want.Outputs == nil) || m.Workspace != want.Workspace || m.Repo != want.Repo ||
		len(outs) != len(got) || (want.Outputs != nil && !reflect.DeepEqual(got, want.Outputs)) {
		t.Fatalf("%q: the fast decoder read %+v %+v (missing %v), encoding/json %+v", raw, m, outs, missing, want)
	}
	return true
}

// TestDecodeFastAsJSON: the fast decoder reads the manifests it reads as
// encoding/json does, and leaves to it every manifest it might read
// otherwise (or refuse).
func TestDecodeFastAsJSON(t *testing.T) {
	h := strings.Repeat("0a", 32)
	tests := []struct {
		raw  string
		fast bool
	}{
		{`{"workspace": "w", "repo": "r", "outputs": {"a.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `", "size": 3, "timestamp": 1.7e9, "message": null, "row_count": 2, "col_count": null, "excluded": false, "other": [1, {"x": "\u00e9\n"}], "user": "u"}}}`, true},
		{`{"outputs": {}}`, true},
		{`{"workspace": null, "extra": {"deep": [[[]]]}, "outputs": {"a": {}, "b": {"size": -0}}} `, true},
		{`{}`, true},
		{`{"outputs": null}`, false},
		{`null`, false},
		{`[]`, false},
		{`{"outputs": {"a": {"size": 1.5}}}`, false},
		{`{"outputs": {"a": {"size": 1e3}}}`, false},
		{`{"outputs": {"a": {"size": "3"}}}`, false},
		{`{"outputs": {"a": {"Level": "moderately_sensitive"}}}`, false},
		{`{"OUTPUTS": {}}`, false},
		{`{"outputs": {"a": {"level": "x", "level": "y"}}}`, false},
		{`{"outputs": {"a": {}, "a": {"size": 1}}}`, false},
		{`{"outputs": {"a\"b": {}}}`, false},
		{`{"outputs": {"a": {"job_id": "a\u0000"}}}`, false},
		{`{"outputs": {"a": null}}`, false},
		{`{"outputs": {"a": {"row_count": 99999999999999999999}}}`, false},
		{`{"outputs": {"a": {"timestamp": 1e999}}}`, false},
		{`{"outputs": {}} x`, false},
		{`{"outputs": {},}`, false},
		{`{"outputs": {"a": {"x": 01}}}`, false},
		{`{"outputs": {"a": {"x": "\q"}}}`, false},
		{`{"outputs": {"a": {"k": 1}}}`, true},
		// Strings repeated, alternating and emptied from entry to entry
		// (held once), counts in each.
		{`{"outputs": {"a": {"user": "u", "action": "x", "message": "m", "row_count": 1, "col_count": 2}, ` +
			`"b": {"user": "u", "action": "y", "message": "m", "row_count": 3}, ` +
			`"c": {"user": "v", "action": "x", "message": null, "col_count": 0}, ` +
			`"d": {"user": "", "action": "x", "message": "", "row_count": null}, ` +
			`"e": {"user": "u", "action": "", "message": "m2", "level": "moderately_sensitive"}}}`, true},
		{`{"outputs": {"a": {"Job_ID": "j"}}}`, false},
		{`{"outputs": {"a": {"out_of_date_actioN": true}}}`, false},
		{"{\"outputs\": {\"a\": {\"\u212aey\": 1}}}", false},
		{``, false},
		{`{`, false},
	}
	for _, tt := range tests {
		if got := sameAsJSON(t, []byte(tt.raw)); got != tt.fast {
			t.Errorf("%s: read fast %v, want %v", tt.raw, got, tt.fast)
		}
	}
}

// FuzzDecodeFastAsJSON: whatever the bytes, the fast decoder reads
// exactly what encoding/json does, or leaves them to it.
func FuzzDecodeFastAsJSON(f *testing.F) {
	h := strings.Repeat("0a", 32)
	for _, s := range []string{
		`{"workspace": "w", "repo": "r", "outputs": {"a.csv": {"level": "moderately_sensitive", "content_hash": "` + h + `", "size": 3, "timestamp": 1.7e9, "message": null, "row_count": 2}}}`,
		`{"outputs": {"a": {"excluded": true, "out_of_date_action": true, "x": [1, 2.5e-3, "s", {"y": null}]}}}`,
		`{"outputs": {"a": {"size": -12, "timestamp": -0.5E+2}}}`, `{"x": "\ud800"}`, `{}`, `{"outputs": {}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsJSON(t, raw)
	})
}
