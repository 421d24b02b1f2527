package sqlite

import (
	"encoding/binary"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// PageCaches is what SQLite's page caches hold in this process, all
// connections together, from SQLite's own counter
// (sqlite3_status64(SQLITE_STATUS_PAGECACHE_OVERFLOW): with no page
// cache buffer configured, every page is allocated on the heap and
// counted there). The driver builds SQLite without its other memory
// statistics (SQLITE_DEFAULT_MEMSTATUS=0), so sqlite3_memory_used reads
// 0 and PRAGMA soft_heap_limit has no effect; cache_size (see dsn) is
// what bounds the caches.
type PageCaches struct {
	Bytes    int64 // held now
	MaxBytes int64 // the most held at once since the process started
}

// ReadPageCaches reads SQLite's count of its page caches.
func ReadPageCaches() (PageCaches, error) {
	tls := libc.NewTLS()
	defer tls.Close()
	// SQLite writes the two figures into memory of its own C library
	// (a Go pointer handed to it fails the race detector's pointer checks).
	out := tls.Alloc(16)
	defer tls.Free(16)
	rc := sqlite3.Xsqlite3_status64(tls, sqlite3.SQLITE_STATUS_PAGECACHE_OVERFLOW, out, out+8, 0)
	if rc != sqlite3.SQLITE_OK {
		return PageCaches{}, fmt.Errorf("sqlite: read the page caches' size: code %d", rc)
	}
	b := libc.GoBytes(out, 16)
	return PageCaches{
		Bytes:    int64(binary.NativeEndian.Uint64(b[:8])),
		MaxBytes: int64(binary.NativeEndian.Uint64(b[8:])),
	}, nil
}

// Collectors are the store's metrics: what SQLite's page caches hold,
// read at each scrape.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{pageCacheCollector{}}
}

var (
	pageCacheDesc = prometheus.NewDesc("airlock_sqlite_page_cache_bytes",
		"Memory SQLite's page caches hold, all connections together (at most cache_size each).", nil, nil)
	pageCacheMaxDesc = prometheus.NewDesc("airlock_sqlite_page_cache_max_bytes",
		"The most memory SQLite's page caches have held at once since the process started.", nil, nil)
)

type pageCacheCollector struct{}

func (pageCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pageCacheDesc
	ch <- pageCacheMaxDesc
}

func (pageCacheCollector) Collect(ch chan<- prometheus.Metric) {
	pc, err := ReadPageCaches()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pageCacheDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(pageCacheDesc, prometheus.GaugeValue, float64(pc.Bytes))
	ch <- prometheus.MustNewConstMetric(pageCacheMaxDesc, prometheus.GaugeValue, float64(pc.MaxBytes))
}
