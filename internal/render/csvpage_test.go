package render

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// genCSV returns a header and rows data rows: "id,name,value" / "i,name-i,i*2".
func genCSV(rows int) string {
	var b strings.Builder
	b.WriteString("id,name,value\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "%d,name-%d,%d\n", i, i, i*2)
	}
	return b.String()
}

func TestCSVPage(t *testing.T) {
	data := genCSV(1200)
	tests := []struct {
		page, size      int
		first, n        int
		more            bool
		firstID, lastID string
	}{
		{page: 1, size: 500, first: 1, n: 500, more: true, firstID: "1", lastID: "500"},
		{page: 2, size: 500, first: 501, n: 500, more: true, firstID: "501", lastID: "1000"},
		{page: 3, size: 500, first: 1001, n: 200, more: false, firstID: "1001", lastID: "1200"},
		{page: 4, size: 500, first: 1501, n: 0, more: false},
		{page: 0, size: 0, first: 1, n: 500, more: true, firstID: "1", lastID: "500"},
		{page: 12, size: 100, first: 1101, n: 100, more: false, firstID: "1101", lastID: "1200"},
		{page: 1, size: 1200, first: 1, n: 1200, more: false, firstID: "1", lastID: "1200"},
		{page: 1, size: 1199, first: 1, n: 1199, more: true, firstID: "1", lastID: "1199"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("page%d-size%d", tt.page, tt.size), func(t *testing.T) {
			tb, err := CSVPage(strings.NewReader(data), tt.page, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tb.Header, []string{"id", "name", "value"}) {
				t.Errorf("header %q", tb.Header)
			}
			if tb.FirstRow != tt.first || len(tb.Rows) != tt.n || tb.More != tt.more || tb.Ragged || tb.Cut {
				t.Fatalf("got first %d, %d rows, more %v, ragged %v, cut %v", tb.FirstRow, len(tb.Rows), tb.More, tb.Ragged, tb.Cut)
			}
			if tt.n > 0 && (tb.Rows[0][0] != tt.firstID || tb.Rows[tt.n-1][0] != tt.lastID) {
				t.Errorf("rows %v … %v", tb.Rows[0], tb.Rows[tt.n-1])
			}
		})
	}
}

func TestCSVPageRaggedAndQuotes(t *testing.T) {
	data := "\uFEFFa,b,c\n1,2\n\"x, \"\"quoted\"\"\nline\",y,z,extra\nbare \"quote,2,3\n"
	tb, err := CSVPage(strings.NewReader(data), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"1", "2"}, {"x, \"quoted\"\nline", "y", "z", "extra"}, {"bare \"quote", "2", "3"}}
	if !slices.Equal(tb.Header, []string{"a", "b", "c"}) {
		t.Errorf("header %q (BOM kept?)", tb.Header)
	}
	if !slices.EqualFunc(tb.Rows, want, slices.Equal) {
		t.Errorf("rows %q", tb.Rows)
	}
	if !tb.Ragged || tb.Width() != 4 {
		t.Errorf("ragged %v width %d", tb.Ragged, tb.Width())
	}
}

func TestCSVPageEmptyAndHeaderOnly(t *testing.T) {
	for _, data := range []string{"", "\n\n"} {
		tb, err := CSVPage(strings.NewReader(data), 1, 10)
		if err != nil || tb.Header != nil || tb.Rows != nil || tb.More {
			t.Errorf("%q: %+v %v", data, tb, err)
		}
	}
	tb, err := CSVPage(strings.NewReader("a,b\n"), 1, 10)
	if err != nil || !slices.Equal(tb.Header, []string{"a", "b"}) || len(tb.Rows) != 0 || tb.More {
		t.Errorf("header only: %+v %v", tb, err)
	}
}

func TestCSVPageInvalidUTF8(t *testing.T) {
	tb, err := CSVPage(strings.NewReader("h\xff\n\xfe,ok\n"), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Header[0] != "h\uFFFD" || tb.Rows[0][0] != "\uFFFD" || tb.Rows[0][1] != "ok" {
		t.Errorf("got %q %q", tb.Header, tb.Rows)
	}
}

func TestCSVPageRowTooLong(t *testing.T) {
	long := strings.Repeat("x", 5000)
	data := "a,b\n1,2\n" + long + ",3\n4,5\n"
	tb, err := csvPage(strings.NewReader(data), 1, 10, 1000, maxPageBytes)
	var tooLong *RowTooLongError
	if !errors.As(err, &tooLong) || tooLong.Row != 2 {
		t.Fatalf("err %v", err)
	}
	if err.Error() != "row 2 is too long to show (more than 1000 bytes)" {
		t.Errorf("message %q", err)
	}
	if len(tb.Rows) != 1 || tb.Rows[0][0] != "1" {
		t.Errorf("rows before the long one: %q", tb.Rows)
	}
	// The header too.
	_, err = csvPage(strings.NewReader(long+"\n1\n"), 1, 10, 1000, maxPageBytes)
	if !errors.As(err, &tooLong) || tooLong.Row != 0 || !strings.Contains(err.Error(), "header row is too long") {
		t.Errorf("header: %v", err)
	}
	// A long row just after the page counts as more.
	tb, err = csvPage(strings.NewReader(data), 1, 1, 1000, maxPageBytes)
	if err != nil || !tb.More || len(tb.Rows) != 1 {
		t.Errorf("next row too long: %+v %v", tb, err)
	}
	// Quoted multi-line records count whole.
	multi := "a\n\"" + strings.Repeat("line\n", 300) + "\"\n"
	if _, err := csvPage(strings.NewReader(multi), 1, 10, 1000, maxPageBytes); !errors.As(err, &tooLong) || tooLong.Row != 1 {
		t.Errorf("multi-line record: %v", err)
	}
}

func TestCSVPageByteBudget(t *testing.T) {
	row := strings.Repeat("y", 100)
	data := "a\n" + strings.Repeat(row+"\n", 50)
	tb, err := csvPage(strings.NewReader(data), 1, 40, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// Each row costs 101 bytes and 16 for its one cell: 8 fit in 1,000.
	if !tb.Cut || !tb.More || len(tb.Rows) != 8 {
		t.Errorf("cut %v more %v rows %d", tb.Cut, tb.More, len(tb.Rows))
	}
}

func TestServeCSVPaging(t *testing.T) {
	data := []byte(genCSV(1200))
	body := get(t, "t.csv", data, "/?cache_id=c1").Body.String()
	for _, want := range []string{
		"Rows 1–500; more rows follow",
		`<th class="rownum" scope="row">1</th><td>1</td><td>name-1</td><td>2</td>`,
		`<th class="rownum" scope="row">500</th><td>500</td>`,
		`<a href="?cache_id=c1&amp;page=2">Next page</a>`,
		"More rows follow.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if strings.Contains(body, "name-501") || strings.Contains(body, "Previous page") {
		t.Errorf("page 1 shows page 2 rows or a previous link")
	}

	body = get(t, "t.csv", data, "/?cache_id=c1&page=2").Body.String()
	for _, want := range []string{
		"Rows 501–1000; more rows follow",
		`<th class="rownum" scope="row">501</th><td>501</td><td>name-501</td>`,
		`<a href="?cache_id=c1&amp;page=1">Previous page</a>`,
		`<a href="?cache_id=c1&amp;page=3">Next page</a>`,
		`<a href="?cache_id=c1&amp;summary=1">View summary stats</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page 2 lacks %q", want)
		}
	}

	body = get(t, "t.csv", data, "/?page=3").Body.String()
	if !strings.Contains(body, "Rows 1001–1200</span>") || strings.Contains(body, "Next page") {
		t.Errorf("last page wrong:\n%s", body[len(body)-600:])
	}
	body = get(t, "t.csv", data, "/?page=9").Body.String()
	if !strings.Contains(body, "There are no rows on this page.") {
		t.Errorf("page past the end wrong")
	}
	body = get(t, "t.csv", []byte("a,b\n"), "/").Body.String()
	if !strings.Contains(body, "No data rows: this CSV file has only a header.") || !strings.Contains(body, `title="Sort by this column">a<span`) {
		t.Errorf("header-only CSV wrong:\n%s", body)
	}
}

func TestServeCSVTooLongNotice(t *testing.T) {
	f := File{Name: "wide.csv", Content: zeroReader{}, Size: 3 * MaxRecordBytes, CacheID: "z"}
	rec := serve(t, f, http.MethodGet, "/")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "the header row is too long to show") {
		t.Errorf("got %d:\n%s", rec.Code, body)
	}
}

func TestServeCSVLongRowNotice(t *testing.T) {
	data := "a,b\n1,2\n" + strings.Repeat("x", MaxRecordBytes+1) + "\n3,4\n"
	body := get(t, "t.csv", []byte(data), "/").Body.String()
	for _, want := range []string{"row 2 is too long to show (more than 4 MiB).", `<a href="?plaintext=true">Open as plain text</a>`, `<td>1</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(body, "only a header") || strings.Contains(body, "xxxx") {
		t.Errorf("misleading or oversized page")
	}
}

func TestCSVPageTooManyCells(t *testing.T) {
	data := "a\n1\n" + strings.Repeat(",", MaxRecordCells+5000) + "\n2\n"
	tb, err := CSVPage(strings.NewReader(data), 1, 10)
	var tooLong *RowTooLongError
	if !errors.As(err, &tooLong) || !tooLong.TooManyCells || tooLong.Row != 2 {
		t.Fatalf("err %v", err)
	}
	if err.Error() != "row 2 has too many cells to show (more than 100000)" {
		t.Errorf("message %q", err)
	}
	if len(tb.Rows) != 1 {
		t.Errorf("rows %q", tb.Rows)
	}
	// Just under the limit is shown.
	data = "a\n" + strings.Repeat(",", MaxRecordCells-5000) + "\n"
	if tb, err := CSVPage(strings.NewReader(data), 1, 10); err != nil || len(tb.Rows[0]) != MaxRecordCells-4999 {
		t.Errorf("wide row: %v", err)
	}
}
