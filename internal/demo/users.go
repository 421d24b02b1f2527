package demo

import (
	"encoding/json"
	"fmt"

	"github.com/airlock-go/airlock/internal/domain"
)

// demoUser is one entry of the users file before it is written.
type demoUser struct {
	DemoUser
	Details domain.User
}

// usersEntry is the users-file shape: {"token": ..., "details": {...}}.
type usersEntry struct {
	Token   string          `json:"token"`
	Details json.RawMessage `json:"details"`
}

// demoUsers lists the users to log in with. Tokens look like job-server's
// single-use tokens (three words) and are fixed so the demo is repeatable.
func demoUsers() []demoUser {
	roles := map[string]domain.WorkspaceInfo{}
	for _, ws := range workspaces {
		roles[ws.Name] = workspaceInfo(ws)
	}
	none := func() map[string]domain.WorkspaceInfo { return map[string]domain.WorkspaceInfo{} }
	copiloted := workspaces[1]
	return []demoUser{
		{
			DemoUser: DemoUser{"checker1", "amber-falcon-harbour", "output checker"},
			Details:  domain.User{Username: "checker1", Fullname: "Morgan Checker", OutputChecker: true, Workspaces: none(), CopilotedWorkspaces: none()},
		},
		{
			DemoUser: DemoUser{"checker2", "cobalt-meadow-lantern", "second output checker"},
			Details:  domain.User{Username: "checker2", Fullname: "Jordan Checker", OutputChecker: true, Workspaces: none(), CopilotedWorkspaces: none()},
		},
		{
			DemoUser: DemoUser{"researcher", "granite-willow-pepper", "researcher with a role on all three workspaces (" + workspaces[2].Name + " is archived)"},
			Details:  domain.User{Username: "researcher", Fullname: "Riley Researcher", Workspaces: roles, CopilotedWorkspaces: none()},
		},
		{
			DemoUser: DemoUser{"copilot", "velvet-canyon-sparrow", "copilot: view-only access to " + copiloted.Name},
			Details: domain.User{Username: "copilot", Fullname: "Casey Copilot", Workspaces: none(),
				CopilotedWorkspaces: map[string]domain.WorkspaceInfo{copiloted.Name: workspaceInfo(copiloted)}},
		},
		{
			DemoUser: DemoUser{"support", "silver-kettle-juniper", "tech support: read-only access to every workspace"},
			Details:  domain.User{Username: "support", Fullname: "Taylor Support", ReadonlyAccess: true, Workspaces: none(), CopilotedWorkspaces: none()},
		},
	}
}

func workspaceInfo(ws workspaceDef) domain.WorkspaceInfo {
	return domain.WorkspaceInfo{
		ProjectDetails: domain.ProjectDetails{Name: ws.Project, Ongoing: ws.Ongoing, Orgs: append([]string{}, ws.Orgs...)},
		Archived:       ws.Archived,
	}
}

// writeUsers writes the users file, checking every user document first.
func writeUsers(path string) ([]DemoUser, error) {
	file := map[string]usersEntry{}
	var out []DemoUser
	for _, u := range demoUsers() {
		details, err := json.Marshal(u.Details)
		if err != nil {
			return nil, err
		}
		if err := domain.ValidateUserDocument(details); err != nil {
			return nil, fmt.Errorf("user %s: %w", u.Username, err)
		}
		file[u.Username] = usersEntry{Token: u.Token, Details: details}
		out = append(out, u.DemoUser)
	}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, err
	}
	return out, writeFile(path, append(data, '\n'), baseTime)
}
