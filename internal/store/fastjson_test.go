package store

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// jsonFindings is what encoding/json makes of raw, as DecodeChecks read
// it before the fast path.
func jsonFindings(raw string) ([]domain.Finding, error) {
	list := []domain.Finding{}
	err := json.Unmarshal([]byte(raw), &list)
	return list, err
}

func jsonStringMap(raw string) (map[string]string, error) {
	var m map[string]string
	err := json.Unmarshal([]byte(raw), &m)
	return m, err
}

// sameAsJSON fails unless the fast decoders, where they accept raw,
// decode it as encoding/json does (and accept only what it accepts).
func sameAsJSON(t *testing.T, raw string) {
	t.Helper()
	if got, ok := decodeFindings(raw); ok {
		want, err := jsonFindings(raw)
		if err != nil {
			t.Errorf("findings %q: fast path accepted what encoding/json refuses (%v)", raw, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("findings %q:\nfast %#v\njson %#v", raw, got, want)
		}
	}
	if got, ok := decodeStringMap(raw); ok {
		want, err := jsonStringMap(raw)
		if err != nil {
			t.Errorf("map %q: fast path accepted what encoding/json refuses (%v)", raw, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("map %q:\nfast %#v\njson %#v", raw, got, want)
		}
	}
}

var fastJSONSamples = []string{
	`[]`, ` [ ] `, `null`, `{}`, ` { } `, `[{}]`,
	`[{"rule":"small_count","severity":"warning","message":"1 count between 1 and 7","cells":[[0,0]]}]`,
	`[{"rule":"small_count","severity":"warning","message":"m","cells":[[0,0],[12,-3]]},{"rule":"unrounded","severity":"info","message":"n","cells":[]}]`,
	`[{"rule":"type_mismatch","severity":"blocking","message":"not CSV","cells":null}]`,
	`[{"rule":"r","severity":"warning","message":"m"}]`,
	`[ { "rule" : "r" , "severity" : "info" , "message" : "é ü 数" , "cells" : [ [ 1 , 2 ] ] } ]`,
	`[{"rule":"r","severity":"bad","message":"m","cells":[]}]`,
	`[{"Rule":"r","severity":"info","message":"m","cells":[]}]`,
	`[{"rule":"r","rule":"s","severity":"info"}]`,
	`[{"rule":"r","severity":"info","message":"a\nb","cells":[]}]`,
	`[{"rule":"r","severity":"info","message":"\u003cb\u003e","cells":[]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[1,2,3]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[1]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[1.5,2]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[01,2]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[1e2,2]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[-0,2]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[99999999999999999999,2]]}]`,
	`[{"rule":"r","severity":"info","message":"m","cells":[[1,2],]}]`,
	`[{"rule":"r",}]`, `[{,"rule":"r"}]`, `[{"rule":"r" "message":"m"}]`, `[{"rule":1}]`,
	`[{}],`, `[{}] x`, `[{}`, `{"a":"b"}`, `{"a":"b","c":"d"}`, `{"a": "b", "c": "d"}`,
	`{"a":"b",}`, `{"a":"b""c":"d"}`, `{"a":1}`, `{"a":null}`, `{"a":"b","a":"c"}`,
	`{"a":"\u00e9"}`, `{"a":"` + "\xff" + `"}`, `{"a":"` + "\x01" + `"}`, `{"a":"b"} {}`,
	`{"group":"g","filetype":"OUTPUT","review_turn":"0"}`, `{"comment":"<b>&amp;</b>"}`,
}

func TestFastJSONAsEncodingJSON(t *testing.T) {
	for _, raw := range fastJSONSamples {
		sameAsJSON(t, raw)
	}
}

// TestFastJSONTakesWhatStoresWrite: what the stores write (EncodeChecks,
// an event's extra) is read by the fast path, not left to encoding/json.
func TestFastJSONTakesWhatStoresWrite(t *testing.T) {
	findings := [][]domain.Finding{
		nil,
		{{Rule: "small_count", Severity: domain.SeverityWarning, Message: "3 counts between 1 and 7 in column 'n'", Cells: [][2]int{{0, 1}, {4, 1}, {9, 1}}}},
		{{Rule: "type_mismatch", Severity: domain.SeverityBlocking, Message: "The file is not CSV"}, {Rule: "unrounded", Severity: domain.SeverityInfo, Message: "Counts not rounded: 13, 17", Cells: [][2]int{}}},
	}
	for _, list := range findings {
		raw, _, err := EncodeChecks(domain.RequestFile{Checks: list})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeFindings(raw); !ok {
			t.Errorf("the fast path gives up on %s", raw)
		}
		sameAsJSON(t, raw)
		var f domain.RequestFile
		if err := DecodeChecks(raw, "", &f); err != nil {
			t.Fatal(err)
		}
		want := list
		if want == nil {
			want = []domain.Finding{}
		}
		for i := range want {
			if want[i].Cells == nil {
				want[i].Cells = [][2]int{} // MarshalJSON writes [], which reads back empty
			}
		}
		if !reflect.DeepEqual(f.Checks, want) {
			t.Errorf("DecodeChecks(%s) = %#v, want %#v", raw, f.Checks, want)
		}
	}
	extra, err := json.Marshal(map[string]string{"group": "g", "filetype": "OUTPUT", "review_turn": "2", "reviewer": "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := decodeStringMap(string(extra)); !ok {
		t.Errorf("the fast path gives up on %s", extra)
	}
	for _, raw := range []string{"null", "{}", string(extra), `{"comment":"a\nb"}`} {
		got, err := DecodeExtra(raw)
		want, jerr := jsonStringMap(raw)
		if want == nil {
			want = map[string]string{}
		}
		if err != nil || jerr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeExtra(%s) = %v, %v; want %v, %v", raw, got, err, want, jerr)
		}
	}
	if _, err := DecodeExtra(`{"a":1}`); err == nil {
		t.Error("DecodeExtra took a number for a string")
	}
}

func FuzzFastJSON(f *testing.F) {
	for _, raw := range fastJSONSamples {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		sameAsJSON(t, raw)
	})
}
