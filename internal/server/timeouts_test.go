package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The bounds below are generous: they only tell a connection cut off by
// a timeout (tens of milliseconds here) from one held open for ever.
const cutOffBound = 10 * time.Second

// smallBuffers makes every accepted connection's send buffer small, so
// that a server writing faster than its client reads blocks soon (rather
// than after megabytes of kernel buffers).
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(32 << 10)
	}
	return c, err
}

// serveTimeouts serves h as Run does, with timeouts t, and returns its
// address.
func serveTimeouts(t *testing.T, to Timeouts, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeouts: to}, h)
	go srv.Serve(smallBuffers{ln})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialSmall connects with a small receive buffer.
func dialSmall(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := c.(*net.TCPConn)
	tc.SetReadBuffer(32 << 10)
	t.Cleanup(func() { tc.Close() })
	return tc
}

// waitClosed reads from c until the server closes it (or the bound
// passes, which fails the test).
func waitClosed(t *testing.T, c net.Conn, r io.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(cutOffBound))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v", cutOffBound)
	}
}

func TestReadTimeoutCutsATrickledBody(t *testing.T) {
	got := make(chan error, 1)
	addr := serveTimeouts(t, Timeouts{Read: 300 * time.Millisecond}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
		if err != nil {
			http.Error(w, "body not read", http.StatusBadRequest)
		}
	}))
	c := dialSmall(t, addr)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: airlock\r\nContent-Length: 1000\r\n\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	select {
	case err := <-got:
		if err == nil {
			t.Fatal("the trickled body was read whole")
		}
	case <-time.After(cutOffBound):
		t.Fatalf("a body trickled a byte every 20ms was still being read after %v", cutOffBound)
	}
	waitClosed(t, c, c)
}

func TestIdleKeepAliveIsClosed(t *testing.T) {
	addr := serveTimeouts(t, Timeouts{Idle: 300 * time.Millisecond}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	c := dialSmall(t, addr)
	br := bufio.NewReader(c)
	for i := range 2 { // the connection is kept alive between requests
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: airlock\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" || resp.Close {
			t.Fatalf("request %d: %q, close %v", i, body, resp.Close)
		}
	}
	waitClosed(t, c, br)
}

// download serves size bytes by http.ServeContent (as the file
// downloads do) and reports how its copy ended.
func download(size int, done chan<- error) http.Handler {
	content := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countWriter{ResponseWriter: w}
		http.ServeContent(cw, r, "big.bin", time.Time{}, bytes.NewReader(content))
		if cw.n != int64(len(content)) {
			done <- fmt.Errorf("wrote %d of %d bytes: %w", cw.n, len(content), cw.err)
			return
		}
		done <- nil
	})
}

type countWriter struct {
	http.ResponseWriter
	n   int64
	err error
}

func (w *countWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	if err != nil {
		w.err = err
	}
	return n, err
}

func TestSlowDownloadOutlastsTheWriteTimeout(t *testing.T) {
	const size = 4 << 20
	done := make(chan error, 1)
	write := 300 * time.Millisecond
	addr := serveTimeouts(t, Timeouts{Write: write}, download(size, done))
	c := dialSmall(t, addr)
	fmt.Fprintf(c, "GET /big.bin HTTP/1.1\r\nHost: airlock\r\n\r\n")
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A reader far slower than the server: 64 KiB every 20ms, about
	// 1.3 s for the whole, several times the write timeout.
	var n int64
	buf := make([]byte, 64<<10)
	for {
		m, err := io.ReadFull(resp.Body, buf)
		n += int64(m)
		if err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	if n != size {
		t.Fatalf("read %d of %d bytes in %v", n, size, took)
	}
	if took < 2*write {
		t.Fatalf("the download took %v, not longer than the write timeout: the test proves nothing", took)
	}
	if err := <-done; err != nil {
		t.Fatalf("the server's copy: %v", err)
	}
	t.Logf("%d bytes in %v with a write timeout of %v", n, took, write)
}

func TestStalledDownloadIsCut(t *testing.T) {
	done := make(chan error, 1)
	addr := serveTimeouts(t, Timeouts{Write: 300 * time.Millisecond}, download(16<<20, done))
	c := dialSmall(t, addr)
	fmt.Fprintf(c, "GET /big.bin HTTP/1.1\r\nHost: airlock\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<10)); err != nil {
		t.Fatal(err)
	}
	// The client reads no more.
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "wrote") {
			t.Fatalf("the server's copy ended with %v, want cut off", err)
		}
	case <-time.After(cutOffBound):
		t.Fatalf("the server was still writing to a stalled reader after %v", cutOffBound)
	}
}
