package checks

import "github.com/airlock-go/airlock/internal/domain"

// Rule names one check. Its string is what findings and the configuration
// file carry. The type is domain.Rule; the rules are named here.
type Rule = domain.Rule

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

// Severity says how much a finding matters (see domain.Severity).
type Severity = domain.Severity

// The severities, least first.
const (
	SeverityInfo     = domain.SeverityInfo
	SeverityWarning  = domain.SeverityWarning
	SeverityBlocking = domain.SeverityBlocking
)

// Finding is one problem a rule found in a file (see domain.Finding: the
// type lives there, since the rules of a request read findings). A rule
// lists at most Config.MaxCells cells per finding; its Message gives the
// full number.
type Finding = domain.Finding
