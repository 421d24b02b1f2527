package service_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

// outcome is a FileResult as a test reads it: the path and the refusal's
// words ("" when done).
func outcomes(res []service.FileResult) []string {
	var out []string
	for _, r := range res {
		msg := ""
		if r.Err != nil {
			msg = domain.Message(r.Err)
		}
		if r.Unchanged {
			msg = "unchanged"
		}
		out = append(out, r.Path+": "+msg)
	}
	return out
}

func TestSelectionActions(t *testing.T) {
	tests := []struct {
		name   string
		status domain.Status
		act    func(e *testkit.Env, id string) (*domain.Request, []service.FileResult, error)
		want   []string // outcome per file
		events int      // file events written, by act and its preparation
		check  func(t *testing.T, r *domain.Request)
	}{
		{
			name:   "withdraw from a pending request: the allowed files go, the others say why",
			status: domain.StatusPending,
			act: func(e *testkit.Env, id string) (*domain.Request, []service.FileResult, error) {
				return e.Svc.WithdrawSelection(e.Ctx, e.Author, id, []string{"out/a.csv", "out/nope.csv", "out/c.csv"})
			},
			want:   []string{"out/a.csv: ", "out/nope.csv: out/nope.csv is not a file of this request.", "out/c.csv: "},
			events: 2,
			check: func(t *testing.T, r *domain.Request) {
				if _, ok := r.File("out/a.csv"); ok {
					t.Errorf("out/a.csv still on the request")
				}
				if _, ok := r.File("out/b.csv"); !ok {
					t.Errorf("out/b.csv gone")
				}
			},
		},
		{
			name:   "move keeps each file's type",
			status: domain.StatusPending,
			act: func(e *testkit.Env, id string) (*domain.Request, []service.FileResult, error) {
				if _, _, err := e.Svc.ChangeFileProperties(e.Ctx, e.Author, id, []string{"out/b.csv"}, "g", domain.FileSupporting); err != nil {
					t.Fatal(err)
				}
				return e.Svc.MoveSelection(e.Ctx, e.Author, id, []string{"out/a.csv", "out/b.csv"}, "tables")
			},
			want:   []string{"out/a.csv: ", "out/b.csv: "},
			events: 3,
			check: func(t *testing.T, r *domain.Request) {
				a, _ := r.File("out/a.csv")
				b, _ := r.File("out/b.csv")
				if a.Group != "tables" || a.FileType != domain.FileOutput || b.Group != "tables" || b.FileType != domain.FileSupporting {
					t.Errorf("a %s %s, b %s %s", a.Group, a.FileType, b.Group, b.FileType)
				}
			},
		},
		{
			name:   "moving to the group a file is in changes nothing and is no error",
			status: domain.StatusPending,
			act: func(e *testkit.Env, id string) (*domain.Request, []service.FileResult, error) {
				return e.Svc.MoveSelection(e.Ctx, e.Author, id, []string{"out/a.csv"}, "g")
			},
			want:   []string{"out/a.csv: unchanged"},
			events: 0,
		},
		{
			name:   "type change keeps each file's group",
			status: domain.StatusReturned,
			act: func(e *testkit.Env, id string) (*domain.Request, []service.FileResult, error) {
				return e.Svc.SetSelectionType(e.Ctx, e.Author, id, []string{"out/a.csv", "out/c.csv"}, domain.FileSupporting)
			},
			want:   []string{"out/a.csv: ", "out/c.csv: "},
			events: 2,
			check: func(t *testing.T, r *domain.Request) {
				for _, p := range []string{"out/a.csv", "out/c.csv"} {
					if f, _ := r.File(p); f.FileType != domain.FileSupporting || f.Group != "g" {
						t.Errorf("%s: %s in %s", p, f.FileType, f.Group)
					}
				}
			},
		},
		{
			name:   "withdraw from a returned request keeps the files, withdrawn; a second time says so",
			status: domain.StatusReturned,
			act: func(e *testkit.Env, id string) (*domain.Request, []service.FileResult, error) {
				if _, _, err := e.Svc.WithdrawSelection(e.Ctx, e.Author, id, []string{"out/a.csv"}); err != nil {
					t.Fatal(err)
				}
				return e.Svc.WithdrawSelection(e.Ctx, e.Author, id, []string{"out/a.csv", "out/b.csv"})
			},
			want:   []string{"out/a.csv: out/a.csv has already been withdrawn.", "out/b.csv: "},
			events: 2,
			check: func(t *testing.T, r *domain.Request) {
				for _, p := range []string{"out/a.csv", "out/b.csv"} {
					if f, ok := r.File(p); !ok || f.FileType != domain.FileWithdrawn {
						t.Errorf("%s not kept withdrawn", p)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testkit.NewEnv(t)
			var r *domain.Request
			if tt.status == domain.StatusPending {
				r = e.Pending(e.Author, "out/a.csv", "out/b.csv", "out/c.csv")
			} else {
				r = e.Pending(e.Author, "out/a.csv", "out/b.csv", "out/c.csv")
				r = e.R(e.Svc.Submit(e.Ctx, e.Author, r.ID))
				e.Review(r.ID, e.C1, domain.VoteChangesRequested)
				e.Review(r.ID, e.C2, domain.VoteChangesRequested)
				r = e.R(e.Svc.Return(e.Ctx, e.C1, r.ID))
			}
			fileEvents := func() int {
				n := 0
				for _, et := range []domain.EventType{domain.EventRequestFileWithdraw, domain.EventRequestFileUpdate} {
					events, err := e.Svc.AuditLog(e.Ctx, testkit.AuditOf(r.ID, et))
					e.OK(err)
					n += len(events)
				}
				return n
			}
			before := fileEvents()
			got, res, err := tt.act(e, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if o := outcomes(res); !slices.Equal(o, tt.want) {
				t.Errorf("results %q, want %q", o, tt.want)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
			// One audit event per file changed, none for the others.
			if n := fileEvents() - before; n != tt.events {
				t.Errorf("%d file events, want %d", n, tt.events)
			}
			if n, err := e.Svc.VerifyAudit(e.Ctx); err != nil || n == 0 {
				t.Errorf("audit: %d, %v", n, err)
			}
		})
	}
}

// TestSelectionRefusals: a refusal of the whole request, or a bad
// selection, is the error, and nothing is written.
func TestSelectionRefusals(t *testing.T) {
	e := testkit.NewEnv(t)
	r := e.Pending(e.Author, "out/a.csv", "out/b.csv")
	v := r.Version
	for name, call := range map[string]func() error{
		"not the author": func() error {
			_, _, err := e.Svc.WithdrawSelection(e.Ctx, e.C1, r.ID, []string{"out/a.csv"})
			return err
		},
		"nothing selected": func() error {
			_, _, err := e.Svc.MoveSelection(e.Ctx, e.Author, r.ID, nil, "x")
			return err
		},
		"a path listed twice": func() error {
			_, _, err := e.Svc.SetSelectionType(e.Ctx, e.Author, r.ID, []string{"out/a.csv", "out/a.csv/"}, domain.FileSupporting)
			return err
		},
		"a path with a control character": func() error {
			_, _, err := e.Svc.WithdrawSelection(e.Ctx, e.Author, r.ID, []string{"out/a.csv\x00"})
			return err
		},
		"a bad group name": func() error {
			_, _, err := e.Svc.MoveSelection(e.Ctx, e.Author, r.ID, []string{"out/a.csv"}, "   ")
			return err
		},
	} {
		if err := call(); !errors.Is(err, domain.ErrInvalidInput) && !errors.Is(err, domain.ErrPermissionDenied) && !errors.Is(err, domain.ErrInvalidTransition) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	if got := e.Get(r.ID); got.Version != v || len(got.Files) != 2 {
		t.Errorf("the request changed: version %d → %d", v, got.Version)
	}
}
