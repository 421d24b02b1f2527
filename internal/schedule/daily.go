package schedule

import (
	"context"
	"time"
)

const day = 24 * time.Hour

// NextRun returns the first moment strictly after now at which the daily
// job runs: at (a time of day, e.g. 2*time.Hour for 02:00) in UTC. at is
// taken modulo a day.
func NextRun(now time.Time, at time.Duration) time.Time {
	at = ((at % day) + day) % day
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).Add(at)
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// RunDaily runs RunRegular on the file at path once a day at the time of
// day at (UTC), until ctx ends. now is the clock (time.Now when nil).
func (c *Creator) RunDaily(ctx context.Context, path string, at time.Duration, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	next := NextRun(now(), at)
	for {
		c.log.InfoContext(ctx, "next regular release requests run", "at", next, "file", path)
		timer := time.NewTimer(next.Sub(now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		c.RunRegular(ctx, path)
		// From the later of the planned time and the clock: a wall clock
		// a little behind the timer must not run the job twice.
		from := now()
		if from.Before(next) {
			from = next
		}
		next = NextRun(from, at)
	}
}
