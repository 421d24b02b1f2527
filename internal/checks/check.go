package checks

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// maxSVGZBytes is how much of a compressed SVG is decompressed and read.
const maxSVGZBytes = 256 << 20

// Checker runs the rules of one configuration. It holds no state between
// checks and is safe for concurrent use.
type Checker struct {
	cfg                       Config
	markers                   markers
	notCounts, counts, minMax patterns
}

// New validates a configuration and prepares its rules.
func New(cfg Config) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("checks config: %w", err)
	}
	cfg.RedactionMarkers = slices.Clone(cfg.RedactionMarkers)
	cfg.Columns = Columns{
		NotCounts: slices.Clone(cfg.Columns.NotCounts),
		Counts:    slices.Clone(cfg.Columns.Counts),
		MinMax:    slices.Clone(cfg.Columns.MinMax),
	}
	return &Checker{
		cfg:       cfg,
		markers:   compileMarkers(cfg.RedactionMarkers),
		notCounts: compilePatterns(cfg.Columns.NotCounts),
		counts:    compilePatterns(cfg.Columns.Counts),
		minMax:    compilePatterns(cfg.Columns.MinMax),
	}, nil
}

// Option changes one check.
type Option func(*options)

type options struct {
	released Released
}

// Check runs every enabled rule that applies to a file, named name (only
// its extension matters), reading its content once from r, and only as
// far as the rules need (a .txt file is only sniffed, and so is a .csv
// file whose first bytes show it is not plain text). Memory does not
// grow with the size of the file. Findings come rule by rule in the
// order of Rules. A file the rules cannot make sense of (a truncated
// image, a table with a row over 4 MiB) is a finding or nothing, never an
// error: the error is for reading r, listing or opening released files,
// and ctx ending.
func (ck *Checker) Check(ctx context.Context, name string, r io.Reader, opts ...Option) ([]Finding, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	src := &source{ctx: ctx, r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	head, _ := br.Peek(sniffLen)
	if err := src.failure(); err != nil {
		return nil, fmt.Errorf("checking %s: %w", name, err)
	}
	head = slices.Clone(head)
	got := sniff(head)
	ext := strings.ToLower(path.Ext(name))
	out := &report{rules: &ck.cfg.Rules}

	want, known := expected(ext)
	mismatch := known && !want.ok(got, head)
	if mismatch {
		out.mismatch(ext, got.describe(head), want.what)
	}
	var err error
	switch {
	case ext == ".csv" && mismatch:
		// Not a table (binary, an image, UTF-16, ...): the table rules
		// would only find noise, so the rest of the file is not read.
	case ext == ".csv":
		err = ck.checkCSV(ctx, br, &o, out)
	case (ext == ".html" || ext == ".htm") && got.isMarkup():
		ck.checkMarkup(br, false, out)
	case ext == ".svg" && got.isMarkup():
		ck.checkSVG(br, got, out)
	case ext == ".svgz" && got == contentGzip:
		err = ck.checkSVGZ(br, out)
	case got == contentPNG && ck.cfg.Rules.ImageMetadata.Enabled:
		out.metadata(pngMetadata(br), "PNG")
	case got == contentJPEG && ck.cfg.Rules.ImageMetadata.Enabled:
		out.metadata(jpegMetadata(br), "JPEG")
	}
	if err == nil {
		err = src.failure()
	}
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", name, err)
	}
	return out.sorted(), nil
}

// checkSVG scans an SVG image, and checks that it is one unless sniffing
// found it was not (got).
func (ck *Checker) checkSVG(r *bufio.Reader, got content, out *report) {
	m := ck.checkMarkup(r, true, out)
	if m.first != "svg" && got != contentHTML {
		what := "no elements"
		if m.first != "" {
			what = fmt.Sprintf("a <%s> element", m.first)
		}
		out.mismatch(".svg", fmt.Sprintf("markup starting with %s", what), "an SVG image")
	}
}

// checkSVGZ decompresses a compressed SVG image, up to maxSVGZBytes, and
// scans it.
func (ck *Checker) checkSVGZ(r io.Reader, out *report) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		out.mismatch(".svgz", "not valid gzip data", "a compressed SVG image")
		return nil
	}
	defer zr.Close()
	br := bufio.NewReaderSize(io.LimitReader(zr, maxSVGZBytes), 64<<10)
	head, _ := br.Peek(sniffLen)
	if got := sniff(head); got != contentSVG && got != contentText {
		out.mismatch(".svgz", "compressed "+got.describe(head), "a compressed SVG image")
		return nil
	}
	ck.checkSVG(br, contentSVG, out)
	return nil
}

// source reads a file, stopping when the context ends, and remembers the
// first error other than the end of the file so that the rules can stop
// at any error and Check can still tell a read failure from bad content.
type source struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// failure returns the error that stopped the reading, if it was not the
// end of the file.
func (s *source) failure() error {
	if s.err == nil {
		return s.ctx.Err()
	}
	return s.err
}

// report collects the findings of one check.
type report struct {
	rules    *Rules
	findings []Finding
}

func (r *report) add(rule Rule, sev Severity, cells [][2]int, msg string) {
	r.findings = append(r.findings, Finding{Rule: rule, Severity: sev, Message: msg, Cells: cells})
}

// mismatch notes content that does not match the file's extension.
func (r *report) mismatch(ext, got, want string) {
	rc := r.rules.TypeMismatch
	if !rc.Enabled {
		return
	}
	msg := fmt.Sprintf("The file's name ends in %s, but its content is %s, not %s.", ext, got, want)
	if got == "empty" {
		msg = fmt.Sprintf("The file's name ends in %s, but it is empty, not %s.", ext, want)
	}
	r.add(RuleTypeMismatch, rc.Severity, nil, msg)
}

// tableProblem notes a CSV the table rules could not read to its end.
func (r *report) tableProblem(err error) {
	if rc := r.rules.TypeMismatch; rc.Enabled {
		r.add(RuleTypeMismatch, rc.Severity, nil, fmt.Sprintf(
			"The file is not a table the checks can read: %v; the rows after it were not checked.", err))
	}
}

// metadata notes what an image carries besides its pixels.
func (r *report) metadata(m *metadata, format string) {
	if msg := m.message(format); msg != "" {
		r.add(RuleImageMetadata, r.rules.ImageMetadata.Severity, nil, msg)
	}
}

// sorted returns the findings rule by rule, in the order of AllRules, and
// otherwise in the order found.
func (r *report) sorted() []Finding {
	order := AllRules()
	slices.SortStableFunc(r.findings, func(a, b Finding) int {
		return slices.Index(order, a.Rule) - slices.Index(order, b.Rule)
	})
	return r.findings
}
