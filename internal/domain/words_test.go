package domain

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// enumName matches a raw enum value in text meant for people:
// PARTIALLY_REVIEWED, RETURNED, OUTPUT.
var enumName = regexp.MustCompile(`\b[A-Z]{2,}(_[A-Z]+)*\b`)

func TestLabelsAreWords(t *testing.T) {
	var labels []string
	for _, s := range Statuses() {
		labels = append(labels, s.Label(), s.Describe())
	}
	for _, v := range []Vote{VoteApproved, VoteChangesRequested, VoteUndecided} {
		labels = append(labels, v.Label())
	}
	for _, d := range []Decision{DecisionIncomplete, DecisionApproved, DecisionConflicted, DecisionChangesRequested} {
		labels = append(labels, d.Label())
	}
	for _, ft := range []FileType{FileOutput, FileSupporting, FileWithdrawn} {
		labels = append(labels, ft.Label(), ft.Noun())
	}
	for _, v := range []Visibility{VisibilityPublic, VisibilityPrivate} {
		labels = append(labels, v.Label())
	}
	for _, s := range []WorkspaceFileStatus{WorkspaceFileUnreleased, WorkspaceFileUnderReview, WorkspaceFileReleased,
		WorkspaceFileUpdated, WorkspaceFileWithdrawn, WorkspaceFileInvalid} {
		labels = append(labels, s.Label())
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if l == "" || enumName.MatchString(l) || strings.Contains(l, "_") {
			t.Errorf("label %q is not words", l)
		}
		seen[l] = true
	}
	for _, tc := range []struct{ got, want string }{
		{StatusReturned.Label(), "Returned"},
		{StatusPartiallyReviewed.Label(), "One review submitted"},
		{VoteChangesRequested.Label(), "Changes requested"},
		{FileSupporting.Label(), "Supporting"},
		{VisibilityPrivate.Label(), "Output checkers only"},
		{StatusReturned.Describe(), "This request has been returned to its author"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestSummarizeEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ev := func(typ EventType, user, path string, extra map[string]string) Event {
		if extra == nil {
			extra = map[string]string{}
		}
		if _, ok := extra["review_turn"]; !ok {
			extra["review_turn"] = "1"
		}
		return Event{Type: typ, User: user, Path: path, Extra: extra, CreatedAt: at}
	}
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{ev(EventRequestFileRequestChanges, "checker2", "output/a.csv", map[string]string{"group": "Tables"}), "checker2 requested changes on output/a.csv"},
		{ev(EventRequestFileApprove, "checker1", "output/a.csv", map[string]string{"group": "Tables"}), "checker1 approved output/a.csv"},
		{ev(EventRequestFileAdd, "researcher", "output/a.csv", map[string]string{"group": "Tables", "filetype": "OUTPUT"}),
			"researcher added output/a.csv to group Tables as an output"},
		{ev(EventRequestFileAdd, "researcher", "metadata/job.log", map[string]string{"group": "Tables", "filetype": "SUPPORTING"}),
			"researcher added metadata/job.log to group Tables as a supporting file"},
		{ev(EventRequestComment, "checker1", "", map[string]string{"group": "Tables", "visibility": "PRIVATE", "comment_id": "1",
			"comment": "File: [output/a.csv](/requests/view/x/Tables/output/a.csv)\n\nPlease **round** to 5."}),
			"checker1 commented on Tables (output checkers only): “File: output/a.csv Please round to 5.”"},
		{ev(EventRequestComment, "researcher", "", map[string]string{"group": "Tables", "visibility": "PUBLIC", "comment": "Done"}),
			"researcher commented on Tables: “Done”"},
		{ev(EventRequestSubmit, "researcher", "", map[string]string{"review_turn": "0"}), "researcher submitted the request for review"},
		{ev(EventRequestSubmit, "researcher", "", map[string]string{"review_turn": "2"}), "researcher resubmitted the request for review"},
		{ev(EventRequestReturn, "checker1", "", nil), "checker1 returned the request to its author"},
		{ev(EventRequestFileResetReview, "researcher", "output/a.csv", map[string]string{"reviewer": "checker1", "filetype": "OUTPUT"}),
			"researcher reset the vote of checker1 on output/a.csv"},
		{ev(EventRequestFileResetReview, "checker1", "output/a.csv", nil), "checker1 took back their vote on output/a.csv"},
		{ev(EventRequestFileUndecided, "researcher", "output/a.csv", map[string]string{"reviewer": "checker2"}),
			"The changes checker2 requested on output/a.csv became undecided when the request was resubmitted"},
		{ev(EventRequestFileUpload, "system", "output/a.csv", nil), "The file output/a.csv was uploaded"},
		{ev(EventRequestCreate, "bot", "", map[string]string{"automated_action": "true"}), "bot created the request (automated)"},
	} {
		if got := SummarizeEvent(tc.e).String(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.e.Type, got, tc.want)
		}
	}
	// Every type reads as words: no enum names, no extra keys.
	for _, typ := range EventTypes() {
		e := ev(typ, "u", "out/a.csv", map[string]string{"group": "g", "filetype": "OUTPUT", "visibility": "PUBLIC",
			"comment": "c", "comment_id": "7", "reviewer": "r", "context": "x", "controls": "y"})
		got := SummarizeEvent(e).String()
		if enumName.MatchString(got) || strings.Contains(got, "_") || strings.Contains(got, "comment_id") {
			t.Errorf("%s reads %q", typ, got)
		}
	}
}

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 20, "plain"},
		{"# Heading\n\n> quoted *em* and __strong__ `code`", 80, "Heading quoted em and strong code"},
		{"- one\n- two\n1. three", 80, "one two three"},
		{"see [the file](http://x/y) and ![img](a.png)", 80, "see the file and img"},
		{"one two three four five six", 12, "one two…"},
	} {
		if got := Excerpt(tc.in, tc.max); got != tc.want {
			t.Errorf("Excerpt(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// Refusals are sentences for people: no raw status or file type, a
// capital first letter and a full stop.
func TestRefusalsAreSentences(t *testing.T) {
	checker := User{Username: "c1", OutputChecker: true}
	author := User{Username: "author", Workspaces: map[string]WorkspaceInfo{"ws": {ProjectDetails: ProjectDetails{Ongoing: true}}}}
	for _, st := range Statuses() {
		r := &Request{Workspace: "ws", Author: "author", Status: st,
			Groups: []Group{{Name: "g", Context: "c", Controls: "c"}},
			Files:  []RequestFile{{Relpath: "a.csv", Group: "g", FileType: FileSupporting}}}
		for name, err := range map[string]error{
			"review":   r.CheckCurrentlyReview(checker),
			"edit":     r.CheckEdit(author),
			"submit":   r.CheckSubmit(author),
			"withdraw": r.CheckWithdraw(author),
			"reject":   r.CheckReject(checker),
			"return":   r.CheckReturn(checker),
			"release":  r.CheckRelease(checker),
			"vote":     r.CheckVote(checker, "a.csv"),
			"comment":  r.CheckComment(author),
		} {
			if err == nil {
				continue
			}
			msg := Message(err)
			if enumName.MatchString(msg) || !strings.HasSuffix(msg, ".") || msg[:1] != strings.ToUpper(msg[:1]) {
				t.Errorf("%s in %s: %q is not a sentence for people", name, st, msg)
			}
		}
	}
	r := &Request{Status: StatusReturned}
	if got := Message(r.CheckCurrentlyReview(checker)); got != "This request has been returned to its author; it is not under review." {
		t.Errorf("returned: %q", got)
	}
}

// A reviewer requests changes on, or resets, a group's votes only until
// they submit their review; every client gets the same refusal.
func TestCheckGroupVotes(t *testing.T) {
	checker := User{Username: "c1", OutputChecker: true}
	r := &Request{Workspace: "ws", Author: "author", Status: StatusSubmitted, ReviewTurn: 1,
		Groups: []Group{{Name: "g"}},
		Files: []RequestFile{{Relpath: "a.csv", Group: "g", FileType: FileOutput,
			Reviews: map[string]Review{"c1": {Reviewer: "c1", Vote: VoteApproved, ReviewTurn: 1}}}}}
	if err := r.CheckGroupVotes(checker, "g"); err != nil {
		t.Fatalf("before the review: %v", err)
	}
	if err := r.CheckGroupVotes(checker, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown group: %v", err)
	}
	if err := r.CheckGroupVotes(User{Username: "author"}, "g"); !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("not a checker: %v", err)
	}
	r.SubmittedReviews = map[string]time.Time{"c1": time.Now()}
	err := r.CheckGroupVotes(checker, "g")
	if !errors.Is(err, ErrPolicy) || Message(err) != "You have already submitted your review: change your votes file by file." {
		t.Errorf("after the review: %v", err)
	}
	if err := r.CheckVote(checker, "a.csv"); err != nil {
		t.Errorf("a vote file by file stays possible: %v", err)
	}
}

func TestPropertiesUnchanged(t *testing.T) {
	r := &Request{Files: []RequestFile{{Relpath: "a.csv", Group: "g", FileType: FileOutput}}}
	for _, tc := range []struct {
		group string
		ft    FileType
		want  bool
	}{{"g", FileOutput, true}, {"h", FileOutput, false}, {"g", FileSupporting, false}} {
		if got := r.PropertiesUnchanged("a.csv", tc.group, tc.ft); got != tc.want {
			t.Errorf("%s %s: %v", tc.group, tc.ft, got)
		}
	}
	if r.PropertiesUnchanged("z.csv", "g", FileOutput) {
		t.Error("a file not on the request is not unchanged")
	}
}

func TestLanding(t *testing.T) {
	ws := map[string]WorkspaceInfo{"ws": {ProjectDetails: ProjectDetails{Ongoing: true}}}
	for _, tc := range []struct {
		name string
		u    User
		want Landing
	}{
		{"researcher", User{Workspaces: ws}, LandingWorkspaces},
		{"output checker", User{OutputChecker: true}, LandingReviews},
		{"checker who is also a researcher", User{OutputChecker: true, Workspaces: ws}, LandingReviews},
		{"copilot", User{CopilotedWorkspaces: ws}, LandingCopiloted},
		{"copilot with workspaces of their own", User{Workspaces: ws, CopilotedWorkspaces: ws}, LandingWorkspaces},
		{"support (read-only)", User{ReadonlyAccess: true}, LandingAllWorkspaces},
		{"read-only checker is support", User{ReadonlyAccess: true, OutputChecker: true, Workspaces: ws}, LandingAllWorkspaces},
		{"nobody", User{}, LandingWorkspaces},
	} {
		if got := tc.u.Landing(); got != tc.want {
			t.Errorf("%s: lands on %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestApprovedUpdate(t *testing.T) {
	for n, want := range map[int]string{0: "0 files will be uploaded", 1: "1 file will be uploaded", 2: "2 files will be uploaded", 12: "12 files will be uploaded"} {
		if got := ApprovedUpdate(n); got.Update != want || got.User != "" || got.Group != "" {
			t.Errorf("ApprovedUpdate(%d) = %+v, want %q", n, got, want)
		}
	}
}
