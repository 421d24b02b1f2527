package domain

import (
	"slices"
	"testing"
)

func TestListedWorkspaces(t *testing.T) {
	info := WorkspaceInfo{ProjectDetails: ProjectDetails{Name: "P", Ongoing: true}}
	researcher := User{Username: "r", Workspaces: map[string]WorkspaceInfo{"a": info, "gone": info},
		CopilotedWorkspaces: map[string]WorkspaceInfo{"c": info, "gone-too": info}}
	onBackend := []string{"z", "c", "a", "b", "a"}
	for _, tc := range []struct {
		name string
		u    User
		want []string
	}{
		{"a researcher sees their role and copiloted workspaces this backend has", researcher, []string{"a", "c"}},
		{"an output checker sees every workspace this backend has", User{Username: "oc", OutputChecker: true}, []string{"a", "b", "c", "z"}},
		{"read-only support sees every workspace this backend has", User{Username: "s", ReadonlyAccess: true}, []string{"a", "b", "c", "z"}},
		{"a user with no workspace sees none", User{Username: "n"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.u.ListedWorkspaces(onBackend); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := researcher.ListedWorkspaces(nil); len(got) != 0 {
		t.Errorf("with no workspace on the backend: %q", got)
	}
}
