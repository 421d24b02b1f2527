package checks

import (
	"encoding/json"
	"fmt"
)

// Rule names one check. Its string is what findings and the configuration
// file carry.
type Rule string

// The rules. The CSV rules look at tables; the others at hidden content.
const (
	RuleSmallCount    Rule = "small_count"
	RuleUnrounded     Rule = "unrounded"
	RuleMinMax        Rule = "min_max"
	RuleDifferencing  Rule = "differencing"
	RuleHTMLScript    Rule = "html_script"
	RuleHTMLExternal  Rule = "html_external"
	RuleSVGScript     Rule = "svg_script"
	RuleImageMetadata Rule = "image_metadata"
	RuleTypeMismatch  Rule = "type_mismatch"
)

// AllRules returns every rule, in the order findings are reported.
func AllRules() []Rule {
	return []Rule{
		RuleSmallCount, RuleUnrounded, RuleMinMax, RuleDifferencing,
		RuleHTMLScript, RuleHTMLExternal, RuleSVGScript, RuleImageMetadata, RuleTypeMismatch,
	}
}

// Severity says how much a finding matters. Findings never decide a
// request by themselves; a deployment may make a rule blocking, which the
// service treats as stopping submission until the researcher withdraws the
// file or overrides the finding with a justification.
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

// Finding is one problem a rule found in a file. Cells lists the table
// cells concerned as [row, column], both counted from 0 over the data
// rows (the header is not a row); it is empty for findings that are not
// about cells. A rule lists at most Config.MaxCells cells per finding; its
// Message gives the full number.
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
