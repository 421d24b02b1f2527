package auth

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// MaxThrottleKeys is how many keys a Throttle tracks at most; beyond it,
// the key whose last failure is the oldest is forgotten.
const MaxThrottleKeys = 100_000

// Throttle counts failures per key (a user, a client address) over a
// sliding window: a key is refused while it has limit or more failures
// in the last window. It is safe for concurrent use and its memory is
// bounded: keys whose failures have all left the window are forgotten,
// at most MaxThrottleKeys keys are tracked (the stalest go first) and at
// most 2×limit failures are kept per key.
type Throttle struct {
	limit   int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	mu     sync.Mutex
	keys   map[string]*list.Element // of *throttleKey
	recent *list.List               // front: the key that failed last
	lastID uint64
}

type throttleKey struct {
	key   string
	fails []failure // in time order
}

type failure struct {
	at time.Time
	id uint64
}

// NewThrottle refuses a key with limit failures within window. now
// defaults to time.Now.
func NewThrottle(limit int, window time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{
		limit: max(limit, 1), window: window, now: now, maxKeys: MaxThrottleKeys,
		keys: map[string]*list.Element{}, recent: list.New(),
	}
}

// Allow reports whether every key has fewer than limit failures in the
// window. When one has not, retryAfter is how long until enough of its
// failures have left the window (the longest over the keys).
func (t *Throttle) Allow(keys ...string) (retryAfter time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.allow(t.now(), keys)
}

// Fail counts a failure against every key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(t.now(), keys)
}

// Reset forgets the failures of every key.
func (t *Throttle) Reset(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if e, ok := t.keys[k]; ok {
			t.remove(e)
		}
	}
}

// acquire is Allow and, when allowed, Fail in one step: the attempt
// counts as a failure until release takes it back. Concurrent attempts
// therefore cannot all pass the check before any of them has failed.
func (t *Throttle) acquire(keys ...string) (retryAfter time.Duration, ok bool, id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if retryAfter, ok = t.allow(now, keys); !ok {
		return retryAfter, false, 0
	}
	return 0, true, t.add(now, keys)
}

// release takes back the failure id that acquire counted against keys.
func (t *Throttle) release(id uint64, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		e, ok := t.keys[k]
		if !ok {
			continue
		}
		tk := e.Value.(*throttleKey)
		tk.fails = slices.DeleteFunc(tk.fails, func(f failure) bool { return f.id == id })
		if len(tk.fails) == 0 {
			t.remove(e)
		}
	}
}

func (t *Throttle) allow(now time.Time, keys []string) (time.Duration, bool) {
	var wait time.Duration
	for _, k := range keys {
		e, ok := t.keys[k]
		if !ok {
			continue
		}
		tk := e.Value.(*throttleKey)
		t.prune(tk, now)
		n := len(tk.fails)
		if n == 0 {
			t.remove(e)
			continue
		}
		if n >= t.limit {
			// Allowed again once the failure limit-th from the newest has
			// left the window.
			wait = max(wait, tk.fails[n-t.limit].at.Add(t.window).Sub(now))
		}
	}
	return wait, wait <= 0
}

func (t *Throttle) add(now time.Time, keys []string) uint64 {
	t.lastID++
	id := t.lastID
	t.forgetExpired(now)
	for _, k := range keys {
		e, ok := t.keys[k]
		if !ok {
			if len(t.keys) >= t.maxKeys {
				t.remove(t.recent.Back())
			}
			e = t.recent.PushFront(&throttleKey{key: k})
			t.keys[k] = e
		}
		tk := e.Value.(*throttleKey)
		t.prune(tk, now)
		tk.fails = append(tk.fails, failure{at: now, id: id})
		if extra := len(tk.fails) - 2*t.limit; extra > 0 {
			tk.fails = slices.Delete(tk.fails, 0, extra)
		}
		t.recent.MoveToFront(e)
	}
	return id
}

// forgetExpired drops, from the stale end, keys whose newest failure has
// left the window.
func (t *Throttle) forgetExpired(now time.Time) {
	for e := t.recent.Back(); e != nil; e = t.recent.Back() {
		tk := e.Value.(*throttleKey)
		if len(tk.fails) > 0 && t.live(tk.fails[len(tk.fails)-1], now) {
			return
		}
		t.remove(e)
	}
}

func (t *Throttle) prune(tk *throttleKey, now time.Time) {
	tk.fails = slices.DeleteFunc(tk.fails, func(f failure) bool { return !t.live(f, now) })
}

func (t *Throttle) live(f failure, now time.Time) bool { return now.Sub(f.at) < t.window }

func (t *Throttle) remove(e *list.Element) {
	delete(t.keys, e.Value.(*throttleKey).key)
	t.recent.Remove(e)
}
