package domain

import (
	"fmt"
	"strings"
)

// ActionKind names a request-level action: one of the moves of the state
// machine a person makes with a button.
type ActionKind string

const (
	ActionSubmit       ActionKind = "submit"   // the author submits (or resubmits) for review
	ActionWithdraw     ActionKind = "withdraw" // the author withdraws the whole request
	ActionSubmitReview ActionKind = "review"   // a checker submits their review
	ActionReturn       ActionKind = "return"   // a checker returns the request to its author
	ActionReject       ActionKind = "reject"   // a checker rejects the request
	ActionRelease      ActionKind = "release"  // a checker releases the approved files
)

// Action is one request-level action u's role could take on a request, and
// whether u may take it now: Err is the refusal of the rule that guards it
// (the same error the service and the API return), nil when allowed.
type Action struct {
	Kind  ActionKind
	Label string
	Err   error
}

// Allowed reports whether the action may be taken now.
func (a Action) Allowed() bool { return a.Err == nil }

// Reason is why the action cannot be taken now ("" when it can): the
// message of the rule's refusal.
func (a Action) Reason() string {
	if a.Err == nil {
		return ""
	}
	return Message(a.Err)
}

// Check returns the rule that guards an action kind for u on r.
func (r *Request) Check(kind ActionKind, u User) error {
	switch kind {
	case ActionSubmit:
		return r.CheckSubmit(u)
	case ActionWithdraw:
		return r.CheckWithdraw(u)
	case ActionSubmitReview:
		return r.CheckSubmitReview(u)
	case ActionReturn:
		return r.CheckReturn(u)
	case ActionReject:
		return r.CheckReject(u)
	case ActionRelease:
		return r.CheckRelease(u)
	}
	return Errorf(ErrInvalidInput, "there is no action %q", kind)
}

// Actions lists the request-level actions of u's role on r, in the order a
// page shows them (the most likely next move first within each role), each
// with whether it is allowed now. The author's actions while the request
// can still change; a reviewer's while it is under review, and the re-run
// of a release while APPROVED; none on a finished request.
func (r *Request) Actions(u User) []Action {
	var kinds []ActionKind
	switch {
	case u.Username == r.Author && !r.Status.IsFinal():
		kinds = []ActionKind{ActionSubmit, ActionWithdraw}
	case r.CanReview(u) && r.Status == StatusApproved:
		kinds = []ActionKind{ActionRelease}
	case r.CanReview(u) && !r.Status.IsFinal():
		kinds = []ActionKind{ActionSubmitReview, ActionReturn, ActionReject, ActionRelease}
		if r.Status == StatusReviewed {
			kinds = []ActionKind{ActionRelease, ActionReturn, ActionReject, ActionSubmitReview}
		}
	}
	out := make([]Action, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, Action{Kind: k, Label: r.actionLabel(k), Err: r.Check(k, u)})
	}
	return out
}

func (r *Request) actionLabel(k ActionKind) string {
	switch k {
	case ActionSubmit:
		if r.Status == StatusReturned {
			return "Resubmit for review"
		}
		return "Submit for review"
	case ActionWithdraw:
		return "Withdraw this request"
	case ActionSubmitReview:
		return "Submit review"
	case ActionReturn:
		if r.Status.IsUnderReview() && r.IsEarlyReturn() {
			return "Return early"
		}
		return "Return to author"
	case ActionReject:
		return "Reject request"
	case ActionRelease:
		if r.Status == StatusApproved {
			return "Retry the release"
		}
		return "Release files"
	}
	return string(k)
}

// NextStep says what happens next on a request and who must act: one
// sentence for viewer u. Action is the move u should make now (allowed:
// the sentence and the buttons come from the same rules), "" when u has
// nothing to do.
type NextStep struct {
	Text   string
	Action ActionKind
	// YouAct reports whether u is the one who must act next.
	YouAct bool
}

// ReviewProgress is how far reviewer has got on r: output files voted on
// (approved or changes requested) of all output files.
func (r *Request) ReviewProgress(reviewer string) (voted, outputs int) {
	for range r.outputs() {
		outputs++
	}
	return r.VotedCount(reviewer), outputs
}

// NextStep returns what happens next on r, for u.
func (r *Request) NextStep(u User) NextStep {
	allowed := map[ActionKind]bool{}
	for _, a := range r.Actions(u) {
		allowed[a.Kind] = a.Allowed()
	}
	isAuthor := u.Username == r.Author
	reviewer := r.CanReview(u)
	submitted := len(r.SubmittedReviews)
	switch r.Status {
	case StatusPending, StatusReturned:
		if !isAuthor {
			what := "submit it for review"
			if r.Status == StatusReturned {
				what = "make the changes asked for and resubmit it"
			}
			return NextStep{Text: fmt.Sprintf("Waiting for the author (%s) to %s.", r.Author, what)}
		}
		if allowed[ActionSubmit] {
			if r.Status == StatusReturned {
				return NextStep{Text: "You: resubmit the request when your changes are made; output checkers review it again.", Action: ActionSubmit, YouAct: true}
			}
			return NextStep{Text: "You: submit the request for review when every file you need is on it.", Action: ActionSubmit, YouAct: true}
		}
		err := r.CheckSubmit(u)
		verb := "submit"
		if r.Status == StatusReturned {
			verb = "resubmit"
		}
		return NextStep{Text: fmt.Sprintf("You cannot %s for review yet: %s", verb, sentence(Message(err))), YouAct: true}
	case StatusSubmitted, StatusPartiallyReviewed:
		progress := fmt.Sprintf("%d of 2 independent reviews submitted", submitted)
		switch {
		case reviewer && r.HasSubmittedReview(u.Username):
			return NextStep{Text: fmt.Sprintf("Your review is submitted. Waiting for a second output checker to review (%s).", progress)}
		case reviewer && allowed[ActionSubmitReview]:
			return NextStep{Text: "You: every output file has your vote; submit your review.", Action: ActionSubmitReview, YouAct: true}
		case reviewer:
			voted, outputs := r.ReviewProgress(u.Username)
			if voted == outputs {
				return NextStep{Text: "You cannot submit your review yet: " + sentence(Message(r.CheckSubmitReview(u))), YouAct: true}
			}
			return NextStep{Text: fmt.Sprintf("You: vote on every output file (%d of %d voted), then submit your review (%s).", voted, outputs, progress), YouAct: true}
		}
		return NextStep{Text: fmt.Sprintf("Output checkers are reviewing this request (%s). Nothing for you to do until they return it or release its files.", progress)}
	case StatusReviewed:
		if !reviewer {
			return NextStep{Text: "Both independent reviews are in: an output checker will now release the files, return the request to its author, or reject it."}
		}
		switch {
		case allowed[ActionRelease]:
			return NextStep{Text: "Both reviews approve every output file: release the files, or return or reject the request.", Action: ActionRelease, YouAct: true}
		case allowed[ActionReturn]:
			return NextStep{Text: "Both reviews are in and changes are requested: return the request to its author (or reject it).", Action: ActionReturn, YouAct: true}
		}
		return NextStep{Text: "Both reviews are in, but the request cannot be returned yet: " + sentence(Message(r.CheckReturn(u))), YouAct: true}
	case StatusApproved:
		return NextStep{Text: "Approved: the files are being uploaded. The request is released when every file is uploaded; nobody needs to act."}
	case StatusReleased:
		return NextStep{Text: "Released: the approved files have been uploaded. Nothing more to do."}
	case StatusRejected:
		if isAuthor {
			return NextStep{Text: "Rejected: these files will not be released. Read the comments for why; to release changed outputs, start a new request from the workspace.", YouAct: true}
		}
		return NextStep{Text: "Rejected: the files will not be released. Nothing more to do."}
	case StatusWithdrawn:
		if isAuthor {
			return NextStep{Text: "You withdrew this request. To release these outputs, start a new request from the workspace."}
		}
		return NextStep{Text: "Withdrawn by its author: nothing more to do."}
	}
	return NextStep{}
}

// sentence is a refusal's message as the end of a sentence: its first
// letter in lower case (unless the first word is a name or an acronym,
// such as a file or group named in quotes or "JSON"), ending with a full
// stop.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	word, _, _ := strings.Cut(strings.TrimRight(msg, "."), " ")
	if word != "" && word != "I" && strings.ToLower(word[1:]) == word[1:] && word[0] >= 'A' && word[0] <= 'Z' {
		return strings.ToLower(word[:1]) + msg[1:]
	}
	return msg
}

// DecisionReason says why the decision on f that u may see is what it
// is: "approved by both reviewers", "changes requested by c2". Output
// checkers who may review the request see who voted; others see the
// reviewers unnamed.
func (r *Request) DecisionReason(f RequestFile, u User) string {
	if f.FileType != FileOutput {
		return ""
	}
	var reviewers []string
	switch r.Status.Phase() {
	case PhaseIndependent:
		return "shown once both independent reviews are submitted"
	case PhaseConsolidating:
		if !r.CanReview(u) {
			return "shown when the output checkers return or complete the request"
		}
		reviewers = r.SubmittedReviewers()
	case PhaseComplete:
		reviewers = r.SubmittedReviewers()
	case PhaseAuthor:
		reviewers = r.TurnReviewers
		if len(reviewers) == 0 {
			return "not reviewed yet"
		}
	}
	named := r.CanReview(u)
	var approved, changes, undecided []string
	for _, name := range reviewers {
		rv, ok := f.Reviews[name]
		if !ok {
			continue
		}
		switch rv.Vote {
		case VoteApproved:
			approved = append(approved, name)
		case VoteChangesRequested:
			changes = append(changes, name)
		default:
			undecided = append(undecided, name)
		}
	}
	who := func(names []string) string {
		if named {
			return strings.Join(names, " and ")
		}
		if len(names) == 1 {
			return "one reviewer"
		}
		return fmt.Sprintf("%d reviewers", len(names))
	}
	d := r.DecisionFor(f, u)
	switch {
	case d == DecisionApproved && len(approved) == len(reviewers) && len(reviewers) == 2:
		if named {
			return "approved by both reviewers (" + who(approved) + ")"
		}
		return "approved by both reviewers"
	case d == DecisionApproved:
		return "approved by " + who(approved)
	case d == DecisionChangesRequested && len(approved) == 0 && len(changes) > 0:
		return "changes requested by " + who(changes)
	case d == DecisionChangesRequested:
		return "changes requested by " + who(changes) + "; approved by " + who(approved)
	case d == DecisionConflicted:
		parts := []string{}
		if len(approved) > 0 {
			parts = append(parts, "approved by "+who(approved))
		}
		if len(changes) > 0 {
			parts = append(parts, "changes requested by "+who(changes))
		}
		if len(undecided) > 0 {
			parts = append(parts, "undecided: "+who(undecided))
		}
		return "the reviewers disagree: " + strings.Join(parts, ", ")
	}
	n := len(approved) + len(changes) + len(undecided)
	if n == 0 {
		return "no votes from the reviews of this turn"
	}
	return fmt.Sprintf("%d of 2 votes in", n)
}
