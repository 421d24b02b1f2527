package store

import (
	"encoding/json"
	"fmt"

	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
)

// EncodeChecks gives a file's disclosure findings and override as the
// JSON texts stores keep: the findings always an array, the override ""
// when there is none.
func EncodeChecks(f domain.RequestFile) (findings, override string, err error) {
	list := f.Checks
	if list == nil {
		list = []checks.Finding{}
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return "", "", fmt.Errorf("encode checks: %w", err)
	}
	o, err := EncodeOverride(f.Override)
	return string(raw), o, err
}

// EncodeOverride gives an override as JSON, "" for none.
func EncodeOverride(o *domain.ChecksOverride) (string, error) {
	if o == nil {
		return "", nil
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("encode checks override: %w", err)
	}
	return string(raw), nil
}

// DecodeChecks fills f's findings and override from what EncodeChecks
// gave.
func DecodeChecks(findings, override string, f *domain.RequestFile) error {
	f.Checks = []checks.Finding{}
	if findings != "" {
		list, err := decodeFindingsJSON(findings, f.Relpath)
		if err != nil {
			return err
		}
		f.Checks = list
	}
	f.Override = nil
	if override != "" {
		var o domain.ChecksOverride
		if err := json.Unmarshal([]byte(override), &o); err != nil {
			return fmt.Errorf("decode checks override of %s: %w", f.Relpath, err)
		}
		o.At = o.At.UTC()
		f.Override = &o
	}
	return nil
}
