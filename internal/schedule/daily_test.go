package schedule_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/schedule"
)

func TestNextRun(t *testing.T) {
	utc := func(d, h, m, s int) time.Time { return time.Date(2026, 3, d, h, m, s, 0, time.UTC) }
	paris := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		now  time.Time
		at   time.Duration
		want time.Time
	}{
		{utc(1, 0, 0, 0), 2 * time.Hour, utc(1, 2, 0, 0)},
		{utc(1, 1, 59, 59), 2 * time.Hour, utc(1, 2, 0, 0)},
		{utc(1, 2, 0, 0), 2 * time.Hour, utc(2, 2, 0, 0)}, // strictly after now
		{utc(1, 2, 0, 1), 2 * time.Hour, utc(2, 2, 0, 0)},
		{utc(1, 23, 30, 0), 0, utc(2, 0, 0, 0)},
		{utc(31, 12, 0, 0), 2*time.Hour + 30*time.Minute, time.Date(2026, 4, 1, 2, 30, 0, 0, time.UTC)}, // month end
		{time.Date(2026, 3, 1, 2, 30, 0, 0, paris), 2 * time.Hour, utc(1, 2, 0, 0)},                     // 02:30 CET is 01:30 UTC
		{time.Date(2026, 3, 1, 3, 30, 0, 0, paris), 2 * time.Hour, utc(2, 2, 0, 0)},
		{utc(1, 1, 0, 0), 26 * time.Hour, utc(1, 2, 0, 0)}, // modulo a day
		{utc(1, 1, 0, 0), -22 * time.Hour, utc(1, 2, 0, 0)},
	} {
		got := schedule.NextRun(c.now, c.at)
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("NextRun(%v, %v) = %v, want %v", c.now, c.at, got, c.want)
		}
	}
}

func TestRunDaily(t *testing.T) {
	f := newFixture(t)
	p := writeFile(t, `[{"username": "author", "workspace_name": "ws", "dirs": ["output/figs"]}]`)
	// A clock 50ms before 02:00 that then runs at real speed.
	start := time.Now()
	base := time.Date(2026, 3, 1, 1, 59, 59, 950_000_000, time.UTC)
	now := func() time.Time { return base.Add(time.Since(start)) }
	ctx, cancel := context.WithCancel(f.Ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.C.RunDaily(ctx, p, 2*time.Hour, now)
	}()
	deadline := time.After(10 * time.Second)
	for f.current(f.Author) == nil {
		select {
		case <-deadline:
			cancel()
			t.Fatalf("the job did not run; logs:\n%s", f.Logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// The next run waits for tomorrow, and stopping does not wait for it.
	deadline = time.After(10 * time.Second)
	for !strings.Contains(f.Logs.String(), "at=2026-03-02T02:00:00.000Z") {
		select {
		case <-deadline:
			t.Fatalf("no next run planned; logs:\n%s", f.Logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunDaily did not stop")
	}
	if n := strings.Count(f.Logs.String(), "creating regular release requests"); n != 1 {
		t.Errorf("ran %d times", n)
	}
}

func TestRunDailyStopsWhileWaiting(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(f.Ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.C.RunDaily(ctx, filepath.Join(t.TempDir(), "absent.json"), 2*time.Hour, nil)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunDaily did not stop")
	}
}
