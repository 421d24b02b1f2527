package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// Templates: templates/_*.html (the layout and shared components) are
// parsed into every page; every other templates/<name>.html is a page,
// rendered by name. A page defines "title" and "content".
//
//go:embed templates/*.html
var templateFiles embed.FS

// parseTemplates parses every page with the shared templates.
func parseTemplates(funcs template.FuncMap) (map[string]*template.Template, error) {
	shared, err := fs.Glob(templateFiles, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	base, err := template.New("").Funcs(funcs).ParseFS(templateFiles, shared...)
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	all, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, file := range all {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", file, err)
		}
		if t, err = t.ParseFS(templateFiles, file); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", file, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every template gets: the page's own data as .Data, and
// what the layout needs.
type view struct {
	User     domain.User // the logged-in user; zero when nobody is
	LoggedIn bool
	Nav      []navItem
	Flashes  []Flash
	DevMode  bool         // users come from a users file
	DevUsers []devUserRow // the switch-user menu (dev mode, logged in)
	Path     string       // the path of the page, for links back to it
	Data     any
}

// navItem is a link of the navigation bar.
type navItem struct {
	Label, URL string
	Active     bool
}

// devUserRow is a user of the switch-user menu.
type devUserRow struct {
	Username, Fullname, Roles string
	Current                   bool
}

// render writes a whole page: templates/<page>.html in the layout, with
// data as .Data, flash messages taken from the session. It writes nothing
// if the template fails, and returns the error for the handler to
// return.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	return h.execute(w, r, status, page, "layout", data)
}

// renderFragment writes one template of a page (a block that htmx swaps
// in, such as "content"), with the same data as render; flash messages
// stay in the session for the next whole page.
func (h *Handler) renderFragment(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) error {
	return h.execute(w, r, status, page, name, data)
}

func (h *Handler) execute(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) error {
	body, _, err := h.renderBytes(r, page, name, data)
	if err != nil {
		return err
	}
	h.writePage(w, r, status, body)
	return nil
}

// renderBytes renders template name of page with data, and says whether
// it showed flash messages (taken from the session; put back if the
// template fails).
func (h *Handler) renderBytes(r *http.Request, page, name string, data any) ([]byte, bool, error) {
	t, ok := h.pages[page]
	if !ok {
		return nil, false, fmt.Errorf("web: no page template %q", page)
	}
	v := h.newView(r, data, name == "layout")
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		if v.Flashes != nil {
			// Not shown after all: keep them for the next page.
			for _, f := range v.Flashes {
				h.flash(r, f.Kind, f.Message)
			}
		}
		return nil, false, fmt.Errorf("web: render %s/%s: %w", page, name, err)
	}
	return buf.Bytes(), len(v.Flashes) > 0, nil
}

// writePage sends a rendered page.
func (h *Handler) writePage(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		h.log.DebugContext(r.Context(), "writing a page failed", "err", err)
	}
}

// newView fills what the layout shows around a page's data.
func (h *Handler) newView(r *http.Request, data any, whole bool) view {
	u, loggedIn := UserFrom(r.Context())
	v := view{User: u, LoggedIn: loggedIn, DevMode: h.devUsers != nil, Path: r.URL.Path, Data: data}
	if whole {
		v.Flashes = h.popFlashes(r.Context())
	}
	if !loggedIn {
		return v
	}
	v.Nav = navFor(u, r.URL.Path)
	for _, d := range h.devUsers {
		v.DevUsers = append(v.DevUsers, devUserRow{
			Username: d.User.Username, Fullname: d.User.Fullname, Roles: rolesOf(d.User),
			Current: d.User.Username == u.Username,
		})
	}
	return v
}

// navFor is the navigation bar (Workspaces & Requests, Reviews for output checkers, Docs), for u on the page at p.
func navFor(u domain.User, p string) []navItem {
	items := []navItem{{Label: "Workspaces & Requests", URL: "/workspaces/",
		Active: (strings.HasPrefix(p, "/workspaces/") && !strings.HasPrefix(p, "/workspaces/all/")) ||
			(strings.HasPrefix(p, "/requests/") && !strings.HasPrefix(p, "/requests/output_checker"))}}
	if u.ReadonlyAccess {
		items = append(items, navItem{Label: "All Workspaces", URL: "/workspaces/all/", Active: strings.HasPrefix(p, "/workspaces/all/")})
	}
	if len(u.CopilotedWorkspaces) > 0 {
		items = append(items, navItem{Label: "Copiloted Workspaces", URL: "/copiloted-workspaces/", Active: strings.HasPrefix(p, "/copiloted-workspaces/")})
	}
	if u.IsOutputChecker() {
		items = append(items, navItem{Label: "Reviews", URL: "/requests/output_checker", Active: strings.HasPrefix(p, "/requests/output_checker")})
	}
	return append(items, navItem{Label: "Docs", URL: "/docs/", Active: strings.HasPrefix(p, "/docs/")})
}

// rolesOf describes what a user may do, for the switch-user menu.
func rolesOf(u domain.User) string {
	var parts []string
	if u.OutputChecker {
		parts = append(parts, "output checker")
	}
	if u.ReadonlyAccess {
		parts = append(parts, "read-only access")
	}
	if n := len(u.Workspaces); n > 0 {
		parts = append(parts, plural(n, "workspace", "workspaces"))
	}
	if n := len(u.CopilotedWorkspaces); n > 0 {
		parts = append(parts, "copilot of "+plural(n, "workspace", "workspaces"))
	}
	if len(parts) == 0 {
		return "no access"
	}
	return strings.Join(parts, ", ")
}

// funcs are the functions templates may call.
//
//	static "style.css"     the URL of a static file, with its content hash
//	shortID .ID            "01J...ABCDEF"
//	date .T / datetime .T  "2026-03-01" / "2026-03-01 09:00" (UTC); "-" for a nil or zero time
//	kebab .Status          "CHANGES_REQUESTED" → "changes-requested", for CSS classes
//	seg .Name              one URL path segment, escaped ("a/b" → "a%2Fb")
//	pathEsc .Relpath       a path of segments, each escaped, slashes kept
//	plural n "file" "files"  "1 file", "2 files"
//	dict "k" v ...         a map, to pass several values to a component
//	url "request" .ID      the URL of a named path (urls.go)
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"static":   h.static.url,
		"shortID":  domain.ShortID,
		"date":     func(t any) string { return formatTime(t, "2006-01-02") },
		"datetime": func(t any) string { return formatTime(t, "2006-01-02 15:04") },
		"kebab":    kebab,
		"seg":      url.PathEscape,
		"pathEsc":  pathEscape,
		"plural":   plural,
		"dict":     dict,
		"url":      urlFunc,
		"short7":   domain.ShortCommit,
	}
}

// formatTime formats a time.Time or *time.Time in UTC; "-" when there is none.
func formatTime(t any, layout string) string {
	switch t := t.(type) {
	case time.Time:
		if !t.IsZero() {
			return t.UTC().Format(layout)
		}
	case *time.Time:
		if t != nil && !t.IsZero() {
			return t.UTC().Format(layout)
		}
	}
	return "-"
}

// kebab turns an enum value into a CSS class fragment.
func kebab(v any) string {
	return strings.ReplaceAll(strings.ToLower(fmt.Sprint(v)), "_", "-")
}

// pathEscape escapes each segment of a slash-separated path.
func pathEscape(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// dict builds a map from key, value pairs.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
