package render

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

const (
	// MaxRecordBytes is the largest CSV record (one row, which may span
	// several lines when quoted) that is read. encoding/csv holds a record
	// about three times over while parsing it, so this bounds the memory
	// of a view at about 4 × MaxRecordBytes whatever the file.
	MaxRecordBytes = 4 << 20
	// MaxRecordCells is the largest number of cells in a CSV record that
	// is read: encoding/csv keeps about 40 bytes per cell while parsing.
	MaxRecordCells = 100_000
)

// RowTooLongError reports a CSV record over MaxRecordBytes or
// MaxRecordCells. Row 0 is the header; data rows count from 1.
type RowTooLongError struct {
	Row          int
	MaxBytes     int64
	MaxCells     int
	TooManyCells bool // else too many bytes
}

func (e *RowTooLongError) Error() string {
	which := fmt.Sprintf("row %d", e.Row)
	if e.Row == 0 {
		which = "the header row"
	}
	if e.TooManyCells {
		return fmt.Sprintf("%s has too many cells to show (more than %d)", which, e.MaxCells)
	}
	limit := fmt.Sprintf("%d bytes", e.MaxBytes)
	if e.MaxBytes >= 1<<20 {
		limit = fmt.Sprintf("%d MiB", e.MaxBytes>>20)
	}
	return fmt.Sprintf("%s is too long to show (more than %s)", which, limit)
}

// recordReader reads CSV records, refusing any record larger than a limit.
type recordReader struct {
	csv *csv.Reader
	lim *limitReader
}

func newRecordReader(r io.Reader, maxBytes int64, maxCells int) *recordReader {
	lim := &limitReader{r: r, maxBytes: maxBytes, maxCells: maxCells}
	cr := csv.NewReader(lim)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &recordReader{csv: cr, lim: lim}
}

// read returns the next record, numbered row for error messages. The
// record is only valid until the next call. At the end it returns io.EOF.
func (rr *recordReader) read(row int) ([]string, error) {
	rec, err := rr.csv.Read()
	if rr.lim.exceeded != 0 {
		return nil, &RowTooLongError{Row: row, MaxBytes: rr.lim.maxBytes, MaxCells: rr.lim.maxCells, TooManyCells: rr.lim.exceeded == tooManyCells}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading CSV row %d: %w", row, err)
	}
	rr.lim.startRecord(rr.csv.InputOffset())
	return rec, nil
}

// hasNext reports whether another record follows, reading at most the
// limit: a record too long to read still counts as one.
func (rr *recordReader) hasNext() (bool, error) {
	_, err := rr.csv.Read()
	if rr.lim.exceeded != 0 {
		return true, nil
	}
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading CSV: %w", err)
	}
	return true, nil
}

// offset returns the input offset after the last record read.
func (rr *recordReader) offset() int64 {
	return rr.csv.InputOffset()
}

// limitReader fails once the record being read, which starts at mark,
// has more than maxBytes bytes or maxCells cells. The CSV reader buffers
// ahead by at most a few KiB, so the counts are close: bytes read ahead
// count towards the next record, and commas read ahead are forgotten.
// Commas inside quotes count as cell separators, erring on the safe side.
type limitReader struct {
	r        io.Reader
	maxBytes int64
	maxCells int
	mark     int64
	read     int64
	commas   int
	exceeded limitKind
}

type limitKind int

const (
	tooManyBytes limitKind = iota + 1
	tooManyCells
)

var errLimit = errors.New("CSV record over the limit")

// startRecord notes that a new record starts at offset.
func (l *limitReader) startRecord(offset int64) {
	l.mark, l.commas = offset, 0
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.exceeded != 0 {
		return 0, errLimit
	}
	room := l.mark + l.maxBytes + 1 - l.read
	if room <= 0 {
		l.exceeded = tooManyBytes
		return 0, errLimit
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	l.commas += bytes.Count(p[:n], comma)
	if l.commas >= l.maxCells {
		l.exceeded = tooManyCells
		return 0, errLimit
	}
	return n, err
}

var comma = []byte{','}
