package demo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base32"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/workspace"
)

// Output levels of the job runner.
const (
	levelModerate = "moderately_sensitive"
	levelHigh     = "highly_sensitive"
)

// workspaceDef describes one demo workspace and the study it holds.
type workspaceDef struct {
	Name     string
	Project  string
	Ongoing  bool
	Archived bool
	Orgs     []string
	Repo     string
	Measure  string  // what the study counts, in words
	Rate     float64 // share of the population counted
	Year     int     // the year the study looks at
	Start    time.Time
}

var workspaces = []workspaceDef{
	{
		Name: "diabetes-outcomes", Project: "Diabetes outcomes in primary care", Ongoing: true,
		Orgs: []string{"Example University"}, Repo: "https://github.com/example-research/diabetes-outcomes",
		Measure: "patients with a type 2 diabetes diagnosis", Rate: 0.071, Year: 2025, Start: baseTime,
	},
	{
		Name: "covid-vaccine-uptake", Project: "COVID-19 vaccine uptake", Ongoing: true,
		Orgs: []string{"Example University", "Demo Health Analytics"}, Repo: "https://github.com/example-research/covid-vaccine-uptake",
		Measure: "patients with a recorded COVID-19 vaccination", Rate: 0.62, Year: 2024, Start: baseTime.AddDate(0, 0, 2),
	},
	{
		Name: "legacy-asthma-study", Project: "Asthma prescribing 2019", Ongoing: false, Archived: true,
		Orgs: []string{"Demo Health Analytics"}, Repo: "https://github.com/example-research/asthma-prescribing-2019",
		Measure: "patients prescribed an asthma inhaler", Rate: 0.088, Year: 2019, Start: baseTime.AddDate(0, 0, -180),
	},
}

// action is one job of the workspace and the outputs it wrote.
type action struct {
	Name       string
	Image      string
	JobRequest string // label the job request id and commit derive from
	Started    time.Time
	Finished   time.Time
	OutOfDate  bool // the action is no longer in project.yaml
	Log        []string
	Outputs    []output
}

type output struct {
	Path     string
	Level    string
	Data     []byte // for an excluded output, the runner's explanatory text
	Excluded string // why the runner excluded it; empty if it was not
	Rows     *int   // CSV only
	Cols     *int
}

// writeWorkspace writes the outputs, logs and manifest of one workspace.
func writeWorkspace(root string, ws workspaceDef) error {
	m := workspace.Manifest{Workspace: ws.Name, Repo: ws.Repo, Outputs: map[string]workspace.Output{}}
	var last time.Time
	for _, a := range buildActions(ws) {
		jobID := runnerID(ws.Name + "/job/" + a.Name)
		jobRequest := runnerID(ws.Name + "/request/" + a.JobRequest)
		commit := hexID(ws.Name+"/commit/"+a.JobRequest, 40)
		for i, o := range a.Outputs {
			// Outputs are written a second apart, with a sub-second part as
			// real mtimes have.
			mtime := a.Finished.Add(time.Duration(i+1)*time.Second + time.Duration(137*(i+1)%1000)*time.Millisecond)
			diskPath := o.Path
			var msg *string
			if o.Excluded != "" {
				diskPath += ".txt"
				msg = &o.Excluded
			}
			if err := writeFile(filepath.Join(root, filepath.FromSlash(diskPath)), o.Data, mtime); err != nil {
				return err
			}
			sum := sha256.Sum256(o.Data)
			m.Outputs[o.Path] = workspace.Output{
				Level: o.Level, JobID: jobID, JobRequest: jobRequest, Action: a.Name,
				Repo: ws.Repo, Commit: commit, Size: int64(len(o.Data)),
				Timestamp:   float64(mtime.Unix()) + float64(mtime.Nanosecond())/1e9,
				ContentHash: hex.EncodeToString(sum[:]), Excluded: o.Excluded != "", Message: msg,
				RowCount: o.Rows, ColCount: o.Cols, User: "researcher", OutOfDateAction: a.OutOfDate,
			}
		}
		logTime := a.Finished.Add(time.Duration(len(a.Outputs)+2) * time.Second)
		log := jobLog(ws, a, jobID, jobRequest, commit)
		if err := writeFile(filepath.Join(root, "metadata", a.Name+".log"), []byte(log), logTime); err != nil {
			return err
		}
		if logTime.After(last) {
			last = logTime
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(root, "metadata", "manifest.json"), append(data, '\n'), last.Add(time.Second))
}

// buildActions lays out the jobs of a workspace: an old job request whose
// action has since been removed, then a run of the whole pipeline.
func buildActions(ws workspaceDef) []action {
	r := newRNG(ws.Name)
	regions := regionCounts(ws, r)
	t := ws.Start
	minutes := func(n int) time.Time { return t.Add(time.Duration(n) * time.Minute) }
	ehrql := "ghcr.io/opensafely-core/ehrql:v1"
	python := "ghcr.io/opensafely-core/python:v2"

	dataset, datasetRows := patientDataset(ws, r)
	return []action{
		{
			Name: "monthly_prevalence_v1", Image: python, JobRequest: "earlier", OutOfDate: true,
			Started: t.AddDate(0, 0, -14), Finished: t.AddDate(0, 0, -14).Add(3 * time.Minute),
			Log:     []string{"Loading output/dataset_v1.csv.gz", "Counting " + ws.Measure + " by month"},
			Outputs: []output{csvOutput("output/tables/monthly_prevalence_v1.csv", monthlyCounts(ws, r))},
		},
		{
			Name: "generate_dataset", Image: ehrql, JobRequest: "current",
			Started: t, Finished: minutes(6),
			Log: []string{
				"Compiling dataset definition from analysis/dataset_definition.py",
				"Generating dataset",
				fmt.Sprintf("Writing %d rows to output/dataset.csv.gz", datasetRows),
			},
			Outputs: []output{{Path: "output/dataset.csv.gz", Level: levelHigh, Data: dataset}},
		},
		{
			Name: "make_tables", Image: python, JobRequest: "current",
			Started: minutes(7), Finished: minutes(8),
			Log: []string{
				fmt.Sprintf("Loaded %d rows from output/dataset.csv.gz", datasetRows),
				"Rounding counts to the nearest 5",
				"WARNING Redacting counts of 7 or fewer",
			},
			Outputs: []output{
				csvOutput("output/tables/counts_by_region.csv", regionTable(regions)),
				csvOutput("output/tables/age_bands.csv", ageBands(ws, r)),
				excludedOutput("output/tables/patient_events.csv", "File has patient_id column"),
			},
		},
		{
			Name: "make_charts", Image: python, JobRequest: "current",
			Started: minutes(9), Finished: minutes(10),
			Log:     []string{"Plotting output/tables/counts_by_region.csv"},
			Outputs: []output{{Path: "output/figures/counts_by_region.png", Level: levelModerate, Data: regionChart(regions)}},
		},
		{
			Name: "make_report", Image: python, JobRequest: "current",
			Started: minutes(11), Finished: minutes(12),
			Log: []string{"Rendering report templates"},
			Outputs: []output{
				{Path: "output/report.md", Level: levelModerate, Data: markdownReport(ws, regions)},
				{Path: "output/report.html", Level: levelModerate, Data: htmlReport(ws, regions)},
				{Path: "output/summary.json", Level: levelModerate, Data: summaryJSON(ws, regions)},
			},
		},
	}
}

// rng is a small deterministic generator (xorshift32) seeded per workspace.
type rng struct{ x uint32 }

func newRNG(seed string) *rng {
	h := fnv.New32a()
	h.Write([]byte(seed))
	return &rng{x: h.Sum32() | 1}
}

// float returns a number in [0, 1).
func (r *rng) float() float64 {
	r.x ^= r.x << 13
	r.x ^= r.x >> 17
	r.x ^= r.x << 5
	return float64(r.x) / (1 << 32)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.float() * float64(n)) }

// round5 rounds to the nearest multiple of 5, as disclosure control asks.
func round5(x float64) int { return 5 * int(math.Round(x/5)) }

const redacted = "[REDACTED]"

type regionCount struct {
	Region     string
	Population int
	Count      int // rounded to 5; 0 when redacted
	Redacted   bool
}

func regionCounts(ws workspaceDef, r *rng) []regionCount {
	regions := []struct {
		name string
		pop  float64
	}{
		{"East", 61200}, {"East Midlands", 48300}, {"London", 89400}, {"North East", 26100},
		{"North West", 73500}, {"South East", 91800}, {"South West", 56700},
		{"West Midlands", 59300}, {"Yorkshire and The Humber", 55200},
	}
	small := r.intn(len(regions)) // one region has a count too small to show
	out := make([]regionCount, len(regions))
	for i, reg := range regions {
		pop := round5(reg.pop * (0.8 + 0.4*r.float()))
		c := regionCount{Region: reg.name, Population: pop, Count: round5(float64(pop) * ws.Rate * (0.85 + 0.3*r.float()))}
		if i == small {
			c.Count, c.Redacted = 0, true
		}
		out[i] = c
	}
	return out
}

func regionTable(regions []regionCount) [][]string {
	rows := [][]string{{"region", "registered_population", "patients", "rate_per_1000"}}
	for _, c := range regions {
		count, rate := redacted, redacted
		if !c.Redacted {
			count = fmt.Sprint(c.Count)
			rate = fmt.Sprintf("%.1f", 1000*float64(c.Count)/float64(c.Population))
		}
		rows = append(rows, []string{c.Region, fmt.Sprint(c.Population), count, rate})
	}
	return rows
}

// ageBands counts by age band and sex, rounded to 5, except one cell left
// unrounded (7) for a reviewer to catch.
func ageBands(ws workspaceDef, r *rng) [][]string {
	bands := []struct {
		band   string
		weight float64
	}{{"18-29", 0.4}, {"30-39", 0.6}, {"40-49", 0.9}, {"50-59", 1.2}, {"60-69", 1.4}, {"70-79", 1.1}, {"80+", 0.6}}
	slip := r.intn(2 * len(bands))
	rows := [][]string{{"age_band", "sex", "patients"}}
	for i, b := range bands {
		for j, sex := range []string{"female", "male"} {
			n := round5(9000 * ws.Rate * b.weight * (0.8 + 0.4*r.float()))
			if 2*i+j == slip {
				n = 7
			}
			rows = append(rows, []string{b.band, sex, fmt.Sprint(n)})
		}
	}
	return rows
}

func monthlyCounts(ws workspaceDef, r *rng) [][]string {
	rows := [][]string{{"month", "patients", "registered_population", "rate_per_1000"}}
	for m := 1; m <= 12; m++ {
		pop := round5(560000 + 4000*float64(m) + 2000*r.float())
		n := round5(float64(pop) * ws.Rate / 12 * (0.9 + 0.2*r.float()))
		rows = append(rows, []string{fmt.Sprintf("%d-%02d", ws.Year, m), fmt.Sprint(n), fmt.Sprint(pop),
			fmt.Sprintf("%.1f", 1000*float64(n)/float64(pop))})
	}
	return rows
}

// patientDataset is the highly sensitive, patient-level extract: fake rows,
// gzipped with a fixed header so the bytes are stable.
func patientDataset(ws workspaceDef, r *rng) ([]byte, int) {
	regions := []string{"East", "East Midlands", "London", "North East", "North West", "South East", "South West", "West Midlands", "Yorkshire and The Humber"}
	records := [][]string{{"patient_id", "age", "sex", "region", "has_event", "first_event_date"}}
	const n = 60
	for i := range n {
		has, date := "F", ""
		if r.float() < 0.3 {
			has = "T"
			date = time.Date(ws.Year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.intn(365)).Format(time.DateOnly)
		}
		sex := "female"
		if r.float() < 0.5 {
			sex = "male"
		}
		records = append(records, []string{
			fmt.Sprint(1000001 + 37*i), fmt.Sprint(18 + r.intn(72)), sex, regions[r.intn(len(regions))], has, date,
		})
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(csvBytes(records))
	zw.Close()
	return buf.Bytes(), n
}

func csvBytes(records [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(records) // writes to memory: cannot fail
	return buf.Bytes()
}

func csvOutput(path string, records [][]string) output {
	rows, cols := len(records)-1, len(records[0])
	return output{Path: path, Level: levelModerate, Data: csvBytes(records), Rows: &rows, Cols: &cols}
}

// excludedOutput is what the runner leaves when it refuses a moderately
// sensitive output: an explanatory text file beside the original name.
func excludedOutput(path, reason string) output {
	text := fmt.Sprintf("The file:\n\n    %s\n\nwas excluded from the moderately_sensitive outputs of this job because:\n\n    %s\n\n"+
		"It is still available to the job runner in the highly_sensitive workspace, but cannot be\n"+
		"requested for release. Check the action that wrote it and re-run the job.\n", path, reason)
	return output{Path: path, Level: levelModerate, Data: []byte(text), Excluded: reason}
}

func markdownReport(ws workspaceDef, regions []regionCount) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\nNumber of %s by NHS England region.\n", ws.Project, ws.Measure)
	b.WriteString("Counts are rounded to the nearest 5; counts of 7 or fewer are redacted.\n\n")
	b.WriteString("| Region | Registered population | Patients |\n|---|---:|---:|\n")
	for _, c := range regions {
		count := redacted
		if !c.Redacted {
			count = fmt.Sprint(c.Count)
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", c.Region, c.Population, count)
	}
	b.WriteString("\nSee `output/figures/counts_by_region.png` for a chart and\n`output/tables/age_bands.csv` for counts by age band and sex.\n")
	return []byte(b.String())
}

func htmlReport(ws workspaceDef, regions []regionCount) []byte {
	var b strings.Builder
	title := html.EscapeString(ws.Project)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n", title)
	b.WriteString("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}</style>\n</head>\n<body>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p>Number of %s by region. Counts are rounded to the nearest 5; counts of 7 or fewer are redacted.</p>\n",
		title, html.EscapeString(ws.Measure))
	b.WriteString("<table>\n<tr><th>Region</th><th>Registered population</th><th>Patients</th></tr>\n")
	for _, c := range regions {
		count := redacted
		if !c.Redacted {
			count = fmt.Sprint(c.Count)
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%s</td></tr>\n", html.EscapeString(c.Region), c.Population, count)
	}
	b.WriteString("</table>\n</body>\n</html>\n")
	return []byte(b.String())
}

func summaryJSON(ws workspaceDef, regions []regionCount) []byte {
	type summary struct {
		Workspace        string   `json:"workspace"`
		Measure          string   `json:"measure"`
		Rounding         int      `json:"rounding"`
		RedactionLimit   int      `json:"redaction_limit"`
		TotalPopulation  int      `json:"total_registered_population"`
		TotalPatients    int      `json:"total_patients_unredacted_regions"`
		RedactedRegions  []string `json:"redacted_regions"`
		RegionsReporting int      `json:"regions_reporting"`
	}
	s := summary{Workspace: ws.Name, Measure: ws.Measure, Rounding: 5, RedactionLimit: 7, RedactedRegions: []string{}}
	for _, c := range regions {
		s.TotalPopulation += c.Population
		if c.Redacted {
			s.RedactedRegions = append(s.RedactedRegions, c.Region)
			continue
		}
		s.TotalPatients += c.Count
		s.RegionsReporting++
	}
	data, _ := json.MarshalIndent(s, "", "  ")
	return append(data, '\n')
}

// jobLog is the runner's log of one job: the action's own output (with the
// ANSI colours tools print) and the runner's summary trailer.
func jobLog(ws workspaceDef, a action, jobID, jobRequest, commit string) string {
	var b strings.Builder
	ts := func(t time.Time) string { return "\x1b[2m" + t.Format(time.RFC3339) + "\x1b[0m" }
	fmt.Fprintf(&b, "%s \x1b[36m[job-runner]\x1b[0m Starting %s (%s) using %s\n", ts(a.Started), a.Name, jobID, a.Image)
	step := a.Finished.Sub(a.Started) / time.Duration(len(a.Log)+1)
	for i, line := range a.Log {
		level := "\x1b[32mINFO\x1b[0m"
		if rest, ok := strings.CutPrefix(line, "WARNING "); ok {
			level, line = "\x1b[33mWARNING\x1b[0m", rest
		}
		fmt.Fprintf(&b, "%s %s %s\n", ts(a.Started.Add(time.Duration(i+1)*step)), level, line)
	}
	fmt.Fprintf(&b, "%s \x1b[36m[job-runner]\x1b[0m Completed successfully\n\n", ts(a.Finished))
	b.WriteString("=============JOB SUMMARY=============\n")
	for _, kv := range [][2]string{
		{"job_id", jobID}, {"job_request_id", jobRequest}, {"workspace", ws.Name}, {"action", a.Name},
		{"repo", ws.Repo}, {"commit", commit}, {"image", a.Image}, {"created_by", "researcher"},
		{"status", "succeeded"}, {"status_message", "Completed successfully"}, {"exit_code", "0"},
		{"started_at", a.Started.Format(time.RFC3339)}, {"completed_at", a.Finished.Format(time.RFC3339)},
	} {
		fmt.Fprintf(&b, "  %-16s %s\n", kv[0]+":", kv[1])
	}
	b.WriteString("\noutputs:\n")
	for _, o := range a.Outputs {
		fmt.Fprintf(&b, "  %s  - %s\n", o.Path, o.Level)
	}
	for _, o := range a.Outputs {
		if o.Excluded != "" {
			fmt.Fprintf(&b, "\nexcluded:\n  %s  - %s\n", o.Path, o.Excluded)
		}
	}
	return b.String()
}

// runnerID makes a job-runner style id (16 lowercase base32 characters)
// that is stable for a given label.
func runnerID(label string) string {
	sum := sha256.Sum256([]byte(label))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:10]))
}

func hexID(label string, n int) string {
	sum := sha256.Sum256([]byte(label))
	return hex.EncodeToString(sum[:])[:n]
}
