package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestAllowedFileType(t *testing.T) {
	for path, want := range map[string]bool{
		"out/table.csv": true, "out/fig.png": true, "out/fig.jpeg": true, "out/a.svgz": true, "notes.md": true,
		"out/data.CSV": false, "out/.hidden.csv": false, "out/model.pkl": false, "out/csv": false,
		"out/.csv": false, "out/archive.csv.gz": false, "metadata/job.log": true,
	} {
		if got := AllowedFileType(path); got != want {
			t.Errorf("AllowedFileType(%q) = %v", path, got)
		}
	}
}

func TestFileStatus(t *testing.T) {
	f := WorkspaceFile{Relpath: "a.csv", Valid: true, ContentHash: "h1"}
	req := &Request{Files: []RequestFile{{Relpath: "a.csv", FileID: "h1", FileType: FileOutput}}}
	changed := &Request{Files: []RequestFile{{Relpath: "a.csv", FileID: "h0", FileType: FileOutput}}}
	withdrawn := &Request{Files: []RequestFile{{Relpath: "a.csv", FileID: "h1", FileType: FileWithdrawn}}}
	tests := []struct {
		name     string
		file     WorkspaceFile
		released map[string]bool
		current  *Request
		want     WorkspaceFileStatus
	}{
		{"invalid", WorkspaceFile{Relpath: "a.csv"}, nil, nil, WorkspaceFileInvalid},
		{"unreleased", f, nil, nil, WorkspaceFileUnreleased},
		{"released elsewhere", f, map[string]bool{"h1": true}, req, WorkspaceFileReleased},
		{"under review", f, nil, req, WorkspaceFileUnderReview},
		{"updated", f, nil, changed, WorkspaceFileUpdated},
		{"withdrawn", f, nil, withdrawn, WorkspaceFileWithdrawn},
	}
	for _, tt := range tests {
		if got := FileStatus(tt.file, tt.released, tt.current); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestFileOperationPolicies(t *testing.T) {
	author := userFor(actAuthor)
	r := &Request{Workspace: "ws", Author: "author", Status: StatusReturned, Groups: []Group{{Name: "g"}},
		Files: []RequestFile{
			{Relpath: "a.csv", Group: "g", FileType: FileOutput},
			{Relpath: "w.csv", Group: "g", FileType: FileWithdrawn},
		}}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"add new output", r.CheckAddFile(author, "b.csv", FileOutput, WorkspaceFileUnreleased), nil},
		{"add duplicate", r.CheckAddFile(author, "a.csv", FileOutput, WorkspaceFileUnderReview), ErrPolicy},
		{"re-add withdrawn", r.CheckAddFile(author, "w.csv", FileSupporting, WorkspaceFileWithdrawn), nil},
		{"add released as output", r.CheckAddFile(author, "r.csv", FileOutput, WorkspaceFileReleased), ErrPolicy},
		{"add released as supporting", r.CheckAddFile(author, "r.csv", FileSupporting, WorkspaceFileReleased), nil},
		{"add bad type", r.CheckAddFile(author, "m.pkl", FileOutput, WorkspaceFileUnreleased), ErrInvalidInput},
		{"add log as output", r.CheckAddFile(author, "metadata/j.log", FileOutput, WorkspaceFileUnreleased), ErrPolicy},
		{"add log as supporting", r.CheckAddFile(author, "metadata/j.log", FileSupporting, WorkspaceFileUnreleased), nil},
		{"add invalid path", r.CheckAddFile(author, "x.csv", FileOutput, WorkspaceFileInvalid), ErrInvalidInput},
		{"add as someone else", r.CheckAddFile(userFor(actCollaborator), "b.csv", FileOutput, WorkspaceFileUnreleased), ErrPermissionDenied},
		{"update changed", r.CheckUpdateFile(author, "a.csv", WorkspaceFileUpdated), nil},
		{"update unchanged", r.CheckUpdateFile(author, "a.csv", WorkspaceFileUnderReview), ErrPolicy},
		{"update vanished", r.CheckUpdateFile(author, "a.csv", WorkspaceFileInvalid), ErrPolicy},
		{"update absent", r.CheckUpdateFile(author, "z.csv", WorkspaceFileUpdated), ErrNotFound},
		{"move", r.CheckChangeProperties(author, "a.csv", "h", FileOutput, false), nil},
		{"retype", r.CheckChangeProperties(author, "a.csv", "g", FileSupporting, false), nil},
		{"no change is no refusal", r.CheckChangeProperties(author, "a.csv", "g", FileOutput, false), nil},
		{"released to output", r.CheckChangeProperties(author, "a.csv", "h", FileOutput, true), ErrPolicy},
		{"change withdrawn", r.CheckChangeProperties(author, "w.csv", "h", FileOutput, false), ErrPolicy},
		{"withdraw", r.CheckWithdrawFile(author, "a.csv"), nil},
		{"withdraw twice", r.CheckWithdrawFile(author, "w.csv"), ErrPolicy},
		{"withdraw absent", r.CheckWithdrawFile(author, "z.csv"), ErrNotFound},
	}
	for _, tt := range tests {
		if tt.want == nil && tt.err != nil || tt.want != nil && !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestEditNeedsAnActiveWorkspace(t *testing.T) {
	r := &Request{Workspace: "ws", Author: "author", Status: StatusPending,
		Groups: []Group{{Name: "g", Context: "c", Controls: "c"}},
		Files:  []RequestFile{{Relpath: "a.csv", Group: "g", FileType: FileOutput}}}
	archived := User{Username: "author", Workspaces: map[string]WorkspaceInfo{"ws": {ProjectDetails: ProjectDetails{Ongoing: true}, Archived: true}}}
	inactive := User{Username: "author", Workspaces: map[string]WorkspaceInfo{"ws": {ProjectDetails: ProjectDetails{Ongoing: false}}}}
	for _, u := range []User{archived, inactive} {
		if err := r.CheckEdit(u); !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("edit on inactive workspace: %v", err)
		}
		if err := r.CheckSubmit(u); !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("submit on inactive workspace: %v", err)
		}
	}
	if err := r.CheckSubmit(userFor(actAuthor)); err != nil {
		t.Errorf("submit: %v", err)
	}
}

func TestSubmitPolicies(t *testing.T) {
	author := userFor(actAuthor)
	tests := []struct {
		name string
		r    *Request
		want error
	}{
		{"no outputs", &Request{Workspace: "ws", Author: "author", Status: StatusPending,
			Groups: []Group{{Name: "g", Context: "c", Controls: "c"}},
			Files:  []RequestFile{{Relpath: "s.txt", Group: "g", FileType: FileSupporting}}}, ErrPolicy},
		{"incomplete group", &Request{Workspace: "ws", Author: "author", Status: StatusPending,
			Groups: []Group{{Name: "g", Context: "c"}},
			Files:  []RequestFile{{Relpath: "a.csv", Group: "g", FileType: FileOutput}}}, ErrPolicy},
		{"empty incomplete group is fine", &Request{Workspace: "ws", Author: "author", Status: StatusPending,
			Groups: []Group{{Name: "g", Context: "c", Controls: "c"}, {Name: "empty"}},
			Files:  []RequestFile{{Relpath: "a.csv", Group: "g", FileType: FileOutput}}}, nil},
		{"under review", &Request{Workspace: "ws", Author: "author", Status: StatusSubmitted}, ErrInvalidTransition},
		{"blocking finding", withChecks(FileOutput, SeverityBlocking, nil), ErrPolicy},
		{"blocking finding overridden", withChecks(FileOutput, SeverityBlocking, &ChecksOverride{Justification: "fine"}), nil},
		{"warning does not block", withChecks(FileOutput, SeverityWarning, nil), nil},
		{"blocking finding on a supporting file", withChecks(FileSupporting, SeverityBlocking, nil), nil},
	}
	for _, tt := range tests {
		err := tt.r.CheckSubmit(author)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

// withChecks is a PENDING request ready to submit but for a.csv's
// finding of severity sev; a.csv is of type ft (with an output besides,
// so that there is one).
func withChecks(ft FileType, sev Severity, o *ChecksOverride) *Request {
	return &Request{Workspace: "ws", Author: "author", Status: StatusPending,
		Groups: []Group{{Name: "g", Context: "c", Controls: "c"}},
		Files: []RequestFile{
			{Relpath: "a.csv", Group: "g", FileType: ft, Override: o,
				Checks: []Finding{{Rule: Rule("small_count"), Severity: sev, Message: "small"}}},
			{Relpath: "b.csv", Group: "g", FileType: FileOutput},
		}}
}

func TestOverrideChecksPolicy(t *testing.T) {
	author, other := userFor(actAuthor), userFor(actCollaborator)
	long := "Counts are of hospitals, not people."
	tests := []struct {
		name          string
		r             *Request
		u             User
		path, justify string
		want          error
	}{
		{"allowed", withChecks(FileOutput, SeverityBlocking, nil), author, "a.csv", long, nil},
		{"not the author", withChecks(FileOutput, SeverityBlocking, nil), other, "a.csv", long, ErrPermissionDenied},
		{"nothing blocking", withChecks(FileOutput, SeverityWarning, nil), author, "a.csv", long, ErrPolicy},
		{"supporting file", withChecks(FileSupporting, SeverityBlocking, nil), author, "a.csv", long, ErrPolicy},
		{"already overridden", withChecks(FileOutput, SeverityBlocking, &ChecksOverride{Justification: long}), author, "a.csv", long, ErrPolicy},
		{"no justification", withChecks(FileOutput, SeverityBlocking, nil), author, "a.csv", "   ok   ", ErrInvalidInput},
		{"no such file", withChecks(FileOutput, SeverityBlocking, nil), author, "z.csv", long, ErrNotFound},
		{"too long", withChecks(FileOutput, SeverityBlocking, nil), author, "a.csv", strings.Repeat("x", MaxTextLength+1), ErrInvalidInput},
		{"longest allowed", withChecks(FileOutput, SeverityBlocking, nil), author, "a.csv", strings.Repeat("x", MaxTextLength), nil},
		{"not UTF-8", withChecks(FileOutput, SeverityBlocking, nil), author, "a.csv", long + "\xff", ErrInvalidInput},
	}
	for _, tt := range tests {
		err := tt.r.CheckOverrideChecks(tt.u, tt.path, tt.justify)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	r := withChecks(FileOutput, SeverityBlocking, nil)
	r.Status = StatusSubmitted
	if err := r.CheckOverrideChecks(author, "a.csv", long); err == nil {
		t.Errorf("override allowed while the request is under review")
	}
}

func TestResolveGroupName(t *testing.T) {
	r := &Request{Groups: []Group{{Name: "Tables"}, {Name: "default"}}}
	tests := []struct {
		in, want string
		err      bool
	}{
		{"default", "default", false},
		{"Tables", "Tables", false},
		{"tables", "", true}, // the same name but for case
		{"DEFAULT", "", true},
		{"  New Group ", "New Group", false},
		{"", "", true},
		{"a/b", "", true},
		{"a\x00b", "", true},
	}
	for _, tt := range tests {
		got, err := ResolveGroupName(r, tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ResolveGroupName(%q) = %q, %v", tt.in, got, err)
		}
	}
}
