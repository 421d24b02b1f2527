package domain

import (
	"encoding/json"
	"slices"
)

// ProjectDetails describes the project a workspace belongs to.
type ProjectDetails struct {
	Name    string   `json:"name"`
	Ongoing bool     `json:"ongoing"`
	Orgs    []string `json:"orgs"`
}

// WorkspaceInfo is what job-server says about one of a user's workspaces.
type WorkspaceInfo struct {
	ProjectDetails ProjectDetails `json:"project_details"`
	Archived       bool           `json:"archived"`
}

// Active reports whether requests may be made in the workspace: its project
// is ongoing and it is not archived.
func (w WorkspaceInfo) Active() bool { return w.ProjectDetails.Ongoing && !w.Archived }

// User is the cached job-server user document.
type User struct {
	Username            string                   `json:"username"`
	Fullname            string                   `json:"fullname"`
	OutputChecker       bool                     `json:"output_checker"`
	ReadonlyAccess      bool                     `json:"readonly_access"`
	Workspaces          map[string]WorkspaceInfo `json:"workspaces"`
	CopilotedWorkspaces map[string]WorkspaceInfo `json:"copiloted_workspaces"`
}

// SystemUser is the pseudo user background work reads requests as.
func SystemUser() User {
	return User{Username: "system", Fullname: "system", OutputChecker: true}
}

// ParseUser reads a job-server user document (the "details" object).
func ParseUser(raw []byte) (User, error) {
	var u User
	if err := CheckTextBytes("the user document", raw); err != nil {
		return User{}, err
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return User{}, Errorf(ErrInvalidInput, "user document is not valid JSON: %v", err)
	}
	if u.Username == "" {
		return User{}, Errorf(ErrInvalidInput, "user document has no username")
	}
	if err := CheckText("the user name", u.Username); err != nil {
		return User{}, err
	}
	if u.Fullname == "" {
		u.Fullname = u.Username
	}
	if u.Workspaces == nil {
		u.Workspaces = map[string]WorkspaceInfo{}
	}
	if u.CopilotedWorkspaces == nil {
		u.CopilotedWorkspaces = map[string]WorkspaceInfo{}
	}
	for _, m := range []map[string]WorkspaceInfo{u.Workspaces, u.CopilotedWorkspaces} {
		for name, w := range m {
			if w.ProjectDetails.Orgs == nil {
				w.ProjectDetails.Orgs = []string{}
				m[name] = w
			}
		}
	}
	return u, nil
}

// ValidateUserDocument checks the strict shape the users file must have:
// every workspace entry has exactly the keys project_details and archived.
func ValidateUserDocument(raw []byte) error {
	var doc struct {
		Workspaces          map[string]map[string]json.RawMessage `json:"workspaces"`
		CopilotedWorkspaces map[string]map[string]json.RawMessage `json:"copiloted_workspaces"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Errorf(ErrInvalidInput, "not a valid user document: %v", err)
	}
	for field, m := range map[string]map[string]map[string]json.RawMessage{
		"workspaces": doc.Workspaces, "copiloted_workspaces": doc.CopilotedWorkspaces,
	} {
		for name, entry := range m {
			keys := make([]string, 0, len(entry))
			for k := range entry {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"archived", "project_details"}) {
				return Errorf(ErrInvalidInput, "%s.%s must have exactly the keys project_details and archived, has %v", field, name, keys)
			}
		}
	}
	if _, err := ParseUser(raw); err != nil {
		return err
	}
	return nil
}

// HasRole reports whether u holds a role on the workspace (may author
// requests). Read-only access takes every role away: such a user may view
// every workspace but never author, comment, vote or review, whatever else
// their document says.
func (u User) HasRole(workspace string) bool {
	_, ok := u.Workspaces[workspace]
	return ok && !u.ReadonlyAccess
}

// IsOutputChecker reports whether u acts as an output checker: their
// document says so and they do not have read-only access (see HasRole).
func (u User) IsOutputChecker() bool {
	return u.OutputChecker && !u.ReadonlyAccess
}

// CanViewWorkspace reports whether u may see the workspace and its requests.
func (u User) CanViewWorkspace(workspace string) bool {
	if u.OutputChecker || u.ReadonlyAccess || u.HasRole(workspace) {
		return true
	}
	_, ok := u.CopilotedWorkspaces[workspace]
	return ok
}

// ListedWorkspaces is the rule of every list of workspaces (the
// workspaces index, the copiloted workspaces, the JSON API's list and so
// the command-line client's): of the workspaces u may see, those this
// backend has, sorted by name. onBackend names the workspaces in the
// workspace folder (each a folder with a manifest, readable or not). A
// workspace of u's job-server roles that this backend does not have is not
// listed, as OpenSAFELY Airlock does not; output checkers and read-only
// users see every workspace the backend has.
func (u User) ListedWorkspaces(onBackend []string) []string {
	out := make([]string, 0, len(onBackend))
	for _, name := range onBackend {
		if u.CanViewWorkspace(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// WorkspaceInfo returns what u knows of a workspace: from their roles, then
// their copiloted workspaces; otherwise an unknown, active project.
func (u User) WorkspaceInfo(workspace string) WorkspaceInfo {
	if w, ok := u.Workspaces[workspace]; ok {
		return w
	}
	if w, ok := u.CopilotedWorkspaces[workspace]; ok {
		return w
	}
	return WorkspaceInfo{ProjectDetails: ProjectDetails{Name: "Unknown project", Ongoing: true, Orgs: []string{}}}
}

// CheckViewWorkspace refuses users who may not see the workspace.
func (u User) CheckViewWorkspace(workspace string) error {
	if !u.CanViewWorkspace(workspace) {
		return Errorf(ErrPermissionDenied, "You do not have access to workspace %s.", workspace)
	}
	return nil
}

// CheckActionWorkspace refuses users who may not make or change requests for
// the workspace: they need a role, and the workspace must be active.
func (u User) CheckActionWorkspace(workspace string) error {
	if err := u.checkNotReadOnly(); err != nil {
		return err
	}
	w, ok := u.Workspaces[workspace]
	if !ok {
		return Errorf(ErrPermissionDenied, "You do not have a role on workspace %s, so you cannot make or change its requests.", workspace)
	}
	if w.Archived {
		return Errorf(ErrPermissionDenied, "Workspace %s is archived: its requests can no longer be made or changed.", workspace)
	}
	if !w.ProjectDetails.Ongoing {
		return Errorf(ErrPermissionDenied, "Workspace %s belongs to a project that is no longer ongoing: its requests can no longer be made or changed.", workspace)
	}
	return nil
}

// checkNotReadOnly refuses any change by a user with read-only access.
func (u User) checkNotReadOnly() error {
	if u.ReadonlyAccess {
		return Errorf(ErrPermissionDenied, "You have read-only access: you can view requests but not make or change them.")
	}
	return nil
}

// Landing is the page a user starts on after logging in.
type Landing int

const (
	// LandingWorkspaces: the user's own workspaces and requests.
	LandingWorkspaces Landing = iota + 1
	// LandingReviews: the requests an output checker may review.
	LandingReviews
	// LandingAllWorkspaces: every workspace, for read-only (support) users.
	LandingAllWorkspaces
	// LandingCopiloted: the workspaces the user copilots.
	LandingCopiloted
)

// Landing is the most useful first page for u: an output checker's
// Reviews, a read-only (support) user's All Workspaces, a researcher's
// own workspaces, a copilot's copiloted workspaces. A user who is several
// of these lands on the first that applies, in that order (the others
// stay in the navigation); a user who is none lands on their workspaces,
// which says what they can do.
func (u User) Landing() Landing {
	switch {
	case u.IsOutputChecker():
		return LandingReviews
	case u.ReadonlyAccess:
		return LandingAllWorkspaces
	case len(u.Workspaces) > 0:
		return LandingWorkspaces
	case len(u.CopilotedWorkspaces) > 0:
		return LandingCopiloted
	}
	return LandingWorkspaces
}
