package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/airlock-go/airlock/internal/diff"
	"github.com/airlock-go/airlock/internal/domain"
)

// pathParam matches a wildcard of a net/http pattern: {name} or {name...}.
var pathParam = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// openAPIPath turns a route's pattern into an OpenAPI path.
func openAPIPath(p string) string {
	return Prefix + pathParam.ReplaceAllString(p, "{$1}")
}

// openAPI answers the description of the API, made from the routes.
func (a *API) openAPI(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	writeJSON(w, http.StatusOK, a.openAPIDocument())
	return nil
}

func (a *API) openAPIDocument() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range a.routes() {
		p := openAPIPath(rt.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"responses":   responses(rt),
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			desc := ""
			if m[2] != "" {
				desc = "may contain slashes: a workspace-relative path"
			}
			params = append(params, map[string]any{
				"name": m[1], "in": "path", "required": true, "description": desc, "schema": map[string]any{"type": "string"},
			})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{
				"name": q.Name, "in": "query", "required": false, "description": q.Description, "schema": map[string]any{"type": "string"},
			})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{
				"required": true,
				"content":  map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Body))}},
			}
		}
		if !rt.Public {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		paths[p][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Airlock API",
			"version":     "1",
			"description": "Release requests of output files from secure research workspaces: build, review and release them.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{
				"type": "object",
				"properties": map[string]any{"error": map[string]any{"type": "object", "properties": map[string]any{
					"code": map[string]any{"type": "string", "enum": []string{
						"invalid_input", "unauthenticated", "permission_denied", "not_found", "invalid_transition",
						"policy", "too_large", "throttled", "unavailable", "insufficient_storage", "internal"}},
					"message": map[string]any{"type": "string"},
				}}},
			}},
		},
	}
}

func operationID(rt route) string {
	words := []string{strings.ToLower(rt.Method)}
	for _, seg := range strings.Split(strings.Trim(rt.Path, "/"), "/") {
		seg = strings.Trim(pathParam.ReplaceAllString(seg, "by-$1"), "{}.")
		words = append(words, strings.ReplaceAll(seg, ".", "-"))
	}
	return strings.Join(words, "-")
}

func responses(rt route) map[string]any {
	errRef := map[string]any{"description": "an error", "content": map[string]any{
		"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	ok := map[string]any{"description": http.StatusText(rt.Status)}
	switch {
	case rt.Answer != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Answer))}}
	case rt.Status == http.StatusOK:
		ok["content"] = map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
	}
	return map[string]any{strconv.Itoa(rt.Status): ok, "default": errRef}
}

// enums lists the values of the API's enumerated strings.
var enums = map[reflect.Type][]string{
	reflect.TypeOf(domain.Status("")):     statuses(),
	reflect.TypeOf(domain.FileType("")):   {string(domain.FileOutput), string(domain.FileSupporting), string(domain.FileWithdrawn)},
	reflect.TypeOf(domain.Vote("")):       {string(domain.VoteApproved), string(domain.VoteChangesRequested), string(domain.VoteUndecided)},
	reflect.TypeOf(domain.Decision("")):   {string(domain.DecisionIncomplete), string(domain.DecisionApproved), string(domain.DecisionConflicted), string(domain.DecisionChangesRequested)},
	reflect.TypeOf(domain.Visibility("")): {string(domain.VisibilityPublic), string(domain.VisibilityPrivate)},
	reflect.TypeOf(diff.Kind("")):         {string(diff.KindCSV), string(diff.KindText), string(diff.KindBinary)},
	reflect.TypeOf(domain.WorkspaceFileStatus("")): {
		string(domain.WorkspaceFileUnreleased), string(domain.WorkspaceFileUnderReview), string(domain.WorkspaceFileReleased),
		string(domain.WorkspaceFileUpdated), string(domain.WorkspaceFileWithdrawn)},
}

func statuses() []string {
	var out []string
	for _, s := range domain.Statuses() {
		out = append(out, string(s))
	}
	return out
}

// schemaOf describes a Go type as a JSON Schema (the OpenAPI 3.0 flavour).
func schemaOf(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	s := map[string]any{}
	switch t.Kind() {
	case reflect.String:
		s["type"] = "string"
		if vals, ok := enums[t]; ok {
			s["enum"] = vals
		}
	case reflect.Bool:
		s["type"] = "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		s["type"] = "integer"
	case reflect.Float64, reflect.Float32:
		s["type"] = "number"
	case reflect.Slice, reflect.Array:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem())
	case reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = schemaOf(t.Elem())
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		s["type"] = "object"
		s["properties"] = props
	}
	if nullable {
		s["nullable"] = true
	}
	return s
}

// addFields describes a struct's JSON fields, flattening embedded ones.
func addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			addFields(f.Type, props)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
}
