package checks

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

const pngSignature = "\x89PNG\r\n\x1a\n"

// metadata collects what an image carries besides its pixels.
type metadata struct {
	total    int
	examples []string
	trailing int64 // bytes after the end of the image
}

func (m *metadata) add(format string, args ...any) {
	m.total++
	if len(m.examples) < maxExamples+2 {
		m.examples = append(m.examples, fmt.Sprintf(format, args...))
	}
}

// message describes the metadata for a researcher, or returns "".
func (m *metadata) message(format string) string {
	var parts []string
	if m.total > 0 {
		list := joinList(m.examples)
		if more := m.total - len(m.examples); more > 0 {
			list = strings.Join(m.examples, ", ") + fmt.Sprintf(" and %s more", thousands(more))
		}
		parts = append(parts, fmt.Sprintf("metadata that is not shown with the image: %s", list))
	}
	if m.trailing > 0 {
		parts = append(parts, fmt.Sprintf("%s of data after the end of the image", byteCount(m.trailing)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("The %s image carries %s. Remove it before release (for example by saving the image again without metadata).",
		format, joinList(parts))
}

// pngMetadata reads a PNG's chunks, skipping their data, and notes text
// chunks (tEXt, zTXt, iTXt), EXIF (eXIf), chunks it does not know, and
// data after IEND. A truncated or malformed file ends the reading; chunk
// lengths are never trusted for allocation.
func pngMetadata(r *bufio.Reader) *metadata {
	m := &metadata{}
	if _, err := r.Discard(len(pngSignature)); err != nil {
		return m
	}
	var head [8]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return m
		}
		length := int64(binary.BigEndian.Uint32(head[:4]))
		typ := head[4:8]
		if length > 1<<31-1 || !isChunkType(typ) {
			return m
		}
		rest := length + 4 // data and CRC
		switch string(typ) {
		case "IEND":
			if _, err := r.Discard(int(rest)); err != nil {
				return m
			}
			m.trailing = countTrailing(r)
			return m
		case "tEXt", "zTXt", "iTXt":
			keyword, value, read := pngText(r, string(typ), length)
			rest -= read
			if !(string(typ) == "tEXt" && isSoftwareTag(keyword, value, length)) {
				m.add("a text chunk %q (%s, %s)", keyword, typ, byteCount(length))
			}
		case "eXIf":
			m.add("EXIF data (%s)", byteCount(length))
		default:
			if !knownChunk(string(typ)) {
				m.add("an unknown %q chunk (%s)", typ, byteCount(length))
			}
		}
		if _, err := io.CopyN(io.Discard, r, rest); err != nil {
			return m
		}
	}
}

// pngText reads the keyword of a text chunk, and for a short tEXt chunk
// its value, returning how many bytes of the chunk it read.
func pngText(r *bufio.Reader, typ string, length int64) (keyword, value string, read int64) {
	const maxRead = 80 + 128 // keyword (at most 79 bytes), NUL, a short value
	n := min(length, maxRead)
	buf := make([]byte, n)
	got, _ := io.ReadFull(r, buf)
	buf = buf[:got]
	k, v, _ := bytes.Cut(buf, []byte{0})
	if len(k) > 79 {
		k = k[:79]
	}
	if typ == "tEXt" && length <= maxRead {
		value = string(v)
	}
	return printable(k), value, int64(got)
}

// isSoftwareTag reports whether a tEXt chunk only names the program that
// wrote the image ("Software: matplotlib version3.8, https://matplotlib.org/"),
// which plotting libraries add to every image and which hides nothing.
func isSoftwareTag(keyword, value string, length int64) bool {
	return keyword == "Software" && length <= 128 && value == printable([]byte(value))
}

// isChunkType reports whether b is four ASCII letters.
func isChunkType(b []byte) bool {
	for _, c := range b {
		if !isASCIILetter(c) {
			return false
		}
	}
	return true
}

// knownChunk reports whether a chunk type is one of the PNG
// specification's (including APNG's) that carries no text.
func knownChunk(t string) bool {
	switch t {
	case "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB",
		"cICP", "mDCV", "cLLI", "mDCv", "cLLi", "bKGD", "hIST", "pHYs", "sPLT", "tIME",
		"acTL", "fcTL", "fdAT", "oFFs", "pCAL", "sCAL", "sTER", "gIFg", "dSIG":
		return true
	}
	return false
}

// countTrailing reads to the end and returns how many bytes there were,
// or 0 when they are all zero padding or white space.
func countTrailing(r io.Reader) int64 {
	var buf [4096]byte
	var n int64
	padding := true
	for {
		got, err := r.Read(buf[:])
		n += int64(got)
		for _, c := range buf[:got] {
			if padding && c != 0 && !isCSSSpace(c) {
				padding = false
			}
		}
		if err != nil {
			if padding {
				return 0
			}
			return n
		}
	}
}

// printable keeps the printable ASCII of b, for a message.
func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= ' ' && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}

// byteCount writes "1 byte", "2,048 bytes".
func byteCount(n int64) string {
	return counted(int(n), "byte")
}

// joinList writes "a", "a and b", "a, b and c".
func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	var b bytes.Buffer
	for i, s := range items[:len(items)-1] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String() + " and " + items[len(items)-1]
}
