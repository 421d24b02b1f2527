package render

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"sort"
)

// rendererVersion changes when a viewer's output changes in a way the
// templates do not show, so caches of older renderings are not reused.
const rendererVersion = "render/1"

//go:embed templates/*.tmpl
var templateFS embed.FS

// views holds the parsed templates and a hash of their source; both are
// built once and never changed.
var views = mustParseViews()

type viewSet struct {
	tmpl *template.Template
	hash string
}

func mustParseViews() viewSet {
	t, err := template.New("views").ParseFS(templateFS, "templates/*.tmpl")
	if err != nil {
		panic(fmt.Sprintf("render: parsing templates: %v", err))
	}
	names, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		panic(fmt.Sprintf("render: listing templates: %v", err))
	}
	sort.Strings(names)
	h := sha256.New()
	h.Write([]byte(rendererVersion))
	for _, n := range names {
		b, err := templateFS.ReadFile(n)
		if err != nil {
			panic(fmt.Sprintf("render: reading template %s: %v", n, err))
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return viewSet{tmpl: t, hash: hex.EncodeToString(h.Sum(nil))}
}
