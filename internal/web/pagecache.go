package web

import (
	"container/list"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/airlock-go/airlock/internal/domain"
)

// Limits of the page cache: how many pages, how many bytes in all, and
// the largest page kept.
const (
	pageCacheEntries  = 1024
	pageCacheBytes    = 32 << 20
	pageCacheMaxEntry = 1 << 20
)

// pageCache keeps rendered request pages. A request page is a function
// of the request and its audit events (named by their stamp, which every
// change moves), the viewer, and the URL, so a page rendered once is
// served again until one of those changes. Pages showing flash messages
// are neither served from it nor kept.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*list.Element // of *pageEntry
	lru     list.List                // front: most recently used
	bytes   int
}

type pageEntry struct {
	key  string
	body []byte
}

func newPageCache() *pageCache {
	return &pageCache{entries: map[string]*list.Element{}}
}

// pageKey names a page: which request state, for whom, at which URL.
func pageKey(uri string, st domain.Stamp, u domain.User) string {
	who, err := json.Marshal(u) // maps marshal in key order: stable
	if err != nil {
		who = []byte(u.Username)
	}
	return uri + "\x00" + strconv.FormatInt(st.Version, 10) + "." + strconv.FormatInt(st.LastEvent, 10) + "\x00" + string(who)
}

func (c *pageCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*pageEntry).body, true
}

// put keeps body (which must not be changed afterwards) under key.
func (c *pageCache) put(key string, body []byte) {
	if len(body) > pageCacheMaxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*pageEntry)
		c.bytes += len(body) - len(e.body)
		e.body = body
		c.lru.MoveToFront(el)
	} else {
		c.entries[key] = c.lru.PushFront(&pageEntry{key: key, body: body})
		c.bytes += len(body)
	}
	for c.lru.Len() > pageCacheEntries || c.bytes > pageCacheBytes {
		old := c.lru.Back()
		e := old.Value.(*pageEntry)
		c.lru.Remove(old)
		delete(c.entries, e.key)
		c.bytes -= len(e.body)
	}
}
