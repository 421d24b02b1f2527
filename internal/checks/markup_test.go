package checks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// found maps each rule of the findings to its message.
func found(fs []Finding) map[Rule]string {
	m := map[Rule]string{}
	for _, f := range fs {
		m[f.Rule] = f.Message
	}
	return m
}

// markupCase is a document and what the hidden-content rules say of it:
// for each rule, text its message contains ("" for none expected).
type markupCase struct {
	name string
	doc  string
	want map[Rule]string
}

func runMarkupCases(t *testing.T, file string, tests []markupCase) {
	t.Helper()
	ck := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(check(t, ck, file, tt.doc))
			gotRules, wantRules := map[Rule]bool{}, map[Rule]bool{}
			for r := range got {
				gotRules[r] = true
			}
			for r, text := range tt.want {
				wantRules[r] = true
				if msg, ok := got[r]; ok && !strings.Contains(msg, text) {
					t.Errorf("%s message %q lacks %q", r, msg, text)
				}
			}
			if diff := cmp.Diff(wantRules, gotRules); diff != "" {
				t.Errorf("rules (-want +got):\n%s\n%v", diff, got)
			}
		})
	}
}

func TestHTMLScript(t *testing.T) {
	script := func(text string) map[Rule]string { return map[Rule]string{RuleHTMLScript: text} }
	runMarkupCases(t, "report.html", []markupCase{
		{"script element", "<html><body><p>Hi</p>\n<script>alert(1)</script>", script("1 script, which can change what it shows after it has been reviewed: a <script> element on line 2.")},
		{"upper case", "<SCRIPT>x</SCRIPT>", script("a <script> element on line 1")},
		{"event handler", `<img src=x.png onerror="alert(1)">`, script("an onerror attribute on line 1")},
		{"event handler unquoted", `<body onload=init()>`, script("an onload attribute")},
		{"javascript URL", `<a href="javascript:alert(1)">x</a>`, script("a javascript: URL")},
		{"javascript URL mixed case and spaces", `<a href="  JaVaScRiPt:alert(1)">x</a>`, script("a javascript: URL")},
		{"javascript URL with a tab reference", `<a href="jav&#x09;ascript:alert(1)">x</a>`, script("a javascript: URL")},
		{"javascript URL with decimal references", `<a href="&#106;ava&#115;cript&colon;x">x</a>`, script("a javascript: URL")},
		{"javascript URL in a form", `<form action="javascript:x"></form>`, script("a javascript: URL")},
		{"vbscript URL", `<a href="vbscript:x">x</a>`, script("a javascript: URL")},
		{"document in a data URL", `<iframe src="data:text/html,&lt;script&gt;"></iframe>`, script("a document in a data: URL in <iframe src>")},
		{"srcdoc", `<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`, script("1 script in an <iframe srcdoc>")},
		{"counted with examples", "<script></script><script></script>\n<script></script>\n\n<p onclick=x>", script("4 scripts, which can change what it shows after it has been reviewed: a <script> element on line 1, a <script> element on line 1, a <script> element on line 2, and 1 more.")},
		{"script src is a script and external", `<script src="https://cdn.example.org/x.js"></script>`, map[Rule]string{RuleHTMLScript: "a <script> element", RuleHTMLExternal: "https://cdn.example.org/x.js on line 1"}},
		{"clean page", "<!DOCTYPE html><html><head><title>On scripts</title></head><body><h1>Results</h1><p>on click, javascript: is text</p><img src=\"figure.png\" alt=\"onload\"><table><tr><td>10</td></tr></table></body></html>", nil},
		{"script in a comment", "<!-- <script>alert(1)</script> --><p>x</p>", nil},
		{"script in a textarea", "<textarea><script>alert(1)</script></textarea>", nil},
		{"script in a title", "<title><script>x</script></title>", nil},
		{"text looking like a tag", "<p>a < b and 3<4</p>", nil},
		{"unterminated", "<p class=\"x", nil},
		{"unterminated script", "<script>while(1)", script("a <script> element")},
		{"unterminated comment", "<!-- <script>", nil},
	})
}

func TestHTMLExternal(t *testing.T) {
	external := func(text string) map[Rule]string { return map[Rule]string{RuleHTMLExternal: text} }
	runMarkupCases(t, "report.html", []markupCase{
		{"image", `<img src="https://example.org/a.png">`, external("The page loads 1 resource from other hosts when it is viewed, which reviewers cannot check and which tells those hosts who views it: https://example.org/a.png on line 1.")},
		{"protocol relative", `<img src="//example.org/a.png">`, external("//example.org/a.png")},
		{"backslashes", `<img src="\\example.org/a.png">`, external(`\\example.org/a.png`)},
		{"stylesheet", `<link rel="stylesheet" href="https://fonts.example.org/css">`, external("https://fonts.example.org/css")},
		{"iframe", `<iframe src="http://example.org/"></iframe>`, external("http://example.org/")},
		{"object", `<object data="http://example.org/a.swf"></object>`, external("a.swf")},
		{"embed", `<embed src="http://example.org/a.swf">`, external("a.swf")},
		{"video poster and source", `<video poster="http://example.org/p.jpg"><source src="http://example.org/v.mp4"><track src="https://example.org/t.vtt"></video>`, external("3 resources")},
		{"audio", `<audio src="https://example.org/a.mp3"></audio>`, external("a.mp3")},
		{"srcset", `<img src="a.png" srcset="a.png 1x, https://example.org/b.png 2x">`, external("https://example.org/b.png")},
		{"srcset with a data URL", `<img srcset="data:image/png;base64,AAAA 1x, https://example.org/b.png 2x">`, external("1 resource")},
		{"style attribute", `<div style="background: url(http://example.org/a.png)">`, external("http://example.org/a.png")},
		{"style attribute with references", `<div style="background: url(&quot;http://example.org/a.png&quot;)">`, external("http://example.org/a.png")},
		{"style element", "<style>\n@import \"https://example.org/a.css\";\n@import url(https://example.org/b.css);\n.a{background:URL( 'http://example.org/c.png' )}</style>", external("3 resources from other hosts when it is viewed, which reviewers cannot check and which tells those hosts who views it: https://example.org/a.css on line 2, https://example.org/b.css on line 3, http://example.org/c.png on line 4.")},
		{"form action", `<form action="https://example.org/collect"><input type="image" src="https://example.org/i.png"><button formaction="https://example.org/x">`, external("3 resources")},
		{"meta refresh", `<meta http-equiv="refresh" content="0; URL='https://example.org/'">`, external("https://example.org/")},
		{"base", `<base href="https://example.org/">`, external("https://example.org/")},
		{"background", `<body background="http://example.org/bg.png">`, external("bg.png")},
		{"file URL", `<img src="file:///etc/passwd">`, external("file:///etc/passwd")},
		{"long URL shortened", `<img src="https://example.org/` + strings.Repeat("a", 200) + `">`, external("…")},
		{"clean links and local resources", `<a href="https://www.opensafely.org/">OpenSAFELY</a><a href="mailto:x@example.org">mail</a><a href="#top">top</a>` +
			`<img src="data:image/png;base64,AAAA"><img src="figure.png"><img src="/abs/path.png"><img src="data:image/svg+xml,%3Csvg%3E">` +
			`<p>see https://example.org</p><style>.a{background:url(#x)} .b{background:url(data:image/png;base64,AA)}</style><div style="clip-path:url(#c)">`, nil},
	})
}

func TestSVG(t *testing.T) {
	script := func(text string) map[Rule]string { return map[Rule]string{RuleSVGScript: text} }
	runMarkupCases(t, "figure.svg", []markupCase{
		{"script element", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, script("The image has 1 script, which can change what it shows after it has been reviewed: a <script> element on line 1.")},
		{"namespaced script", `<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script href="x.js"/></svg:svg>`, script("a <script> element")},
		{"event handler", `<svg onload="alert(1)"/>`, script("an onload attribute")},
		{"javascript href", `<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`, script("a javascript: URL")},
		{"animation to javascript", `<svg><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>`, script("a javascript: URL set by <set>")},
		{"external image", `<svg><image href="https://example.org/a.png"/></svg>`, map[Rule]string{RuleHTMLExternal: "The image loads 1 resource"}},
		{"external use", `<svg><use xlink:href="http://example.org/s.svg#a"/></svg>`, map[Rule]string{RuleHTMLExternal: "http://example.org/s.svg#a"}},
		{"foreignObject with HTML", `<svg><foreignObject><iframe src="http://example.org/"></iframe><img src=x onerror=alert(1)></foreignObject></svg>`, map[Rule]string{RuleHTMLExternal: "http://example.org/", RuleSVGScript: "an onerror attribute"}},
		{"external style sheet", "<?xml-stylesheet type=\"text/css\" href=\"http://example.org/a.css\"?>\n<svg/>", map[Rule]string{RuleHTMLExternal: "http://example.org/a.css"}},
		{"style element", `<svg><style><![CDATA[ @import url(https://example.org/f.css); ]]></style></svg>`, map[Rule]string{RuleHTMLExternal: "https://example.org/f.css"}},
		{"self-closing script then content", `<svg><script/><rect onclick="x"/></svg>`, script("2 scripts")},
		{"matplotlib figure", matplotlibSVG, nil},
		{"not an SVG", `<html><body>x</body></html>`, map[Rule]string{RuleTypeMismatch: "its content is HTML, not an SVG image"}},
		{"another root element", `<?xml version="1.0"?><rss/>`, map[Rule]string{RuleTypeMismatch: "markup starting with a <rss> element, not an SVG image"}},
		{"text", `just text`, map[Rule]string{RuleTypeMismatch: "markup starting with no elements, not an SVG image"}},
	})
}

// matplotlibSVG is the shape of the SVG files matplotlib writes.
const matplotlibSVG = `<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata>
  <rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://creativecommons.org/ns#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
   <cc:Work>
    <dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/>
    <dc:date>2024-01-01T00:00:00</dc:date>
    <dc:creator><cc:Agent><dc:title>Matplotlib v3.8.0, https://matplotlib.org/</dc:title></cc:Agent></dc:creator>
   </cc:Work>
  </rdf:RDF>
 </metadata>
 <defs>
  <style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style>
 </defs>
 <g id="figure_1">
  <g id="patch_1"><path d="M 0 345.6 L 460.8 345.6 z" style="fill: #ffffff"/></g>
  <g clip-path="url(#p1)"><use xlink:href="#DejaVuSans-30" transform="scale(0.1)"/></g>
 </g>
 <defs><clipPath id="p1"><rect x="57.6" y="41.472" width="357.12" height="266.112"/></clipPath></defs>
</svg>
`
