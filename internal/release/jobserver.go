package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// JobServer releases files to job-server (docs/jobserver.md, Releases).
type JobServer struct {
	endpoint, token string
	copies          Copies
	client          *http.Client
}

// JobServerTimeout bounds each call to job-server (an upload's included)
// when NewJobServer is given no client.
const JobServerTimeout = 30 * time.Minute

// NewJobServer sends releases to job-server at endpoint with the API
// token. A nil client gets one with a generous timeout that does not
// follow redirects.
func NewJobServer(endpoint, token string, copies Copies, client *http.Client) *JobServer {
	if client == nil {
		client = &http.Client{
			Timeout:       JobServerTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &JobServer{endpoint: endpoint, token: token, copies: copies, client: client}
}

// CreateRelease posts the file list to /releases/workspace/<workspace>.
func (j *JobServer) CreateRelease(ctx context.Context, r *domain.Request, files []domain.RequestFile, user string) error {
	body, err := fileList(j.copies, r, files)
	if err != nil {
		return fmt.Errorf("release: describe files of %s: %w", r.ID, err)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("release: encode file list: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", j.endpoint+"/releases/workspace/"+url.PathEscape(r.Workspace), bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("OS-User", user)
	resp, err := j.do(req)
	if err != nil {
		return domain.Errorf(domain.ErrUnavailable, "job-server cannot be reached to create the release; nothing was released, try again later")
	}
	defer resp.Body.Close()
	switch {
	case success(resp.StatusCode): // job-server answers 201; any 2xx is success, as for OpenSAFELY Airlock
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	case resp.StatusCode == http.StatusForbidden:
		return domain.Errorf(domain.ErrPermissionDenied, "job-server refused the release: permission denied")
	}
	return domain.Errorf(domain.ErrUnavailable, "job-server could not create the release (it answered %d: %s); nothing was released, try again later or contact tech support",
		resp.StatusCode, detail(resp.Body))
}

// Upload posts one file's bytes to /releases/release/<request id>.
func (j *JobServer) Upload(ctx context.Context, r *domain.Request, f domain.RequestFile, user string, content io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, "POST", j.endpoint+"/releases/release/"+url.PathEscape(r.ID), content)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	req.ContentLength = f.Size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Disposition", contentDisposition(f.Relpath))
	req.Header.Set("OS-User", user)
	resp, err := j.do(req)
	if err != nil {
		return fmt.Errorf("release: upload %s of %s: %w", f.Relpath, r.ID, err)
	}
	defer resp.Body.Close()
	if success(resp.StatusCode) { // 201, or any 2xx as for OpenSAFELY Airlock
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	d := detail(resp.Body)
	if alreadyUploaded(d) {
		return nil
	}
	return fmt.Errorf("release: upload %s of %s: job-server answered %d: %s", f.Relpath, r.ID, resp.StatusCode, d)
}

// success reports whether job-server's answer says the call succeeded:
// any 2xx, as OpenSAFELY Airlock takes it (it fails only on an error
// status); job-server itself answers 201.
func success(status int) bool { return status >= 200 && status < 300 }

// contentDisposition is the upload's Content-Disposition, as OpenSAFELY
// Airlock sends it: attachment; filename="<path>", the workspace path as
// it is, unescaped, in ISO-8859-1 (the encoding of HTTP header values,
// which job-server reads them in). A path with a character beyond
// ISO-8859-1, which OpenSAFELY Airlock cannot send at all, also carries
// RFC 6266's filename* (UTF-8, percent-encoded), after an ASCII
// filename with "?" for each such character.
func contentDisposition(relpath string) string {
	latin1 := make([]byte, 0, len(relpath))
	wide := false
	for _, r := range relpath {
		if r > 0xff {
			wide = true
			latin1 = append(latin1, '?')
			continue
		}
		latin1 = append(latin1, byte(r))
	}
	if !wide {
		return `attachment; filename="` + string(latin1) + `"`
	}
	ascii := make([]byte, 0, len(latin1))
	for _, b := range latin1 {
		if b > 0x7f || b == '"' || b == '\\' {
			b = '?'
		}
		ascii = append(ascii, b)
	}
	return `attachment; filename="` + string(ascii) + `"; filename*=UTF-8''` + extValue(relpath)
}

// extValue percent-encodes s as RFC 5987's value-chars: every byte but
// the attr-chars.
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// alreadyUploaded reports whether job-server's refusal says it has this
// very version of the file already.
func alreadyUploaded(detail string) bool {
	d := strings.ToLower(detail)
	return strings.Contains(d, "already been uploaded") && !strings.Contains(d, "different version")
}

func (j *JobServer) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", j.token)
	req.Header.Set("Accept", "application/json")
	return j.client.Do(req)
}

// detail reads job-server's explanation from an error answer.
func detail(body io.Reader) string {
	raw, _ := io.ReadAll(io.LimitReader(body, 1<<16))
	var d struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(raw, &d) == nil && d.Detail != "" {
		return truncate(d.Detail)
	}
	return truncate(strings.TrimSpace(string(raw)))
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
