package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for tests, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestThrottleSlidingWindow(t *testing.T) {
	c := newClock()
	th := NewThrottle(3, time.Minute, c.Now)
	for i := range 3 {
		if _, ok := th.Allow("a"); !ok {
			t.Fatalf("refused after %d failures", i)
		}
		th.Fail("a")
		c.Advance(10 * time.Second)
	}
	// Failures at 0s, 10s, 20s; now 30s.
	steps := []struct {
		advance time.Duration
		keys    []string
		wait    time.Duration
		ok      bool
	}{
		{0, []string{"a"}, 30 * time.Second, false},
		{0, []string{"b"}, 0, true},
		{0, []string{"b", "a"}, 30 * time.Second, false},
		{29 * time.Second, []string{"a"}, time.Second, false},
		{time.Second, []string{"a"}, 0, true}, // the failure at 0s has left the window
	}
	for i, s := range steps {
		c.Advance(s.advance)
		wait, ok := th.Allow(s.keys...)
		if wait != s.wait || ok != s.ok {
			t.Errorf("step %d: got %v %v, want %v %v", i, wait, ok, s.wait, s.ok)
		}
	}
	th.Fail("a") // failures at 10s, 20s, 60s
	if wait, ok := th.Allow("a"); ok || wait != 10*time.Second {
		t.Errorf("after another failure: got %v %v", wait, ok)
	}
	th.Reset("a")
	if _, ok := th.Allow("a"); !ok {
		t.Error("refused after Reset")
	}
}

func TestThrottleLongestWaitOfKeys(t *testing.T) {
	c := newClock()
	th := NewThrottle(2, time.Minute, c.Now)
	th.Fail("user", "addr")
	c.Advance(20 * time.Second)
	th.Fail("user", "addr")
	th.Reset("user")
	th.Fail("user")
	c.Advance(time.Second)
	th.Fail("user")
	// user: failures at 20s and 21s, addr at 0s and 20s; now 21s.
	if wait, ok := th.Allow("addr", "user"); ok || wait != time.Minute-time.Second {
		t.Errorf("got %v %v", wait, ok)
	}
	if wait, ok := th.Allow("addr"); ok || wait != 39*time.Second {
		t.Errorf("addr alone: got %v %v", wait, ok)
	}
}

func TestThrottleForgetsExpiredKeys(t *testing.T) {
	c := newClock()
	th := NewThrottle(3, time.Minute, c.Now)
	for i := range 100 {
		th.Fail(fmt.Sprint("k", i))
	}
	if n := len(th.keys); n != 100 {
		t.Fatalf("tracking %d keys", n)
	}
	c.Advance(time.Minute)
	th.Fail("new")
	if n := len(th.keys); n != 1 {
		t.Errorf("tracking %d keys after they expired, want 1", n)
	}
	c.Advance(time.Minute)
	if _, ok := th.Allow("new"); !ok || len(th.keys) != 0 || th.recent.Len() != 0 {
		t.Errorf("Allow kept an expired key: %d keys", len(th.keys))
	}
}

func TestThrottleCapsKeys(t *testing.T) {
	c := newClock()
	th := NewThrottle(2, time.Minute, c.Now)
	th.maxKeys = 3
	for _, k := range []string{"a", "b", "c"} {
		th.Fail(k)
		th.Fail(k)
		c.Advance(time.Second)
	}
	th.Fail("a") // a is now the freshest; b is the stalest
	th.Fail("d")
	if len(th.keys) != 3 {
		t.Fatalf("tracking %d keys", len(th.keys))
	}
	for k, want := range map[string]bool{"a": false, "b": true, "c": false} {
		if _, ok := th.Allow(k); ok != want {
			t.Errorf("%s: allowed %v, want %v", k, ok, want)
		}
	}
}

func TestThrottleBoundsFailuresPerKey(t *testing.T) {
	th := NewThrottle(5, time.Minute, newClock().Now)
	for range 1000 {
		th.Fail("a")
	}
	if n := len(th.keys["a"].Value.(*throttleKey).fails); n > 10 {
		t.Errorf("kept %d failures", n)
	}
}

func TestThrottleAcquireRelease(t *testing.T) {
	th := NewThrottle(2, time.Minute, newClock().Now)
	_, ok1, id1 := th.acquire("u", "a")
	_, ok2, id2 := th.acquire("u", "a")
	if !ok1 || !ok2 {
		t.Fatal("refused")
	}
	if _, ok, _ := th.acquire("u"); ok {
		t.Fatal("a third attempt in flight was allowed")
	}
	th.release(id1, "u", "a")
	if _, ok := th.Allow("u", "a"); !ok {
		t.Fatal("a released attempt still counts")
	}
	th.release(id2, "u", "a")
	if len(th.keys) != 0 {
		t.Errorf("tracking %d keys with no failures", len(th.keys))
	}
}

func TestThrottleConcurrent(t *testing.T) {
	c := newClock()
	th := NewThrottle(10, time.Minute, c.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprint("k", (g*500+i)%50)
				th.Allow(k, "shared")
				th.Fail(k, "shared")
				if i%7 == 0 {
					th.Reset(k)
				}
				if _, ok, id := th.acquire(k); ok {
					th.release(id, k)
				}
				if i%100 == 0 {
					c.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	if _, ok := th.Allow("shared"); ok {
		t.Error("shared key allowed after thousands of failures")
	}
}
