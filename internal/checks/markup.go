package checks

import (
	"bufio"
	"bytes"
)

const (
	maxNameBytes     = 64        // of an element or attribute name kept
	maxValueBytes    = 64 << 10  // of an attribute value kept
	maxTagValueBytes = 256 << 10 // of all the values of a tag kept; beyond, maxURLBytes of each
	maxAttrs         = 256       // attributes kept per element
	keptBufferBytes  = 4 << 10   // value buffers larger than this are not kept for the next tag
)

// attr is one attribute of an element: its name in lower case and the
// first maxValueBytes of its value, character references not decoded.
type attr struct {
	name  string
	value []byte
	line  int
}

// tag is a start tag, or a processing instruction (pi) such as
// <?xml-stylesheet href="…"?>, whose pseudo-attributes are read as
// attributes.
type tag struct {
	name        string // lower case
	attrs       []attr
	line        int
	pi          bool
	selfClosing bool
}

// markupScanner reads HTML or SVG as a stream of start tags, without
// building a tree: memory is bounded whatever the file. It is lenient as
// browsers are: it never fails, it just stops at the end of the input.
// Comments and end tags are skipped; the content of raw-text elements
// (script, style, …) is skipped too, except that style sheets are passed
// to a cssScanner.
type markupScanner struct {
	r    *bufio.Reader
	svg  bool // XML: only script and style hold raw text, and <x/> closes
	line int
	eof  bool

	name      []byte
	tag       tag
	vals      [][]byte // reused attribute value buffers
	valueSize int      // bytes of the values of this tag kept so far
	names     map[string]string
}

func newMarkupScanner(r *bufio.Reader, svg bool) *markupScanner {
	return &markupScanner{r: r, svg: svg, line: 1, names: map[string]string{}}
}

// next reads one byte, counting lines.
func (s *markupScanner) next() (byte, bool) {
	c, err := s.r.ReadByte()
	if err != nil {
		s.eof = true
		return 0, false
	}
	if c == '\n' {
		s.line++
	}
	return c, true
}

// back returns the byte just read.
func (s *markupScanner) back(c byte) {
	if s.r.UnreadByte() == nil && c == '\n' {
		s.line--
	}
}

// skipTo reads up to and including the next delim, counting lines.
func (s *markupScanner) skipTo(delim byte) bool {
	for {
		chunk, err := s.r.ReadSlice(delim)
		s.line += bytes.Count(chunk, []byte{'\n'})
		switch err {
		case nil:
			return true
		case bufio.ErrBufferFull:
			continue
		}
		s.eof = true
		return false
	}
}

// scan reads the document, calling visit for each start tag and
// processing instruction, and passing each style sheet to css(line).
// The tag passed to visit is reused by the next call.
func (s *markupScanner) scan(visit func(*tag), css func(line int) *cssScanner) {
	for !s.eof {
		if !s.skipTo('<') {
			return
		}
		c, ok := s.next()
		if !ok {
			return
		}
		switch {
		case c == '!':
			s.declaration()
		case c == '?':
			if s.startTag(0, true) {
				visit(&s.tag)
			}
		case c == '/':
			s.skipTo('>')
		case isASCIILetter(c):
			if !s.startTag(c, false) {
				return
			}
			visit(&s.tag)
			name := localName(s.tag.name)
			if s.svg && s.tag.selfClosing {
				continue
			}
			if s.rawText(name) {
				var sheet *cssScanner
				if name == "style" {
					sheet = css(s.line)
				}
				s.skipRawText(s.tag.name, sheet)
			}
		default:
			s.back(c)
		}
	}
}

// rawText reports whether an element's content is text, not markup.
func (s *markupScanner) rawText(name string) bool {
	switch name {
	case "script", "style":
		return true
	case "textarea", "title", "xmp", "iframe", "noembed", "noframes":
		return !s.svg
	case "plaintext":
		if !s.svg {
			s.eof = true // the rest of the file is text
		}
	}
	return false
}

// declaration skips <!-- comments -->, <![CDATA[ … ]]> and <!DOCTYPE …>.
func (s *markupScanner) declaration() {
	head, _ := s.r.Peek(7)
	switch {
	case bytes.HasPrefix(head, []byte("--")):
		s.r.Discard(2)
		s.skipUntil("-->")
	case bytes.HasPrefix(head, []byte("[CDATA[")):
		s.r.Discard(7)
		s.skipUntil("]]>")
	default:
		s.skipTo('>')
	}
}

// skipUntil reads up to and including end, keeping only a window of the
// last bytes read.
func (s *markupScanner) skipUntil(end string) {
	var window [8]byte
	n := len(end)
	for {
		c, ok := s.next()
		if !ok {
			return
		}
		copy(window[:n-1], window[1:n])
		window[n-1] = c
		if string(window[:n]) == end {
			return
		}
	}
}

// skipRawText skips an element's text content up to its end tag,
// passing it to sheet if not nil.
func (s *markupScanner) skipRawText(name string, sheet *cssScanner) {
	for {
		chunk, err := s.r.ReadSlice('<')
		s.line += bytes.Count(chunk, []byte{'\n'})
		if sheet != nil {
			sheet.write(chunk)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			s.eof = true
			break
		}
		// After '<': is it </name followed by a space, / or >?
		want := len(name) + 2
		head, _ := s.r.Peek(want)
		if len(head) == want && head[0] == '/' && equalFoldASCII(head[1:1+len(name)], name) && isTagEnd(head[want-1]) {
			s.r.Discard(1 + len(name))
			s.skipTo('>')
			break
		}
	}
	if sheet != nil {
		sheet.close()
	}
}

func isTagEnd(c byte) bool {
	return c == '>' || c == '/' || isCSSSpace(c)
}

func equalFoldASCII(b []byte, lower string) bool {
	return len(b) == len(lower) && hasPrefixFold(b, lower)
}

// startTag reads a tag's name (starting with first, unless pi) and
// attributes into s.tag. It returns false at the end of the input before
// the tag's name.
func (s *markupScanner) startTag(first byte, pi bool) bool {
	s.tag = tag{attrs: s.tag.attrs[:0], line: s.line, pi: pi}
	s.name = s.name[:0]
	s.valueSize = 0
	for i, v := range s.vals {
		if cap(v) > keptBufferBytes {
			s.vals[i] = nil // a long value once does not hold memory for every tag after it
		}
	}
	if first != 0 {
		s.name = append(s.name, lower(first))
	}
	for {
		c, ok := s.next()
		if !ok {
			return len(s.name) > 0
		}
		if isCSSSpace(c) || c == '>' || c == '/' || (pi && c == '?') {
			s.back(c)
			break
		}
		if len(s.name) < maxNameBytes {
			s.name = append(s.name, lower(c))
		}
	}
	s.tag.name = s.intern(s.name)
	s.attributes()
	return true
}

// attributes reads attributes up to the end of the tag.
func (s *markupScanner) attributes() {
	for {
		c, ok := s.next()
		if !ok {
			return
		}
		switch {
		case isCSSSpace(c):
			continue
		case c == '>':
			return
		case c == '/' || c == '?':
			if next, ok := s.next(); ok {
				if next == '>' {
					s.tag.selfClosing = c == '/'
					return
				}
				s.back(next)
			}
			continue
		}
		line := s.line
		s.name = append(s.name[:0], lower(c))
		for {
			c, ok = s.next()
			if !ok {
				return
			}
			if isCSSSpace(c) || c == '>' || c == '/' || c == '=' {
				break
			}
			if len(s.name) < maxNameBytes {
				s.name = append(s.name, lower(c))
			}
		}
		for isCSSSpace(c) {
			if c, ok = s.next(); !ok {
				return
			}
		}
		var value []byte
		if c == '=' {
			value = s.value()
		} else {
			s.back(c)
		}
		if len(s.tag.attrs) < maxAttrs {
			s.tag.attrs = append(s.tag.attrs, attr{name: s.intern(s.name), value: value, line: line})
		}
	}
}

// value reads an attribute value, quoted or not, keeping its first
// maxValueBytes bytes (maxURLBytes once the tag's values have taken
// maxTagValueBytes) in a buffer reused by the next tag.
func (s *markupScanner) value() []byte {
	i := min(len(s.tag.attrs), maxAttrs) // slot maxAttrs is scratch for attributes not kept
	for len(s.vals) <= i {
		s.vals = append(s.vals, nil)
	}
	buf := s.vals[i][:0]
	limit := maxValueBytes
	if s.valueSize >= maxTagValueBytes {
		limit = maxURLBytes
	}
	defer func() {
		s.vals[i] = buf
		s.valueSize += len(buf)
	}()
	c, ok := s.next()
	for ok && isCSSSpace(c) {
		c, ok = s.next()
	}
	if !ok {
		return buf
	}
	var quote byte
	if c == '"' || c == '\'' {
		quote = c
	} else {
		s.back(c)
	}
	for {
		c, ok := s.next()
		if !ok {
			return buf
		}
		if quote != 0 && c == quote {
			return buf
		}
		if quote == 0 && (isCSSSpace(c) || c == '>') {
			if c == '>' {
				s.back(c)
			}
			return buf
		}
		if len(buf) < limit {
			buf = append(buf, c)
		}
	}
}

// intern returns b as a string, allocating once per distinct name.
func (s *markupScanner) intern(b []byte) string {
	if n, ok := s.names[string(b)]; ok {
		return n
	}
	n := string(b)
	if len(s.names) < 4096 {
		s.names[n] = n
	}
	return n
}

// localName strips an XML namespace prefix: svg:script is script.
func localName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == ':' {
			return name[i+1:]
		}
	}
	return name
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
