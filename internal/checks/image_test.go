package checks

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"runtime"
	"strings"
	"testing"
)

// testPNG encodes a small image.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testJPEG encodes a small image.
func testJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// chunk encodes a PNG chunk.
func chunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// textChunks makes an empty tEXt chunk of each keyword.
func textChunks(keywords ...string) [][]byte {
	var cs [][]byte
	for _, k := range keywords {
		cs = append(cs, chunk("tEXt", []byte(k+"\x00")))
	}
	return cs
}

// withChunks inserts chunks after a PNG's IHDR chunk.
func withChunks(p []byte, chunks ...[]byte) []byte {
	at := 8 + 8 + 13 + 4 // signature, IHDR
	out := append([]byte(nil), p[:at]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[at:]...)
}

// segment encodes a JPEG segment.
func segment(marker byte, data []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)+2))
	return append(b, data...)
}

// withSegments inserts segments after a JPEG's SOI marker.
func withSegments(j []byte, segs ...[]byte) []byte {
	out := append([]byte(nil), j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

func TestImageMetadata(t *testing.T) {
	p, j := testPNG(t), testJPEG(t)
	meta := func(text string) map[Rule]string { return map[Rule]string{RuleImageMetadata: text} }
	tests := []struct {
		name string
		file string
		data []byte
		want map[Rule]string
	}{
		{"clean PNG", "a.png", p, nil},
		{"PNG text", "a.png", withChunks(p, chunk("tEXt", []byte("Comment\x00patient 123 is 103 years old"))),
			meta(`The PNG image carries metadata that is not shown with the image: a text chunk "Comment" (tEXt, 36 bytes). Remove it before release`)},
		{"PNG software tag", "a.png", withChunks(p, chunk("tEXt", []byte("Software\x00Matplotlib version3.8.0, https://matplotlib.org/"))), nil},
		{"PNG long software tag", "a.png", withChunks(p, chunk("tEXt", append([]byte("Software\x00"), bytes.Repeat([]byte("x"), 500)...))), meta(`a text chunk "Software" (tEXt, 509 bytes)`)},
		{"PNG compressed and international text", "a.png", withChunks(p, chunk("zTXt", []byte("Raw\x00\x00xyz")), chunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x/>"))),
			meta(`a text chunk "Raw" (zTXt, 8 bytes) and a text chunk "XML:com.adobe.xmp" (iTXt, 26 bytes)`)},
		{"PNG EXIF", "a.png", withChunks(p, chunk("eXIf", []byte("MM\x00*\x00\x00\x00\x08"))), meta("EXIF data (8 bytes)")},
		{"PNG unknown chunk", "a.png", withChunks(p, chunk("prVt", []byte("hidden"))), meta(`an unknown "prVt" chunk (6 bytes)`)},
		{"PNG data after the end", "a.png", append(append([]byte(nil), p...), "a hidden table\n1,2,3\n"...), meta("21 bytes of data after the end of the image")},
		{"PNG padding after the end", "a.png", append(append([]byte(nil), p...), "\x00\x00\n"...), nil},
		{"PNG many chunks", "a.png", withChunks(p, textChunks("a", "b", "c", "d", "e", "f", "g")...),
			meta(`a text chunk "a" (tEXt, 2 bytes), a text chunk "b" (tEXt, 2 bytes), a text chunk "c" (tEXt, 2 bytes), a text chunk "d" (tEXt, 2 bytes), a text chunk "e" (tEXt, 2 bytes) and 2 more. Remove`)},
		{"PNG truncated", "a.png", p[:len(p)/2], nil},
		{"PNG truncated in a text chunk", "a.png", withChunks(p, chunk("tEXt", []byte("Comment\x00secret")))[:48], meta(`a text chunk "Comment" (tEXt, 14 bytes)`)},
		{"PNG with a huge chunk length", "a.png", append(append([]byte(nil), p[:33]...), "\x7f\xff\xff\xfftEXtComment\x00x"...), meta(`a text chunk "Comment" (tEXt, 2,147,483,647 bytes)`)},
		{"PNG with an impossible chunk length", "a.png", append(append([]byte(nil), p[:33]...), "\xff\xff\xff\xfftEXtComment\x00x"...), nil},
		{"PNG with a bad chunk type", "a.png", append(append([]byte(nil), p[:33]...), "\x00\x00\x00\x01t\x00Xt"...), nil},
		{"PNG signature only", "a.png", []byte(pngSignature), nil},
		{"clean JPEG", "a.jpg", j, nil},
		{"JPEG with JFIF, ICC and Adobe segments", "a.jpeg", withSegments(j, segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")), segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01")), segment(0xEE, []byte("Adobe\x00"))), nil},
		{"JPEG EXIF", "a.jpg", withSegments(j, segment(0xE1, []byte("Exif\x00\x00MM\x00*"))), meta("The JPEG image carries metadata that is not shown with the image: EXIF data (10 bytes).")},
		{"JPEG XMP", "a.jpg", withSegments(j, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))), meta("XMP data (41 bytes)")},
		{"JPEG comment", "a.jpg", withSegments(j, segment(0xFE, []byte("patient 123"))), meta("a comment (11 bytes)")},
		{"JPEG IPTC", "a.jpg", withSegments(j, segment(0xED, []byte("Photoshop 3.0\x00"))), meta("IPTC or Photoshop data")},
		{"JPEG other application data", "a.jpg", withSegments(j, segment(0xE5, []byte("Secret\x00data"))), meta(`an APP5 segment "Secret" (11 bytes)`)},
		{"JPEG MPF", "a.jpg", withSegments(j, segment(0xE2, []byte("MPF\x00II*"))), meta("more pictures")},
		{"JPEG data after the end", "a.jpg", append(append([]byte(nil), j...), testPNG(t)...), meta("of data after the end of the image")},
		{"JPEG truncated", "a.jpg", j[:len(j)/2], nil},
		{"JPEG truncated in a segment", "a.jpg", withSegments(j, segment(0xFE, bytes.Repeat([]byte("x"), 1000)))[:100], meta("a comment (1,000 bytes)")},
		{"JPEG with a segment length below 2", "a.jpg", []byte("\xff\xd8\xff\xfe\x00\x01abc"), nil},
		{"JPEG markers only", "a.jpg", []byte("\xff\xd8\xff\xd9"), nil},
		{"JPEG fill bytes", "a.jpg", []byte("\xff\xd8\xff\xff\xff\xfe\x00\x04hi\xff\xd9"), meta("a comment (2 bytes)")},
		{"JPEG named .png", "a.png", j, map[Rule]string{RuleTypeMismatch: "its content is a JPEG image, not a PNG image"}},
		{"PNG named .jpg, metadata still read", "a.jpg", withChunks(p, chunk("tEXt", []byte("Comment\x00x"))), map[Rule]string{RuleTypeMismatch: "its content is a PNG image, not a JPEG image", RuleImageMetadata: "Comment"}},
	}
	ck := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(check(t, ck, tt.file, string(tt.data)))
			if len(got) != len(tt.want) {
				t.Fatalf("findings %v, want %v", got, tt.want)
			}
			for r, text := range tt.want {
				if !strings.Contains(got[r], text) {
					t.Errorf("%s: %q lacks %q", r, got[r], text)
				}
			}
		})
	}
}

func TestTypeMismatch(t *testing.T) {
	p := testPNG(t)
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	tests := []struct {
		file, content string
		want          string // "" for no mismatch
	}{
		{"a.png", "<html><body>x</body></html>", "The file's name ends in .png, but its content is HTML, not a PNG image."},
		{"a.png", "", "The file's name ends in .png, but it is empty, not a PNG image."},
		{"a.jpg", "GIF89a....", "its content is a GIF image, not a JPEG image"},
		{"a.csv", "a,b\n1,\x00\x01\x02\n", "its content is binary data, not CSV (plain text)"},
		{"a.csv", string(p), "its content is a PNG image, not CSV (plain text)"},
		{"a.csv", "<!DOCTYPE html><html>", "its content is HTML, not CSV (plain text)"},
		{"a.csv", "\xff\xfea\x00,\x00b\x00", "its content is UTF-16 text"},
		{"a.csv", "%PDF-1.7\n", "a PDF document"},
		{"a.csv", "PK\x03\x04\x14\x00", "a ZIP archive"},
		{"a.txt", "OggS\x00\x02", "binary data (application/ogg)"},
		{"a.html", "PK\x03\x04", "its content is a ZIP archive (or an Office document), not an HTML page"},
		{"a.svg", string(p), "its content is a PNG image, not an SVG image"},
		{"a.svgz", "<svg/>", "its content is an SVG image, not a compressed SVG image"},
		{"a.svgz", gz(string(p)), "its content is compressed a PNG image, not a compressed SVG image"},
		{"a.svgz", "\x1f\x8b\x08garbage", "not valid gzip data"},
		{"a.json", "hello", "its content is text, not JSON"},
		{"a.log", "\x1b[31mred\x1b[0m log line\n", ""},
		{"a.md", "<!-- a comment -->\n# Title\n", ""},
		{"a.json", "  {\"a\": 1}", ""},
		{"a.json", "\ufeff[1, 2]", ""},
		{"a.json", "", ""},
		{"a.csv", "", ""},
		{"a.csv", "BMI,count\n25.1,10\n", ""},
		{"a.svg", "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE svg>\n<svg/>", ""},
		{"a.svgz", gz("<svg xmlns='http://www.w3.org/2000/svg'/>"), ""},
		{"a.html", "<p>a fragment</p>", ""},
		{"a.xyz", "\x00\x01binary", ""},
		{"noextension", "\x00\x01binary", ""},
	}
	ck := newChecker(t)
	for _, tt := range tests {
		got := found(check(t, ck, tt.file, tt.content))[RuleTypeMismatch]
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s %q: type_mismatch %q, want %q", tt.file, abbreviate([]byte(tt.content)), got, tt.want)
		}
	}
}

func TestSVGZScanned(t *testing.T) {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(`<svg onload="alert(1)"><image href="https://example.org/a.png"/></svg>`))
	w.Close()
	got := rulesOf(check(t, newChecker(t), "a.svgz", b.String()))
	if want := []Rule{RuleHTMLExternal, RuleSVGScript}; !equalRules(got, want) {
		t.Errorf("rules %v, want %v", got, want)
	}
}

func equalRules(a, b []Rule) bool {
	return strings.Join(ruleStrings(a), ",") == strings.Join(ruleStrings(b), ",")
}

func ruleStrings(rs []Rule) []string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return s
}

// TestHostileInputs runs every kind of file over odd and hostile content:
// no panic, no error, and no allocation that follows a length the file
// claims.
func TestHostileInputs(t *testing.T) {
	p, j := testPNG(t), testJPEG(t)
	inputs := map[string][]byte{
		"empty":               nil,
		"garbage":             bytes.Repeat([]byte{0xff, 0x00, 0xd8, '<', '"', ',', '\n', 0x89}, 4096),
		"png huge lengths":    append(append([]byte(nil), p[:33]...), bytes.Repeat([]byte("\x7f\xff\xff\xfftEXt"), 1000)...),
		"jpeg segment bombs":  append([]byte("\xff\xd8"), bytes.Repeat([]byte("\xff\xe1\xff\xffExif\x00\x00"), 1000)...),
		"jpeg entropy":        append(append([]byte(nil), j[:len(j)-2]...), bytes.Repeat([]byte{0xff, 0x00}, 50000)...),
		"unclosed tags":       bytes.Repeat([]byte("<a href='"), 20000),
		"many attributes":     append([]byte("<img "), bytes.Repeat([]byte("a=b "), 100000)...),
		"long attribute":      append([]byte("<img src=\""), bytes.Repeat([]byte("x"), 1<<20)...),
		"long attributes":     []byte("<img " + strings.Repeat("a=\""+strings.Repeat("x", 70<<10)+"\" ", 300) + "><img " + strings.Repeat("b=\""+strings.Repeat("y", 70<<10)+"\" ", 300) + ">"),
		"nested srcdoc":       []byte(strings.Repeat(`<iframe srcdoc="`, 200) + "<script>"),
		"long quoted csv":     append([]byte("a\n\""), bytes.Repeat([]byte("x\n"), 100000)...),
		"deep css":            []byte("<style>" + strings.Repeat("url(", 100000)),
		"unterminated decl":   []byte("<!DOCTYPE " + strings.Repeat("x", 100000)),
		"unterminated cdata":  []byte("<svg><![CDATA[" + strings.Repeat("x", 100000)),
		"entities":            []byte(`<a href="` + strings.Repeat("&#99999999999;&#x;&", 1000) + `">`),
		"png in jpeg clothes": append([]byte("\xff\xd8\xff"), p...),
	}
	names := []string{"a.csv", "a.png", "a.jpg", "a.html", "a.svg", "a.svgz", "a.json", "a.txt"}
	ck := newChecker(t)
	for what, data := range inputs {
		for _, name := range names {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ck.Check(context.Background(), name, bytes.NewReader(data))
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Errorf("%s as %s: %v", what, name, err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > uint64(len(data))+8<<20 {
				t.Errorf("%s as %s: allocated %d MiB for %d bytes", what, name, grew>>20, len(data))
			}
		}
	}
}

// countingReader serves size bytes of content, then zeros, counting what
// is read.
type countingReader struct {
	head []byte
	size int64
	read int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.read)]
	clear(p)
	if r.read < int64(len(r.head)) {
		copy(p, r.head[r.read:])
	}
	r.read += int64(len(p))
	return len(p), nil
}

// TestCSVNotTextNotRead: a .csv file whose first bytes are not text gets
// its type_mismatch finding, and nothing else, without being read to the
// end.
func TestCSVNotTextNotRead(t *testing.T) {
	ck := newChecker(t)
	for _, head := range []string{"\x00\x01\x02group,count\nA,3\n", pngSignature, "\xff\xfea\x00,\x00b\x00", "%PDF-1.7\nn\n3\n"} {
		r := &countingReader{head: []byte(head), size: 1 << 30}
		fs, err := ck.Check(context.Background(), "big.csv", r)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Rule != RuleTypeMismatch {
			t.Errorf("%q: findings %+v, want one type_mismatch", head, fs)
		}
		if r.read > 1<<20 {
			t.Errorf("%q: read %d bytes of a 1 GiB file", head, r.read)
		}
	}
}
