package clientcli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/airlock-go/airlock/internal/client"
)

type loginCmd struct {
	URL  string `arg:"" name:"url" help:"The airlock server, e.g. https://airlock.example.org."`
	User string `name:"user" short:"u" help:"Your user name (otherwise read from the first line of standard input)."`
}

func (c *loginCmd) Run(e *Env, cc *Cmd) error {
	base, err := baseURL(c.URL)
	if err != nil {
		return err
	}
	path, err := cc.sessionPath()
	if err != nil {
		return err
	}
	in := bufio.NewReader(e.Stdin)
	interactive := isTerminal(e.Stdin)
	user := strings.TrimSpace(c.User)
	if user == "" {
		if interactive {
			fmt.Fprint(e.Stdout, "User: ")
		}
		if user, err = readLine(in); err != nil {
			return err
		}
		if user == "" {
			return errors.New("no user name given: pass --user or write it on the first line of standard input")
		}
	}
	if interactive {
		fmt.Fprint(e.Stdout, "Token: ")
	}
	token, err := readLine(in)
	if err != nil {
		return err
	}
	if token == "" {
		return errors.New("no token given: write your single-use token on standard input")
	}

	api := client.New(base, "", cc.httpClient())
	tr, err := api.Token(e.Ctx, user, token)
	if err != nil {
		return err
	}
	saved := client.Session{URL: base, Token: tr.Token, User: tr.User.Username, ExpiresAt: tr.ExpiresAt}
	if saved.User == "" {
		saved.User = user
	}
	if err := client.SaveSession(path, saved); err != nil {
		// Do not leave a token behind that nobody holds.
		_ = api.WithToken(tr.Token).Revoke(e.Ctx)
		return err
	}
	if cc.JSON {
		// The session, without its token.
		doc := map[string]any{"url": base, "user": tr.User, "expires_at": tr.ExpiresAt, "session_file": path}
		b, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		return writeRaw(e.Stdout, b)
	}
	role := ""
	if tr.User.OutputChecker {
		role = ", output checker"
	}
	fmt.Fprintf(e.Stdout, "Logged in to %s as %s (%s%s).\n", base, clean(saved.User), clean(tr.User.Fullname), role)
	fmt.Fprintf(e.Stdout, "Session saved to %s; it expires at %s.\n", path, stamp(tr.ExpiresAt))
	return nil
}

// baseURL checks a server URL and returns it without a trailing /
// or /api/v1.
func baseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an airlock server URL: give http(s)://host[:port]", raw)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/api/v1")
	u.RawPath = ""
	return strings.TrimRight(u.String(), "/"), nil
}

// isTerminal reports whether r is a terminal, to decide on prompts.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// readLine reads one line, without its end and surrounding spaces;
// at the end of the input it returns "".
func readLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	return strings.TrimSpace(line), nil
}

type logoutCmd struct{}

func (c *logoutCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	revokeErr := s.api.Revoke(e.Ctx)
	if err := client.RemoveSession(s.path); err != nil {
		return err
	}
	if revokeErr != nil && !unauthenticated(revokeErr) {
		return fmt.Errorf("removed %s, but the server did not revoke the token: %w", s.path, revokeErr)
	}
	if !cc.JSON {
		fmt.Fprintf(e.Stdout, "Logged out of %s; removed %s.\n", s.url, s.path)
	}
	return nil
}
