package render

import (
	"errors"
	"fmt"
	"io"

	"github.com/airlock-go/airlock/internal/csvrows"
)

const (
	// MaxRecordBytes is the largest CSV record (one row, which may span
	// several lines when quoted) that is read. The reader holds a record
	// about twice over while reading it, so this bounds the memory of a
	// view at about 3 × MaxRecordBytes whatever the file.
	MaxRecordBytes = 4 << 20
	// MaxRecordCells is the largest number of cells in a CSV record that
	// is read: the reader keeps about 40 bytes per cell while reading.
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

// recordReader reads CSV records, refusing any record larger than a limit:
// the shared bounded reader of internal/csvrows, with the viewers' errors.
type recordReader struct {
	csv *csvrows.Reader
	rec []string
}

func newRecordReader(r io.Reader, maxBytes int64, maxCells int) *recordReader {
	return &recordReader{csv: csvrows.NewReader(r, maxBytes, maxCells)}
}

// read returns the next record, numbered row for error messages. The
// record is only valid until the next call. At the end it returns io.EOF.
func (rr *recordReader) read(row int) ([]string, error) {
	rec, err := rr.csv.Record(rr.rec)
	if err == nil {
		rr.rec = rec
		return rec, nil
	}
	var le *csvrows.LimitError
	switch {
	case errors.As(err, &le):
		return nil, &RowTooLongError{Row: row, MaxBytes: le.MaxBytes, MaxCells: le.MaxCells, TooManyCells: le.TooManyCells}
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	}
	return nil, fmt.Errorf("reading CSV row %d: %w", row, err)
}

// hasNext reports whether another record follows, reading at most the
// limit: a record too long to read still counts as one.
func (rr *recordReader) hasNext() (bool, error) {
	_, err := rr.csv.Next()
	var le *csvrows.LimitError
	switch {
	case err == nil, errors.As(err, &le):
		return true, nil
	case errors.Is(err, io.EOF):
		return false, nil
	}
	return false, fmt.Errorf("reading CSV: %w", err)
}

// offset returns the input offset after the last record read.
func (rr *recordReader) offset() int64 {
	return rr.csv.Offset()
}
