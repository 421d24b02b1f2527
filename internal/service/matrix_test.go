package service_test

import (
	"fmt"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/testkit"
)

// actor is a part a user plays towards a request.
type actor string

const (
	author        actor = "author"
	collaborator  actor = "collaborator"
	checker       actor = "checker"
	checkerAuthor actor = "checker-author"
	copilot       actor = "copilot"
	readOnly      actor = "read-only"
	outsider      actor = "outsider"
	// readOnlyRoles has read-only access besides being an output checker
	// with a role on the workspace; readOnlyAuthor is the request's author
	// (and an output checker) who has since been given read-only access.
	// Read-only wins: neither may do anything.
	readOnlyRoles  actor = "read-only-with-roles"
	readOnlyAuthor actor = "read-only-author"
)

var actors = []actor{author, collaborator, checker, checkerAuthor, copilot, readOnly, outsider, readOnlyRoles, readOnlyAuthor}

// action is one call on a request by a user.
type action struct {
	name string
	do   func(e *testkit.Env, u domain.User, r *domain.Request) error
	// allowed says whether the actor may do it in the status.
	allowed func(a actor, st domain.Status) bool
}

func isAuthor(a actor) bool { return a == author || a == checkerAuthor }

func editing(st domain.Status) bool { return st.IsEditing() }

func reviewing(st domain.Status) bool { return st.IsUnderReview() }

var actions = []action{
	{"submit", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.Submit(e.Ctx, u, r.ID)
		return err
	}, func(a actor, st domain.Status) bool { return isAuthor(a) && editing(st) }},
	{"withdraw request", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.Withdraw(e.Ctx, u, r.ID)
		return err
	}, func(a actor, st domain.Status) bool { return isAuthor(a) && editing(st) }},
	{"submit review", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.SubmitReview(e.Ctx, u, r.ID)
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && reviewing(st) }},
	{"return", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.Return(e.Ctx, u, r.ID)
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && reviewing(st) }},
	{"reject", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.Reject(e.Ctx, u, r.ID)
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && st == domain.StatusReviewed }},
	{"release", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.Release(e.Ctx, u, r.ID)
		return err
	}, func(a actor, st domain.Status) bool {
		return a == checker && (st == domain.StatusReviewed || st == domain.StatusApproved)
	}},
	{"vote", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.Vote(e.Ctx, u, r.ID, "out/a.csv", domain.VoteChangesRequested)
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && reviewing(st) }},
	{"reset vote", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.ResetVote(e.Ctx, u, r.ID, "out/a.csv")
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && reviewing(st) }},
	{"request changes on group", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, _, err := e.Svc.RequestChangesOnGroup(e.Ctx, u, r.ID, "g")
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && reviewing(st) }},
	{"reset votes on group", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, _, err := e.Svc.ResetVotesOnGroup(e.Ctx, u, r.ID, "g")
		return err
	}, func(a actor, st domain.Status) bool { return a == checker && reviewing(st) }},
	{"comment", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.CreateComment(e.Ctx, u, r.ID, "g", "A comment", "")
		return err
	}, func(a actor, st domain.Status) bool {
		return (a == author || a == collaborator || a == checkerAuthor) && editing(st) || a == checker && reviewing(st)
	}},
	{"edit group", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, _, err := e.Svc.EditGroup(e.Ctx, u, r.ID, "g", "New context", "New controls")
		return err
	}, func(a actor, st domain.Status) bool { return isAuthor(a) && editing(st) }},
	{"withdraw file", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, err := e.Svc.WithdrawFiles(e.Ctx, u, r.ID, []string{"out/b.csv"})
		return err
	}, func(a actor, st domain.Status) bool { return isAuthor(a) && editing(st) }},
	{"change file properties", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		_, _, err := e.Svc.ChangeFileProperties(e.Ctx, u, r.ID, []string{"out/a.csv"}, "other", domain.FileOutput)
		return err
	}, func(a actor, st domain.Status) bool { return isAuthor(a) && editing(st) }},
	{"update file", func(e *testkit.Env, u domain.User, r *domain.Request) error {
		e.Files.Write(testkit.Workspace, "out/a.csv", "x,y\n2,3\n")
		_, err := e.Svc.UpdateFiles(e.Ctx, u, testkit.Workspace, []string{"out/a.csv"})
		return err
	}, func(a actor, st domain.Status) bool { return isAuthor(a) && editing(st) }},
}

// scenario builds, on a fresh database, a request in a status written by
// the author the actor needs, ready for every action that may be allowed:
// the third checker has voted on every file while it is under review, and
// the author has explained the changes of a returned request.
func scenario(t *testing.T, a actor, st domain.Status) (*testkit.Env, domain.User, *domain.Request) {
	e := testkit.NewEnv(t)
	writer := e.Author
	if a == checkerAuthor || a == readOnlyAuthor {
		writer = e.CheckerAuthor
	}
	r := e.RequestIn(writer, st)
	if st.IsUnderReview() {
		e.VoteAll(r.ID, e.C3, domain.VoteApproved)
	}
	if st == domain.StatusReturned {
		_, err := e.Svc.CreateComment(e.Ctx, writer, r.ID, "g", "Rounded now.", domain.VisibilityPublic)
		e.OK(err)
	}
	users := map[actor]domain.User{
		author: e.Author, collaborator: e.Colleague, checker: e.C3, checkerAuthor: e.CheckerAuthor,
		copilot: e.Copilot, readOnly: e.ReadOnly, outsider: e.Outsider, readOnlyRoles: e.ReadOnlyChecker,
	}
	ro := e.CheckerAuthor
	ro.ReadonlyAccess = true
	users[readOnlyAuthor] = ro
	return e, users[a], e.Get(r.ID)
}

// TestTransitionActorMatrix tries every action in every status by every
// kind of user: the allowed ones succeed, the others are refused and
// change nothing.
func TestTransitionActorMatrix(t *testing.T) {
	for _, st := range domain.Statuses() {
		for _, a := range actors {
			t.Run(fmt.Sprintf("%s/%s", st, a), func(t *testing.T) {
				var e *testkit.Env
				var u domain.User
				var r *domain.Request
				fresh := true
				for _, act := range actions {
					if fresh {
						e, u, r = scenario(t, a, st)
						fresh = false
					}
					before, beforeHead := e.Get(r.ID), auditHead(e)
					err := act.do(e, u, r)
					if act.allowed(a, st) {
						if err != nil {
							t.Errorf("%s: refused: %v", act.name, err)
						}
						fresh = true
						continue
					}
					if err == nil {
						t.Errorf("%s: allowed", act.name)
						fresh = true
						continue
					}
					if after := e.Get(r.ID); after.Version != before.Version || after.Status != before.Status {
						t.Errorf("%s: refused (%v) but the request changed", act.name, err)
					}
					if auditHead(e) != beforeHead {
						t.Errorf("%s: refused (%v) but an audit event was written", act.name, err)
					}
				}
			})
		}
	}
}

func auditHead(e *testkit.Env) int64 {
	id, _, err := e.Store.AuditHead(e.Ctx)
	e.OK(err)
	return id
}
