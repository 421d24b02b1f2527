package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
)

// Output is one entry of a workspace's manifest.json, as the job runner
// writes it.
type Output struct {
	Level           string  `json:"level"`
	Excluded        bool    `json:"excluded"`
	JobID           string  `json:"job_id"`
	JobRequest      string  `json:"job_request"`
	Action          string  `json:"action"`
	Repo            string  `json:"repo"`
	Commit          string  `json:"commit"`
	Size            int64   `json:"size"`
	Timestamp       float64 `json:"timestamp"`
	ContentHash     string  `json:"content_hash"`
	Message         *string `json:"message"`
	RowCount        *int    `json:"row_count"`
	ColCount        *int    `json:"col_count"`
	User            string  `json:"user"`
	OutOfDateOutput bool    `json:"out_of_date_output"`
	OutOfDateAction bool    `json:"out_of_date_action"`
}

// Manifest is a parsed manifest.json.
type Manifest struct {
	Workspace string            `json:"workspace"`
	Repo      string            `json:"repo"`
	Outputs   map[string]Output `json:"outputs"`
}

// visibleLevel is the only level of output airlock ever shows.
const visibleLevel = "moderately_sensitive"

// Node is a file or folder of a workspace's valid tree.
type Node struct {
	Path string // workspace-relative; "" for the root
	Name string
	Dir  bool
	// Output is the manifest entry of a file from the manifest; nil for
	// folders and for files found under metadata/.
	Output *Output
	key    string // the manifest's key of Output
}

// Tree is the valid tree of a workspace as its manifest describes it:
// every moderately sensitive output that is not out of date (as
// <path>.txt when excluded), and the folders above them. Files under
// metadata/ are not in it: they are read from disk.
type Tree struct {
	// Hash is the sha256 of the manifest's bytes.
	Hash string
	Repo string
	// OutOfDate counts the outputs of out-of-date actions.
	OutOfDate int
	// MissingOutputs is set when the manifest had no outputs key.
	MissingOutputs bool

	nodes    map[string]*Node
	children map[string][]*Node // folder path → children, sorted
	outputs  []string           // every output path, sorted
	// invalid holds, by path, why an output the manifest lists as
	// moderately sensitive was left out of the tree.
	invalid map[string]string
	// lastDir is the folder of the file added last, a folder with folders
	// above it up to the root (a folder stays one), where the next file
	// added mostly goes too: outputs come sorted by path.
	lastDir string
}

// ParseManifest builds the valid tree from manifest bytes. A manifest
// that is not JSON, or not UTF-8 text, is refused whole. An output whose
// entry is not valid (a content_hash that is not a sha256, a negative
// size, text that is not UTF-8 or holds NUL) is left out of the tree, and
// Invalid says why.
func ParseManifest(raw []byte) (*Tree, error) {
	// The bytes' hash and their check (encoding/json would silently turn
	// invalid UTF-8 into U+FFFD: check the bytes as they are) on another
	// core, while they are decoded.
	var sum [sha256.Size]byte
	var textErr error
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		textErr = domain.CheckTextBytes("manifest.json", raw)
		sum = sha256.Sum256(raw)
	}()
	m, outs, missing, fast := decodeFast(raw)
	<-checked
	if textErr != nil {
		return nil, errors.New("manifest.json is not valid UTF-8 text (or holds a NUL byte)")
	}
	if !fast {
		// Anything the fast decoder does not read exactly as
		// encoding/json would: encoding/json reads it, and says what is
		// wrong with it.
		m = Manifest{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("manifest.json is not valid: %w", err)
		}
		missing, outs = m.Outputs == nil, make([]outputEntry, 0, len(m.Outputs))
		for _, k := range slices.Sorted(maps.Keys(m.Outputs)) {
			outs = append(outs, outputEntry{key: k, out: m.Outputs[k]})
		}
	}
	for what, s := range map[string]string{"workspace": m.Workspace, "repo": m.Repo} {
		if err := domain.CheckText(what, s); err != nil {
			return nil, fmt.Errorf("manifest.json is not valid: its %s holds a NUL character", what)
		}
	}
	t := &Tree{
		Hash: hex.EncodeToString(sum[:]), Repo: m.Repo, MissingOutputs: missing,
		nodes:    make(map[string]*Node, len(outs)+len(outs)/8+1),
		children: map[string][]*Node{},
		invalid:  map[string]string{},
	}
	t.nodes[""] = &Node{Path: "", Dir: true}
	files := make([]Node, len(outs)) // the outputs' nodes, one allocation
	// In the order of the keys, so that the tree does not depend on the
	// order the manifest's entries come in when two paths clash.
	for i := range outs {
		p, out := outs[i].key, &outs[i].out
		if out.Level != visibleLevel || out.OutOfDateOutput {
			continue
		}
		if out.Excluded {
			p += ".txt"
		}
		clean, err := CleanPath(p)
		if err != nil || clean == "" || clean == "metadata" || strings.HasPrefix(clean, "metadata/") {
			continue // never trust a path the manifest gives either
		}
		o := out // outs is the tree's: its entries are the nodes' outputs
		// The fast decoder's strings are UTF-8 without NUL: it reads no
		// escape, nor control character, in valid UTF-8.
		if why := checkOutput(o, !fast); why != "" {
			t.invalid[clean] = why
			continue
		}
		n := &files[i]
		*n = Node{Path: clean, Name: path.Base(clean), Output: o, key: p}
		if why := t.add(n); why != "" {
			t.invalid[clean] = why
		}
	}
	for _, p := range t.outputs {
		if t.nodes[p].Output.OutOfDateAction {
			t.OutOfDate++
		}
	}
	for p := range t.invalid {
		if _, ok := t.nodes[p]; ok {
			delete(t.invalid, p) // a valid entry shows at that path
		}
	}
	for _, kids := range t.children {
		SortNodes(kids)
	}
	slices.Sort(t.outputs)
	return t, nil
}

// checkOutput says why a manifest entry cannot be used ("" when it can),
// and writes its content_hash in lower case. Its text is checked when
// checkText is set.
func checkOutput(o *Output, checkText bool) string {
	if !isSHA256(o.ContentHash) {
		return fmt.Sprintf("its content_hash %q is not a sha256 (64 hexadecimal digits)", truncate(o.ContentHash))
	}
	o.ContentHash = strings.ToLower(o.ContentHash)
	if o.Size < 0 {
		return fmt.Sprintf("its size %d is negative", o.Size)
	}
	if (o.RowCount != nil && *o.RowCount < 0) || (o.ColCount != nil && *o.ColCount < 0) {
		return "its row_count or col_count is negative"
	}
	if !checkText {
		return ""
	}
	text := []struct{ key, s string }{
		{"job_id", o.JobID}, {"job_request", o.JobRequest}, {"action", o.Action}, {"repo", o.Repo},
		{"commit", o.Commit}, {"user", o.User},
	}
	if o.Message != nil {
		text = append(text, struct{ key, s string }{"message", *o.Message})
	}
	for _, f := range text {
		if err := domain.CheckText(f.key, f.s); err != nil {
			return fmt.Sprintf("its %s holds a NUL character", f.key)
		}
	}
	return ""
}

func isSHA256(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// add puts a file into the tree with every folder above it. A path that
// would make a file a folder, or a folder a file, is left out: add says
// why.
func (t *Tree) add(n *Node) string {
	parent := path.Dir(n.Path)
	if parent == "." {
		parent = ""
	}
	if parent != t.lastDir || parent == "" {
		for dir := parent; dir != ""; dir = path.Dir(dir) {
			if dir == "." {
				break
			}
			if a, ok := t.nodes[dir]; ok && !a.Dir {
				return fmt.Sprintf("another output is at %s, a folder of its path", dir)
			}
		}
	}
	if old, ok := t.nodes[n.Path]; ok {
		if old.Dir {
			return "other outputs are in a folder at its path"
		}
		// The same visible path twice (an excluded a.csv beside a real
		// a.csv.txt, or a.csv.txt/): keep one, whatever the order the
		// manifest's entries were read in.
		if old.Output.ContentHash < n.Output.ContentHash ||
			old.Output.ContentHash == n.Output.ContentHash && old.key < n.key {
			return ""
		}
		*old = *n
		return ""
	}
	t.nodes[n.Path] = n
	t.outputs = append(t.outputs, n.Path)
	t.lastDir = parent
	child := n
	for {
		t.children[parent] = append(t.children[parent], child)
		if _, ok := t.nodes[parent]; ok {
			return ""
		}
		dir := &Node{Path: parent, Name: path.Base(parent), Dir: true}
		t.nodes[parent] = dir
		child = dir
		if parent = path.Dir(parent); parent == "." {
			parent = ""
		}
	}
}

// Node returns the node at a clean path of the manifest's tree.
func (t *Tree) Node(p string) (*Node, bool) {
	n, ok := t.nodes[p]
	return n, ok
}

// Children returns a folder's children: folders first, then files, each
// by name; metadata/ is not among them.
func (t *Tree) Children(dir string) []*Node {
	return t.children[dir]
}

// Invalid says why the output at p, listed in the manifest as moderately
// sensitive, was left out of the tree; ok is false for any other path.
func (t *Tree) Invalid(p string) (why string, ok bool) {
	why, ok = t.invalid[p]
	return why, ok
}

// Outputs returns every file path of the tree, sorted.
func (t *Tree) Outputs() []string { return t.outputs }

// SortNodes orders nodes as file browsers show them: metadata first, then
// folders before files, then by name.
func SortNodes(nodes []*Node) {
	rank := func(n *Node) int {
		switch {
		case n.Path == "metadata":
			return 0
		case n.Dir:
			return 1
		}
		return 2
	}
	slices.SortFunc(nodes, func(a, b *Node) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
}
