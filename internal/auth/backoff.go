package auth

import (
	"container/list"
	"sync"
	"time"
)

// The login back-off of a user.
const (
	// BackoffFree is how many failed logins a user has before each further
	// attempt must wait.
	BackoffFree = 10
	// BackoffBase is the wait after the BackoffFree-th failure; it doubles
	// with each further failure up to BackoffMax.
	BackoffBase = time.Second
	// BackoffMax caps the wait: however many failures an attacker sends
	// for a user, the user is never told to wait longer than this.
	BackoffMax = time.Minute
	// BackoffForget is how long after their last failure a user's
	// failures are forgotten.
	BackoffForget = 15 * time.Minute
	// KnownAddressFor is how long an address a user logged in from stays
	// known: the user's back-off does not apply there.
	KnownAddressFor = 30 * 24 * time.Hour
)

// Backoff slows down failed logins of a user, from wherever they come,
// without ever locking the user out: after BackoffFree failures each
// further attempt must wait, BackoffBase doubling with each failure up to
// BackoffMax. An address from which the user logged in within
// KnownAddressFor is exempt, so that an attacker hammering a user's name
// from elsewhere never keeps the user out of their usual address (the
// address's own throttle still holds that address's failures).
//
// It is safe for concurrent use. Attempts in flight count as failures
// until they end (Fail or Release), so concurrent attempts cannot all
// pass before any has failed. Its memory is bounded: at most
// MaxThrottleKeys users and as many known addresses, the stalest
// forgotten first.
type Backoff struct {
	now     func() time.Time
	maxKeys int

	mu    sync.Mutex
	users lru[*backoffState]
	known lru[time.Time] // user "\x00" address → last successful login
}

type backoffState struct {
	fails   int
	last    time.Time // of the last failure
	until   time.Time // no attempt before
	pending int       // attempts in flight
}

// NewBackoff makes a Backoff on the clock now (time.Now when nil).
func NewBackoff(now func() time.Time) *Backoff {
	if now == nil {
		now = time.Now
	}
	return &Backoff{now: now, maxKeys: MaxThrottleKeys, users: newLRU[*backoffState](), known: newLRU[time.Time]()}
}

// delay is the wait after fails failures.
func delay(fails int) time.Duration {
	if fails < BackoffFree {
		return 0
	}
	d := BackoffBase
	for i := BackoffFree; i < fails && d < BackoffMax; i++ {
		d *= 2
	}
	return min(d, BackoffMax)
}

// acquire reports whether user may try to log in from addr now and, if
// so, counts the attempt as in flight; otherwise how long to wait.
func (b *Backoff) acquire(user, addr string) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	st, ok := b.users.get(user)
	if ok && st.pending == 0 && now.Sub(st.last) >= BackoffForget {
		b.users.remove(user)
		ok = false
	}
	if ok && !b.isKnown(user, addr, now) {
		switch {
		case st.fails+st.pending < BackoffFree:
		case st.pending > 0:
			// At the limit with an attempt in flight: its outcome decides.
			return max(st.until.Sub(now), BackoffBase), false
		case now.Before(st.until):
			return st.until.Sub(now), false
		}
	}
	if !ok {
		st = &backoffState{}
		b.users.put(user, st, b.maxKeys)
	}
	st.pending++
	return 0, true
}

// fail ends an attempt of user that failed.
func (b *Backoff) fail(user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	st, ok := b.users.get(user)
	if !ok {
		st = &backoffState{}
		b.users.put(user, st, b.maxKeys)
	} else {
		st.pending = max(st.pending-1, 0)
	}
	st.fails++
	st.last = now
	if d := delay(st.fails); d > 0 {
		st.until = now.Add(d)
	}
	b.users.touch(user)
}

// release ends an attempt of user that did not fail.
func (b *Backoff) release(user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.users.get(user); ok {
		st.pending = max(st.pending-1, 0)
		if st.pending == 0 && st.fails == 0 {
			b.users.remove(user)
		}
	}
}

// succeed forgets the failures of the users (a user may be named by a
// username and an email) and remembers that they logged in from addr.
func (b *Backoff) succeed(addr string, users ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, u := range users {
		b.users.remove(u)
		if addr != "" {
			b.known.put(u+"\x00"+addr, now, b.maxKeys)
		}
	}
}

func (b *Backoff) isKnown(user, addr string, now time.Time) bool {
	if addr == "" {
		return false
	}
	at, ok := b.known.get(user + "\x00" + addr)
	if ok && now.Sub(at) >= KnownAddressFor {
		b.known.remove(user + "\x00" + addr)
		return false
	}
	return ok
}

// lru is a map that forgets its least recently put or touched keys
// beyond a bound.
type lru[V any] struct {
	m     map[string]*list.Element // of *lruEntry[V]
	order *list.List               // front: the freshest
}

type lruEntry[V any] struct {
	key string
	v   V
}

func newLRU[V any]() lru[V] { return lru[V]{m: map[string]*list.Element{}, order: list.New()} }

func (l *lru[V]) get(k string) (V, bool) {
	e, ok := l.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	return e.Value.(*lruEntry[V]).v, true
}

func (l *lru[V]) put(k string, v V, maxKeys int) {
	if e, ok := l.m[k]; ok {
		e.Value.(*lruEntry[V]).v = v
		l.order.MoveToFront(e)
		return
	}
	for len(l.m) >= maxKeys {
		l.remove(l.order.Back().Value.(*lruEntry[V]).key)
	}
	l.m[k] = l.order.PushFront(&lruEntry[V]{key: k, v: v})
}

func (l *lru[V]) touch(k string) {
	if e, ok := l.m[k]; ok {
		l.order.MoveToFront(e)
	}
}

func (l *lru[V]) remove(k string) {
	if e, ok := l.m[k]; ok {
		delete(l.m, k)
		l.order.Remove(e)
	}
}

func (l *lru[V]) len() int { return len(l.m) }
