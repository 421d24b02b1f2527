package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/workspace"
)

// RegularFile is the name of the file, in the work folder, that lists the
// release requests the daily job creates.
const RegularFile = "regular_release_requests.json"

// The keys of an entry of the regular requests file, and their JSON types.
const (
	typeString     = "a string"
	typeNullString = "a string or null"
	typeStrings    = "a list of strings"
	typeBool       = "true or false"
)

var entryKeys = map[string]string{
	"username":         typeNullString,
	"workspace_name":   typeString,
	"dirs":             typeStrings,
	"context":          typeString,
	"controls":         typeString,
	"supporting_files": typeStrings,
	"submit":           typeBool,
}

var requiredKeys = []string{"username", "workspace_name", "dirs"}

// EntryError is an invalid entry of the regular requests file.
type EntryError struct {
	Index     int    // 0-based position in the file
	Workspace string // the entry's workspace_name, "unknown" if it has none
	Errors    []string
}

func (e EntryError) Error() string {
	return fmt.Sprintf("entry %d (workspace %s): %s", e.Index+1, e.Workspace, strings.Join(e.Errors, "; "))
}

// field is one key of an entry, in file order.
type field struct {
	key   string
	value json.RawMessage
}

// entry is one entry of the file as read: its fields in order, and either
// its spec or why it is invalid.
type entry struct {
	index  int
	fields []field
	spec   Spec
	err    *EntryError
}

// LoadRegular reads the regular requests file: a JSON list of entries. A
// missing file lists nothing. Each entry is checked on its own: the valid
// ones come back as specs, in file order, and the others as errors; the
// error return is for a file that cannot be read or is not a JSON list.
func LoadRegular(path string) ([]Spec, []EntryError, error) {
	entries, err := readRegular(path)
	if err != nil {
		return nil, nil, err
	}
	var specs []Spec
	var errs []EntryError
	for _, e := range entries {
		if e.err != nil {
			errs = append(errs, *e.err)
		} else {
			specs = append(specs, e.spec)
		}
	}
	return specs, errs, nil
}

func readRegular(path string) ([]entry, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("regular release requests: %w", err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("regular release requests: %s is not a JSON list of entries: %w", path, err)
	}
	entries := make([]entry, len(list))
	for i, item := range list {
		entries[i] = parseEntry(i, item)
	}
	return entries, nil
}

// parseEntry checks one entry: required keys present, no unknown keys,
// every value of its type, and context and controls given when it is to
// be submitted.
func parseEntry(i int, raw json.RawMessage) entry {
	e := entry{index: i}
	var errs []string
	fields, err := objectFields(raw)
	if err != nil {
		e.err = &EntryError{Index: i, Workspace: "unknown", Errors: []string{"entry is not a JSON object: " + err.Error()}}
		return e
	}
	e.fields = fields
	seen := map[string]bool{}
	var missing []string
	for _, f := range fields {
		if seen[f.key] {
			errs = append(errs, fmt.Sprintf("Duplicate config key: '%s'", f.key))
		}
		seen[f.key] = true
	}
	for _, k := range requiredKeys {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, "keys missing in config: "+strings.Join(missing, ", "))
	}
	s := &e.spec
	for _, f := range fields {
		want, known := entryKeys[f.key]
		if !known {
			errs = append(errs, fmt.Sprintf("Unknown config key: '%s'", f.key))
			continue
		}
		var ok bool
		switch f.key {
		case "username":
			var p *string
			if ok = decodeAs(f.value, &p); ok && p != nil {
				s.Username = *p
			}
		case "workspace_name":
			ok = decodeAs(f.value, &s.Workspace)
		case "dirs":
			ok = decodeAs(f.value, &s.Dirs)
		case "supporting_files":
			ok = decodeAs(f.value, &s.SupportingFiles)
		case "context":
			ok = decodeAs(f.value, &s.Context)
		case "controls":
			ok = decodeAs(f.value, &s.Controls)
		case "submit":
			ok = decodeAs(f.value, &s.Submit)
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("Invalid config type for '%s': expected %s, got %s", f.key, want, jsonType(f.value)))
		}
	}
	if seen["workspace_name"] && s.Workspace == "" && !hasTypeError(errs, "workspace_name") {
		errs = append(errs, "'workspace_name' must not be empty")
	} else if s.Workspace != "" {
		if err := workspace.CheckName(s.Workspace); err != nil {
			errs = append(errs, fmt.Sprintf("Invalid workspace_name: %v", err))
		}
	}
	if seen["dirs"] && len(s.Dirs) == 0 && !hasTypeError(errs, "dirs") {
		errs = append(errs, "'dirs' must list at least one folder")
	}
	for _, d := range s.Dirs {
		if p, err := workspace.CleanPath(d); err != nil || p == "" {
			errs = append(errs, fmt.Sprintf("Invalid folder in dirs: %q", d))
		}
	}
	for _, d := range s.SupportingFiles {
		if p, err := workspace.CleanPath(d); err != nil || p == "" {
			errs = append(errs, fmt.Sprintf("Invalid path in supporting_files: %q", d))
		}
	}
	if truthy(fields, "submit") && !(truthy(fields, "context") && truthy(fields, "controls")) {
		errs = append(errs, "Context and/or controls missing")
	}
	if len(errs) > 0 {
		ws := "unknown"
		if s.Workspace != "" {
			ws = s.Workspace
		}
		e.err = &EntryError{Index: i, Workspace: ws, Errors: errs}
		e.spec = Spec{}
	}
	return e
}

// objectFields reads a JSON object's members in order.
func objectFields(raw json.RawMessage) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("it is %s", jsonType(raw))
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{key: key, value: v})
	}
	return out, nil
}

// decodeAs decodes a JSON value into v, reporting whether it has v's type
// exactly (null is only a *string; no list or its items may be null).
func decodeAs(raw json.RawMessage, v any) bool {
	if _, isPtr := v.(**string); !isPtr && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return false
	}
	if list, ok := v.(*[]string); ok {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return false
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			var s string
			if jsonType(it) != "a string" || json.Unmarshal(it, &s) != nil {
				return false
			}
			out = append(out, s)
		}
		*list = out
		return true
	}
	return json.Unmarshal(raw, v) == nil
}

// jsonType names a JSON value's type for an error message.
func jsonType(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(b, &items) == nil {
			for _, it := range items {
				if t := jsonType(it); t != "a string" {
					return "a list holding " + t
				}
			}
		}
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// truthy reports whether the entry has a key whose value is true, a
// non-empty string or a non-empty list (what the reference's check of
// submit, context and controls accepts).
func truthy(fields []field, key string) bool {
	for _, f := range slices.Backward(fields) {
		if f.key != key {
			continue
		}
		var v any
		if json.Unmarshal(f.value, &v) != nil {
			return false
		}
		switch v := v.(type) {
		case bool:
			return v
		case string:
			return strings.TrimSpace(v) != ""
		case float64:
			return v != 0
		case []any:
			return len(v) > 0
		case map[string]any:
			return len(v) > 0
		}
		return false
	}
	return false
}

func hasTypeError(errs []string, key string) bool {
	return slices.ContainsFunc(errs, func(e string) bool {
		return strings.HasPrefix(e, "Invalid config type for '"+key+"'")
	})
}

// ValidateRegular checks the regular requests file and reports on each
// entry: a ======<workspace>====== header, then its errors, or "Config OK"
// and its keys and values. ok is false when any entry is invalid; err is
// for a file that cannot be read or is not a JSON list.
func ValidateRegular(path string, w io.Writer) (ok bool, err error) {
	entries, err := readRegular(path)
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			_, err = fmt.Fprintf(w, "No regular release requests: %s does not exist\n", path)
		} else {
			_, err = fmt.Fprintf(w, "No regular release requests: %s lists none\n", path)
		}
		return true, err
	}
	ok = true
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteString("\n")
		}
		ws := "unknown"
		for _, f := range e.fields {
			var s string
			if f.key == "workspace_name" && json.Unmarshal(f.value, &s) == nil && s != "" {
				ws = s
			}
		}
		fmt.Fprintf(&b, "======%s======\n", ws)
		if e.err != nil {
			ok = false
			b.WriteString("Config errors found:\n")
			for _, msg := range e.err.Errors {
				fmt.Fprintf(&b, "- %s\n", msg)
			}
			continue
		}
		b.WriteString("Config OK\n")
		for _, f := range e.fields {
			fmt.Fprintf(&b, "%s: %s\n", f.key, showValue(f.value))
		}
	}
	_, err = io.WriteString(w, b.String())
	return ok, err
}

// showValue prints a value of an entry: strings as they are, anything
// else as compact JSON.
func showValue(raw json.RawMessage) string {
	var s string
	if jsonType(raw) == "a string" && json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// RunOutcome is what became of one entry of the regular requests file.
type RunOutcome struct {
	// Index is the entry's 0-based position in the file; -1 when the file
	// itself could not be read (Err says why).
	Index     int
	Workspace string
	Result    Result
	Err       error
}

// RunRegular creates the requests the regular requests file lists. Each
// entry is handled on its own: an invalid entry, a failure or even a panic
// is logged and recorded in its outcome, and the run goes on.
func (c *Creator) RunRegular(ctx context.Context, path string) []RunOutcome {
	entries, err := readRegular(path)
	if err != nil {
		c.log.ErrorContext(ctx, "cannot read the regular release requests", "file", path, "err", err)
		return []RunOutcome{{Index: -1, Err: err}}
	}
	c.log.InfoContext(ctx, "creating regular release requests", "file", path, "entries", len(entries))
	out := make([]RunOutcome, 0, len(entries))
	for _, e := range entries {
		if ctx.Err() != nil {
			out = append(out, RunOutcome{Index: e.index, Workspace: e.spec.Workspace, Err: fmt.Errorf("not run: %w", ctx.Err())})
			continue
		}
		o := RunOutcome{Index: e.index, Workspace: e.spec.Workspace}
		if e.err != nil {
			o.Workspace, o.Err = e.err.Workspace, e.err
		} else {
			c.log.InfoContext(ctx, "starting automated release request", "workspace", e.spec.Workspace, "entry", e.index+1)
			o.Result, o.Err = c.safeCreate(ctx, e.spec)
		}
		switch {
		case o.Err != nil:
			c.log.ErrorContext(ctx, "failed to create release request", "workspace", o.Workspace, "entry", e.index+1, "err", o.Err)
		case o.Result.Completed:
			c.log.InfoContext(ctx, "release request complete", "workspace", o.Workspace, "request", o.Result.RequestID, "message", o.Result.Message)
		default:
			c.log.InfoContext(ctx, "release request creation not completed", "workspace", o.Workspace, "request", o.Result.RequestID, "message", o.Result.Message)
		}
		out = append(out, o)
	}
	return out
}

// safeCreate runs Create, turning a panic into an error so that one bad
// entry cannot stop the others.
func (c *Creator) safeCreate(ctx context.Context, spec Spec) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, fmt.Errorf("create release request: panic: %v", p)
		}
	}()
	return c.Create(ctx, spec)
}
