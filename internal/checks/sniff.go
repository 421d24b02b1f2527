package checks

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// sniffLen is how much of a file is read to tell what it holds.
const sniffLen = 8 << 10

// content is what a file's first bytes say it is.
type content uint8

const (
	contentEmpty content = iota
	contentText
	contentHTML // text starting with an HTML element
	contentSVG  // text starting with an <svg> element
	contentUTF16
	contentPNG
	contentJPEG
	contentGIF
	contentWebP
	contentPDF
	contentZIP
	contentGzip
	contentBinary
)

// sniff tells what a file holds from its first bytes. It uses magic
// numbers of its own rather than http.DetectContentType's table, which
// would take a CSV whose first column is "BMI" for a BMP image.
func sniff(head []byte) content {
	switch {
	case len(head) == 0:
		return contentEmpty
	case bytes.HasPrefix(head, []byte(pngSignature)):
		return contentPNG
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return contentJPEG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return contentGIF
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return contentWebP
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return contentPDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return contentZIP
	case bytes.HasPrefix(head, []byte("\x1f\x8b\x08")):
		return contentGzip
	case bytes.HasPrefix(head, []byte("\xfe\xff")), bytes.HasPrefix(head, []byte("\xff\xfe")):
		return contentUTF16
	case isBinary(head):
		return contentBinary
	}
	switch first := firstElement(head); {
	case first == "svg":
		return contentSVG
	case isHTMLElement(first):
		return contentHTML
	}
	return contentText
}

// isMarkup reports whether c may be HTML or SVG.
func (c content) isMarkup() bool {
	return c == contentText || c == contentHTML || c == contentSVG
}

// isBinary reports whether b holds bytes that text does not: NUL and the
// other control characters besides tab, new lines, form feed and escape
// (which logs use for colours) — the test http.DetectContentType uses.
func isBinary(b []byte) bool {
	for _, c := range b {
		switch {
		case c <= 0x08, c == 0x0B, 0x0E <= c && c <= 0x1A, 0x1C <= c && c <= 0x1F:
			return true
		}
	}
	return false
}

// firstElement returns the lower-case local name of the first element of
// a text that starts, after white space, a byte-order mark, an XML
// declaration, comments and a doctype, with one; "" otherwise. A doctype
// "html" counts as an html element.
func firstElement(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n\f")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end := bytes.Index(b, []byte("?>"))
			if end < 0 {
				return ""
			}
			b = b[end+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			end := bytes.Index(b, []byte("-->"))
			if end < 0 {
				return ""
			}
			b = b[end+3:]
		case hasPrefixFold(b, "<!doctype"):
			end := bytes.IndexByte(b, '>')
			if end < 0 {
				return ""
			}
			if words := strings.Fields(strings.ToLower(string(b[len("<!doctype"):end]))); len(words) > 0 && words[0] == "html" {
				return "html"
			}
			b = b[end+1:]
		case len(b) > 1 && b[0] == '<' && isASCIILetter(b[1]):
			end := 1
			for end < len(b) && end < 64 && !isTagEnd(b[end]) {
				end++
			}
			return localName(strings.ToLower(string(b[1:end])))
		default:
			return ""
		}
	}
}

// isHTMLElement reports whether an element name starts an HTML document
// or fragment.
func isHTMLElement(name string) bool {
	switch name {
	case "html", "head", "body", "script", "style", "iframe", "title", "meta", "link",
		"div", "p", "table", "h1", "h2", "h3", "a", "b", "br", "font", "span", "img":
		return true
	}
	return false
}

// describe names a content for a message.
func (c content) describe(head []byte) string {
	switch c {
	case contentEmpty:
		return "empty"
	case contentText:
		return "text"
	case contentHTML:
		return "HTML"
	case contentSVG:
		return "an SVG image"
	case contentUTF16:
		return "UTF-16 text"
	case contentPNG:
		return "a PNG image"
	case contentJPEG:
		return "a JPEG image"
	case contentGIF:
		return "a GIF image"
	case contentWebP:
		return "a WebP image"
	case contentPDF:
		return "a PDF document"
	case contentZIP:
		return "a ZIP archive (or an Office document)"
	case contentGzip:
		return "gzip-compressed data"
	}
	if t := http.DetectContentType(head); t != "application/octet-stream" {
		t, _, _ = strings.Cut(t, ";")
		return fmt.Sprintf("binary data (%s)", t)
	}
	return "binary data"
}

// expectation is what a file's extension promises about its content.
type expectation struct {
	what string // for messages: "a PNG image"
	ok   func(c content, head []byte) bool
}

// expected returns what an extension promises, or false for extensions
// the checks know nothing of.
func expected(ext string) (expectation, bool) {
	text := func(c content, _ []byte) bool {
		return c == contentEmpty || c == contentText || c == contentHTML || c == contentSVG || c == contentUTF16
	}
	is := func(want content) func(content, []byte) bool {
		return func(c content, _ []byte) bool { return c == want }
	}
	switch ext {
	case ".png":
		return expectation{"a PNG image", is(contentPNG)}, true
	case ".jpg", ".jpeg":
		return expectation{"a JPEG image", is(contentJPEG)}, true
	case ".gif":
		return expectation{"a GIF image", is(contentGIF)}, true
	case ".svgz":
		return expectation{"a compressed SVG image", is(contentGzip)}, true
	case ".svg":
		return expectation{"an SVG image", func(c content, _ []byte) bool {
			return c == contentSVG || c == contentText // text: decided by the markup scan
		}}, true
	case ".html", ".htm":
		return expectation{"an HTML page", text}, true
	case ".csv", ".tsv":
		return expectation{"CSV (plain text)", func(c content, _ []byte) bool {
			return c == contentEmpty || c == contentText
		}}, true
	case ".json":
		return expectation{"JSON", func(c content, head []byte) bool {
			if c == contentEmpty {
				return true
			}
			if c != contentText {
				return false
			}
			t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
			return len(t) == 0 || strings.IndexByte(`{["-0123456789tfn`, t[0]) >= 0
		}}, true
	case ".txt", ".log", ".md", ".yaml", ".yml":
		return expectation{"text", text}, true
	}
	return expectation{}, false
}
