package gitrepo

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Action is an action of a study's project.yaml.
type Action struct {
	Name string
	Run  string // its run: line
	// Line and EndLine are the lines (from 1) of project.yaml the action
	// spans: its name to the line before the next action's (trailing
	// blank lines left out).
	Line, EndLine int
}

// FindAction finds an action in project.yaml's bytes. ok is false when
// the file has no such action; an error says project.yaml is not YAML
// of the expected shape.
func FindAction(project []byte, name string) (Action, bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(project, &doc); err != nil {
		return Action{}, false, fmt.Errorf("project.yaml is not valid YAML: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return Action{}, false, fmt.Errorf("project.yaml is not a mapping")
	}
	top := doc.Content[0]
	var actions *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "actions" {
			actions = top.Content[i+1]
		}
	}
	if actions == nil || actions.Kind != yaml.MappingNode {
		return Action{}, false, fmt.Errorf("project.yaml has no actions")
	}
	lines := bytes.Split(project, []byte("\n"))
	for i := 0; i+1 < len(actions.Content); i += 2 {
		k, v := actions.Content[i], actions.Content[i+1]
		if k.Value != name {
			continue
		}
		a := Action{Name: name, Line: k.Line, EndLine: len(lines)}
		if i+2 < len(actions.Content) {
			a.EndLine = actions.Content[i+2].Line - 1
		} else if j := nextTopKey(top, actions); j > 0 {
			a.EndLine = j - 1
		}
		for a.EndLine > a.Line && a.EndLine <= len(lines) && len(bytes.TrimSpace(lines[a.EndLine-1])) == 0 {
			a.EndLine--
		}
		if v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "run" && v.Content[j+1].Kind == yaml.ScalarNode {
					a.Run = v.Content[j+1].Value
				}
			}
		}
		return a, true, nil
	}
	return Action{}, false, nil
}

// nextTopKey is the line of the top-level key after actions, 0 if none.
func nextTopKey(top, actions *yaml.Node) int {
	for i := 1; i+2 < len(top.Content); i += 2 {
		if top.Content[i] == actions {
			return top.Content[i+1].Line
		}
	}
	return 0
}
