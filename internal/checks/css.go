package checks

// maxURLBytes is the most of one URL kept for classifying and reporting;
// the scheme and host are at its start.
const maxURLBytes = 2048

// cssScanner finds the URLs a style sheet loads, url(…) and @import "…",
// fed a few bytes at a time so that a style element of any size is read
// in constant memory. found is called with each URL and its line.
type cssScanner struct {
	found func(url []byte, line int)
	line  int

	state   cssState
	tail    [7]byte // the last bytes seen, lower case, to spot url( and @import
	quote   byte
	url     []byte
	urlLine int
}

type cssState uint8

const (
	cssNormal     cssState = iota
	cssURLStart            // after url(, before the URL
	cssURL                 // in an unquoted url(…)
	cssQuoted              // in a quoted URL, ending at quote
	cssImportWait          // after @import, before its string
)

func newCSSScanner(line int, found func([]byte, int)) *cssScanner {
	return &cssScanner{found: found, line: line, url: make([]byte, 0, 64)}
}

// write scans the next bytes of the style sheet.
func (c *cssScanner) write(p []byte) {
	for _, b := range p {
		c.byte(b)
	}
}

func (c *cssScanner) byte(b byte) {
	if b == '\n' {
		c.line++
	}
	switch c.state {
	case cssURLStart, cssImportWait:
		switch {
		case isCSSSpace(b):
			return
		case b == ')' && c.state == cssURLStart:
			c.state = cssNormal // url()
			return
		case b == '"' || b == '\'':
			c.begin(cssQuoted)
			c.quote = b
			return
		case c.state == cssURLStart:
			c.begin(cssURL)
			c.keep(b)
			return
		}
		c.state = cssNormal // @import url(…): the url( is spotted as usual
	case cssURL:
		if b == ')' || isCSSSpace(b) {
			c.end()
			return
		}
		c.keep(b)
		return
	case cssQuoted:
		if b == c.quote || b == '\n' {
			c.end()
			return
		}
		c.keep(b)
		return
	}
	copy(c.tail[:], c.tail[1:])
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	c.tail[len(c.tail)-1] = b
	switch {
	case string(c.tail[3:]) == "url(":
		c.state = cssURLStart
	case string(c.tail[:]) == "@import":
		c.state = cssImportWait
	}
}

func (c *cssScanner) begin(s cssState) {
	c.state = s
	c.url = c.url[:0]
	c.urlLine = c.line
}

func (c *cssScanner) keep(b byte) {
	if len(c.url) < maxURLBytes {
		c.url = append(c.url, b)
	}
}

func (c *cssScanner) end() {
	c.state = cssNormal
	c.tail = [7]byte{}
	c.found(c.url, c.urlLine)
}

// close reports a URL cut short by the end of the style sheet.
func (c *cssScanner) close() {
	if c.state == cssURL || c.state == cssQuoted {
		c.end()
	}
	c.state = cssNormal
}

func isCSSSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f'
}
