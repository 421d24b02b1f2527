package domain

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The words people read. Every enum value airlock shows to a person (on a
// page, in a message, in the command line's human output) is shown by its
// label here; the values themselves stay the contract of the JSON API and
// the database.

// Label is the status in words: "Returned", "One review submitted".
func (s Status) Label() string {
	switch s {
	case StatusPending:
		return "Pending"
	case StatusSubmitted:
		return "Submitted"
	case StatusPartiallyReviewed:
		return "One review submitted"
	case StatusReviewed:
		return "All reviews submitted"
	case StatusReturned:
		return "Returned"
	case StatusApproved:
		return "Approved, files uploading"
	case StatusRejected:
		return "Rejected"
	case StatusWithdrawn:
		return "Withdrawn"
	case StatusReleased:
		return "Released"
	}
	return string(s)
}

// Describe says in a sentence where a request in this status stands, for
// messages: "This request has been returned to its author".
func (s Status) Describe() string {
	switch s {
	case StatusPending:
		return "This request has not been submitted yet"
	case StatusSubmitted:
		return "This request is waiting for its reviews"
	case StatusPartiallyReviewed:
		return "This request has one review submitted and is waiting for the second"
	case StatusReviewed:
		return "Both reviews of this request have been submitted"
	case StatusReturned:
		return "This request has been returned to its author"
	case StatusApproved:
		return "This request has been approved and its files are being uploaded"
	case StatusRejected:
		return "This request has been rejected"
	case StatusWithdrawn:
		return "This request has been withdrawn"
	case StatusReleased:
		return "This request's files have been released"
	}
	return "This request is " + string(s)
}

// Label is the vote in words: "Approved", "Changes requested",
// "Undecided".
func (v Vote) Label() string {
	switch v {
	case VoteApproved:
		return "Approved"
	case VoteChangesRequested:
		return "Changes requested"
	case VoteUndecided:
		return "Undecided"
	}
	return string(v)
}

// Label is the decision over the reviews in words (docs/lifecycle.md, "Decisions").
func (d Decision) Label() string {
	switch d {
	case DecisionApproved:
		return "Approved"
	case DecisionChangesRequested:
		return "Changes requested"
	case DecisionConflicted:
		return "Conflicted"
	}
	return "Incomplete"
}

// Label is the file type in words: "Output", "Supporting", "Withdrawn".
func (t FileType) Label() string {
	switch t {
	case FileOutput:
		return "Output"
	case FileSupporting:
		return "Supporting"
	case FileWithdrawn:
		return "Withdrawn"
	}
	return string(t)
}

// Noun is the file type as it reads in a sentence: "an output", "a
// supporting file", "a withdrawn file".
func (t FileType) Noun() string {
	switch t {
	case FileOutput:
		return "an output"
	case FileSupporting:
		return "a supporting file"
	case FileWithdrawn:
		return "a withdrawn file"
	}
	return strings.ToLower(string(t))
}

// Label says who may read a comment, as the reference words it: "All
// users", "Output checkers only".
func (v Visibility) Label() string {
	switch v {
	case VisibilityPrivate:
		return "Output checkers only"
	case VisibilityPublic:
		return "All users"
	}
	return string(v)
}

// Label is a workspace file's status in words (docs/lifecycle.md, "The files of a workspace, seen from one user's request").
func (s WorkspaceFileStatus) Label() string {
	switch s {
	case WorkspaceFileUnreleased:
		return "Unreleased"
	case WorkspaceFileUnderReview:
		return "Under review"
	case WorkspaceFileReleased:
		return "Released"
	case WorkspaceFileUpdated:
		return "Updated"
	case WorkspaceFileWithdrawn:
		return "Withdrawn"
	case WorkspaceFileInvalid:
		return "Not releasable"
	}
	return string(s)
}

// EventSummary is an audit event told as a sentence: who did what
// ("checker2" "requested changes on output/a.csv"), and, for comments,
// edits and overrides, an excerpt of the text written (Markdown
// stripped, shortened).
type EventSummary struct {
	Actor, Action string
	Excerpt       string
}

// String is the whole sentence, the excerpt quoted after it.
func (s EventSummary) String() string {
	out := s.Actor + " " + s.Action
	if s.Actor == "" {
		out = upperFirst(s.Action)
	}
	if s.Excerpt != "" {
		out += ": “" + s.Excerpt + "”"
	}
	return out
}

// FormatEventWords renders an event as one line of `airlock audit
// --words`: its time, request and sentence.
func FormatEventWords(e Event) string {
	var b strings.Builder
	b.WriteString(e.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
	if e.Request != "" {
		b.WriteString(" request " + e.Request)
	} else if e.Workspace != "" {
		b.WriteString(" workspace " + e.Workspace)
	}
	b.WriteString(": " + SummarizeEvent(e).String())
	if e.Hidden {
		b.WriteString(" (hidden by an early return)")
	}
	return b.String()
}

// excerptLength bounds an event's excerpt, in characters.
const excerptLength = 140

// SummarizeEvent tells an audit event as a sentence. It is the one
// wording of every event type, used by the activity tables and by
// `airlock audit`.
func SummarizeEvent(e Event) EventSummary {
	s := EventSummary{Actor: e.User}
	path, group := e.Path, e.Extra["group"]
	inGroup := ""
	if group != "" {
		inGroup = " in group " + group
	}
	switch e.Type {
	case EventWorkspaceFileView, EventRequestFileView:
		s.Action = "viewed " + path
	case EventRequestFileDownload:
		s.Action = "downloaded " + path
	case EventRequestCreate:
		s.Action = "created the request"
		if e.Extra["automated_action"] == "true" {
			s.Action += " (automated)"
		}
	case EventRequestSubmit:
		s.Action = "submitted the request for review"
		if e.ReviewTurn() > 0 {
			s.Action = "resubmitted the request for review"
		}
	case EventRequestWithdraw:
		s.Action = "withdrew the request"
	case EventRequestReview:
		s.Action = "submitted their review"
	case EventRequestApprove:
		s.Action = "approved the request and released its files"
	case EventRequestReject:
		s.Action = "rejected the request"
	case EventRequestReturn:
		s.Action = "returned the request to its author"
	case EventRequestRelease:
		s.Actor, s.Action = "", "all files were uploaded: the request is released"
	case EventRequestEarlyReturn:
		s.Action = "returned the request early: the votes and comments of this review turn were reset"
	case EventRequestEdit:
		s.Action = "edited the context and controls of group " + group
	case EventRequestComment:
		s.Action = "commented on " + group
		if e.Extra["visibility"] == string(VisibilityPrivate) {
			s.Action += " (output checkers only)"
		}
		s.Excerpt = Excerpt(e.Extra["comment"], excerptLength)
	case EventRequestCommentDelete:
		s.Action = "deleted a comment on " + group
	case EventRequestCommentPublic:
		s.Action = "made a comment on " + group + " visible to all users"
	case EventRequestFileAdd:
		s.Action = "added " + path + " to group " + group + fileTypeTail(e)
	case EventRequestFileUpdate:
		s.Action = "updated " + path + inGroup + fileTypeTail(e)
	case EventRequestFileWithdraw:
		s.Action = "withdrew " + path + " from the request"
		if group != "" {
			s.Action = "withdrew " + path + " from group " + group
		}
	case EventRequestFileApprove:
		s.Action = "approved " + path
	case EventRequestFileRequestChanges:
		s.Action = "requested changes on " + path
	case EventRequestFileResetReview:
		s.Action = "took back their vote on " + path
		if r := e.Extra["reviewer"]; r != "" && r != e.User {
			s.Action = "reset the vote of " + r + " on " + path
		}
	case EventRequestFileUndecided:
		s.Actor, s.Action = "", "the changes "+orSomeone(e.Extra["reviewer"])+" requested on "+path+" became undecided when the request was resubmitted"
	case EventRequestFileRelease:
		s.Action = "released " + path
	case EventRequestFileUpload:
		s.Actor, s.Action = "", "the file "+path+" was uploaded"
	case EventRequestFileChecksOverride:
		s.Action = "overrode the blocking disclosure checks of " + path
		s.Excerpt = Excerpt(e.Extra["justification"], excerptLength)
	default:
		s.Action = strings.ToLower(strings.ReplaceAll(string(e.Type), "_", " "))
		if path != "" {
			s.Action += " " + path
		}
	}
	return s
}

// fileTypeTail is ", as an output" for an event that names a file type.
func fileTypeTail(e Event) string {
	if ft := FileType(e.Extra["filetype"]); ft != "" {
		return " as " + ft.Noun()
	}
	return ""
}

func orSomeone(name string) string {
	if name == "" {
		return "a reviewer"
	}
	return name
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

var (
	mdImage   = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink    = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdMarks   = regexp.MustCompile("(\\*\\*|__|\\*|`+|~~)")
	mdLineTag = regexp.MustCompile(`(?m)^\s*(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)`)
	spaces    = regexp.MustCompile(`\s+`)
)

// Excerpt is the start of a text a person wrote (Markdown), as plain text
// on one line: links become their text, emphasis and headings marks go,
// and it is cut at a word to at most max characters, with "…".
func Excerpt(text string, max int) string {
	t := mdImage.ReplaceAllString(text, "$1")
	t = mdLink.ReplaceAllString(t, "$1")
	t = mdLineTag.ReplaceAllString(t, "")
	t = mdMarks.ReplaceAllString(t, "")
	t = strings.TrimSpace(spaces.ReplaceAllString(t, " "))
	if utf8.RuneCountInString(t) <= max {
		return t
	}
	cut := []rune(t)[:max]
	s := string(cut)
	if i := strings.LastIndexByte(s, ' '); i > max/2 {
		s = s[:i]
	}
	return strings.TrimRight(s, " ,.;:") + "…"
}

// quoteList names groups or files for a sentence: "Tables", "Tables and
// Figures", "Tables, Figures and Logs".
func quoteList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// groupList names groups for a sentence: group “Tables”, groups
// “Tables” and “Figures”.
func groupList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	if len(q) == 1 {
		return "group " + q[0]
	}
	return "groups " + quoteList(q)
}

// isOrAre is "1 file is", "3 files are".
func isOrAre(n int) string {
	if n == 1 {
		return "1 file is"
	}
	return strconv.Itoa(n) + " files are"
}

// itOrThem is "it" for one, "them" for several.
func itOrThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// fileKind names the kind of a file by its extension, for a sentence:
// ".exe", or "(none)".
func fileKind(relpath string) string {
	if ext := FileExt(relpath); ext != "" {
		return ext
	}
	return "(none)"
}

// countFiles is "1 file", "3 files".
func countFiles(n int) string {
	if n == 1 {
		return "1 file"
	}
	return strconv.Itoa(n) + " files"
}
