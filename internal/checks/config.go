package checks

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Config holds every setting of the checks. Default returns OpenSAFELY's
// published rules; LoadConfig reads a file over them. The JSON names are
// those of the configuration file.
type Config struct {
	Rules   Rules   `json:"rules"`
	Columns Columns `json:"columns"`
	// RedactionMarkers are cell values that stand for a redacted or
	// missing value: compared after removing white space and lower-casing,
	// they are not values, so never flagged and never make a column a
	// non-count column.
	RedactionMarkers []string `json:"redaction_markers"`
	// MaxCells is the most cells one finding lists.
	MaxCells int `json:"max_cells"`
}

// Rules holds the settings of each rule.
type Rules struct {
	SmallCount    SmallCountRule   `json:"small_count"`
	Unrounded     UnroundedRule    `json:"unrounded"`
	MinMax        RuleConfig       `json:"min_max"`
	Differencing  DifferencingRule `json:"differencing"`
	HTMLScript    RuleConfig       `json:"html_script"`
	HTMLExternal  RuleConfig       `json:"html_external"`
	SVGScript     RuleConfig       `json:"svg_script"`
	ImageMetadata RuleConfig       `json:"image_metadata"`
	TypeMismatch  RuleConfig       `json:"type_mismatch"`
}

// RuleConfig is what every rule has: whether it runs and how much its
// findings matter.
type RuleConfig struct {
	Enabled  bool     `json:"enabled"`
	Severity Severity `json:"severity"`
}

// SmallCountRule flags counts from 1 (or 0) to Threshold.
type SmallCountRule struct {
	RuleConfig
	// Threshold is the largest count that must be redacted.
	Threshold int `json:"threshold"`
	// Zero flags counts of 0 too.
	Zero bool `json:"zero"`
}

// UnroundedRule flags counts that are not rounded.
type UnroundedRule struct {
	RuleConfig
	// Base is the multiple counts are rounded to.
	Base int `json:"base"`
	// Midpoint6 expects every count column to be midpoint 6 rounded
	// (0, 3, 9, 15, …) instead of rounded to Base. Columns named with
	// OpenSAFELY's suffix "_midpoint6" are expected to be midpoint 6
	// rounded either way, and "_midpoint6_derived" ones to be multiples
	// of 6.
	Midpoint6 bool `json:"midpoint6"`
}

// DifferencingRule flags counts that differ by a small count from the same
// cell of a table already released from the workspace.
type DifferencingRule struct {
	RuleConfig
	// MaxReleasedRows is the most rows of released tables held in memory
	// to compare against; larger released tables are not compared (and a
	// finding says so).
	MaxReleasedRows int `json:"max_released_rows"`
}

// Columns says which columns hold counts, by header. A pattern is one or
// more words; it matches a header whose words include the pattern's words
// in order, next to each other. Words are split at anything that is not a
// letter or a digit and where lower case turns to upper case, and compared
// ignoring case: "age band" matches "age_band", "AgeBand" and
// "age band (5y)", but not "stage".
type Columns struct {
	// NotCounts never hold counts: years, identifiers, codes, age bands,
	// dates, rates and the like.
	NotCounts []string `json:"not_counts"`
	// Counts always hold counts, whatever else the column holds, and win
	// over NotCounts: "n_age_over_65" is a count.
	Counts []string `json:"counts"`
	// MinMax are minimums and maximums, which the min_max rule flags.
	MinMax []string `json:"min_max"`
}

// Default returns OpenSAFELY's published rules: counts of 1 to 7
// redacted, counts rounded to 5, no minimums or maximums, every rule a
// warning.
func Default() Config {
	on := RuleConfig{Enabled: true, Severity: SeverityWarning}
	return Config{
		Rules: Rules{
			SmallCount:    SmallCountRule{RuleConfig: on, Threshold: 7},
			Unrounded:     UnroundedRule{RuleConfig: on, Base: 5},
			MinMax:        on,
			Differencing:  DifferencingRule{RuleConfig: on, MaxReleasedRows: 200_000},
			HTMLScript:    on,
			HTMLExternal:  on,
			SVGScript:     on,
			ImageMetadata: on,
			TypeMismatch:  on,
		},
		Columns: Columns{
			NotCounts: []string{
				"year", "month", "week", "quarter", "date", "day", "period",
				"id", "code", "codes", "snomed", "ctv3", "icd10", "dmd",
				"age", "band", "decile", "quintile", "quartile", "percentile", "centile", "rank",
				"imd", "region", "practice", "stp", "msoa", "lsoa",
				"rate", "ratio", "percent", "percentage", "pct", "proportion", "prevalence", "incidence",
				"mean", "median", "average", "sd", "std", "iqr", "lower", "upper", "lci", "uci", "ci",
			},
			Counts: []string{"n", "count", "counts", "numerator", "denominator", "frequency", "freq"},
			MinMax: []string{"min", "max", "minimum", "maximum"},
		},
		RedactionMarkers: []string{
			// Spec §6.6: missing values, then redacted ones.
			"", "null", "none", "nan",
			"[redacted]", "redacted", "na", "n/a", "<=7",
			// Common elsewhere.
			"*", "-", "[suppressed]", "suppressed",
		},
		MaxCells: 100,
	}
}

// Validate reports every setting that is wrong, named as in the
// configuration file.
func (c Config) Validate() error {
	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", setting, fmt.Sprintf(format, args...)))
	}
	for _, r := range c.Rules.all() {
		if !r.cfg.Severity.Valid() {
			bad("rules."+string(r.rule)+".severity", "must be one of info, warning, blocking, not %q", r.cfg.Severity)
		}
	}
	if t := c.Rules.SmallCount.Threshold; t < 1 {
		bad("rules.small_count.threshold", "must be at least 1, not %d", t)
	}
	if b := c.Rules.Unrounded.Base; b < 2 {
		bad("rules.unrounded.base", "must be at least 2, not %d", b)
	}
	if n := c.Rules.Differencing.MaxReleasedRows; n < 1 {
		bad("rules.differencing.max_released_rows", "must be at least 1, not %d", n)
	}
	if c.MaxCells < 1 {
		bad("max_cells", "must be at least 1, not %d", c.MaxCells)
	}
	for _, list := range []struct {
		name     string
		patterns []string
	}{
		{"columns.not_counts", c.Columns.NotCounts},
		{"columns.counts", c.Columns.Counts},
		{"columns.min_max", c.Columns.MinMax},
	} {
		for i, p := range list.patterns {
			if len(headerWords(p)) == 0 {
				bad(fmt.Sprintf("%s[%d]", list.name, i), "pattern %q has no letters or digits", p)
			}
		}
	}
	for i, m := range c.RedactionMarkers {
		if strings.ContainsFunc(m, unicode.IsControl) {
			bad(fmt.Sprintf("redaction_markers[%d]", i), "marker %q contains a control character", m)
		}
	}
	return errors.Join(errs...)
}

// ruleSetting pairs a rule with its common settings.
type ruleSetting struct {
	rule Rule
	cfg  RuleConfig
}

func (r Rules) all() []ruleSetting {
	return []ruleSetting{
		{RuleSmallCount, r.SmallCount.RuleConfig},
		{RuleUnrounded, r.Unrounded.RuleConfig},
		{RuleMinMax, r.MinMax},
		{RuleDifferencing, r.Differencing.RuleConfig},
		{RuleHTMLScript, r.HTMLScript},
		{RuleHTMLExternal, r.HTMLExternal},
		{RuleSVGScript, r.SVGScript},
		{RuleImageMetadata, r.ImageMetadata},
		{RuleTypeMismatch, r.TypeMismatch},
	}
}
