package workspace

import (
	"bytes"
	"cmp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// entry of a manifest's outputs, by its key.
type outputEntry struct {
	key string
	out Output
}

// outputKeys are the keys of a manifest entry, as Output's tags name them,
// in the order of the constants below.
var outputKeys = []string{"level", "excluded", "job_id", "job_request", "action", "repo", "commit", "size",
	"timestamp", "content_hash", "message", "row_count", "col_count", "user", "out_of_date_output", "out_of_date_action"}

// The index of each of outputKeys.
const (
	keyLevel = iota
	keyExcluded
	keyJobID
	keyJobRequest
	keyAction
	keyRepo
	keyCommit
	keySize
	keyTimestamp
	keyContentHash
	keyMessage
	keyRowCount
	keyColCount
	keyUser
	keyOutOfDateOutput
	keyOutOfDateAction
	numOutputKeys
)

// outputKey is the index of an entry's key in outputKeys, or -1.
func outputKey(b []byte) int {
	switch string(b) {
	case "level":
		return keyLevel
	case "excluded":
		return keyExcluded
	case "job_id":
		return keyJobID
	case "job_request":
		return keyJobRequest
	case "action":
		return keyAction
	case "repo":
		return keyRepo
	case "commit":
		return keyCommit
	case "size":
		return keySize
	case "timestamp":
		return keyTimestamp
	case "content_hash":
		return keyContentHash
	case "message":
		return keyMessage
	case "row_count":
		return keyRowCount
	case "col_count":
		return keyColCount
	case "user":
		return keyUser
	case "out_of_date_output":
		return keyOutOfDateOutput
	case "out_of_date_action":
		return keyOutOfDateAction
	}
	return -1
}

// manifestKeys are the top-level keys of a manifest, as Manifest's tags
// name them.
var manifestKeys = []string{"workspace", "repo", "outputs"}

// decodeFast reads a manifest the way json.Unmarshal into Manifest does,
// in one pass over the bytes without reflection, and returns its outputs
// sorted by key, each of their repeated strings (levels, jobs, actions,
// repositories, commits, users) held once. It reads only what it can read
// exactly as encoding/json would; ok is false for anything else (a syntax
// error, a string with an escape in a key or a field, a value of the
// wrong type, a number that is not a plain integer where one is due, a key
// given twice, a key that encoding/json would match ignoring case), and the
// caller then decodes with encoding/json, for its result and its errors.
func decodeFast(raw []byte) (m Manifest, outs []outputEntry, missing bool, ok bool) {
	return decodeFastSplit(raw, splitMin)
}

// decodeFastSplit is decodeFast, the second half of the outputs decoded
// on another core when the rest of the manifest from them is split bytes
// or more.
func decodeFastSplit(raw []byte, split int) (m Manifest, outs []outputEntry, missing bool, ok bool) {
	d := fastDecoder{b: raw, intern: map[string]string{}, splitMin: split}
	defer func() {
		if recover() != nil { // an index out of range: truncated input
			ok = false
		}
	}()
	d.ws()
	if !d.eat('{') {
		return m, nil, false, false
	}
	seen := map[string]bool{}
	missing = true
	first := true
	for {
		d.ws()
		if d.eat('}') {
			break
		}
		if !first && !(d.eat(',') && d.wsThen()) {
			return m, nil, false, false
		}
		first = false
		key, ok := d.key(manifestKeys)
		if !ok || (key != "" && seen[key]) {
			return m, nil, false, false
		}
		seen[key] = true
		switch key {
		case "workspace", "repo":
			s, null, ok := d.stringOrNull()
			if !ok {
				return m, nil, false, false
			}
			if !null {
				if key == "workspace" {
					m.Workspace = s
				} else {
					m.Repo = s
				}
			}
		case "outputs":
			if !d.eat('{') {
				return m, nil, false, false // null, or not an object: encoding/json says
			}
			missing = false
			if outs, ok = d.outputs(); !ok {
				return m, nil, false, false
			}
		default:
			if !d.skip() {
				return m, nil, false, false
			}
		}
	}
	d.ws()
	if d.i != len(d.b) {
		return m, nil, false, false
	}
	byKey := func(a, b outputEntry) int { return cmp.Compare(a.key, b.key) }
	if !slices.IsSortedFunc(outs, byKey) { // as manifests are written, mostly
		slices.SortFunc(outs, byKey)
	}
	for i := 1; i < len(outs); i++ {
		if outs[i].key == outs[i-1].key {
			return m, nil, false, false // encoding/json keeps the last: let it
		}
	}
	return m, outs, missing, true
}

type fastDecoder struct {
	b      []byte
	i      int
	intern map[string]string
	// last is the string each field of an entry held in the entry
	// before, which the next entry's mostly repeats.
	last [numOutputKeys]string
	ints []int // row and column counts, pointed into a chunk at a time
	// splitMin is the size of outputs (and what follows them) from which
	// their second half is decoded on another core.
	splitMin int
}

func (d *fastDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// wsThen skips white space and returns true.
func (d *fastDecoder) wsThen() bool { d.ws(); return true }

func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// rawString reads a string without escapes or control characters (the
// bytes are valid UTF-8, checked before), returning its bytes.
func (d *fastDecoder) rawString() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	start := d.i
	end := bytes.IndexByte(d.b[start:], '"')
	if end < 0 {
		return nil, false
	}
	s := d.b[start : start+end]
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return nil, false
		}
	}
	d.i = start + end + 1
	return s, true
}

// key reads an object's key and its colon: one of known, or "" for a key
// encoding/json ignores; ok is false for one it might match ignoring case.
func (d *fastDecoder) key(known []string) (string, bool) {
	b, ok := d.keyColon()
	if !ok {
		return "", false
	}
	for _, k := range known {
		if string(b) == k {
			return k, true
		}
	}
	return "", ignored(b, known)
}

// keyColon reads an object's key and its colon.
func (d *fastDecoder) keyColon() ([]byte, bool) {
	b, ok := d.rawString()
	if !ok {
		return nil, false
	}
	d.ws()
	if !d.eat(':') {
		return nil, false
	}
	d.ws()
	return b, true
}

// ignored says whether encoding/json surely ignores a key that is none
// of known: false for one it might match ignoring case.
func ignored(b []byte, known []string) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false // Unicode case folding: leave it to encoding/json
		}
	}
	for _, k := range known {
		if strings.EqualFold(string(b), k) {
			return false
		}
	}
	return true
}

// stringOrNull reads a string or null.
func (d *fastDecoder) stringOrNull() (s string, null, ok bool) {
	if d.literal("null") {
		return "", true, true
	}
	b, ok := d.rawString()
	if !ok {
		return "", false, false
	}
	return string(b), false, true
}

// internedOrNull reads a string or null of the entry's field key, held
// once however many entries repeat it.
func (d *fastDecoder) internedOrNull(key int) (s string, null, ok bool) {
	if d.literal("null") {
		return "", true, true
	}
	b, ok := d.rawString()
	if !ok {
		return "", false, false
	}
	if string(b) == d.last[key] {
		return d.last[key], false, true
	}
	s, ok = d.intern[string(b)]
	if !ok {
		s = string(b)
		d.intern[s] = s
	}
	d.last[key] = s
	return s, false, true
}

// newInt points at n, in a chunk of counts rather than an allocation of
// its own.
func (d *fastDecoder) newInt(n int) *int {
	if len(d.ints) == cap(d.ints) {
		d.ints = make([]int, 0, 1024)
	}
	d.ints = append(d.ints, n)
	return &d.ints[len(d.ints)-1]
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// boolOrNull reads true, false or null (false).
func (d *fastDecoder) boolOrNull() (bool, bool) {
	switch {
	case d.literal("true"):
		return true, true
	case d.literal("false"), d.literal("null"):
		return false, true
	}
	return false, false
}

// number reads a JSON number and returns its text.
func (d *fastDecoder) number() ([]byte, bool) {
	start := d.i
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.eat('.') {
		if d.digits() == 0 {
			return nil, false
		}
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	return d.b[start:d.i], true
}

func (d *fastDecoder) digits() int {
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// intOrNull reads an integer that fits bits, or null; ok is false for any
// other number (encoding/json refuses it).
func (d *fastDecoder) intOrNull(bits int) (n int64, null, ok bool) {
	if d.literal("null") {
		return 0, true, true
	}
	lit, ok := d.number()
	if !ok {
		return 0, false, false
	}
	n, err := strconv.ParseInt(string(lit), 10, bits)
	return n, false, err == nil
}

// splitMin is the size of the rest of a manifest from which a second
// core decodes the second half of its outputs.
const splitMin = 1 << 20

// outputs reads the outputs object after its '{'. When the outputs are
// large, another goroutine decodes them from an entry's end halfway
// through (decodeFrom) while this one decodes up to there; its entries
// are used only if this one ends an entry right there, where the other
// started, so that both read exactly what one reading would (a guess
// inside a string or inside an entry is never reached: the other's work
// is dropped, and this one reads on).
func (d *fastDecoder) outputs() ([]outputEntry, bool) {
	split := -1
	var other chan halfOutputs
	var stop atomic.Bool
	defer stop.Store(true)
	if rest := len(d.b) - d.i; d.splitMin > 0 && rest >= d.splitMin && runtime.GOMAXPROCS(0) > 1 {
		split = entryEnd(d.b, d.i+rest/2)
	}
	if split > 0 {
		// The goroutine sends on its own channel: other is set to nil
		// below when its work is dropped (a send on nil would block it
		// for ever), and its buffer of one lets it finish unread.
		ch := make(chan halfOutputs, 1)
		other = ch
		b := d.b
		go func() { ch <- decodeFrom(b, split, &stop) }()
	}
	// Room for as many entries as there are objects at most, within a
	// bound (a manifest of nothing but "{}" must not reserve gigabytes):
	// the second half's entries are appended in place.
	outs := make([]outputEntry, 0, min(bytes.Count(d.b[d.i:], []byte{'{'}), 1<<17))
	for {
		d.ws()
		if d.eat('}') {
			return outs, true
		}
		if len(outs) > 0 && !(d.eat(',') && d.wsThen()) {
			return nil, false
		}
		e, ok := d.entry()
		if !ok {
			return nil, false
		}
		outs = append(outs, e)
		switch {
		case other == nil:
		case d.i == split:
			h := <-other
			if !h.ok {
				return nil, false
			}
			d.i = h.end
			return append(outs, h.outs...), true
		case d.i > split:
			stop.Store(true) // the guess was no entry's end
			other = nil
		}
	}
}

// entry reads one entry of the outputs, its key and its object.
func (d *fastDecoder) entry() (outputEntry, bool) {
	kb, ok := d.rawString()
	if !ok {
		return outputEntry{}, false
	}
	d.ws()
	if !d.eat(':') {
		return outputEntry{}, false
	}
	d.ws()
	if !d.eat('{') {
		return outputEntry{}, false // null, or not an object: encoding/json says
	}
	e := outputEntry{key: string(kb)}
	if !d.output(&e.out) {
		return outputEntry{}, false
	}
	return e, true
}

// halfOutputs are the entries decodeFrom read, and where the outputs
// object ended.
type halfOutputs struct {
	outs []outputEntry
	end  int
	ok   bool
}

// decodeFrom reads the entries of the outputs object from b[start:],
// just after an entry (a "," or the object's "}" comes next), up to the
// object's end, unless stop is set first. Its strings are held once
// among its entries (a string of both halves is held twice).
func decodeFrom(b []byte, start int, stop *atomic.Bool) (h halfOutputs) {
	defer func() {
		if recover() != nil { // an index out of range: truncated input
			h = halfOutputs{}
		}
	}()
	d := fastDecoder{b: b, i: start, intern: map[string]string{}}
	outs := make([]outputEntry, 0, min(bytes.Count(b[start:], []byte{'{'}), 1<<17))
	for !stop.Load() {
		d.ws()
		if d.eat('}') {
			return halfOutputs{outs: outs, end: d.i, ok: true}
		}
		if !(d.eat(',') && d.wsThen()) {
			return halfOutputs{}
		}
		e, ok := d.entry()
		if !ok {
			return halfOutputs{}
		}
		outs = append(outs, e)
	}
	return halfOutputs{}
}

// entryEnd guesses where an entry of the outputs ends at or after from:
// just after a "}" that a "," and a key follow. It returns -1 when it
// finds none.
func entryEnd(b []byte, from int) int {
	for i := from; i < len(b); {
		j := bytes.IndexByte(b[i:], '}')
		if j < 0 {
			return -1
		}
		i += j + 1
		k := i
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k < len(b) && b[k] == ',' {
			for k++; k < len(b) && isSpace(b[k]); k++ {
			}
			if k < len(b) && b[k] == '"' {
				return i
			}
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// output reads one entry after its '{'.
func (d *fastDecoder) output(o *Output) bool {
	var seen uint32
	first := true
	for {
		d.ws()
		if d.eat('}') {
			return true
		}
		if !first && !(d.eat(',') && d.wsThen()) {
			return false
		}
		first = false
		b, ok := d.keyColon()
		if !ok {
			return false
		}
		key := outputKey(b)
		if key < 0 {
			if !ignored(b, outputKeys) || !d.skip() {
				return false
			}
			continue
		}
		bit := uint32(1) << key
		if seen&bit != 0 {
			return false // given twice: encoding/json merges, let it
		}
		seen |= bit
		if !d.field(o, key) {
			return false
		}
	}
}

// field reads the value of one known key of an entry (its index in
// outputKeys).
func (d *fastDecoder) field(o *Output, key int) bool {
	interned := func(dst *string) bool {
		s, _, ok := d.internedOrNull(key)
		*dst = s
		return ok
	}
	boolean := func(dst *bool) bool {
		v, ok := d.boolOrNull()
		*dst = v
		return ok
	}
	intPtr := func(dst **int) bool {
		n, null, ok := d.intOrNull(strconv.IntSize)
		if ok && !null {
			*dst = d.newInt(int(n))
		}
		return ok
	}
	switch key {
	case keyLevel:
		return interned(&o.Level)
	case keyJobID:
		return interned(&o.JobID)
	case keyJobRequest:
		return interned(&o.JobRequest)
	case keyAction:
		return interned(&o.Action)
	case keyRepo:
		return interned(&o.Repo)
	case keyCommit:
		return interned(&o.Commit)
	case keyUser:
		return interned(&o.User)
	case keyContentHash:
		s, _, ok := d.stringOrNull()
		o.ContentHash = s
		return ok
	case keyMessage:
		s, null, ok := d.internedOrNull(key)
		if ok && !null {
			o.Message = &s
		}
		return ok
	case keyExcluded:
		return boolean(&o.Excluded)
	case keyOutOfDateOutput:
		return boolean(&o.OutOfDateOutput)
	case keyOutOfDateAction:
		return boolean(&o.OutOfDateAction)
	case keySize:
		n, _, ok := d.intOrNull(64)
		o.Size = n
		return ok
	case keyTimestamp:
		if d.literal("null") {
			return true
		}
		lit, ok := d.number()
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(string(lit), 64)
		o.Timestamp = f
		return err == nil
	case keyRowCount:
		return intPtr(&o.RowCount)
	case keyColCount:
		return intPtr(&o.ColCount)
	}
	return false
}

// skip reads any JSON value, checking its syntax.
func (d *fastDecoder) skip() bool {
	return d.skipDepth(0)
}

func (d *fastDecoder) skipDepth(depth int) bool {
	if depth > 10000 {
		return false // encoding/json refuses deeper nesting
	}
	if d.i >= len(d.b) {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		d.i++
		d.ws()
		if d.eat(closing) {
			return true
		}
		for {
			if c == '{' {
				if !d.skipString() {
					return false
				}
				d.ws()
				if !d.eat(':') {
					return false
				}
				d.ws()
			}
			if !d.skipDepth(depth + 1) {
				return false
			}
			d.ws()
			if d.eat(closing) {
				return true
			}
			if !d.eat(',') {
				return false
			}
			d.ws()
		}
	case c == '"':
		return d.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := d.number()
		return ok
	}
	return d.literal("true") || d.literal("false") || d.literal("null")
}

// skipString reads a string, escapes and all, checking its syntax.
func (d *fastDecoder) skipString() bool {
	if !d.eat('"') {
		return false
	}
	for d.i < len(d.b) {
		c := d.b[d.i]
		d.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if d.i >= len(d.b) {
				return false
			}
			e := d.b[d.i]
			d.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(d.b)-d.i < 4 {
					return false
				}
				for _, h := range d.b[d.i : d.i+4] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				d.i += 4
			default:
				return false
			}
		}
	}
	return false
}
