package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/render"
	"github.com/airlock-go/airlock/internal/service"
)

func (a *API) listRequests(w http.ResponseWriter, r *http.Request, u domain.User) error {
	q := r.URL.Query()
	f := service.RequestFilter{Workspace: q.Get("workspace"), Author: q.Get("author")}
	for _, s := range q["status"] {
		st, err := domain.ParseStatus(s)
		if err != nil {
			return err
		}
		f.Statuses = append(f.Statuses, st)
	}
	if v := q.Get("review"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return domain.Errorf(domain.ErrInvalidInput, "review must be true or false, not %q", v)
		}
		f.Reviewable = b
	}
	list, err := a.svc.ListRequests(r.Context(), u, f)
	if err != nil {
		return err
	}
	out := requestsAnswer{Requests: make([]requestDoc, 0, len(list))}
	for i := range list {
		out.Requests = append(out.Requests, requestSummary(&list[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getRequest(w http.ResponseWriter, r *http.Request, u domain.User) error {
	req, err := a.svc.GetRequest(r.Context(), u, r.PathValue("id"))
	if err != nil {
		return err
	}
	doc := requestDocument(req, u)
	versions, err := a.svc.RequestVersions(r.Context(), u, req)
	if err != nil {
		return err
	}
	addVersions(&doc, versions)
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (a *API) editGroup(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body groupBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Context == nil || body.Controls == nil {
		return domain.Errorf(domain.ErrInvalidInput, "send both context and controls")
	}
	group := r.PathValue("group")
	req, _, err := a.svc.EditGroup(r.Context(), u, r.PathValue("id"), group, *body.Context, *body.Controls)
	if err != nil {
		return err
	}
	g, _ := req.Group(group)
	writeJSON(w, http.StatusOK, groupDocument(req, *g, u))
	return nil
}

func (a *API) createComment(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body commentBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	var vis domain.Visibility
	if body.Visibility != "" {
		var err error
		if vis, err = domain.ParseVisibility(body.Visibility); err != nil {
			return err
		}
	}
	c, err := a.svc.CreateComment(r.Context(), u, r.PathValue("id"), r.PathValue("group"), body.Text, vis)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, commentDocument(c))
	return nil
}

func commentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("cid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.Errorf(domain.ErrNotFound, "no comment %q", r.PathValue("cid"))
	}
	return id, nil
}

func (a *API) deleteComment(w http.ResponseWriter, r *http.Request, u domain.User) error {
	id, err := commentID(r)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteComment(r.Context(), u, r.PathValue("id"), r.PathValue("group"), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) publishComment(w http.ResponseWriter, r *http.Request, u domain.User) error {
	id, err := commentID(r)
	if err != nil {
		return err
	}
	c, err := a.svc.PublishComment(r.Context(), u, r.PathValue("id"), r.PathValue("group"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, commentDocument(c))
	return nil
}

// bulk runs a group-wide vote action.
func (a *API) bulk(w http.ResponseWriter, r *http.Request, u domain.User,
	fn func(context.Context, domain.User, string, string) (*domain.Request, service.BulkResult, error)) error {
	req, res, err := fn(r.Context(), u, r.PathValue("id"), r.PathValue("group"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, bulkAnswer{Changed: res.Changed, Unchanged: res.Unchanged, Request: requestDocument(req, u)})
	return nil
}

func (a *API) requestChangesOnGroup(w http.ResponseWriter, r *http.Request, u domain.User) error {
	return a.bulk(w, r, u, a.svc.RequestChangesOnGroup)
}

func (a *API) resetVotesOnGroup(w http.ResponseWriter, r *http.Request, u domain.User) error {
	return a.bulk(w, r, u, a.svc.ResetVotesOnGroup)
}

func (a *API) withdrawFiles(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body pathsBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	req, err := a.svc.WithdrawFiles(r.Context(), u, r.PathValue("id"), body.Paths)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestDocument(req, u))
	return nil
}

func (a *API) overrideChecks(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body overrideBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Path == "" {
		return domain.Errorf(domain.ErrInvalidInput, "say which file: \"path\" is required")
	}
	req, err := a.svc.OverrideChecks(r.Context(), u, r.PathValue("id"), body.Path, body.Justification)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestDocument(req, u))
	return nil
}

func (a *API) changeProperties(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body propertiesBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	ft, err := domain.ParseFileType(body.FileType)
	if err != nil {
		return err
	}
	// Files already so are no error: the answer is the request, unchanged
	// when nothing was to change (nothing audited either).
	req, _, err := a.svc.ChangeFileProperties(r.Context(), u, r.PathValue("id"), body.Paths, body.Group, ft)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, requestDocument(req, u))
	return nil
}

func (a *API) vote(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var body voteBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	v, err := domain.ParseVote(body.Vote)
	if err != nil {
		return err
	}
	p := r.PathValue("path")
	req, err := a.svc.Vote(r.Context(), u, r.PathValue("id"), p, v)
	if err != nil {
		return err
	}
	f, _ := req.File(p)
	writeJSON(w, http.StatusOK, fileDocument(req, *f, u))
	return nil
}

func (a *API) resetVote(w http.ResponseWriter, r *http.Request, u domain.User) error {
	if _, err := a.svc.ResetVote(r.Context(), u, r.PathValue("id"), r.PathValue("path")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// transition answers a status change with the request document.
func (a *API) transition(fn func(context.Context, domain.User, string) (*domain.Request, error), status int) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, u domain.User) error {
		req, err := fn(r.Context(), u, r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, status, requestDocument(req, u))
		return nil
	}
}

// content sends the stored bytes of a request file, as a download.
func (a *API) content(w http.ResponseWriter, r *http.Request, u domain.User) error {
	fh, f, err := a.svc.DownloadRequestFile(r.Context(), u, r.PathValue("id"), r.PathValue("path"))
	if err != nil {
		return err
	}
	defer fh.Close()
	ctype := mime.TypeByExtension(path.Ext(f.Relpath))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Content-Disposition", render.Attachment(f.Relpath))
	w.Header().Set("ETag", fmt.Sprintf("%q", f.FileID))
	http.ServeContent(w, r, "", timeOf(f.Timestamp), fh)
	return nil
}

// auditQuery are the audit's parameters.
var auditQuery = []queryParam{
	{"limit", "answer one page of at most this many events (1 to 1000), with next_before when older events follow; without it, every event"},
	{"before", "only events older than this event id: the next_before of the previous page"},
}

// auditPage is how many events the audit answer reads at a time when the
// caller asks for the whole history.
const auditPage = 500

// requestAudit answers the request's audit events the caller may see,
// newest first: one page with ?limit= (and ?before=, the id of the last
// event of the previous page; next_before in the answer says there are
// older ones), or else the whole history, read and written a page at a
// time so that the answer's size never sits in memory.
func (a *API) requestAudit(w http.ResponseWriter, r *http.Request, u domain.User) error {
	q := r.URL.Query()
	before, err := queryInt(q, "before")
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if q.Has("limit") {
		limit, err := queryInt(q, "limit")
		if err != nil {
			return err
		}
		events, more, err := a.svc.RequestEventsPage(r.Context(), u, id, before, int(limit))
		if err != nil {
			return err
		}
		out := eventsAnswer{Events: make([]eventDoc, 0, len(events))}
		for _, e := range events {
			out.Events = append(out.Events, eventDocument(e))
		}
		if more {
			out.NextBefore = events[len(events)-1].ID
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	events, more, err := a.svc.RequestEventsPage(r.Context(), u, id, before, auditPage)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(true)
	bw.WriteString(`{"events":[`)
	first := true
	for {
		for _, e := range events {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			if err := enc.Encode(eventDocument(e)); err != nil {
				return fmt.Errorf("api: audit: %w", err)
			}
		}
		if !more {
			break
		}
		events, more, err = a.svc.RequestEventsPage(r.Context(), u, id, events[len(events)-1].ID, auditPage)
		if err != nil {
			// The answer has begun: end the connection so that the
			// client sees a cut answer, never a short complete one.
			a.log.ErrorContext(r.Context(), "api: audit: the answer was cut", "request", id, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// queryInt reads a non-negative integer query parameter (0 when absent).
func queryInt(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" && !q.Has(name) {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, domain.Errorf(domain.ErrInvalidInput, "%s must be a whole number, not %q", name, v)
	}
	return n, nil
}

// timeOf turns a manifest timestamp (seconds) into a time.
func timeOf(seconds float64) time.Time {
	return time.Unix(0, int64(seconds*1e9)).UTC()
}
