package web

import (
	"reflect"
	"slices"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

// wholeTreeNeighbours is how a file page found its previous, next and
// next-to-review files before it made only the nodes it shows: the tree
// node of every file of the request, in tree order.
func wholeTreeNeighbours(rq *domain.Request, u domain.User, reviewer bool, f *domain.RequestFile) (prev, next, toReview *reqTreeFile) {
	shared := rq.Status.Phase() != domain.PhaseIndependent
	index := groupIndex(rq)
	var files []reqTreeFile
	for _, g := range rq.Groups {
		for _, gf := range index[g.Name] {
			if gf.FileType != domain.FileWithdrawn {
				files = append(files, treeFileOf(rq, u, reviewer, shared, gf))
			}
		}
	}
	at := slices.IndexFunc(files, func(tf reqTreeFile) bool { return tf.Relpath == f.Relpath })
	if at > 0 {
		prev = &files[at-1]
	}
	if at >= 0 && at+1 < len(files) {
		next = &files[at+1]
	}
	if reviewer && rq.CheckCurrentlyReview(u) == nil && !rq.HasSubmittedReview(u.Username) {
		for k := 1; k <= len(files); k++ {
			tf := files[(max(at, 0)+k)%len(files)]
			if tf.output && !tf.voted && tf.Relpath != f.Relpath {
				toReview = &tf
				break
			}
		}
	}
	return prev, next, toReview
}

// TestFilePageNeighboursAsWholeTree: a file page's previous, next and
// next-to-review links are those of the whole tree, for every file
// (withdrawn ones too) of requests in several states, for each viewer.
func TestFilePageNeighboursAsWholeTree(t *testing.T) {
	h := newHarness(t)
	paths := []string{"a/1.csv", "a/2.csv", "b/3.csv", "b/4.csv", "c.csv", "d/e/5.csv"}
	pending := h.Pending(h.Author, paths...)
	_, _, err := h.Svc.ChangeFileProperties(h.Ctx, h.Author, pending.ID, []string{"b/3.csv", "c.csv"}, "other", domain.FileOutput)
	h.OK(err)
	_, _, err = h.Svc.ChangeFileProperties(h.Ctx, h.Author, pending.ID, []string{"a/2.csv"}, "g", domain.FileSupporting)
	h.OK(err)
	_, _, err = h.Svc.EditGroup(h.Ctx, h.Author, pending.ID, "other", "More counts", "Rounded")
	h.OK(err)
	submitted := h.R(h.Svc.Submit(h.Ctx, h.Author, pending.ID))
	h.R(h.Svc.Vote(h.Ctx, h.C1, submitted.ID, "b/4.csv", domain.VoteApproved))
	h.R(h.Svc.Vote(h.Ctx, h.C1, submitted.ID, "a/1.csv", domain.VoteChangesRequested))
	h.R(h.Svc.Vote(h.Ctx, h.C1, submitted.ID, "a/1.csv", domain.VoteApproved))
	returned := h.Submitted(h.Colleague)
	h.Review(returned.ID, h.C1, domain.VoteApproved)
	h.Review(returned.ID, h.C2, domain.VoteChangesRequested)
	h.R(h.Svc.Return(h.Ctx, h.C1, returned.ID))
	h.R(h.Svc.WithdrawFiles(h.Ctx, h.Colleague, returned.ID, []string{returned.Files[0].Relpath}))

	checked := 0
	for _, id := range []string{pending.ID, returned.ID} {
		rq := h.Get(id)
		for _, u := range []domain.User{h.Author, h.Colleague, h.C1, h.C2, h.C3} {
			if rq.CheckView(u) != nil {
				continue
			}
			p := h.pages.reqPageOf(rq, domain.Stamp{}, u, reqTreeSel{})
			for i := range rq.Files {
				f := &rq.Files[i]
				g, _ := rq.Group(f.Group)
				fv := h.pages.buildFile(u, p, g, f).File
				prev, next, toReview := wholeTreeNeighbours(rq, u, p.Reviewer, f)
				for _, c := range []struct {
					what      string
					got, want *reqTreeFile
				}{{"previous", fv.Prev, prev}, {"next", fv.Next, next}, {"next to review", fv.NextToReview, toReview}} {
					if !reflect.DeepEqual(c.got, c.want) {
						t.Errorf("%s of %s for %s in %s: %+v, want %+v", c.what, f.Relpath, u.Username, rq.Status, c.got, c.want)
					}
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d file pages checked", checked)
	}
}
