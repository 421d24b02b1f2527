package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
)

// LoadConfig reads a JSON configuration file (AIRLOCK_CHECKS_CONFIG) over
// the defaults: a setting left out keeps its default, and a list given
// replaces the default list. It is strict: an unknown setting, a value of
// the wrong type, a null, an unknown severity or a threshold out of range
// is an error that names the setting.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("checks config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("checks config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig is LoadConfig on the file's content.
func ParseConfig(data []byte) (Config, error) {
	cfg := Default()
	if len(bytes.TrimSpace(data)) == 0 {
		return Config{}, errors.New("the file is empty; write {} for the defaults")
	}
	if err := checkSyntax(data); err != nil {
		return Config{}, err
	}
	if err := decodeStrict("", data, reflect.ValueOf(&cfg).Elem()); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// checkSyntax reports a JSON syntax error with its line and column, and
// anything after the top-level value.
func checkSyntax(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	err := dec.Decode(&v)
	if err == nil {
		end := dec.InputOffset()
		rest := bytes.TrimLeft(data[end:], " \t\r\n")
		if len(rest) > 0 {
			return fmt.Errorf("%s: more JSON after the settings object", position(data, int64(len(data)-len(rest))))
		}
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("%s: %s", position(data, syn.Offset-1), syn)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the JSON ends too early")
	}
	return err
}

// position turns the index of a byte into "line L, column C", from 1.
func position(data []byte, index int64) string {
	index = min(max(index, 0), int64(len(data)))
	before := data[:index]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

var severityType = reflect.TypeFor[Severity]()

// decodeStrict decodes data into v, naming the setting (path) in every
// error.
func decodeStrict(path string, data json.RawMessage, v reflect.Value) error {
	name := path
	if name == "" {
		name = "the settings"
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return fmt.Errorf("%s: null is not a value; leave the setting out to keep its default", name)
	}
	switch {
	case v.Type() == severityType:
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("%s: must be one of \"info\", \"warning\", \"blocking\", not %s", name, data)
		}
		if !Severity(s).Valid() {
			return fmt.Errorf("%s: must be one of info, warning, blocking, not %q", name, s)
		}
		v.SetString(s)
		return nil
	case v.Kind() == reflect.Struct:
		return decodeObject(path, name, data, v)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var list []string
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("%s: must be a list of strings, not %s", name, abbreviate(data))
		}
		if list == nil {
			list = []string{}
		}
		v.Set(reflect.ValueOf(list))
		return nil
	case v.Kind() == reflect.Int:
		var n int
		if err := json.Unmarshal(data, &n); err != nil {
			return fmt.Errorf("%s: must be a whole number, not %s", name, abbreviate(data))
		}
		v.SetInt(int64(n))
		return nil
	case v.Kind() == reflect.Bool:
		var b bool
		if err := json.Unmarshal(data, &b); err != nil {
			return fmt.Errorf("%s: must be true or false, not %s", name, abbreviate(data))
		}
		v.SetBool(b)
		return nil
	}
	return fmt.Errorf("%s: cannot be set from a file", name)
}

// decodeObject decodes a JSON object into the struct v, refusing unknown
// keys.
func decodeObject(path, name string, data json.RawMessage, v reflect.Value) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("%s: must be an object {…}, not %s", name, abbreviate(data))
	}
	fields := jsonFields(v)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field, ok := fields[k]
		if !ok {
			known := make([]string, 0, len(fields))
			for f := range fields {
				known = append(known, f)
			}
			slices.Sort(known)
			return fmt.Errorf("%s: unknown setting %q (known: %s)", name, k, strings.Join(known, ", "))
		}
		sub := k
		if path != "" {
			sub = path + "." + k
		}
		if err := decodeStrict(sub, obj[k], field); err != nil {
			return err
		}
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields, those of embedded
// structs included, to the fields.
func jsonFields(v reflect.Value) map[string]reflect.Value {
	fields := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, fv := range jsonFields(v.Field(i)) {
				fields[k] = fv
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = v.Field(i)
	}
	return fields
}

// abbreviate shortens a JSON value for an error message.
func abbreviate(data []byte) string {
	s := []rune(string(bytes.TrimSpace(data)))
	if len(s) > 40 {
		return string(s[:37]) + "..."
	}
	return string(s)
}
