package testkit

import (
	"maps"
	"slices"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
)

// Resubmitted builds the resubmission loop: author adds the files of
// before (path → content) as outputs of group "g" and submits; C1 and C2
// request changes and the request is returned; the author writes the
// files of after to the workspace, updates them on the request, comments
// and submits again. The request is SUBMITTED, each file of after at its
// second version, and C1 and C2 last voted on the first.
func (e *Env) Resubmitted(author domain.User, before, after map[string]string) *domain.Request {
	e.T.Helper()
	var files []service.AddFile
	for _, p := range slices.Sorted(maps.Keys(before)) {
		e.Files.Write(Workspace, p, before[p])
		files = append(files, service.AddFile{Path: p, FileType: domain.FileOutput})
	}
	r := e.R(e.Svc.AddFiles(e.Ctx, author, Workspace, "g", files))
	r, _, err := e.Svc.EditGroup(e.Ctx, author, r.ID, "g", "Counts of things", "Rounded to 5, redacted <= 7")
	e.OK(err)
	e.R(e.Svc.Submit(e.Ctx, author, r.ID))
	e.Review(r.ID, e.C1, domain.VoteChangesRequested)
	e.Review(r.ID, e.C2, domain.VoteChangesRequested)
	e.R(e.Svc.Return(e.Ctx, e.C1, r.ID))
	e.Clock.Advance(90 * time.Minute)
	paths := slices.Sorted(maps.Keys(after))
	for _, p := range paths {
		e.Files.Write(Workspace, p, after[p])
	}
	e.R(e.Svc.UpdateFiles(e.Ctx, author, Workspace, paths))
	_, err = e.Svc.CreateComment(e.Ctx, author, r.ID, "g", "Rounded the counts as asked.", domain.VisibilityPublic)
	e.OK(err)
	return e.R(e.Svc.Submit(e.Ctx, author, r.ID))
}
