package checks

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// maxExamples is how many occurrences a hidden-content message names.
const maxExamples = 3

// occurrences counts what a hidden-content rule found, keeping the first
// few as examples for the message.
type occurrences struct {
	total    int
	examples []string
}

func (o *occurrences) add(what string, line int) {
	o.total++
	if len(o.examples) < maxExamples {
		o.examples = append(o.examples, fmt.Sprintf("%s on line %d", what, line))
	}
}

// list writes the examples, and how many more there are.
func (o *occurrences) list() string {
	s := strings.Join(o.examples, ", ")
	if more := o.total - len(o.examples); more > 0 {
		s += fmt.Sprintf(", and %s more", thousands(more))
	}
	return s
}

// markupCheck applies html_script, svg_script and html_external to the
// tags of one document.
type markupCheck struct {
	svg      bool
	depth    int // of <iframe srcdoc> documents within documents
	scripts  occurrences
	external occurrences
	first    string // the first element's local name
}

// checkMarkup scans an HTML or SVG document.
func (ck *Checker) checkMarkup(r *bufio.Reader, svg bool, out *report) *markupCheck {
	m := &markupCheck{svg: svg}
	sc := newMarkupScanner(r, svg)
	sc.scan(m.element, func(line int) *cssScanner {
		return newCSSScanner(line, m.cssURL)
	})
	doc, scriptRule, scriptCfg := "page", RuleHTMLScript, ck.cfg.Rules.HTMLScript
	if svg {
		doc, scriptRule, scriptCfg = "image", RuleSVGScript, ck.cfg.Rules.SVGScript
	}
	if scriptCfg.Enabled && m.scripts.total > 0 {
		out.add(scriptRule, scriptCfg.Severity, nil, fmt.Sprintf(
			"The %s has %s, which can change what it shows after it has been reviewed: %s.",
			doc, counted(m.scripts.total, "script"), m.scripts.list()))
	}
	if ext := ck.cfg.Rules.HTMLExternal; ext.Enabled && m.external.total > 0 {
		out.add(RuleHTMLExternal, ext.Severity, nil, fmt.Sprintf(
			"The %s loads %s from other hosts when it is viewed, which reviewers cannot check and which tells those hosts who views it: %s.",
			doc, counted(m.external.total, "resource"), m.external.list()))
	}
	return m
}

// element checks one start tag.
func (m *markupCheck) element(t *tag) {
	if t.pi {
		if t.name == "xml-stylesheet" {
			for _, a := range t.attrs {
				if a.name == "href" {
					m.url(a.value, true, a.line)
				}
			}
		}
		return
	}
	name := localName(t.name)
	if m.first == "" {
		m.first = name
	}
	if name == "script" {
		m.scripts.add("a <script> element", t.line)
	}
	link := name == "a" || name == "area"
	embeds := name == "iframe" || name == "frame" || name == "object" || name == "embed"
	animates := m.svg && (name == "set" || name == "animate")
	refresh := false
	for _, a := range t.attrs {
		if a.name == "http-equiv" && bytes.EqualFold(bytes.TrimSpace(a.value), []byte("refresh")) {
			refresh = true
		}
	}
	for _, a := range t.attrs {
		an := a.name
		if an == "xlink:href" {
			an = "href"
		}
		switch {
		case isEventHandler(an):
			m.scripts.add(fmt.Sprintf("an %s attribute", an), a.line)
		case an == "href":
			m.url(a.value, !link, a.line)
		case an == "src" || an == "data":
			if embeds && isDocumentData(a.value) {
				m.scripts.add(fmt.Sprintf("a document in a data: URL in <%s %s>", name, an), a.line)
				continue
			}
			m.url(a.value, true, a.line)
		case loadsURL(an):
			m.url(a.value, true, a.line)
		case linksURL(an):
			m.url(a.value, false, a.line)
		case an == "srcset" || an == "imagesrcset":
			for _, u := range srcsetURLs(a.value) {
				m.url(u, true, a.line)
			}
		case an == "style":
			sheet := newCSSScanner(a.line, m.cssURL)
			sheet.write(decodeEntities(a.value))
			sheet.close()
		case an == "srcdoc":
			m.srcdoc(a.value, a.line)
		case an == "content" && refresh:
			v := decodeEntities(a.value)
			if i := bytes.Index(bytes.ToLower(v), []byte("url=")); i >= 0 {
				m.url(bytes.Trim(v[i+len("url="):], `'" `), true, a.line)
			}
		case animates && (an == "to" || an == "from" || an == "values" || an == "by"):
			if containsFold(cleanURL(decodeEntities(a.value)), "javascript:") {
				m.scripts.add(fmt.Sprintf("a javascript: URL set by <%s>", name), a.line)
			}
		}
	}
}

// srcdoc checks the document an <iframe srcdoc> holds, a few levels deep.
func (m *markupCheck) srcdoc(value []byte, line int) {
	if m.depth >= 3 {
		return
	}
	inner := &markupCheck{depth: m.depth + 1}
	sc := newMarkupScanner(bufio.NewReader(bytes.NewReader(decodeEntities(value))), false)
	sc.scan(inner.element, func(line int) *cssScanner { return newCSSScanner(line, inner.cssURL) })
	if inner.scripts.total > 0 {
		m.scripts.add(fmt.Sprintf("%s in an <iframe srcdoc>", counted(inner.scripts.total, "script")), line)
	}
	if inner.external.total > 0 {
		m.external.add(fmt.Sprintf("%s in an <iframe srcdoc>", counted(inner.external.total, "resource")), line)
	}
}

// url checks one URL: a javascript: URL is a script wherever it is, and
// a URL on another host counts as external when the browser loads it
// (loads), not when it is only a link to follow.
func (m *markupCheck) url(raw []byte, loads bool, line int) {
	class, u := classifyURL(raw)
	switch class {
	case urlScript:
		m.scripts.add("a javascript: URL", line)
	case urlRemote:
		if loads {
			m.external.add(shorten(u), line)
		}
	}
}

// cssURL checks a URL a style sheet loads.
func (m *markupCheck) cssURL(raw []byte, line int) {
	m.url(raw, true, line)
}

// isEventHandler reports whether an attribute runs a script on an event:
// onclick, onload, onerror, …
func isEventHandler(name string) bool {
	if len(name) < 3 || !strings.HasPrefix(name, "on") {
		return false
	}
	for i := 2; i < len(name); i++ {
		if !isASCIILetter(name[i]) && name[i] != '-' {
			return false
		}
	}
	return true
}

// loadsURL reports whether the browser fetches the URL in an attribute
// when it shows the page (src, data and href are handled apart).
func loadsURL(name string) bool {
	switch name {
	case "background", "poster", "codebase", "lowsrc", "dynsrc", "manifest",
		"action", "formaction", "archive", "icon":
		return true
	}
	return false
}

// linksURL reports whether an attribute holds a URL that is not fetched
// but may still be a javascript: URL.
func linksURL(name string) bool {
	switch name {
	case "cite", "longdesc", "profile", "classid", "usemap":
		return true
	}
	return false
}

// isDocumentData reports whether a URL is a data: URL holding a document
// that may run scripts.
func isDocumentData(raw []byte) bool {
	u := bytes.ToLower(cleanURL(decodeEntities(raw)))
	return bytes.HasPrefix(u, []byte("data:text/html")) ||
		bytes.HasPrefix(u, []byte("data:image/svg")) ||
		bytes.HasPrefix(u, []byte("data:application/xhtml")) ||
		bytes.HasPrefix(u, []byte("data:text/xml")) ||
		bytes.HasPrefix(u, []byte("data:application/xml"))
}

// srcsetURLs splits a srcset attribute ("a.png 1x, b.png 2x") into its
// URLs, as browsers do: a URL is a run of non-space characters, and a
// comma ends a candidate only after it.
func srcsetURLs(v []byte) [][]byte {
	v = decodeEntities(v)
	var urls [][]byte
	for len(v) > 0 {
		v = bytes.TrimLeft(v, " \t\n\r\f,")
		if len(v) == 0 {
			break
		}
		end := bytes.IndexAny(v, " \t\n\r\f")
		if end < 0 {
			end = len(v)
		}
		urls = append(urls, bytes.TrimRight(v[:end], ","))
		if bytes.HasSuffix(v[:end], []byte(",")) {
			v = v[end:]
			continue
		}
		v = v[end:]
		next := bytes.IndexByte(v, ',') // skip the descriptors
		if next < 0 {
			break
		}
		v = v[next+1:]
	}
	return urls
}

// shorten cuts a URL for a message.
func shorten(u string) string {
	const max = 80
	if len(u) <= max {
		return u
	}
	cut := max
	for cut > 0 && u[cut]&0xC0 == 0x80 {
		cut--
	}
	return u[:cut] + "…"
}
