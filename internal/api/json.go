package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/airlock-go/airlock/internal/domain"
)

// maxBody bounds every request body.
const maxBody = 1 << 20

// docBuffers are the buffers documents are written into, kept for the
// next answer up to maxPooledDoc (a larger one is left to the collector,
// so that one huge answer does not stay in memory).
var docBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledDoc = 4 << 20

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if a, ok := v.(jsonAppender); ok {
		// A document is written from a reused buffer: a 1,000-file
		// request's is ~700 KB, allocated and zeroed on every answer.
		bp := docBuffers.Get().(*[]byte)
		b := *bp
		if hint := a.sizeHint(); cap(b) < hint {
			b = make([]byte, 0, hint)
		}
		b = appendJSONLine(b[:0], a)
		w.Write(b) // the writer keeps none of b (http.ResponseWriter's rule)
		if cap(b) <= maxPooledDoc {
			*bp = b[:0]
			docBuffers.Put(bp)
		}
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// appendJSONLine appends a's JSON and a newline, as json.Encoder.Encode
// writes a value.
func appendJSONLine(b []byte, a jsonAppender) []byte {
	return append(a.appendJSON(b), '\n')
}

// decode reads a JSON body into v: at most 1 MiB, one JSON value, no
// fields v does not have; every problem is described for a person.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return errorf(http.StatusBadRequest, "invalid_input", "send the body as JSON (Content-Type: application/json)")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return decodeError(err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD: refuse it.
	if err := domain.CheckTextBytes("the body", raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge
		}
		return errorf(http.StatusBadRequest, "invalid_input", "the body must be a single JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "invalid_input", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "invalid_input", "the JSON body ends too early")
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, "invalid_input", fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return errorf(http.StatusBadRequest, "invalid_input", fmt.Sprintf("the body must be a JSON object, not %s", typeErr.Value))
		}
		return errorf(http.StatusBadRequest, "invalid_input", fmt.Sprintf("%q must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "invalid_input", "the body has an unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errorf(http.StatusBadRequest, "invalid_input", "the body could not be read as JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}
