package render

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"path"
)

// MaxInlineImage is the largest image inlined in a page; larger images
// get a notice instead.
const MaxInlineImage = 32 << 20

// imageDoc is a page with the image inlined as a data URI, streamed from
// the file through a base64 encoder so it is never held in memory.
type imageDoc struct {
	page
	mime string
	f    File
}

func buildImage(f File) document {
	switch {
	case f.Size == 0:
		return notice(f, "This image file is empty.", false)
	case f.Size > MaxInlineImage:
		return notice(f, fmt.Sprintf("This image is too large to show here (%.1f MiB; images up to %d MiB are shown). Download the file to see it.",
			float64(f.Size)/(1<<20), MaxInlineImage>>20), false)
	}
	mime := "image/jpeg"
	if path.Ext(f.Name) == ".png" {
		mime = "image/png"
	}
	return imageDoc{page: newPage(f, "image"), mime: mime, f: f}
}

func (d imageDoc) write(w *bufio.Writer) error {
	if err := views.tmpl.ExecuteTemplate(w, "head", d.page); err != nil {
		return fmt.Errorf("executing template head: %w", err)
	}
	// The alt text is escaped; the MIME type is one of two constants and
	// base64 has no character that ends an attribute.
	fmt.Fprintf(w, `<img class="content" alt="%s" src="data:%s;base64,`, template.HTMLEscapeString(d.Title), d.mime)
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, d.f.section()); err != nil {
		return fmt.Errorf("reading image %s: %w", d.f.baseName(), err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding image: %w", err)
	}
	w.WriteString("\">\n")
	if err := views.tmpl.ExecuteTemplate(w, "foot", d.page); err != nil {
		return fmt.Errorf("executing template foot: %w", err)
	}
	return nil
}
