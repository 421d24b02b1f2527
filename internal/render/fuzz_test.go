package render

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlock-go/airlock/internal/checks"
)

// FuzzViewers checks that no input makes a viewer panic or emit invalid
// UTF-8 or markup taken from the file. The seeds run as a normal test.
func FuzzViewers(f *testing.F) {
	for _, s := range []string{
		"", "a,b\n1,2\n", "\"unterminated\n", "a\n\"x\"\"y\",\"\n", "\xff\xfe,\x00\n",
		"\x1b[31", "\x1b]0;t", "\x1b[38;5m", "x\n" + LogSummaryMarker, LogSummaryMarker,
		"<script>alert(1)</script>,<img src=x onerror=alert(1)>\n1,2\n",
		"n\n1e999\n-9223372036854775808\n9223372036854775808\n-inf\n<=7\n",
		"\xff<script>\n\x01\x01,\x02\n\x00\x00\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := CSVPage(bytes.NewReader(data), 1, 3); err != nil {
			if _, ok := rowTooLong(err); !ok {
				t.Errorf("CSVPage: %v", err)
			}
		}
		s, err := CSVSummarize(bytes.NewReader(data))
		if err != nil {
			t.Errorf("CSVSummarize: %v", err)
		}
		_ = s.Rows()
		v, err := LogTail(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Errorf("LogTail: %v", err)
		}
		if !utf8.ValidString(v.Text()) || strings.ContainsRune(v.Text(), 0x1b) {
			t.Errorf("LogTail text %q", v.Text())
		}
		// Findings made of the input: its bytes as the rule and message,
		// and cells (some past the rows, some negative) from its bytes.
		fd := checks.Finding{Rule: checks.Rule(data[:min(len(data), 12)]), Severity: checks.Severity(data[:min(len(data), 2)]), Message: string(data)}
		for i := 0; i+1 < min(len(data), 64); i += 2 {
			fd.Cells = append(fd.Cells, [2]int{int(int8(data[i])) % 8, int(int8(data[i+1])) % 5})
		}
		for _, name := range []string{"f.csv", "f.txt", "f.log"} {
			for _, target := range []string{"/", "/?summary=1", "/?page=2"} {
				rec := httptest.NewRecorder()
				file := testFile(name, data)
				file.Findings = []checks.Finding{fd, {Rule: checks.RuleSmallCount, Severity: checks.SeverityBlocking, Message: "m", Cells: fd.Cells}}
				if err := Serve(rec, httptest.NewRequest(http.MethodGet, target, nil), file); err != nil {
					t.Errorf("Serve %s: %v", name, err)
				}
				body := rec.Body.String()
				if rec.Code != http.StatusOK || !utf8.ValidString(body) || strings.Contains(body, "<script") {
					t.Errorf("Serve %s%s: %d, valid UTF-8 %v", name, target, rec.Code, utf8.ValidString(body))
				}
			}
		}
	})
}
