package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-go/airlock/internal/domain"
)

// Defaults of Config.
const (
	DefaultQueueSize    = 1000
	DefaultTimeout      = 10 * time.Second
	DefaultDrainTimeout = 5 * time.Second
)

// DefaultBackoff returns the default waits before each retry: 1 s, then
// 2 s (three attempts in all).
func DefaultBackoff() []time.Duration { return []time.Duration{time.Second, 2 * time.Second} }

// Config configures a Dispatcher.
type Config struct {
	// Sinks receive every notification. With none, notifications go
	// nowhere: give at least Log.
	Sinks []Sink
	// Logger logs failures; nil: slog.Default().
	Logger *slog.Logger
	// QueueSize bounds the notifications waiting to be sent to each sink;
	// when a sink's queue is full a new notification is dropped for that
	// sink (logged and counted), and still queued for the others.
	// 0: DefaultQueueSize.
	QueueSize int
	// Timeout bounds each attempt to send to a sink. 0: DefaultTimeout.
	Timeout time.Duration
	// Backoff is the wait before each retry; its length is the number of
	// retries. nil: DefaultBackoff(); an empty non-nil slice: no retries.
	Backoff []time.Duration
	// DrainTimeout bounds the sending of what is still queued once Run's
	// context ends. 0: DefaultDrainTimeout.
	DrainTimeout time.Duration
}

// Dispatcher is the service's Notifier: Notify queues a notification for
// every sink and returns at once; Run sends each sink's queue to it. Each
// sink has its own queue and sender, so a sink that hangs or fails (a
// webhook that never answers) delays and drops only its own
// notifications, never another sink's, and never the caller. It is safe
// for concurrent use.
type Dispatcher struct {
	lanes   []*lane
	log     *slog.Logger
	timeout time.Duration
	backoff []time.Duration
	drain   time.Duration

	mu      sync.Mutex
	stopped bool            // Run has ended: nothing more is sent
	pending int             // notifications queued or being sent, over all sinks
	idle    []chan struct{} // closed when pending drops to 0

	sent, failed *prometheus.CounterVec
	dropped      prometheus.Counter
	queued       prometheus.GaugeFunc
}

// lane is one sink and the notifications waiting for it.
type lane struct {
	sink  Sink
	queue chan item
}

// item is a queued notification, with the context of its Notify call
// (for the values the logs use, such as the HTTP request id; not for its
// deadline: the action that sent it has ended).
type item struct {
	ctx context.Context
	n   domain.Notification
}

// NewDispatcher builds a Dispatcher; call Run to start sending.
func NewDispatcher(cfg Config) *Dispatcher {
	d := &Dispatcher{
		log:     cfg.Logger,
		timeout: cfg.Timeout,
		backoff: slices.Clone(cfg.Backoff),
		drain:   cfg.DrainTimeout,
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.timeout <= 0 {
		d.timeout = DefaultTimeout
	}
	if d.backoff == nil {
		d.backoff = DefaultBackoff()
	}
	if d.drain <= 0 {
		d.drain = DefaultDrainTimeout
	}
	size := cfg.QueueSize
	if size <= 0 {
		size = DefaultQueueSize
	}
	for _, s := range cfg.Sinks {
		d.lanes = append(d.lanes, &lane{sink: s, queue: make(chan item, size)})
	}
	d.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "airlock_notifications_sent_total", Help: "Notifications delivered, by sink.",
	}, []string{"sink"})
	d.failed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "airlock_notifications_failed_total", Help: "Notifications given up on after retries, by sink.",
	}, []string{"sink"})
	d.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "airlock_notifications_dropped_total",
		Help: "Notifications dropped for a sink before it was tried: the sink's queue full, or the dispatcher stopped.",
	})
	d.queued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "airlock_notifications_queued", Help: "Notifications waiting to be sent, over all sinks.",
	}, func() float64 {
		n := 0
		for _, l := range d.lanes {
			n += len(l.queue)
		}
		return float64(n)
	})
	for _, l := range d.lanes {
		// Show every sink from the start, at 0.
		d.sent.WithLabelValues(l.sink.Name())
		d.failed.WithLabelValues(l.sink.Name())
	}
	return d
}

// Collectors returns the Dispatcher's metrics, for the server's registry:
// airlock_notifications_sent_total{sink},
// airlock_notifications_failed_total{sink},
// airlock_notifications_dropped_total and airlock_notifications_queued.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{d.sent, d.failed, d.dropped, d.queued}
}

// Notify queues n for every sink and returns at once. When a sink's queue
// is full, or Run has ended, n is dropped for that sink: logged and
// counted, never an error for the caller.
func (d *Dispatcher) Notify(ctx context.Context, n domain.Notification) {
	it := item{ctx: context.WithoutCancel(ctx), n: n}
	type drop struct{ sink, reason string }
	var drops []drop
	d.mu.Lock()
	for _, l := range d.lanes {
		if d.stopped {
			drops = append(drops, drop{l.sink.Name(), "the dispatcher has stopped"})
			continue
		}
		select {
		case l.queue <- it:
			d.pending++
		default:
			drops = append(drops, drop{l.sink.Name(), "the queue is full"})
		}
	}
	d.mu.Unlock()
	for _, dr := range drops {
		d.dropped.Inc()
		d.log.ErrorContext(ctx, "notification dropped", "reason", dr.reason, "sink", dr.sink,
			"event_type", n.EventType, "request", n.Request, "workspace", n.Workspace)
	}
}

// Run sends queued notifications, each sink's in order, until ctx ends,
// then sends what is still queued and returns. Once ctx ends, sending
// (what is in flight and what is queued) has the drain timeout left; what
// it cannot send then is counted as failed. Notifications given to Notify
// after ctx ends are dropped. Call Run once.
func (d *Dispatcher) Run(ctx context.Context) {
	// life ends the sends: the drain timeout after ctx ends.
	life, endLife := context.WithCancel(context.WithoutCancel(ctx))
	defer endLife()
	stopWatch := context.AfterFunc(ctx, func() { time.AfterFunc(d.drain, endLife) })
	defer stopWatch()

	var wg sync.WaitGroup
	for _, l := range d.lanes {
		wg.Go(func() { d.runLane(ctx, life, l) })
	}
	wg.Wait()
}

// runLane sends one sink's queue until ctx ends, then what is left in it.
func (d *Dispatcher) runLane(ctx, life context.Context, l *lane) {
	for {
		select {
		case it := <-l.queue:
			d.send(life, l.sink, it)
		case <-ctx.Done():
			d.mu.Lock()
			d.stopped = true // no more items: the queues only empty from here
			d.mu.Unlock()
			for {
				select {
				case it := <-l.queue:
					d.send(life, l.sink, it)
				default:
					return
				}
			}
		}
	}
}

// Flush waits until every notification queued so far has been sent or
// given up on, or ctx ends. It is for tests, and needs Run to be running.
func (d *Dispatcher) Flush(ctx context.Context) error {
	d.mu.Lock()
	if d.pending == 0 {
		d.mu.Unlock()
		return nil
	}
	idle := make(chan struct{})
	d.idle = append(d.idle, idle)
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush notifications: %w", ctx.Err())
	}
}

// done marks one item handled.
func (d *Dispatcher) done() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending--
	if d.pending == 0 {
		for _, ch := range d.idle {
			close(ch)
		}
		d.idle = nil
	}
}

// send delivers an item to a sink. life ends the attempts early
// (shutdown).
func (d *Dispatcher) send(life context.Context, s Sink, it item) {
	defer d.done()
	d.sendTo(life, s, it)
}

// sendTo delivers an item to one sink, retrying after the back-off
// delays, then gives up: failures are logged and counted.
func (d *Dispatcher) sendTo(life context.Context, s Sink, it item) {
	var err error
	attempts := 0
	for life.Err() == nil {
		attempts++
		err = d.attempt(life, s, it)
		if err == nil {
			d.sent.WithLabelValues(s.Name()).Inc()
			return
		}
		if errors.Is(err, ErrPermanent) || attempts > len(d.backoff) || life.Err() != nil {
			break
		}
		wait := d.backoff[attempts-1]
		d.log.WarnContext(it.ctx, "notification failed, will retry", "sink", s.Name(), "event_type", it.n.EventType,
			"request", it.n.Request, "attempt", attempts, "retry_in", wait, "err", err)
		if !sleep(life, wait) {
			break
		}
	}
	if err == nil {
		err = errors.New("not sent: the dispatcher stopped and its drain timeout is over")
	}
	d.failed.WithLabelValues(s.Name()).Inc()
	d.log.ErrorContext(it.ctx, "notification failed", "sink", s.Name(), "event_type", it.n.EventType,
		"request", it.n.Request, "workspace", it.n.Workspace, "attempts", attempts, "err", err)
}

// attempt sends once, within the timeout, and ends early if life ends.
// The context keeps the values of the Notify call.
func (d *Dispatcher) attempt(life context.Context, s Sink, it item) error {
	ctx, cancel := context.WithTimeout(it.ctx, d.timeout)
	defer cancel()
	stop := context.AfterFunc(life, cancel)
	defer stop()
	if err := s.Send(ctx, it.n); err != nil {
		return fmt.Errorf("%s: %w", s.Name(), err)
	}
	return nil
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Settings are the configuration a server has for notifications.
type Settings struct {
	APIEndpoint string // AIRLOCK_API_ENDPOINT
	APIToken    string // AIRLOCK_API_TOKEN; empty: notifications are only logged
	Org, Repo   string // AIRLOCK_OUTPUT_CHECKING_ORG/REPO, both or neither
	WebhookURL  string // AIRLOCK_WEBHOOK_URL, optional
	Client      *http.Client
	Logger      *slog.Logger // for the Log sink
}

// SinksFor returns the sinks of a configuration: job-server when there is
// an API token, else Log; and the webhook when there is a URL.
func SinksFor(s Settings) ([]Sink, error) {
	if err := checkOrgRepo(s.Org, s.Repo); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	var sinks []Sink
	if s.APIToken != "" {
		js, err := NewJobServer(JobServerConfig{
			Endpoint: s.APIEndpoint, Token: s.APIToken, Org: s.Org, Repo: s.Repo, Client: s.Client,
		})
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, js)
	} else {
		sinks = append(sinks, Log{Logger: s.Logger})
	}
	if s.WebhookURL != "" {
		wh, err := NewWebhook(WebhookConfig{URL: s.WebhookURL, Org: s.Org, Repo: s.Repo, Client: s.Client})
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, wh)
	}
	return sinks, nil
}
