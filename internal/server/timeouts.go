package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts bound how long a client may hold a connection. A zero field
// takes its default.
type Timeouts struct {
	// Read is the longest a client may take to send a request, headers and
	// body (the headers alone get at most DefaultReadHeaderTimeout). A
	// body trickled byte by byte is cut off after it.
	Read time.Duration
	// Write is the longest an answer may go without progress: the write
	// deadline is moved on each time the handler writes, so a large
	// download that keeps moving runs as long as it needs, and one whose
	// reader has stopped reading is cut off after Write. A handler that
	// computes for a long time before writing is not cut off either.
	Write time.Duration
	// Idle is how long a kept-alive connection may wait for its next
	// request.
	Idle time.Duration
}

// The default timeouts.
const (
	DefaultReadTimeout       = 30 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultWriteTimeout      = time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Read <= 0 {
		t.Read = DefaultReadTimeout
	}
	if t.Write <= 0 {
		t.Write = DefaultWriteTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	return t
}

// newHTTPServer is the http.Server that Run serves handler with: bounded
// in time as cfg.Timeouts says.
func newHTTPServer(cfg Config, handler http.Handler) *http.Server {
	t := cfg.Timeouts.withDefaults()
	return &http.Server{
		Handler:           progressDeadline(handler, t.Write),
		ReadHeaderTimeout: min(t.Read, DefaultReadHeaderTimeout),
		ReadTimeout:       t.Read,
		// The deadline of everything written outside a handler (the
		// server's own answers to malformed requests); progressDeadline
		// moves it on while a handler writes.
		WriteTimeout: t.Write,
		IdleTimeout:  t.Idle,
		ErrorLog:     slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// progressDeadline makes d the longest any write of an answer may take:
// before each write (and flush) the connection's write deadline is moved
// to d from now. An answer that keeps moving is never cut off, however
// long it takes in all; one whose client has stopped reading fails after
// d, and its handler returns.
func progressDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pw := &progressWriter{ResponseWriter: w, rc: http.NewResponseController(w), d: d}
		next.ServeHTTP(pw, r)
	})
}

// progressWriter moves the write deadline on as the answer is written.
type progressWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
	// moved is when the deadline was last moved on: it is moved at most
	// every d/16, so that it is always at least 15/16 of d away.
	moved time.Time
}

func (w *progressWriter) extend() {
	now := time.Now()
	if now.Sub(w.moved) < w.d/16 {
		return
	}
	// A writer that cannot set deadlines (a test recorder) keeps the
	// server's fixed one.
	if err := w.rc.SetWriteDeadline(now.Add(w.d)); err == nil {
		w.moved = now
	}
}

func (w *progressWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *progressWriter) Write(b []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(b)
}

// FlushError flushes the answer, as http.ResponseController.Flush does.
func (w *progressWriter) FlushError() error {
	w.extend()
	return w.rc.Flush()
}

// Flush implements http.Flusher.
func (w *progressWriter) Flush() { _ = w.FlushError() }

func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
