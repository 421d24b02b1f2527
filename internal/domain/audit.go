package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EventType is the kind of an audit event. Values are persisted: renaming
// one needs a data migration.
type EventType string

const (
	EventWorkspaceFileView         EventType = "WORKSPACE_FILE_VIEW"
	EventRequestFileView           EventType = "REQUEST_FILE_VIEW"
	EventRequestFileDownload       EventType = "REQUEST_FILE_DOWNLOAD"
	EventRequestCreate             EventType = "REQUEST_CREATE"
	EventRequestSubmit             EventType = "REQUEST_SUBMIT"
	EventRequestWithdraw           EventType = "REQUEST_WITHDRAW"
	EventRequestReview             EventType = "REQUEST_REVIEW"
	EventRequestApprove            EventType = "REQUEST_APPROVE"
	EventRequestReject             EventType = "REQUEST_REJECT"
	EventRequestReturn             EventType = "REQUEST_RETURN"
	EventRequestRelease            EventType = "REQUEST_RELEASE"
	EventRequestEarlyReturn        EventType = "REQUEST_EARLY_RETURN"
	EventRequestEdit               EventType = "REQUEST_EDIT"
	EventRequestComment            EventType = "REQUEST_COMMENT"
	EventRequestCommentDelete      EventType = "REQUEST_COMMENT_DELETE"
	EventRequestCommentPublic      EventType = "REQUEST_COMMENT_VISIBILITY_PUBLIC"
	EventRequestFileAdd            EventType = "REQUEST_FILE_ADD"
	EventRequestFileUpdate         EventType = "REQUEST_FILE_UPDATE"
	EventRequestFileWithdraw       EventType = "REQUEST_FILE_WITHDRAW"
	EventRequestFileApprove        EventType = "REQUEST_FILE_APPROVE"
	EventRequestFileRequestChanges EventType = "REQUEST_FILE_REQUEST_CHANGES"
	EventRequestFileResetReview    EventType = "REQUEST_FILE_RESET_REVIEW"
	EventRequestFileUndecided      EventType = "REQUEST_FILE_UNDECIDED"
	EventRequestFileRelease        EventType = "REQUEST_FILE_RELEASE"
	EventRequestFileUpload         EventType = "REQUEST_FILE_UPLOAD"
	EventRequestFileChecksOverride EventType = "REQUEST_FILE_CHECKS_OVERRIDE"
)

var eventLabels = map[EventType]string{
	EventWorkspaceFileView:         "Viewed file",
	EventRequestFileView:           "Viewed file",
	EventRequestFileDownload:       "Downloaded file",
	EventRequestCreate:             "Created request",
	EventRequestSubmit:             "Submitted request",
	EventRequestWithdraw:           "Withdrew request",
	EventRequestReview:             "Submitted review",
	EventRequestApprove:            "Approved request",
	EventRequestReject:             "Rejected request",
	EventRequestReturn:             "Returned request",
	EventRequestRelease:            "Released request",
	EventRequestEarlyReturn:        "Request returned early; turn's comments/votes reset",
	EventRequestEdit:               "Edited the Context/Controls",
	EventRequestComment:            "Commented",
	EventRequestCommentDelete:      "Comment deleted",
	EventRequestCommentPublic:      "Private comment made public",
	EventRequestFileAdd:            "Added file",
	EventRequestFileUpdate:         "Updated file",
	EventRequestFileWithdraw:       "Withdrew file from group",
	EventRequestFileApprove:        "Approved file",
	EventRequestFileRequestChanges: "Changes requested to file",
	EventRequestFileResetReview:    "Reset review of file",
	EventRequestFileUndecided:      "File with changes requested moved to undecided",
	EventRequestFileRelease:        "File released",
	EventRequestFileUpload:         "File uploaded",
	EventRequestFileChecksOverride: "Overrode blocking disclosure checks",
}

// EventTypes lists every audit event type.
func EventTypes() []EventType {
	return slices.Sorted(maps.Keys(eventLabels))
}

// Label is the text shown for an event type.
func (t EventType) Label() string {
	if l, ok := eventLabels[t]; ok {
		return l
	}
	return string(t)
}

// ReadOnly reports whether an event records only a look, not a change;
// activity tables leave these out.
func (t EventType) ReadOnly() bool {
	switch t {
	case EventWorkspaceFileView, EventRequestFileView, EventRequestFileUndecided:
		return true
	}
	return false
}

// Event is one entry of the audit log. The log is a hash chain: each event
// stores the hash of the one before it, and its own hash covers its
// content and that link.
type Event struct {
	ID        int64
	Type      EventType
	User      string
	Workspace string
	Request   string
	Path      string
	Extra     map[string]string
	CreatedAt time.Time
	// Hidden events belong to a turn undone by an early return. Hiding is
	// not part of the hash; a verifier checks instead that every hidden
	// event has an early return for its turn.
	Hidden   bool
	PrevHash string
	Hash     string
}

// ReviewTurn is the request's turn when the event was written.
func (e Event) ReviewTurn() int {
	n, _ := strconv.Atoi(e.Extra["review_turn"])
	return n
}

// ChainHash computes the hash of an event given the hash of the event
// before it: sha256 over a canonical JSON of the link, the id and every
// recorded field but Hidden.
func (e Event) ChainHash(prev string) string {
	doc := struct {
		Prev      string            `json:"prev"`
		ID        int64             `json:"id"`
		Type      EventType         `json:"type"`
		User      string            `json:"user"`
		Workspace string            `json:"workspace"`
		Request   string            `json:"request"`
		Path      string            `json:"path"`
		Extra     map[string]string `json:"extra"` // encoding/json sorts map keys
		CreatedAt string            `json:"created_at"`
	}{prev, e.ID, e.Type, e.User, e.Workspace, e.Request, e.Path, e.Extra, e.CreatedAt.UTC().Format(time.RFC3339Nano)}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("audit: encode event: %v", err)) // strings and ints always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ChainProblem is one event that breaks the audit log's hash chain.
type ChainProblem struct {
	ID  int64
	Why string
}

func (p ChainProblem) Error() string { return fmt.Sprintf("audit event %d: %s", p.ID, p.Why) }

// ChainError lists every event that breaks the chain, in id order.
type ChainError struct{ Problems []ChainProblem }

func (e *ChainError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d audit event(s) break the hash chain:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// VerifyChain checks events (in id order, the whole log) and returns a
// *ChainError naming every event that was changed, removed, inserted,
// reordered or hidden without an early return, or nil when the chain is
// intact. Each event is judged on its own (its content against its hash,
// its link against the event before it), so one bad event never hides
// tampering further on.
func VerifyChain(events []Event) error {
	var v ChainVerifier
	for _, e := range events {
		v.Add(e)
	}
	return v.Err()
}

// ChainVerifier is VerifyChain one event at a time, for a log too long
// to hold: Add each event in id order, then Err. It holds the last
// event's hash, the early returns seen and the hidden events (few), never
// the log.
type ChainVerifier struct {
	n            int
	prev         string
	lastID       int64
	earlyReturns map[string]bool
	hidden       []hiddenEvent // judged in Err: their early return comes after them
	problems     []seqProblem
}

type hiddenEvent struct {
	seq int
	id  int64
	key string
}

type seqProblem struct {
	seq int
	ChainProblem
}

// Add checks the next event.
func (v *ChainVerifier) Add(e Event) {
	seq := v.n
	v.n++
	bad := func(format string, args ...any) {
		v.problems = append(v.problems, seqProblem{seq, ChainProblem{ID: e.ID, Why: fmt.Sprintf(format, args...)}})
	}
	switch {
	case e.ID <= v.lastID:
		bad("out of order after event %d", v.lastID)
	case e.PrevHash != v.prev:
		bad("does not follow event %d (an event before it was removed, inserted or reordered)", v.lastID)
	}
	if e.ChainHash(e.PrevHash) != e.Hash {
		bad("its content does not match its hash (it was changed)")
	}
	key := e.Request + "/" + e.Extra["review_turn"]
	if e.Type == EventRequestEarlyReturn {
		if v.earlyReturns == nil {
			v.earlyReturns = map[string]bool{}
		}
		v.earlyReturns[key] = true
	}
	if e.Hidden {
		v.hidden = append(v.hidden, hiddenEvent{seq: seq, id: e.ID, key: key})
	}
	v.prev, v.lastID = e.Hash, max(v.lastID, e.ID)
}

// Count is how many events were added.
func (v *ChainVerifier) Count() int { return v.n }

// Err returns a *ChainError naming every event that breaks the chain (as
// VerifyChain does), or nil when the chain is intact.
func (v *ChainVerifier) Err() error {
	problems := slices.Clone(v.problems)
	for _, h := range v.hidden {
		if !v.earlyReturns[h.key] {
			problems = append(problems, seqProblem{h.seq, ChainProblem{ID: h.id, Why: "hidden without an early return of its turn"}})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	// In the log's order; an event's own problems in the order judged.
	slices.SortStableFunc(problems, func(a, b seqProblem) int { return a.seq - b.seq })
	out := make([]ChainProblem, len(problems))
	for i, p := range problems {
		out[i] = p.ChainProblem
	}
	return &ChainError{Problems: out}
}

// FormatEvent renders an event as one line of `airlock audit`.
func FormatEvent(e Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %-34s user=%s workspace=%s", e.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), e.Type, e.User, e.Workspace)
	if e.Request != "" {
		fmt.Fprintf(&b, " request=%s", e.Request)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, " path=%s", e.Path)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Extra)) {
		fmt.Fprintf(&b, " %s=%s", k, e.Extra[k])
	}
	if e.Hidden {
		b.WriteString(" hidden=True")
	}
	return b.String()
}
