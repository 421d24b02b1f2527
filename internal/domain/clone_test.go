package domain

import (
	"reflect"
	"testing"
	"time"
)

// TestCloneIsDeep fills every field of a request (checked by reflection,
// so a field added later without a copy fails here), clones it, changes
// the clone everywhere, and expects the original unchanged.
func TestCloneIsDeep(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := 3
	r := &Request{
		ID: "r", Workspace: "ws", Project: "p", Organisations: []string{"o"}, Author: "a",
		CreatedAt: now, LastSubmittedAt: &now, Status: StatusSubmitted, ReviewTurn: 1,
		SubmittedReviews: map[string]time.Time{"c": now}, TurnReviewers: []string{"c"}, Version: 2,
		Groups: []Group{{Name: "g", Context: "x", Controls: "y", CreatedAt: now, UpdatedAt: now}},
		Files: []RequestFile{{
			Relpath: "a.csv", Group: "g", FileID: "id", FileType: FileOutput, Timestamp: 1, Size: 2,
			JobID: "j", Commit: "c", Repo: "r", RowCount: &n, ColCount: &n,
			Reviews:    map[string]Review{"c": {Reviewer: "c", Vote: VoteApproved}},
			ReleasedAt: &now, ReleasedBy: "c", Uploaded: true, UploadedAt: &now, UploadAttempts: 1, UploadAttemptedAt: &now,
			UploadNextAt: &now, UploadError: "e",
			Checks:   []Finding{{Rule: Rule("small_count"), Severity: SeverityWarning, Message: "m", Cells: [][2]int{{0, 1}}}},
			Override: &ChecksOverride{Justification: "j", By: "a", At: now},
		}},
		Comments: []Comment{{ID: 1, Group: "g", Text: "t"}},
	}
	for _, v := range []reflect.Value{reflect.ValueOf(*r), reflect.ValueOf(r.Files[0])} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Fatalf("test request leaves %s.%s zero: fill it so Clone is checked on it", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	c := r.Clone()
	if !reflect.DeepEqual(c, r) {
		t.Fatalf("clone differs from the original")
	}
	c.Organisations[0] = "changed"
	*c.LastSubmittedAt = now.Add(time.Hour)
	c.SubmittedReviews["x"] = now
	c.TurnReviewers[0] = "changed"
	c.Groups[0].Context = "changed"
	c.Comments[0].Text = "changed"
	f := &c.Files[0]
	*f.RowCount, *f.ColCount = 9, 9
	f.Reviews["x"] = Review{}
	*f.ReleasedAt = now.Add(time.Hour)
	*f.UploadedAt = now.Add(time.Hour)
	*f.UploadAttemptedAt = now.Add(time.Hour)
	*f.UploadNextAt = now.Add(time.Hour)
	f.Checks[0].Cells[0][0] = 9
	f.Checks[0].Message = "changed"
	f.Override.Justification = "changed"
	f.Relpath = "changed"

	if r.Organisations[0] != "o" || !r.LastSubmittedAt.Equal(now) || len(r.SubmittedReviews) != 1 ||
		r.TurnReviewers[0] != "c" || r.Groups[0].Context != "x" || r.Comments[0].Text != "t" {
		t.Errorf("changing the clone changed the request: %+v", r)
	}
	g := r.Files[0]
	if *g.RowCount != 3 || *g.ColCount != 3 || len(g.Reviews) != 1 || !g.ReleasedAt.Equal(now) ||
		!g.UploadedAt.Equal(now) || !g.UploadAttemptedAt.Equal(now) || !g.UploadNextAt.Equal(now) || g.Relpath != "a.csv" ||
		g.Checks[0].Cells[0][0] != 0 || g.Checks[0].Message != "m" || g.Override.Justification != "j" {
		t.Errorf("changing the clone changed the request's file: %+v", g)
	}

	events := []Event{{ID: 1, Extra: map[string]string{"k": "v"}}}
	ce := CloneEvents(events)
	ce[0].Extra["k"] = "changed"
	ce[0].ID = 2
	if events[0].Extra["k"] != "v" || events[0].ID != 1 {
		t.Errorf("changing cloned events changed the events: %+v", events)
	}
}

// TestCloneFilesOwnTheirValues: the clone's files each hold their own
// times and counts (copied into shared slabs): changing one file's changes
// no other file's, nor the original's.
func TestCloneFilesOwnTheirValues(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Request{}
	for i := range 50 {
		n, at := i, now.Add(time.Duration(i)*time.Minute)
		f := RequestFile{Relpath: "f", RowCount: &n, ReleasedAt: &at, UploadNextAt: &at}
		if i%2 == 0 {
			m := i + 100
			f.ColCount, f.UploadedAt, f.UploadAttemptedAt = &m, &at, &at
		}
		r.Files = append(r.Files, f)
	}
	c := r.Clone()
	if !reflect.DeepEqual(c, r) {
		t.Fatal("clone differs from the original")
	}
	for i := range c.Files {
		f := &c.Files[i]
		*f.RowCount = -1
		*f.ReleasedAt = time.Time{}
		if f.ColCount != nil {
			*f.ColCount = -1
			*f.UploadedAt = time.Time{}
		}
		for j := range c.Files {
			if j == i {
				continue
			}
			if g := c.Files[j]; (j > i && *g.RowCount != j) || (j > i && !g.ReleasedAt.Equal(now.Add(time.Duration(j)*time.Minute))) ||
				(j > i && g.ColCount != nil && *g.ColCount != j+100) {
				t.Fatalf("changing file %d's values changed file %d's", i, j)
			}
		}
	}
	for i, f := range r.Files {
		if *f.RowCount != i || !f.ReleasedAt.Equal(now.Add(time.Duration(i)*time.Minute)) || !f.UploadNextAt.Equal(*f.ReleasedAt) {
			t.Fatalf("changing the clone changed the original's file %d", i)
		}
	}
}
