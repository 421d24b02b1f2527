package workspace

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sameAsJSON fails unless what decodeFast reads of raw, when it reads it,
// is what encoding/json reads into a Manifest, without an error.
func sameAsJSON(t *testing.T, raw []byte) bool {
	t.Helper()
	m, outs, missing, ok := decodeFast(raw)
	// Split however small: the outputs' second half on another core
	// reads the same, or both leave the bytes to encoding/json.
	m2, outs2, missing2, ok2 := decodeFastSplit(raw, 1)
	if ok2 != ok || !reflect.DeepEqual(m2, m) || missing2 != missing || !reflect.DeepEqual(outs2, outs) {
		t.Fatalf("%q: split, the fast decoder read %v %+v %+v (missing %v); whole, %v %+v %+v (missing %v)",
			raw, ok2, m2, outs2, missing2, ok, m, outs, missing)
	}
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

// TestDecodeSplitAsJSON: large outputs decoded in two halves read as
// encoding/json reads them, whether the middle falls between entries or
// inside one (in a string, in an object of a key airlock ignores), where
// the halves cannot start, and whatever comes after the outputs.
func TestDecodeSplitAsJSON(t *testing.T) {
	h := strings.Repeat("0a", 32)
	entry := func(i int) string {
		return fmt.Sprintf(`"out/%04d.csv": {"level": "moderately_sensitive", "content_hash": "%s", "size": %d, "user": "u%d", "row_count": %d}`, i, h, i, i%3, i)
	}
	entries := func(from, to int) string {
		var b []string
		for i := from; i < to; i++ {
			b = append(b, entry(i))
		}
		return strings.Join(b, ", ")
	}
	tricky := `"out/5000.csv": {"note": "` + strings.Repeat(`}, "`[:3], 2000) + `", "other": [` +
		strings.Repeat(`{"a": {}, "b": 1}, `, 2000) + `{}], "size": 1}`
	tests := map[string]string{
		"between entries":      `{"workspace": "w", "outputs": {` + entries(0, 400) + `}}`,
		"inside a string":      `{"outputs": {` + entries(0, 50) + ", " + tricky + ", " + entries(6000, 6050) + `}}`,
		"after the outputs":    `{"outputs": {` + entries(0, 20) + `}, "extra": {` + strings.Repeat(`"x": {"y": 1}, `, 3000) + `"z": {}}}`,
		"an error in the half": `{"outputs": {` + entries(0, 200) + `, "bad": {"size": 1.5}}}`,
		"unsorted":             `{"outputs": {` + entries(200, 400) + ", " + entries(0, 200) + `}}`,
		"a key twice":          `{"outputs": {` + entries(0, 200) + ", " + entry(3) + `}}`,
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			fast := sameAsJSON(t, []byte(raw))
			if want := name != "an error in the half" && name != "a key twice"; fast != want {
				t.Errorf("read fast %v, want %v", fast, want)
			}
		})
	}
}
