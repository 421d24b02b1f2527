package domain

import (
	"encoding/json"
	"fmt"
)

// Rule names one disclosure check. Its string is what findings and the
// checks' configuration file carry; package checks defines the rules.
type Rule string

// Severity says how much a finding of the disclosure checks matters.
// Findings never decide a request by themselves; a deployment may make a
// rule blocking, which stops submission until the researcher withdraws
// the file or overrides the finding with a justification (see
// RequestFile.Blocked).
type Severity string

// The severities, least first.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityBlocking Severity = "blocking"
)

// Valid reports whether s is one of the three severities.
func (s Severity) Valid() bool {
	switch s {
	case SeverityInfo, SeverityWarning, SeverityBlocking:
		return true
	}
	return false
}

func (s *Severity) UnmarshalText(b []byte) error {
	v := Severity(b)
	if !v.Valid() {
		return fmt.Errorf("severity %q is not one of info, warning, blocking", b)
	}
	*s = v
	return nil
}

// Finding is one problem a disclosure check found in a file. Cells lists
// the table cells concerned as [row, column], both counted from 0 over the
// data rows (the header is not a row); it is empty for findings that are
// not about cells. A rule lists at most a configured number of cells per
// finding; its Message gives the full number.
type Finding struct {
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Cells    [][2]int `json:"cells"`
}

// MarshalJSON writes a finding without cells as "cells": [], never null.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding
	if f.Cells == nil {
		f.Cells = [][2]int{}
	}
	return json.Marshal(plain(f))
}
