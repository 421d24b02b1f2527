// Package csvrows reads CSV records one at a time in bounded memory: the
// one CSV reader of the file viewers (internal/render) and the disclosure
// checks (internal/checks).
//
// It reads exactly what encoding/csv reads with LazyQuotes set and
// FieldsPerRecord -1 (any number of cells per row; a stray quote is a
// character, not an error; CRLF is a line end; empty lines are skipped),
// but scans bytes in a buffer of its own, so that a record without quotes
// costs no copy and no allocation, and it refuses any record over a byte
// or cell limit before holding it whole.
package csvrows

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// LimitError is a record over the reader's limits: more than MaxBytes
// bytes, or more than MaxCells cells. Commas inside quotes count as cell
// separators, erring on the safe side. The reader stops at it.
type LimitError struct {
	MaxBytes     int64
	MaxCells     int
	TooManyCells bool // else too many bytes
}

func (e *LimitError) Error() string {
	if e.TooManyCells {
		return fmt.Sprintf("CSV record of more than %d cells", e.MaxCells)
	}
	return fmt.Sprintf("CSV record of more than %d bytes", e.MaxBytes)
}

// The reader's buffer starts at startBuf bytes and doubles while reads
// fill it, up to minBuf, so that a small input (a table of a few rows,
// as most outputs are) costs a small buffer and a large one is read in
// large reads; past minBuf it grows only for longer records, up to the
// byte limit.
const (
	startBuf = 4 << 10
	minBuf   = 256 << 10
)

// Reader reads CSV records from an io.Reader.
type Reader struct {
	r        io.Reader
	maxBytes int64
	maxCells int

	buf      []byte
	pos, end int   // unread bytes are buf[pos:end]
	readIn   int   // bytes read into buf since it was made
	rerr     error // from r, once it has failed or ended
	err      error // sticky: the error Next returned last, once it is not nil

	offset  int64  // bytes of the input consumed by the records read
	recRaw  int64  // bytes of the record being read, in lines read so far
	record  []byte // the cells of a record with quotes, one after the other
	str     []byte // Record's
	fields  [][]byte
	indexes []int
}

// NewReader reads records from r. Records over maxBytes bytes or maxCells
// cells stop the reader with a *LimitError.
func NewReader(r io.Reader, maxBytes int64, maxCells int) *Reader {
	return &Reader{r: r, maxBytes: maxBytes, maxCells: maxCells}
}

// Offset is how many bytes of the input the records read so far took.
func (r *Reader) Offset() int64 { return r.offset }

// Next returns the fields of the next record, valid until the next call
// (the slices may point into the reader's buffer: copy what you keep).
// At the end of the input it returns io.EOF; a record over the limits
// gives a *LimitError; a failure to read, that error. Once Next has
// returned an error it returns the same error again.
func (r *Reader) Next() ([][]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if f, ok := r.fastLine(); ok {
		return f, nil
	}
	f, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return f, nil
}

// Record is Next as strings, made with one allocation for the record, as
// encoding/csv does; dst is reused when large enough.
func (r *Reader) Record(dst []string) ([]string, error) {
	f, err := r.Next()
	if err != nil {
		return nil, err
	}
	r.str = r.str[:0]
	for _, c := range f {
		r.str = append(r.str, c...)
	}
	s := string(r.str)
	if cap(dst) < len(f) {
		dst = make([]string, len(f))
	}
	dst = dst[:len(f)]
	at := 0
	for i, c := range f {
		dst[i] = s[at : at+len(c)]
		at += len(c)
	}
	return dst, nil
}

func (r *Reader) limitBytes() error {
	return &LimitError{MaxBytes: r.maxBytes, MaxCells: r.maxCells}
}

func (r *Reader) limitCells() error {
	return &LimitError{MaxBytes: r.maxBytes, MaxCells: r.maxCells, TooManyCells: true}
}

// fill reads more input after buf[end], moving the unread bytes to the
// front and growing the buffer as needed: when it holds no room, or
// while it is under minBuf once more bytes than it holds were read into
// it (the input is longer than the buffer).
func (r *Reader) fill() {
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:r.end])
		r.pos, r.end = 0, n
	}
	if r.end == len(r.buf) || (len(r.buf) < minBuf && r.readIn >= len(r.buf)) {
		size := max(2*len(r.buf), startBuf)
		if limit := r.maxBytes + minBuf; int64(size) > limit {
			size = int(max(limit, int64(r.end)+1))
		}
		nb := make([]byte, size)
		copy(nb, r.buf[:r.end])
		r.buf, r.readIn = nb, 0
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		r.readIn += n
		if err != nil {
			r.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.rerr = io.ErrNoProgress
}

// readLine returns the next line with its "\n" (CRLF made LF), or the
// last bytes of the input without one (a final CR dropped). It returns
// nil and the reader's error (io.EOF at the end) when no byte is left,
// and the line with the error when reading failed part-way through it. It
// counts the line's bytes into recRaw, failing with a *LimitError once
// they are over the limit.
func (r *Reader) readLine() ([]byte, error) {
	searched := 0
	for {
		if i := bytes.IndexByte(r.buf[r.pos+searched:r.end], '\n'); i >= 0 {
			raw := r.buf[r.pos : r.pos+searched+i+1]
			r.pos += len(raw)
			return r.took(raw, nil)
		}
		searched = r.end - r.pos
		if r.recRaw+int64(searched) > r.maxBytes+1 {
			return nil, r.limitBytes()
		}
		if r.rerr != nil {
			raw := r.buf[r.pos:r.end]
			r.pos = r.end
			if len(raw) == 0 {
				return nil, r.rerr
			}
			if r.rerr == io.EOF {
				// As encoding/csv: a CR before the end of the input is dropped.
				r.offset += int64(len(raw))
				r.recRaw += int64(len(raw))
				if raw[len(raw)-1] == '\r' {
					raw = raw[:len(raw)-1]
				}
				return raw, nil
			}
			return r.took(raw, r.rerr)
		}
		r.fill()
	}
}

// took accounts for a line read, normalising its CRLF.
func (r *Reader) took(raw []byte, err error) ([]byte, error) {
	r.offset += int64(len(raw))
	r.recRaw += int64(len(raw))
	if r.recRaw > r.maxBytes+1 {
		return nil, r.limitBytes()
	}
	if n := len(raw); n >= 2 && raw[n-2] == '\r' && raw[n-1] == '\n' {
		raw[n-2] = '\n'
		raw = raw[:n-1]
	}
	return raw, err
}

// lengthNL is 1 when b ends in a new line.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// next reads a record of any kind.
func (r *Reader) next() ([][]byte, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		r.recRaw = 0
		line, errRead = r.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // an empty line
		}
		break
	}
	if errRead != nil {
		return nil, errRead
	}
	if bytes.IndexByte(line, '"') < 0 {
		return r.split(line[:len(line)-lengthNL(line)])
	}
	return r.parseQuoted(line)
}

// fastLine reads a record that is one line without quotes, not empty,
// within the limits and whole in the buffer, in one pass over its bytes.
// It returns false, having consumed nothing, for anything else, which the
// general path (next) reads.
func (r *Reader) fastLine() ([][]byte, bool) {
	b := r.buf[r.pos:r.end]
	f := r.fields[:0]
	start := 0
	// Eight bytes at a time: a word's special bytes (, " \n) are found
	// with arithmetic, and visited one by one.
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		m := zeroBytes(w^commas) | zeroBytes(w^quotes) | zeroBytes(w^newlines)
		for m != 0 {
			j := i + bits.TrailingZeros64(m)>>3
			m &= m - 1
			switch b[j] {
			case ',':
				f = append(f, b[start:j])
				start = j + 1
				if len(f) >= r.maxCells {
					r.fields = f[:0]
					return nil, false
				}
			case '"':
				r.fields = f
				return nil, false
			default: // '\n'
				return r.fastEnd(f, b, start, j)
			}
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',':
			f = append(f, b[start:i])
			start = i + 1
			if len(f) >= r.maxCells {
				r.fields = f[:0]
				return nil, false
			}
		case '"':
			r.fields = f
			return nil, false
		case '\n':
			return r.fastEnd(f, b, start, i)
		}
	}
	r.fields = f
	return nil, false
}

// fastEnd completes a record of fastLine's: its last cell starts at
// start, and the new line is at nl.
func (r *Reader) fastEnd(f [][]byte, b []byte, start, nl int) ([][]byte, bool) {
	end := nl
	if end > start && b[end-1] == '\r' {
		end--
	}
	if end == 0 || int64(nl) > r.maxBytes {
		r.fields = f
		return nil, false // an empty line, or one too long
	}
	f = append(f, b[start:end])
	r.fields = f
	r.pos += nl + 1
	r.offset += int64(nl + 1)
	return f, true
}

const (
	lo7      = 0x7f7f7f7f7f7f7f7f
	commas   = 0x2c2c2c2c2c2c2c2c
	quotes   = 0x2222222222222222
	newlines = 0x0a0a0a0a0a0a0a0a
)

// zeroBytes has the high bit of each byte of w that is zero set, and no
// other bit.
func zeroBytes(w uint64) uint64 {
	return ^((w&lo7 + lo7) | w | lo7)
}

// split cuts a line without quotes at its commas, in place.
func (r *Reader) split(line []byte) ([][]byte, error) {
	f := r.fields[:0]
	for {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			break
		}
		f = append(f, line[:i])
		line = line[i+1:]
		if len(f) >= r.maxCells {
			r.fields = f[:0]
			return nil, r.limitCells()
		}
	}
	f = append(f, line)
	r.fields = f
	return f, nil
}

// parseQuoted reads a record with quotes, starting at line, as
// encoding/csv's readRecord does with LazyQuotes, into r.record.
func (r *Reader) parseQuoted(line []byte) ([][]byte, error) {
	commas := bytes.Count(line, []byte{','})
	rec := r.record[:0]
	idx := r.indexes[:0]
	defer func() { r.record, r.indexes = rec, idx }()
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			// A field without quotes around it.
			i := bytes.IndexByte(line, ',')
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			rec = append(rec, field...)
			idx = append(idx, len(rec))
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		// A quoted field.
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				rec = append(rec, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"': // "" is a quote
					rec = append(rec, '"')
					line = line[1:]
				case len(line) > 0 && line[0] == ',': // ", ends the field
					line = line[1:]
					idx = append(idx, len(rec))
					continue parseField
				case lengthNL(line) == len(line): // "\n ends the record
					idx = append(idx, len(rec))
					break parseField
				default: // a stray quote is a character
					rec = append(rec, '"')
				}
			case len(line) > 0:
				// The field goes on on the next line.
				rec = append(rec, line...)
				var err error
				line, err = r.readLine()
				if err != nil && err != io.EOF {
					return nil, err
				}
				commas += bytes.Count(line, []byte{','})
				if commas >= r.maxCells {
					return nil, r.limitCells()
				}
			default:
				// The end of the input inside quotes ends the field.
				idx = append(idx, len(rec))
				break parseField
			}
		}
	}
	if commas >= r.maxCells {
		return nil, r.limitCells()
	}
	f := r.fields[:0]
	at := 0
	for _, end := range idx {
		f = append(f, rec[at:end])
		at = end
	}
	r.fields = f
	return f, nil
}
