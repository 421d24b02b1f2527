package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// encodingJSON is what writeJSON wrote before documents wrote themselves:
// encoding/json with HTML escaping, a newline after.
func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sameJSON(t testing.TB, what string, d requestDoc) {
	t.Helper()
	want := encodingJSON(t, d)
	got := appendJSONLine(nil, d)
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		from := max(0, i-80)
		t.Errorf("%s: the document differs from encoding/json's at byte %d:\nwrote %s\njson  %s", what, i,
			got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
	}
}

// hostileStrings are what a JSON string writer gets wrong: HTML, quotes,
// control characters, line separators, invalid UTF-8, non-ASCII text.
var hostileStrings = []string{
	"", "plain", `say "hi"`, `back\slash`, "<script>alert(1)</script>", "a & b > c",
	"line\nbreak\r\ttab", "\b\f\x00\x01\x1f\x7f", "\u2028\u2029", "bad \xff\xfe utf8", "\xe2\x82",
	"café 数据 🎉", "\ufffd", "output/part_01/table 2024 (final).csv",
}

// fill gives every field of v a value (recursively), nil or empty only
// sometimes, so that a field the writer forgets shows.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(hostileStrings[rng.IntN(len(hostileStrings))])
	case reflect.Int, reflect.Int64:
		v.SetInt(rng.Int64N(2_000_000) - 1000)
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Pointer:
		if rng.IntN(4) == 0 {
			return // nil
		}
		p := reflect.New(v.Type().Elem())
		fill(rng, p.Elem(), depth)
		v.Set(p)
	case reflect.Slice:
		switch n := rng.IntN(5); {
		case n == 0 && depth > 0:
			return // nil
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range s.Len() {
				fill(rng, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(rng, v.Index(i), depth+1)
		}
	case reflect.Map:
		if rng.IntN(5) == 0 {
			return // nil
		}
		m := reflect.MakeMap(v.Type())
		for range rng.IntN(4) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(rng, k, depth+1)
			fill(rng, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(rng, v.Field(i), depth+1)
		}
	default:
		panic("fill: no value for " + v.Type().String())
	}
}

// TestRequestDocJSONAsEncodingJSON: documents with every field filled at
// random (hostile strings, nil and empty lists, absent and present
// values) are written byte for byte as encoding/json writes them.
func TestRequestDocJSONAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var d requestDoc
		fill(rng, reflect.ValueOf(&d).Elem(), 0)
		sameJSON(t, "random document", d)
		if t.Failed() {
			t.Fatalf("document %d", i)
		}
	}
	sameJSON(t, "the zero document", requestDoc{})
}

// TestRequestDocJSONOfRequests: the documents of requests in every state,
// as each kind of viewer sees them, with every version of every file.
func TestRequestDocJSONOfRequests(t *testing.T) {
	e := testkit.NewEnv(t)
	pending := e.Pending(e.Author, "out/a.csv", "out/<b>.csv", "out/c \"q\".csv")
	submitted := e.Submitted(e.Colleague)
	_, err := e.Svc.CreateComment(e.Ctx, e.C1, submitted.ID, "g", "Please <round> & \u2028 check\n", domain.VisibilityPrivate)
	e.OK(err)
	e.R(e.Svc.Vote(e.Ctx, e.C1, submitted.ID, submitted.Files[0].Relpath, domain.VoteApproved))
	reviewed := e.Submitted(e.CheckerAuthor)
	e.Review(reviewed.ID, e.C1, domain.VoteApproved)
	e.Review(reviewed.ID, e.C2, domain.VoteChangesRequested)
	for _, id := range []string{pending.ID, submitted.ID, reviewed.ID} {
		r := e.Get(id)
		versions, err := e.Store.RequestVersions(e.Ctx, id)
		e.OK(err)
		for _, u := range []domain.User{e.Author, e.Colleague, e.C1, e.C2, e.CheckerAuthor, e.Copilot, e.ReadOnly} {
			if r.CheckView(u) != nil {
				continue
			}
			d := requestDocument(r, u)
			sameJSON(t, string(r.Status)+" for "+u.Username, d)
			addVersions(&d, versions)
			sameJSON(t, string(r.Status)+" for "+u.Username+" with versions", d)
		}
	}
	// A released file's upload fields and an override.
	r := e.Get(pending.ID)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f := &r.Files[0]
	f.ReleasedAt, f.UploadAttemptedAt, f.UploadAttempts, f.UploadError = &now, &now, 3, "job-server said <no>"
	f.Override = &domain.ChecksOverride{Justification: "Counts are of <events>", By: "author", At: now}
	sameJSON(t, "a released file with an override", requestDocument(r, e.Author))
}

func FuzzRequestDocJSON(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		v := domain.VoteApproved
		d := requestDoc{ID: s, Organisations: []string{s}, SubmittedReviews: map[string]string{s: s, "b": s},
			Groups: []groupDoc{{Name: s, Context: s, Files: []fileDoc{{Path: s, Size: n, MyVote: &v, UploadError: &s,
				Checks: []domain.Finding{{Message: s, Cells: [][2]int{{int(n), -int(n)}}}}}}, Comments: []commentDoc{{ID: n, Text: s}}}}}
		sameJSON(t, "fuzzed", d)
	})
}
