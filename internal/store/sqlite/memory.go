package sqlite

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite counts the memory it allocates only when its memory statistics
// are on, and the driver builds it with them off
// (SQLITE_DEFAULT_MEMSTATUS=0). Without them sqlite3_memory_used reads 0
// and the soft heap limit does nothing: the heap is never "nearly full",
// so nothing makes the page caches give pages back. memStatus turns them
// on, once per process, before SQLite is first initialised (the first
// connection opened), which is the only moment SQLite accepts it.
var memStatus struct {
	once sync.Once
	err  error
}

// enableMemStatus turns SQLite's memory statistics on if no connection
// has been opened in this process yet. It returns why it could not (a
// connection was opened before, by code other than this package).
func enableMemStatus() error {
	memStatus.once.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		args := tls.Alloc(8)
		defer tls.Free(8)
		rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_MEMSTATUS, libc.VaList(args, int32(1)))
		if rc != sqlite3.SQLITE_OK {
			memStatus.err = fmt.Errorf("sqlite: turn memory statistics on: code %d (SQLite was initialised before)", rc)
		}
	})
	return memStatus.err
}

// Memory is what SQLite holds in this process, across all its
// connections, from its own counters (sqlite3_status64).
type Memory struct {
	// Used is the memory SQLite has allocated and not freed
	// (sqlite3_memory_used), and UsedMax the most it has had at once.
	Used, UsedMax int64
	// PageCache is the part of Used that is page caches, and
	// PageCacheMax the most it has been.
	PageCache, PageCacheMax int64
}

// ReadMemory reads SQLite's memory counters. It fails when SQLite's
// memory statistics are off (see enableMemStatus).
func ReadMemory() (Memory, error) {
	if err := enableMemStatus(); err != nil {
		return Memory{}, err
	}
	tls := libc.NewTLS()
	defer tls.Close()
	// SQLite writes the two figures into out, which stays put (pinned)
	// while it does.
	out := new([2]int64)
	var pin runtime.Pinner
	pin.Pin(out)
	defer pin.Unpin()
	read := func(op int32) (cur, high int64, err error) {
		rc := sqlite3.Xsqlite3_status64(tls, op, uintptr(unsafe.Pointer(&out[0])), uintptr(unsafe.Pointer(&out[1])), 0)
		if rc != sqlite3.SQLITE_OK {
			return 0, 0, fmt.Errorf("sqlite: status %d: code %d", op, rc)
		}
		return out[0], out[1], nil
	}
	var m Memory
	var err error
	if m.Used, m.UsedMax, err = read(sqlite3.SQLITE_STATUS_MEMORY_USED); err != nil {
		return Memory{}, err
	}
	if m.PageCache, m.PageCacheMax, err = read(sqlite3.SQLITE_STATUS_PAGECACHE_OVERFLOW); err != nil {
		return Memory{}, err
	}
	return m, nil
}

// Collectors are the store's metrics: what SQLite holds in memory, read
// at each scrape.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{memoryCollector{}}
}

var (
	memUsedDesc = prometheus.NewDesc("airlock_sqlite_memory_bytes",
		"Memory SQLite holds (sqlite3_memory_used): page caches, schemas, prepared statements.", nil, nil)
	memMaxDesc = prometheus.NewDesc("airlock_sqlite_memory_max_bytes",
		"The most memory SQLite has held at once since the process started.", nil, nil)
	pageCacheDesc = prometheus.NewDesc("airlock_sqlite_page_cache_bytes",
		"The part of airlock_sqlite_memory_bytes that is page caches, all connections together.", nil, nil)
)

type memoryCollector struct{}

func (memoryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- memUsedDesc
	ch <- memMaxDesc
	ch <- pageCacheDesc
}

func (memoryCollector) Collect(ch chan<- prometheus.Metric) {
	m, err := ReadMemory()
	if err != nil {
		return // SQLite was initialised by other code: nothing to report
	}
	ch <- prometheus.MustNewConstMetric(memUsedDesc, prometheus.GaugeValue, float64(m.Used))
	ch <- prometheus.MustNewConstMetric(memMaxDesc, prometheus.GaugeValue, float64(m.UsedMax))
	ch <- prometheus.MustNewConstMetric(pageCacheDesc, prometheus.GaugeValue, float64(m.PageCache))
}
