// Package domain holds airlock's rules: what a release request is, who may do
// what to it and when, and how votes become decisions. It does no I/O.
package domain

import "fmt"

// Status is the state of a release request. The values are persisted.
type Status string

const (
	StatusPending           Status = "PENDING"
	StatusSubmitted         Status = "SUBMITTED"
	StatusPartiallyReviewed Status = "PARTIALLY_REVIEWED"
	StatusReviewed          Status = "REVIEWED"
	StatusReturned          Status = "RETURNED"
	StatusApproved          Status = "APPROVED"
	StatusRejected          Status = "REJECTED"
	StatusWithdrawn         Status = "WITHDRAWN"
	StatusReleased          Status = "RELEASED"
)

// Statuses lists every status in workflow order.
func Statuses() []Status {
	return []Status{
		StatusPending, StatusSubmitted, StatusPartiallyReviewed, StatusReviewed, StatusReturned,
		StatusApproved, StatusRejected, StatusWithdrawn, StatusReleased,
	}
}

// ActiveStatuses are the statuses of a request that is still being worked
// on: a user has at most one such request per workspace.
func ActiveStatuses() []Status {
	var out []Status
	for _, s := range Statuses() {
		if s.Owner() != OwnerSystem {
			out = append(out, s)
		}
	}
	return out
}

// ParseStatus checks that s names a status.
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if st.Valid() {
		return st, nil
	}
	return "", Errorf(ErrInvalidInput, "%q is not a request status.", s)
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if s == v {
			return true
		}
	}
	return false
}

// Owner says whose move it is in a status.
type Owner int

const (
	OwnerAuthor Owner = iota + 1
	OwnerReviewer
	OwnerSystem
)

func (o Owner) String() string {
	switch o {
	case OwnerAuthor:
		return "AUTHOR"
	case OwnerReviewer:
		return "REVIEWER"
	case OwnerSystem:
		return "SYSTEM"
	}
	return fmt.Sprintf("Owner(%d)", int(o))
}

// Owner returns who may move the request on from this status.
func (s Status) Owner() Owner {
	switch s {
	case StatusPending, StatusReturned:
		return OwnerAuthor
	case StatusSubmitted, StatusPartiallyReviewed, StatusReviewed:
		return OwnerReviewer
	case StatusApproved, StatusRejected, StatusWithdrawn, StatusReleased:
		return OwnerSystem
	}
	return 0
}

// IsEditing reports whether the author may change the request.
func (s Status) IsEditing() bool { return s.Owner() == OwnerAuthor }

// IsUnderReview reports whether output checkers are reviewing the request.
func (s Status) IsUnderReview() bool { return s.Owner() == OwnerReviewer }

// IsFinal reports whether nobody but the system may change the request.
// APPROVED counts as final for editing, though it still moves to RELEASED.
func (s Status) IsFinal() bool { return s.Owner() == OwnerSystem }

// Display is the text shown to people for a status.
func (s Status) Display() string {
	switch s {
	case StatusPartiallyReviewed:
		return "ONE REVIEW SUBMITTED"
	case StatusReviewed:
		return "ALL REVIEWS SUBMITTED"
	case StatusApproved:
		return "APPROVED - FILES UPLOADING"
	}
	return string(s)
}

// Phase is the stage of a review turn, which decides what each viewer sees.
type Phase string

const (
	PhaseAuthor        Phase = "AUTHOR"
	PhaseIndependent   Phase = "INDEPENDENT"
	PhaseConsolidating Phase = "CONSOLIDATING"
	PhaseComplete      Phase = "COMPLETE"
)

// Phase returns the review-turn phase of a status.
func (s Status) Phase() Phase {
	switch s {
	case StatusPending, StatusReturned:
		return PhaseAuthor
	case StatusSubmitted, StatusPartiallyReviewed:
		return PhaseIndependent
	case StatusReviewed:
		return PhaseConsolidating
	}
	return PhaseComplete
}

// Transition is one allowed move of the state machine.
type Transition struct {
	From, To     Status
	Actor        Owner // who makes the move: the author, an output checker, or the system
	Trigger      string
	Audit        EventType
	Notification string
}

// Transitions returns the state machine: every allowed status change.
func Transitions() []Transition {
	return []Transition{
		{StatusPending, StatusSubmitted, OwnerAuthor, "Submit", EventRequestSubmit, "request_submitted"},
		{StatusPending, StatusWithdrawn, OwnerAuthor, "Withdraw request", EventRequestWithdraw, "request_withdrawn"},
		{StatusSubmitted, StatusPartiallyReviewed, OwnerReviewer, "First review submitted", EventRequestReview, "request_partially_reviewed"},
		{StatusSubmitted, StatusReturned, OwnerReviewer, "Return (early)", EventRequestReturn, "request_returned"},
		{StatusPartiallyReviewed, StatusReviewed, OwnerReviewer, "Second review submitted", EventRequestReview, "request_reviewed"},
		{StatusPartiallyReviewed, StatusReturned, OwnerReviewer, "Return (early)", EventRequestReturn, "request_returned"},
		{StatusReviewed, StatusApproved, OwnerReviewer, "Release files", EventRequestApprove, "request_approved"},
		{StatusReviewed, StatusRejected, OwnerReviewer, "Reject", EventRequestReject, "request_rejected"},
		{StatusReviewed, StatusReturned, OwnerReviewer, "Return", EventRequestReturn, "request_returned"},
		{StatusReturned, StatusSubmitted, OwnerAuthor, "Resubmit", EventRequestSubmit, "request_resubmitted"},
		{StatusReturned, StatusWithdrawn, OwnerAuthor, "Withdraw request", EventRequestWithdraw, "request_withdrawn"},
		{StatusApproved, StatusReleased, OwnerSystem, "All files uploaded", EventRequestRelease, "request_released"},
	}
}

// FindTransition returns the transition from one status to another, if the
// state machine allows it.
func FindTransition(from, to Status) (Transition, bool) {
	for _, t := range Transitions() {
		if t.From == from && t.To == to {
			return t, true
		}
	}
	return Transition{}, false
}

// StatusAuditEvent is the audit event written when a request enters status
// to, used also by the admin command that bypasses the state machine.
func StatusAuditEvent(to Status) EventType {
	for _, t := range Transitions() {
		if t.To == to {
			return t.Audit
		}
	}
	return ""
}

// NotificationEvent is the notification sent when a request moves from one
// status to another; RETURNED to SUBMITTED is a resubmission.
func NotificationEvent(from, to Status) string {
	if t, ok := FindTransition(from, to); ok {
		return t.Notification
	}
	for _, t := range Transitions() {
		if t.To == to && t.From != StatusReturned {
			return t.Notification
		}
	}
	return ""
}
