package checks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestFindingJSONShape(t *testing.T) {
	for _, tt := range []struct {
		f    Finding
		want string
	}{
		{Finding{Rule: RuleHTMLScript, Severity: SeverityWarning, Message: "m"},
			`{"rule":"html_script","severity":"warning","message":"m","cells":[]}`},
		{Finding{Rule: RuleSmallCount, Severity: SeverityBlocking, Message: "m", Cells: [][2]int{{0, 1}, {4, 1}}},
			`{"rule":"small_count","severity":"blocking","message":"m","cells":[[0,1],[4,1]]}`},
	} {
		b, err := json.Marshal(tt.f)
		if err != nil || string(b) != tt.want {
			t.Errorf("%s, %v; want %s", b, err, tt.want)
		}
		var back Finding
		if err := json.Unmarshal(b, &back); err != nil || back.Rule != tt.f.Rule || len(back.Cells) != len(tt.f.Cells) {
			t.Errorf("round trip: %+v, %v", back, err)
		}
	}
	var f Finding
	if err := json.Unmarshal([]byte(`{"severity":"urgent"}`), &f); err == nil {
		t.Error("a finding with an unknown severity decodes")
	}
}

func TestCheckReadErrors(t *testing.T) {
	ck := newChecker(t)
	boom := errors.New("disk on fire")
	long := "count\n3\n" + strings.Repeat("10\n", 50000)
	png := testPNG(t)
	jpg := testJPEG(t)
	for name, content := range map[string]string{
		"t.csv":  long,
		"t.html": long,
		"t.svg":  "<svg>" + long,
		"t.png":  string(png[:40]),
		"t.jpg":  string(jpg[:40]),
	} {
		r := io.MultiReader(strings.NewReader(content), iotest.ErrReader(boom))
		_, err := ck.Check(context.Background(), name, r)
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "checking "+name+": ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Files the rules only sniff are not read further.
	r := io.MultiReader(strings.NewReader(strings.Repeat("some text\n", 2000)), iotest.ErrReader(boom))
	if _, err := ck.Check(context.Background(), "t.txt", r); err != nil {
		t.Errorf("t.txt: %v", err)
	}
}

func TestCheckStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newChecker(t).Check(ctx, "big.csv", newRowsReader(1_000_000))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	r := &cancelAfter{r: newRowsReader(1_000_000), n: 1 << 20, cancel: cancel}
	if _, err := newChecker(t).Check(ctx, "big.csv", r); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled midway: %v", err)
	}
	if r.read > 2<<20 {
		t.Errorf("read %d bytes after the context ended", r.read)
	}
}

// cancelAfter cancels a context once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	read   int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	if c.read >= c.n {
		c.cancel()
	}
	return n, err
}

func TestCheckerIsSafeForConcurrentUse(t *testing.T) {
	ck := newChecker(t, func(c *Config) { c.MaxCells = 1000 })
	tab := plantedTable(7, 400, false)
	rel := released(map[string]string{"r.csv": plantedTable(8, 400, false).csv})
	want := check(t, ck, "t.csv", tab.csv, WithReleased(rel))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := ck.Check(context.Background(), "t.csv", strings.NewReader(tab.csv), WithReleased(rel))
			if err != nil || !cmp.Equal(got, want) {
				t.Errorf("concurrent check differs: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestConfigIsCopied(t *testing.T) {
	cfg := Default()
	ck, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Columns.Counts[0] = "changed"
	cfg.RedactionMarkers[4] = "changed"
	if fs := check(t, ck, "t.csv", "n\n[REDACTED]\n3\n"); len(fs) != 1 || fs[0].Rule != RuleSmallCount {
		t.Errorf("the checker follows changes to the configuration it was made from:%s", messages(fs))
	}
}
