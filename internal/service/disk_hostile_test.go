//go:build unix

package service_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// TestHostileWorkspaceFilesThroughTheService: a link, FIFO, socket,
// device or folder the manifest lists as an output (even with the
// secret's own content hash) cannot be added (a 4xx, nothing written:
// no request, no copy, no audit event), viewed (refused, and no view
// audited) or checked; and an output whose content_hash is not a sha256
// is a 400 naming the path and the problem.
func TestHostileWorkspaceFilesThroughTheService(t *testing.T) {
	e := testkit.NewEnv(t)
	wsDir, storeDir := t.TempDir(), filepath.Join(t.TempDir(), "requests")
	cases := testkit.NewHostileFiles(t, wsDir, testkit.Workspace, "not-a-hash")
	e.UseDisk(wsDir, storeDir)
	copies := testkit.CopiesIn(t, storeDir)
	views := func() int {
		evs, err := e.Store.Events(e.Ctx, store.EventFilter{Workspace: testkit.Workspace})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			testkit.Promptly(t, tc.Path, func() {
				before := views()
				r, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs(tc.Path))
				if err == nil {
					t.Fatalf("%s was added: %+v", tc.Path, r.Files)
				}
				if !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrInvalidInput) {
					t.Errorf("adding %s: %v, want a 4xx kind", tc.Path, err)
				}
				if !strings.Contains(err.Error(), tc.Path) {
					t.Errorf("the error does not name the path: %v", err)
				}
				if tc.Name == testkit.BadHashCase && (!errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), `content_hash "not-a-hash" is not a sha256`)) {
					t.Errorf("bad hash: %v, want a 400 naming the problem", err)
				}
				if cur, _ := e.Svc.CurrentRequest(e.Ctx, e.Author, testkit.Workspace); cur != nil {
					t.Errorf("a request was written: %+v", cur.Files)
				}
				if n := copies(); n != 0 {
					t.Errorf("%d files in the request store", n)
				}
				f, _, err := e.Svc.ViewWorkspaceFile(e.Ctx, e.Author, testkit.Workspace, tc.Path)
				if err == nil {
					f.Close()
					t.Fatalf("%s can be viewed", tc.Path)
				}
				if !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrInvalidInput) {
					t.Errorf("viewing %s: %v, want a 4xx kind", tc.Path, err)
				}
				if after := views(); after != before {
					t.Errorf("%d audit events written by refused calls", after-before)
				}
				if _, err := e.Svc.WorkspaceFileChecks(e.Ctx, e.Author, testkit.Workspace, tc.Path); err == nil {
					t.Errorf("%s was checked", tc.Path)
				}
			})
		})
	}
	// A folder's checks (as the API lists them) answer for every file, each
	// with its own error, without blocking on any.
	var paths []string
	for _, tc := range cases {
		if tc.Output {
			paths = append(paths, tc.Path)
		}
	}
	testkit.Promptly(t, "the folder's checks", func() {
		found, err := e.Svc.WorkspaceFilesChecks(e.Ctx, e.Author, testkit.Workspace, append(paths, "output/ok.csv"))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range paths {
			if found[i].Err == nil {
				t.Errorf("%s was checked", p)
			}
		}
		if last := found[len(found)-1]; last.Err != nil {
			t.Errorf("a regular file next to them: %v", last.Err)
		}
	})
	// The regular output beside them still goes in.
	if _, err := e.Svc.AddFiles(e.Ctx, e.Author, testkit.Workspace, "g", outputs("output/ok.csv")); err != nil {
		t.Fatalf("a regular output: %v", err)
	}
}
