package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/airlock-go/airlock/internal/domain"
)

// Sessions live in the database (SessionStore), are named by the
// airlock-sessionid cookie, and end after 8 weeks without use (as OpenSAFELY Airlock's)
// or a year after they began. They hold the logged-in username, flash
// messages, and whatever pages keep per person (h.sessions.Put/Get*).
const (
	cookieName  = "airlock-sessionid"
	idleTimeout = 8 * 7 * 24 * time.Hour
	lifetime    = 365 * 24 * time.Hour
	// renewEvery is how often a session in use has its expiry moved on in
	// the database. In between, a request that changes nothing in its
	// session writes nothing.
	renewEvery = time.Hour
)

// Session keys.
const (
	sessionUser    = "user"    // string: the logged-in username
	sessionFlashes = "flashes" // []Flash: messages for the next page shown
	sessionRenewed = "renewed" // int64: when the expiry was last moved on (Unix seconds)
)

// newSessionManager keeps sessions in st.
func newSessionManager(st SessionStore) *scs.SessionManager {
	sm := scs.New()
	sm.Store = sessionStore{st: st}
	sm.Codec = sessionCodec{}
	sm.IdleTimeout = idleTimeout
	sm.Lifetime = lifetime
	// The database holds sha256(token), so that reading it gives no one a
	// session.
	sm.HashTokenInStore = true
	// The cookie is written by withSession, not by scs; these settings
	// are scs's defaults, stated for the reader.
	sm.Cookie.Name = cookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	return sm
}

// withSession loads the session named by the request's cookie (a new,
// empty one when there is none) and, before the answer's first byte,
// saves it if it changed and sets the cookie. It is scs's LoadAndSave,
// with a cookie that is Secure over TLS (or always, by configuration) and
// without a database write on every request.
func (h *Handler) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Cookie")
		memo := &sessionMemo{}
		ctx := context.WithValue(r.Context(), memoKey{}, memo)
		var token string
		if c, err := r.Cookie(cookieName); err == nil {
			token = c.Value
		}
		sctx, err := h.sessions.Load(ctx, token)
		if err != nil && !errors.Is(err, errSessionStore) {
			// Data that no longer decodes: start afresh.
			h.log.WarnContext(ctx, "unreadable session replaced by a new one", "err", err)
			sctx, err = h.sessions.Load(ctx, "")
		}
		if err != nil {
			h.fail(w, r, fmt.Errorf("web: load session: %w", err))
			return
		}
		sctx = context.WithValue(sctx, sessionLoadedKey{}, true)
		r = r.WithContext(sctx)
		if len(h.sessions.Keys(sctx)) > 0 {
			now := h.now()
			if last := time.Unix(h.sessions.GetInt64(sctx, sessionRenewed), 0); now.Sub(last) >= renewEvery {
				h.sessions.Put(sctx, sessionRenewed, now.Unix())
			}
		}
		sw := &sessionWriter{ResponseWriter: w, save: func() { h.saveSession(w, r, memo) }}
		next.ServeHTTP(sw, r)
		sw.saveOnce()
	})
}

// sessionLoadedKey marks a context that has a session (scs panics when
// asked for one that is not there).
type sessionLoadedKey struct{}

func hasSession(ctx context.Context) bool {
	ok, _ := ctx.Value(sessionLoadedKey{}).(bool)
	return ok
}

// saveSession stores the session if it changed and sets or clears the
// cookie accordingly.
func (h *Handler) saveSession(w http.ResponseWriter, r *http.Request, memo *sessionMemo) {
	ctx := r.Context()
	switch h.sessions.Status(ctx) {
	case scs.Modified:
		token, expiry, err := h.sessions.Commit(ctx)
		if err != nil {
			// The answer is on its way: all that can be done is to log.
			h.log.ErrorContext(ctx, "saving the session failed", "err", err)
			return
		}
		if memo.saved {
			h.setCookie(w, r, token, expiry)
		}
	case scs.Destroyed:
		h.setCookie(w, r, "", time.Time{})
	}
}

// setCookie sets the session cookie, or clears it when token is "".
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, token string, expiry time.Time) {
	c := &http.Cookie{
		Name: cookieName, Value: token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.isSecure(r),
	}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expiry.UTC()
		c.MaxAge = max(int(time.Until(expiry).Seconds()), 1)
	}
	http.SetCookie(w, c)
}

// sessionWriter saves the session just before the first byte of the
// answer goes out (headers included).
type sessionWriter struct {
	http.ResponseWriter
	save  func()
	saved bool
}

func (s *sessionWriter) saveOnce() {
	if !s.saved {
		s.saved = true
		s.save()
	}
}

func (s *sessionWriter) WriteHeader(code int) {
	s.saveOnce()
	s.ResponseWriter.WriteHeader(code)
}

func (s *sessionWriter) Write(b []byte) (int, error) {
	s.saveOnce()
	return s.ResponseWriter.Write(b)
}

func (s *sessionWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// startSession logs u in: a new session token (so that a token planted
// before login is worthless) holding their username.
func (h *Handler) startSession(ctx context.Context, u domain.User) error {
	if err := h.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("web: renew session: %w", err)
	}
	h.sessions.Put(ctx, sessionUser, u.Username)
	h.sessions.Put(ctx, sessionRenewed, h.now().Unix())
	return nil
}

// endSession logs out: the session is emptied and gets a new token.
func (h *Handler) endSession(ctx context.Context) error {
	if err := h.sessions.Clear(ctx); err != nil {
		return fmt.Errorf("web: clear session: %w", err)
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("web: renew session: %w", err)
	}
	return nil
}

// Flash is a message shown once, on the next page rendered.
type Flash struct {
	Kind    string // FlashSuccess, FlashError, FlashInfo or FlashWarning
	Message string
}

// The kinds of flash message; each has its style (.flash-<kind>).
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
	FlashWarning = "warning"
)

// flash adds a message for the next page rendered in this session.
func (h *Handler) flash(r *http.Request, kind, message string) {
	ctx := r.Context()
	if !hasSession(ctx) {
		h.log.WarnContext(ctx, "flash message without a session dropped", "message", message)
		return
	}
	list, _ := h.sessions.Get(ctx, sessionFlashes).([]Flash)
	h.sessions.Put(ctx, sessionFlashes, append(list, Flash{Kind: kind, Message: message}))
}

// hasFlashes says whether messages are waiting to be shown.
func (h *Handler) hasFlashes(ctx context.Context) bool {
	return hasSession(ctx) && h.sessions.Exists(ctx, sessionFlashes)
}

// popFlashes takes the messages waiting to be shown.
func (h *Handler) popFlashes(ctx context.Context) []Flash {
	if !hasSession(ctx) || !h.sessions.Exists(ctx, sessionFlashes) {
		return nil
	}
	list, _ := h.sessions.Pop(ctx, sessionFlashes).([]Flash)
	return list
}

// errSessionStore marks failures of the session store (as opposed to
// session data that does not decode).
var errSessionStore = errors.New("session store")

// sessionStore adapts a SessionStore (the database) to scs.CtxStore.
//
// Within a request handled by withSession it also skips writes that
// would change nothing: scs saves a session on every request to move its
// idle expiry on, but the data only changes when a page changes it or
// withSession renews it (hourly), and only then is the session written.
type sessionStore struct{ st SessionStore }

var _ scs.CtxStore = sessionStore{}

// sessionMemo remembers, for one request, the session data as read from
// or last written to the store, and whether the last commit wrote.
type sessionMemo struct {
	token string
	data  []byte
	saved bool
}

type memoKey struct{}

func memoFrom(ctx context.Context) *sessionMemo {
	m, _ := ctx.Value(memoKey{}).(*sessionMemo)
	return m
}

func (s sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, found, err := s.st.SessionFind(ctx, token)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", errSessionStore, err)
	}
	if m := memoFrom(ctx); m != nil && found {
		m.token, m.data = token, b
	}
	return b, found, nil
}

func (s sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	m := memoFrom(ctx)
	if m != nil && m.token == token && bytes.Equal(m.data, b) {
		m.saved = false
		return nil
	}
	if err := s.st.SessionCommit(ctx, token, b, expiry); err != nil {
		return fmt.Errorf("%w: %w", errSessionStore, err)
	}
	if m != nil {
		m.token, m.data, m.saved = token, b, true
	}
	return nil
}

func (s sessionStore) DeleteCtx(ctx context.Context, token string) error {
	if err := s.st.SessionDelete(ctx, token); err != nil {
		return fmt.Errorf("%w: %w", errSessionStore, err)
	}
	if m := memoFrom(ctx); m != nil && m.token == token {
		*m = sessionMemo{}
	}
	return nil
}

func (s sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s sessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// sessionCodec encodes session data as JSON in key order: the same data
// always gives the same bytes, which is what lets sessionStore skip
// writes that change nothing. Each value says its type, so that values
// come back as they went in; the types are those the pages keep (string,
// int64, bool, []Flash), and any other is refused when it is put.
type sessionCodec struct{}

type encodedSession struct {
	Deadline time.Time      `json:"deadline"`
	Values   []sessionValue `json:"values"`
}

type sessionValue struct {
	Key     string  `json:"k"`
	String  *string `json:"s,omitempty"`
	Int     *int64  `json:"i,omitempty"`
	Bool    *bool   `json:"b,omitempty"`
	Flashes []Flash `json:"f,omitempty"`
	IsFlash bool    `json:"fl,omitempty"` // Flashes is set (it may be empty)
}

func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	e := encodedSession{Deadline: deadline, Values: make([]sessionValue, 0, len(values))}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		sv := sessionValue{Key: k}
		switch v := values[k].(type) {
		case string:
			sv.String = &v
		case int64:
			sv.Int = &v
		case bool:
			sv.Bool = &v
		case []Flash:
			sv.Flashes, sv.IsFlash = v, true
		default:
			return nil, fmt.Errorf("web: encode session: value %q is a %T, which sessions do not keep", k, v)
		}
		e.Values = append(e.Values, sv)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("web: encode session: %w", err)
	}
	return b, nil
}

func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	var e encodedSession
	if err := json.Unmarshal(b, &e); err != nil {
		return time.Time{}, nil, fmt.Errorf("web: decode session: %w", err)
	}
	values := make(map[string]any, len(e.Values))
	for _, v := range e.Values {
		switch {
		case v.String != nil:
			values[v.Key] = *v.String
		case v.Int != nil:
			values[v.Key] = *v.Int
		case v.Bool != nil:
			values[v.Key] = *v.Bool
		case v.IsFlash:
			values[v.Key] = v.Flashes
		default:
			return time.Time{}, nil, fmt.Errorf("web: decode session: value %q has no type", v.Key)
		}
	}
	return e.Deadline, values, nil
}
