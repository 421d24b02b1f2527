package jobservertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Backend is the name of the backend the fake says uploads came from, as
// in its "already uploaded" answer.
const Backend = "test"

// release is one release job-server was asked to create, keyed by the
// airlock request id.
type release struct {
	id        string // the Release-Id answered
	workspace string
	body      []byte            // the latest create body
	files     map[string]string // file name → sha256 (lower-case hex), from the latest create
	uploaded  map[string][]byte // file name → bytes stored
	uploads   map[string]int    // file name → times stored
}

// ReleaseFile is one entry of a release's file list (docs/jobserver.md, Releases).
type ReleaseFile struct {
	Name     string          `json:"name"`
	URL      string          `json:"url"`
	Size     int64           `json:"size"`
	SHA256   string          `json:"sha256"`
	Date     string          `json:"date"`
	Metadata ReleaseMetadata `json:"metadata"`
	Review   json.RawMessage `json:"review"`
}

// ReleaseMetadata is the metadata of a release and of each of its files.
type ReleaseMetadata struct {
	Tool      string `json:"tool"`
	AirlockID string `json:"airlock_id"`
}

// ReleaseBody is the body of a release-create call.
type ReleaseBody struct {
	Files    []ReleaseFile   `json:"files"`
	Metadata ReleaseMetadata `json:"metadata"`
	Review   json.RawMessage `json:"review"`
}

// Event is a notification job-server received (docs/jobserver.md, Notifications).
type Event struct {
	EventType     string        `json:"event_type"`
	Workspace     string        `json:"workspace"`
	Request       string        `json:"request"`
	RequestAuthor string        `json:"request_author"`
	User          string        `json:"user"`
	Updates       []EventUpdate `json:"updates"` // nil when the body had null
	Org           string        `json:"org,omitempty"`
	Repo          string        `json:"repo,omitempty"`

	// OSUser is the call's OS-User header.
	OSUser string `json:"-"`
	// Body is the body as sent.
	Body json.RawMessage `json:"-"`
}

// EventUpdate is one of an event's updates.
type EventUpdate struct {
	Update string `json:"update"`
	User   string `json:"user,omitempty"`
	Group  string `json:"group,omitempty"`
}

// Releases returns the body of the latest release-create call accepted
// for each request id.
func (s *Server) Releases() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(s.releases))
	for id, r := range s.releases {
		out[id] = bytes.Clone(r.body)
	}
	return out
}

// ReleaseID returns the Release-Id answered for a request id, "" when no
// release was created for it.
func (s *Server) ReleaseID(requestID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.releases[requestID]; ok {
		return r.id
	}
	return ""
}

// Uploaded returns the files stored for a request id, by file name (nil
// when no release was created for it).
func (s *Server) Uploaded(requestID string) map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.releases[requestID]
	if !ok {
		return nil
	}
	out := make(map[string][]byte, len(r.uploaded))
	for name, b := range r.uploaded {
		out[name] = bytes.Clone(b)
	}
	return out
}

// UploadCount returns how many times a file of a request was stored: the
// uploads answered 201, and those stored whose answer DropAfterStore cut.
// Uploads refused as already uploaded do not count, so it is 0 or 1.
func (s *Server) UploadCount(requestID, filename string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.releases[requestID]; ok {
		return r.uploads[filename]
	}
	return 0
}

// Conflicts returns "<request id>/<file name>" for each upload that
// brought different bytes for a file already uploaded, oldest first.
func (s *Server) Conflicts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.conflicts...)
}

// Events returns the notifications received, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.events))
	for i, e := range s.events {
		e.Updates = slices.Clone(e.Updates) // nil stays nil
		e.Body = bytes.Clone(e.Body)
		out[i] = e
	}
	return out
}

// StallUploads makes every upload wait d, once its headers are checked
// and before it is handled (0: no wait). A client that gives up first, or
// Down, cuts the call: nothing is stored.
func (s *Server) StallUploads(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = d
}

// DropAfterStore makes the next n uploads that would be answered 201
// store their bytes, then close the connection without an answer: the
// client sees an error although the file was uploaded.
func (s *Server) DropAfterStore(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter = n
}

// createRelease: POST /releases/workspace/<workspace>, header OS-User, a
// ReleaseBody. Creating the release of a request id again answers the
// same Release-Id and replaces the file list (job-server keys releases by
// the airlock request id).
func (s *Server) createRelease(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("OS-User") == "" {
		writeJSON(w, http.StatusBadRequest, detail("OS-User header is required"))
		return
	}
	workspace := r.PathValue("workspace")
	body := rawBody(r)
	var in ReleaseBody
	if !readJSON(w, r, &in) {
		return
	}
	files, err := checkRelease(in)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, detail(err.Error()))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rel, ok := s.releases[in.Metadata.AirlockID]
	if ok && rel.workspace != workspace {
		writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf(
			"release of %s belongs to workspace %q, not %q", in.Metadata.AirlockID, rel.workspace, workspace)))
		return
	}
	if !ok {
		s.releaseSeq++
		rel = &release{
			id: fmt.Sprintf("release-%04d", s.releaseSeq), workspace: workspace,
			uploaded: map[string][]byte{}, uploads: map[string]int{},
		}
		s.releases[in.Metadata.AirlockID] = rel
	}
	rel.body, rel.files = body, files
	w.Header().Set("Release-Id", rel.id)
	w.Header().Set("Location", APIPath+"/releases/release/"+rel.id)
	writeJSON(w, http.StatusCreated, map[string]string{"release_id": rel.id})
}

// checkRelease checks a file list as docs/jobserver.md (Releases) describes it, and returns
// the sha256 of each file by name.
func checkRelease(in ReleaseBody) (map[string]string, error) {
	id := in.Metadata.AirlockID
	if id == "" {
		return nil, fmt.Errorf("metadata.airlock_id is required")
	}
	if in.Metadata.Tool != "airlock" {
		return nil, fmt.Errorf("metadata.tool must be %q, not %q", "airlock", in.Metadata.Tool)
	}
	if !isNull(in.Review) {
		return nil, fmt.Errorf("review must be null")
	}
	if len(in.Files) == 0 {
		return nil, fmt.Errorf("files: a release needs at least one file")
	}
	files := make(map[string]string, len(in.Files))
	for i, f := range in.Files {
		switch {
		case f.Name == "":
			return nil, fmt.Errorf("files[%d]: name is required", i)
		case files[f.Name] != "":
			return nil, fmt.Errorf("files[%d]: %q is listed twice", i, f.Name)
		case f.URL == "":
			return nil, fmt.Errorf("files[%d]: url is required", i)
		case f.Size < 0:
			return nil, fmt.Errorf("files[%d]: size %d is negative", i, f.Size)
		case !isSHA256(f.SHA256):
			return nil, fmt.Errorf("files[%d]: sha256 %q is not a hex SHA-256", i, f.SHA256)
		case f.Metadata != in.Metadata:
			return nil, fmt.Errorf("files[%d]: metadata %+v differs from the release's %+v", i, f.Metadata, in.Metadata)
		case !isNull(f.Review):
			return nil, fmt.Errorf("files[%d]: review must be null", i)
		}
		if _, err := time.Parse(time.RFC3339Nano, f.Date); err != nil {
			return nil, fmt.Errorf("files[%d]: date: %w", i, err)
		}
		files[f.Name] = strings.ToLower(f.SHA256)
	}
	return files, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func isSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}

// upload: POST /releases/release/<request id>, raw bytes, headers OS-User
// and Content-Disposition: attachment; filename="<path>".
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("OS-User") == "" {
		writeJSON(w, http.StatusBadRequest, detail("OS-User header is required"))
		return
	}
	// Header values are ISO-8859-1, as job-server (Django) reads them.
	disposition, params, err := mime.ParseMediaType(latin1(r.Header.Get("Content-Disposition")))
	filename := params["filename"]
	if err != nil || disposition != "attachment" || filename == "" {
		writeJSON(w, http.StatusBadRequest, detail(`Content-Disposition must be attachment; filename="<path>"`))
		return
	}
	s.mu.Lock()
	stall, stop := s.stall, s.stop
	s.mu.Unlock()
	wait(r, stall, stop)

	body := rawBody(r)
	requestID := r.PathValue("request")
	s.mu.Lock()
	rel, ok := s.releases[requestID]
	if !ok {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, detail("Release not found"))
		return
	}
	if prev, done := rel.uploaded[filename]; done {
		msg := fmt.Sprintf("This version of '%s' has already been uploaded from backend '%s'", filename, Backend)
		if !bytes.Equal(prev, body) {
			s.conflicts = append(s.conflicts, requestID+"/"+filename)
			msg = fmt.Sprintf("A different version of '%s' has already been uploaded", filename)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, detail(msg))
		return
	}
	want, listed := rel.files[filename]
	if !listed {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf("File '%s' is not part of release %s", filename, rel.id)))
		return
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != want {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf(
			"Contents of '%s' do not match its sha256: got %s, release says %s", filename, got, want)))
		return
	}
	rel.uploaded[filename] = bytes.Clone(body)
	rel.uploads[filename]++
	drop := s.dropAfter > 0
	if drop {
		s.dropAfter--
	}
	fileID := fmt.Sprintf("%s-file-%d", rel.id, len(rel.uploaded))
	s.mu.Unlock()

	if drop {
		hangUp(w)
		return
	}
	w.Header().Set("File-Id", fileID)
	w.Header().Set("Location", APIPath+"/releases/file/"+fileID)
	writeJSON(w, http.StatusCreated, map[string]string{"file_id": fileID})
}

// rawBody returns the body of r, which serve has read already, and
// leaves it to be read again.
func rawBody(r *http.Request) []byte {
	body, _ := io.ReadAll(r.Body) // a bytes.Reader: no error
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

// hangUp closes the connection of w without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// event: POST /airlock/events/, header OS-User, an Event.
func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	osUser := r.Header.Get("OS-User")
	if osUser == "" {
		writeJSON(w, http.StatusBadRequest, detail("OS-User header is required"))
		return
	}
	body := rawBody(r)
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf("bad JSON body: %v", err)))
		return
	}
	// The keys every notification has (docs/jobserver.md, Notifications).
	for _, k := range []string{"event_type", "workspace", "request", "request_author", "user", "updates"} {
		if _, ok := keys[k]; !ok {
			writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf("%s is required", k)))
			return
		}
	}
	var e Event
	if !readJSON(w, r, &e) {
		return
	}
	switch {
	case e.EventType == "":
		writeJSON(w, http.StatusBadRequest, detail("event_type must not be empty"))
		return
	case (e.Org == "") != (e.Repo == ""):
		writeJSON(w, http.StatusBadRequest, detail("org and repo go together"))
		return
	}
	for i, u := range e.Updates {
		if u.Update == "" {
			writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf("updates[%d]: update is required", i)))
			return
		}
	}
	e.OSUser, e.Body = osUser, body
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"status": "ok"})
}

// latin1 reads the bytes of a header value as ISO-8859-1 characters.
func latin1(v string) string {
	rs := make([]rune, len(v))
	for i := 0; i < len(v); i++ {
		rs[i] = rune(v[i])
	}
	return string(rs)
}
