package service

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// requestCacheSize is how many requests the read cache keeps, and
// requestCacheWeight how many of their files, comments and events in all
// (a request weighs one more than its count of them), so that a few huge
// requests cannot fill memory; the least recently used go first.
const (
	requestCacheSize   = 256
	requestCacheWeight = 100_000
)

// requestCache keeps recently read requests and their audit events with
// the stamp they were read at. A read asks the store for the request's
// stamp (one small query) and loads the request again only when the
// stamp moved, so it never serves a stale request: every change to a
// request moves its stamp (store.Store.RequestStamp), on this node or
// any other sharing the database. Writes never read through it.
type requestCache struct {
	mu        sync.Mutex
	max       int // entries
	maxWeight int // files, comments and events of the entries, in all
	weight    int
	entries   map[string]*list.Element // of *cached
	lru       list.List                // front: most recently used
}

// cached is what the cache holds for one request at one stamp. req and
// events are never changed once cached: readers get copies.
type cached struct {
	id     string
	stamp  store.Stamp
	req    *domain.Request // nil until loaded at this stamp
	events []domain.Event  // nil until loaded at this stamp
}

// weight is what the entry counts against requestCacheWeight.
func (e *cached) weight() int {
	w := 1 + len(e.events)
	if e.req != nil {
		w += len(e.req.Files) + len(e.req.Comments)
	}
	return w
}

func newRequestCache(max, maxWeight int) *requestCache {
	return &requestCache{max: max, maxWeight: maxWeight, entries: map[string]*list.Element{}}
}

// get returns what is cached for id at stamp.
func (c *requestCache) get(id string, stamp store.Stamp) cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		return cached{}
	}
	e := el.Value.(*cached)
	if e.stamp != stamp {
		return cached{}
	}
	c.lru.MoveToFront(el)
	return *e
}

// put records the request or the events (whichever is non-nil) of id at
// stamp, replacing anything cached at another stamp.
func (c *requestCache) put(id string, stamp store.Stamp, req *domain.Request, events []domain.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		el = c.lru.PushFront(&cached{id: id, stamp: stamp})
		c.entries[id] = el
		c.weight++
	}
	e := el.Value.(*cached)
	if e.stamp != stamp {
		if stampBefore(stamp, e.stamp) {
			return // a slower reader: keep the newer state
		}
		c.weight -= e.weight()
		*e = cached{id: id, stamp: stamp}
		c.weight += e.weight()
	}
	c.lru.MoveToFront(el)
	c.weight -= e.weight()
	if req != nil {
		e.req = req
	}
	if events != nil {
		e.events = events
	}
	c.weight += e.weight()
	// Evict from the back, but never the entry just put.
	for (c.lru.Len() > c.max || c.weight > c.maxWeight) && c.lru.Len() > 1 {
		old := c.lru.Back()
		c.lru.Remove(old)
		o := old.Value.(*cached)
		c.weight -= o.weight()
		delete(c.entries, o.id)
	}
}

// stampBefore says whether a is an older state than b.
func stampBefore(a, b store.Stamp) bool {
	return a.Version < b.Version || (a.Version == b.Version && a.LastEvent < b.LastEvent)
}

// stamp reads the request's current stamp.
func (s *Service) stamp(ctx context.Context, id string) (store.Stamp, error) {
	st, err := s.store.RequestStamp(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return st, domain.Errorf(domain.ErrNotFound, "There is no release request %s.", id)
	}
	if err != nil {
		return st, fmt.Errorf("service: stamp of request %s: %w", id, err)
	}
	return st, nil
}

// readRequest returns the request as it is at stamp, from the cache or
// the store, as a copy the caller may change. The stamp is read before
// the request, so what is loaded is at least as new as the stamp says.
func (s *Service) readRequest(ctx context.Context, id string, stamp store.Stamp) (*domain.Request, error) {
	if e := s.cache.get(id, stamp); e.req != nil {
		return e.req.Clone(), nil
	}
	r, err := s.request(ctx, id)
	if err != nil {
		return nil, err
	}
	s.cache.put(id, stamp, r.Clone(), nil)
	return r, nil
}

// readEvents returns every audit event of the request as it is at stamp,
// from the cache or the store. The events' Extra maps are shared: callers
// must not change them.
func (s *Service) readEvents(ctx context.Context, id string, stamp store.Stamp) ([]domain.Event, error) {
	if e := s.cache.get(id, stamp); e.events != nil {
		return e.events, nil
	}
	events, err := s.store.Events(ctx, store.EventFilter{Request: id})
	if err != nil {
		return nil, fmt.Errorf("service: request events: %w", err)
	}
	var newest int64
	for _, e := range events {
		newest = max(newest, e.ID)
	}
	if newest == stamp.LastEvent {
		// Only events read at exactly that stamp are cached (an event may
		// have been added since the stamp was read).
		if events == nil {
			events = []domain.Event{}
		}
		s.cache.put(id, stamp, nil, events)
	}
	return events, nil
}

// userCacheTTL is how long a user read from the database is used without
// reading it again. Users change when their job-server document is
// fetched again (every 15 minutes at most, see internal/auth); this node
// sees its own changes at once (PutUser writes through), another node's
// within the TTL.
const userCacheTTL = 5 * time.Second

// userCache keeps users recently read from the database.
type userCache struct {
	mu    sync.Mutex
	users map[string]cachedUser
}

type cachedUser struct {
	user        domain.User
	lastRefresh time.Time
	readAt      time.Time
}

func (c *userCache) get(username string, now time.Time) (cachedUser, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[username]
	if !ok || now.Sub(e.readAt) >= userCacheTTL || now.Before(e.readAt) {
		return cachedUser{}, false
	}
	return e, true
}

func (c *userCache) put(e cachedUser) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil || len(c.users) >= 10000 {
		c.users = map[string]cachedUser{} // bounded: start again
	}
	c.users[e.user.Username] = e
}

// cloneUser copies u's maps, so that a cached user is never changed
// through a copy handed out.
func cloneUser(u domain.User) domain.User {
	u.Workspaces = maps.Clone(u.Workspaces)
	u.CopilotedWorkspaces = maps.Clone(u.CopilotedWorkspaces)
	return u
}
