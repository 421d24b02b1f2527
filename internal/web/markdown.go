package web

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/renderer/html"
)

// commentMD turns comment text into HTML, keeping line breaks. Raw
// HTML in the text is left out by goldmark (it is not WithUnsafe), and the
// result is sanitised again by commentPolicy.
var commentMD = goldmark.New(goldmark.WithRendererOptions(html.WithHardWraps()))

// commentPolicy is bluemonday's UGC policy without images: text
// formatting, lists, quotes, code, tables and links (rel=nofollow
// noopener, no target).
var commentPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs()
	p.AllowStandardAttributes()
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AllowElements("p", "br", "hr", "strong", "b", "em", "i", "del", "s", "code", "pre", "blockquote",
		"h1", "h2", "h3", "h4", "h5", "h6", "sub", "sup", "span", "div", "dl", "dt", "dd")
	p.AllowLists()
	p.AllowTables()
	return p
}()

// renderCommentMarkdown renders a comment as safe HTML.
func renderCommentMarkdown(text string) template.HTML {
	var buf bytes.Buffer
	if err := commentMD.Convert([]byte(text), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(text) + "</p>") //nolint:gosec // escaped
	}
	out := commentPolicy.Sanitize(buf.String())
	out = strings.ReplaceAll(out, `rel="nofollow"`, `rel="nofollow noopener"`)
	return template.HTML(out) //nolint:gosec // sanitised by bluemonday
}
