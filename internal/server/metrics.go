package server

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Stats are the figures of the release workflow the metrics report, read
// at each scrape.
type Stats struct {
	// RequestsByStatus counts release requests per status.
	RequestsByStatus map[string]int
	// UploadBacklog counts released files not yet uploaded.
	UploadBacklog int
	// UploadFailing counts those whose uploads keep failing.
	UploadFailing int
}

// metrics holds the server's Prometheus registry and instruments.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(stats func(context.Context) (Stats, error), more ...prometheus.Collector) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "airlock_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	// Besides the Go collector's defaults (goroutines, memory statistics),
	// go_gc_heap_live_bytes: the heap the last collection found live, the
	// figure that shows a leak, where the heap in use also counts garbage
	// not yet collected.
	m.registry.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(more...)
	if stats != nil {
		m.registry.MustRegister(&workflowCollector{stats: stats})
	}
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// workflowCollector reads the workflow's figures at each scrape.
type workflowCollector struct {
	stats func(context.Context) (Stats, error)
}

var (
	requestsDesc = prometheus.NewDesc("airlock_release_requests", "Release requests by status.", []string{"status"}, nil)
	backlogDesc  = prometheus.NewDesc("airlock_upload_backlog_files", "Released files not yet uploaded.", nil, nil)
	failingDesc  = prometheus.NewDesc("airlock_upload_failing_files", "Released files whose uploads have failed more than 5 times.", nil, nil)
	statsUpDesc  = prometheus.NewDesc("airlock_stats_up", "1 if the workflow figures could be read at this scrape.", nil, nil)
)

func (c *workflowCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- backlogDesc
	ch <- failingDesc
	ch <- statsUpDesc
}

func (c *workflowCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(statsUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(statsUpDesc, prometheus.GaugeValue, 1)
	for status, n := range s.RequestsByStatus {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(n), status)
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(s.UploadBacklog))
	ch <- prometheus.MustNewConstMetric(failingDesc, prometheus.GaugeValue, float64(s.UploadFailing))
}
