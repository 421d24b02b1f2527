package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
)

// Code is a folder or file of a workspace's repository at a commit.
type Code struct {
	Repo    string      `json:"repo"`
	RepoURL string      `json:"repo_url"`
	Commit  string      `json:"commit"`
	Path    string      `json:"path"`
	Kind    string      `json:"kind"` // dir, file, symlink, submodule
	Size    int64       `json:"size"`
	Entries []CodeEntry `json:"entries"`
	// Content holds a file's text; ContentBase64 its bytes when they are
	// not UTF-8 text. Bytes decodes either.
	Content       *string `json:"content"`
	ContentBase64 *string `json:"content_base64"`
}

// CodeEntry is an entry of a folder of Code.
type CodeEntry struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Size int64  `json:"size"`
}

// Bytes is a file's content.
func (c Code) Bytes() ([]byte, error) {
	switch {
	case c.Content != nil:
		return []byte(*c.Content), nil
	case c.ContentBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*c.ContentBase64)
		if err != nil {
			return nil, fmt.Errorf("the server sent content that is not base64: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

// Code returns the workspace's repository at a commit (40 hex digits, as
// the manifest records it) at path ("" for the root): a folder with its
// entries, or a file with its content.
func (c *Client) Code(ctx context.Context, ws, commit, path string) (Code, error) {
	var out Code
	p, err := escapePath(path, true)
	if err != nil {
		return out, err
	}
	if p == "" {
		p = "/"
	} else {
		p = "/" + p
	}
	err = c.call(ctx, http.MethodGet, "/workspaces/"+url.PathEscape(ws)+"/code/"+url.PathEscape(commit)+p, nil, nil, &out)
	return out, err
}
