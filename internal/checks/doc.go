// Package checks finds disclosure risks in output files before a reviewer
// has to: unredacted small counts, unrounded counts, minimums and
// maximums, differences from tables already released, and content hidden
// from review (scripts, resources loaded from other hosts, image
// metadata, files that are not what their name says).
//
// It is pure: it reads the file it is given and, for the differencing
// rule, the released files the caller opens for it, and nothing else.
// Memory does not grow with the size of a file: CSV files are read a row
// at a time, HTML and SVG a tag at a time, images a chunk or segment at a
// time, and each finding lists at most Config.MaxCells cells.
//
// Use:
//
//	cfg, err := checks.LoadConfig(path) // or checks.Default()
//	ck, err := checks.New(cfg)
//	findings, err := ck.Check(ctx, "output/table.csv", file, checks.WithReleased(released))
//
// # Tables
//
// The table rules apply to .csv files. Rows and columns are counted from 0
// over the data rows: the header is not a row. Cells are compared the way
// the CSV summary (docs/viewers.md) does, without white space and in lower
// case. A cell is a redaction marker, not a value, when it is one of
// Config.RedactionMarkers (by default §6.6's missing and redacted tokens
// plus "*", "-" and "suppressed"), or says "redact" or "suppress", or is a
// bound such as "<8", "<=7" or "≤7". Markers are never flagged.
//
// A value is a count when it is a whole number of 0 or more: digits,
// optionally grouped in threes by commas ("1,234", as spreadsheets write
// them) and optionally followed by a decimal point and zeros only ("12.0",
// as pandas writes counts in a column with missing values). Other numbers
// (decimals, exponents, negative numbers, numbers beyond 18 digits) are
// not counts, nor is text.
//
// A column holds counts when its header matches Columns.Counts, or when it
// does not match Columns.NotCounts and all its values are counts (there is
// at least one). A column with a rate, a percentage, a negative number or
// a word among its values is not a count column, and its whole numbers are
// not flagged. Headers match patterns by words (see Columns).
//
//   - small_count: counts from 1 (0 with Zero) to Threshold (7).
//   - unrounded: other non-zero counts that are not a multiple of Base (5).
//     A small count is reported once, as small. With Midpoint6, or in a
//     column named with OpenSAFELY's suffix "_midpoint6", counts must be
//     midpoint 6 rounded: 0, or 6⌈n/6⌉ − 3 for n > 0, that is 3, 9, 15, …;
//     and in a "_midpoint6_derived" column multiples of 6. In those columns
//     3 (or 6) stands for a band of counts and is not a small count.
//   - min_max: every value of a column whose header matches Columns.MinMax
//     ("min", "max", "minimum", "maximum" as words: "max_age", "AgeMin",
//     not "admin"). Such columns are not count columns.
//   - differencing: counts that differ by 1 to Threshold from the same cell
//     of a table already released from the workspace (WithReleased). The
//     released table's columns that are not counts nor plain numbers label
//     its rows (region, age band, year, …); its rows are matched with the
//     checked table's on the columns of the same names (compared like
//     cells), and the count columns of the same names are compared. A label
//     on more than one released row is ambiguous and not compared, and
//     two rounded counts are not compared: their difference is rounded
//     too. Released tables are held in memory up to MaxReleasedRows rows
//     in all; larger ones are named in an info finding.
//
// A row over 4 MiB or over 100,000 cells ends the table rules at that row,
// with a type_mismatch finding saying so.
//
// # Hidden content
//
//   - html_script (.html, .htm) and svg_script (.svg, .svgz): script
//     elements, event-handler attributes (on…), javascript: and vbscript:
//     URLs in any URL attribute (also when written with character
//     references, tabs or mixed case), SVG animations that set one,
//     documents in data: URLs of frames and objects, and scripts in
//     <iframe srcdoc>.
//   - html_external (HTML and SVG): anything the browser loads from another
//     host when it shows the file: src, srcset, data, poster, background,
//     codebase, form actions, href other than of links (<a>, <area>),
//     <base href>, <meta http-equiv=refresh>, url(…) and @import in style
//     elements and attributes, <?xml-stylesheet?>. A URL is remote when it
//     has a scheme other than data:, blob:, about:, mailto: and the like,
//     or starts with // ; relative URLs and data: URLs are fine.
//   - image_metadata (PNG and JPEG, by content): PNG text chunks (tEXt,
//     zTXt, iTXt), eXIf, chunks the PNG specification does not define, and
//     JPEG EXIF, XMP, IPTC/Photoshop, MPF and other application segments and
//     comments; and, for both, data after the end of the image. JFIF, ICC
//     profiles and Adobe colour segments are part of the image. A PNG tEXt
//     chunk "Software" of at most 128 bytes of printable text only names the
//     program that wrote the image (matplotlib adds one to every figure)
//     and is not flagged.
//   - type_mismatch: content that is not what the extension says: magic
//     numbers for PNG, JPEG, GIF, gzip (.svgz); text (no control
//     characters but tab, new lines, form feed and escape in the first 8
//     KiB) for .csv, .txt, .log, .md, .json, .html; an <svg> root element
//     for .svg; JSON starting as JSON. http.DetectContentType only names
//     binary content it does not know otherwise: its table would take a
//     CSV whose first header is "BMI" for a BMP image.
//
// A file the rules cannot make sense of (truncated, malformed, hostile
// lengths) gives findings or nothing, never an error and never an
// allocation that follows a length the file claims.
package checks
