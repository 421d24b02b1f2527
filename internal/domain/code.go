package domain

import (
	"net/url"
	"path"
	"strings"
)

// CodeKind is what an entry of a study's repository is.
type CodeKind string

const (
	CodeDir       CodeKind = "dir"
	CodeFile      CodeKind = "file"
	CodeSymlink   CodeKind = "symlink"   // never followed: shown as what it is
	CodeSubmodule CodeKind = "submodule" // another repository's commit, not in this one
)

// CodeEntry is a file or folder of a study's repository at a commit.
type CodeEntry struct {
	Path string // relative to the repository's root, "" for the root
	Name string
	Kind CodeKind
	Size int64 // bytes, files only
}

// CheckCommit refuses anything but a full commit id: 40 lower-case hex
// digits, as the manifest records them. It is the only form of commit a
// git command is ever given.
func CheckCommit(c string) error {
	if len(c) != 40 {
		return Errorf(ErrInvalidInput, "%q is not a commit: a commit is 40 hexadecimal digits.", short(c))
	}
	for i := 0; i < len(c); i++ {
		if !(c[i] >= '0' && c[i] <= '9' || c[i] >= 'a' && c[i] <= 'f') {
			return Errorf(ErrInvalidInput, "%q is not a commit: a commit is 40 hexadecimal digits.", short(c))
		}
	}
	return nil
}

// ShortCommit is a commit's first 7 digits, as titles show it.
func ShortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// RepoPath is the path of a study's repository URL ("opensafely/study"
// for "https://github.com/opensafely/study"), and its name ("study"),
// which names its folder (<name>.git) under AIRLOCK_REPO_DIR. Every
// segment must be a plain name (letters, digits, '.', '_', '-', not
// starting with '.'), so that neither can reach outside the folder or the
// remote it is fetched from.
func RepoPath(repoURL string) (repoPath, name string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", Errorf(ErrInvalidInput, "The workspace's repository %q cannot be used: %s.", short(repoURL), why)
	}
	if repoURL == "" {
		return bad("the manifest names no repository")
	}
	u, perr := url.Parse(repoURL)
	if perr != nil || u.Path == "" {
		return bad("it is not a URL")
	}
	p := strings.Trim(u.Path, "/")
	p = strings.TrimSuffix(p, ".git")
	segs := strings.Split(p, "/")
	if len(segs) > 4 {
		return bad("its path is too deep")
	}
	for _, s := range segs {
		if !plainName(s) {
			return bad("its path holds a segment that is not a plain name")
		}
	}
	return p, segs[len(segs)-1], nil
}

// plainName: 1 to 100 of [A-Za-z0-9._-], not starting with '.'.
func plainName(s string) bool {
	if s == "" || len(s) > 100 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// scriptExts are the extensions of the files an action's run line names
// as its code (rather than its inputs or outputs).
var scriptExts = map[string]bool{
	".py": true, ".r": true, ".rmd": true, ".do": true, ".ado": true, ".sql": true,
	".sh": true, ".jl": true, ".ipynb": true, ".sas": true,
}

// ActionScripts lists the scripts an action's run line names, in order
// and once each: the repository-relative paths with a script's extension
// ("analysis/report.py" in "python:latest analysis/report.py --out x"),
// and the study definition cohortextractor reads
// ("--study-definition study_definition" is analysis/study_definition.py).
// The image (the first word) and options' values that are not scripts
// are left out.
func ActionScripts(run string) []string {
	words := strings.Fields(run)
	if len(words) < 2 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		p = strings.TrimPrefix(p, "./")
		if p == "" || seen[p] || strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
			return
		}
		seen[p] = true
		out = append(out, p)
	}
	image := words[0]
	for i := 1; i < len(words); i++ {
		w := strings.Trim(words[i], `"'`)
		if name, ok := strings.CutPrefix(w, "--study-definition"); ok && strings.HasPrefix(image, "cohortextractor") {
			name = strings.TrimPrefix(name, "=")
			if name == "" && i+1 < len(words) {
				i++
				name = strings.Trim(words[i], `"'`)
			}
			if plainName(name) {
				add("analysis/" + strings.TrimSuffix(name, ".py") + ".py")
			}
			continue
		}
		if strings.HasPrefix(w, "-") {
			if _, v, ok := strings.Cut(w, "="); ok {
				w = v
			} else {
				continue
			}
		}
		if scriptExts[strings.ToLower(path.Ext(w))] {
			add(w)
		}
	}
	return out
}
