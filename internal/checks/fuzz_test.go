package checks

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzNames are the kinds of file the fuzzer tries each input as.
var fuzzNames = []string{"t.csv", "t.png", "t.jpg", "t.html", "t.svg", "t.svgz", "t.json"}

// FuzzCheck runs the CSV, PNG, JPEG, HTML and SVG readers over arbitrary
// input: no panic, no error from a reader that cannot fail, well-formed
// findings, and the same findings twice.
func FuzzCheck(f *testing.F) {
	f.Add(uint8(0), []byte("group,count\nA,3\nB,\"1,234\"\n"))
	f.Add(uint8(0), []byte(plantedTable(1, 20, false).csv))
	f.Add(uint8(1), withChunks(testPNG(f), chunk("tEXt", []byte("Comment\x00x")), chunk("eXIf", []byte("MM"))))
	f.Add(uint8(2), withSegments(testJPEG(f), segment(0xE1, []byte("Exif\x00\x00")), segment(0xFE, []byte("hi"))))
	f.Add(uint8(3), []byte(`<html><script>x</script><img src="https://x.org/a.png" onerror=y style="background:url(//x)"></html>`))
	f.Add(uint8(4), []byte(matplotlibSVG))
	f.Add(uint8(6), []byte(`{"a": [1, 2]}`))
	ck, err := New(Default())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := fuzzNames[int(kind)%len(fuzzNames)]
		fs, err := ck.Check(ctx, name, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, fd := range fs {
			if !fd.Severity.Valid() || fd.Message == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
			for _, c := range fd.Cells {
				if c[0] < 0 || c[1] < 0 {
					t.Fatalf("cell %v", c)
				}
			}
			if len(fd.Cells) > ck.cfg.MaxCells {
				t.Fatalf("%d cells", len(fd.Cells))
			}
		}
		again, _ := ck.Check(ctx, name, bytes.NewReader(data))
		if !cmp.Equal(fs, again) {
			t.Fatalf("two checks differ:\n%v\n%v", fs, again)
		}
	})
}

// FuzzParseConfig: any file gives a valid configuration or an error,
// never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"rules": {"small_count": {"threshold": 7, "severity": "blocking"}}, "columns": {"counts": ["n"]}}`))
	f.Add([]byte(`{"max_cells": 1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err == nil {
			if err := cfg.Validate(); err != nil {
				t.Fatalf("ParseConfig accepted an invalid configuration: %v", err)
			}
		}
	})
}
