package api

import (
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/airlock-go/airlock/internal/domain"
)

// codeDoc is a folder or file of a workspace's repository at a commit
// (docs/api.md, "Documents").
type codeDoc struct {
	Repo    string         `json:"repo"`
	RepoURL string         `json:"repo_url"`
	Commit  string         `json:"commit"`
	Path    string         `json:"path"`
	Kind    string         `json:"kind"`
	Size    int64          `json:"size"`
	Entries []codeEntryDoc `json:"entries,omitempty"`
	// Content is a file's bytes when they are UTF-8 text without NUL;
	// ContentBase64 otherwise.
	Content       *string `json:"content,omitempty"`
	ContentBase64 *string `json:"content_base64,omitempty"`
}

type codeEntryDoc struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Size int64  `json:"size"`
}

// workspaceCode answers a folder with its entries, or a file with its
// content, of the workspace's repository at a commit.
func (a *API) workspaceCode(w http.ResponseWriter, r *http.Request, u domain.User) error {
	ws, commit, p := r.PathValue("ws"), r.PathValue("commit"), strings.TrimSuffix(r.PathValue("path"), "/")
	v, err := a.svc.BrowseCode(r.Context(), u, ws, commit, p)
	if err != nil {
		return err
	}
	doc := codeDoc{Repo: v.Repo, RepoURL: v.RepoURL, Commit: v.Commit, Path: v.Entry.Path, Kind: string(v.Entry.Kind), Size: v.Entry.Size}
	switch v.Entry.Kind {
	case domain.CodeDir:
		doc.Entries = make([]codeEntryDoc, 0, len(v.Children))
		for _, c := range v.Children {
			doc.Entries = append(doc.Entries, codeEntryDoc{Path: c.Path, Name: c.Name, Kind: string(c.Kind), Size: c.Size})
		}
	case domain.CodeFile:
		b, _, err := a.svc.ReadCode(r.Context(), u, ws, commit, p)
		if err != nil {
			return err
		}
		if utf8.Valid(b) && !strings.ContainsRune(string(b), 0) {
			s := string(b)
			doc.Content = &s
		} else {
			s := base64.StdEncoding.EncodeToString(b)
			doc.ContentBase64 = &s
		}
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
