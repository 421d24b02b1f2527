package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's shell examples are run by TestREADMEExamples, so that they
// stay true. Every ```sh block is run, in order, unless the line before it
// is a comment "<!-- not run by the README test: REASON -->" (a synopsis
// with placeholders, a command that needs a PostgreSQL server elsewhere, the
// test command itself). A block's commands run in one fresh folder with
// bash, with the binary built from this tree as `airlock` on the PATH (so
// `go run ./cmd/airlock ARGS` runs as `airlock ARGS`), and a home folder of
// their own (the client's session file). The printed placeholders are
// filled from what earlier commands answered: "airlock_…" is the API token
// the last login answered, "01J…" the request the last add answered; a
// `client login --user U` reads U's token, from the demo's list of users,
// on its standard input, as a person would type it. `airlock demo` (and
// `serve`) run in the background until the examples are done. Each
// command must exit 0 and answer no JSON error.

const readmeSkipMarker = "<!-- not run by the README test:"

// readmeEnv is set in the network namespace the test runs itself in, so
// that the examples' localhost:8000 is the test's own.
const readmeEnv = "AIRLOCK_README_TEST_NETNS"

// readmeBlock is one ```sh block of the README: its commands, or why it is
// not run.
type readmeBlock struct {
	line     int // of the opening fence
	commands []string
	skip     string
}

// readmeBlocks reads the ```sh blocks of the README. A command's lines
// ending in "\" are joined; comment lines and trailing "  # …" comments are
// dropped.
func readmeBlocks(text string) []readmeBlock {
	var blocks []readmeBlock
	var cur *readmeBlock
	prev, pending := "", ""
	for i, line := range strings.Split(text, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```sh":
			cur = &readmeBlock{line: i + 1}
			if strings.HasPrefix(prev, readmeSkipMarker) {
				cur.skip = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(prev, readmeSkipMarker), "-->"))
			}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			if c := strings.Index(line, "  #"); c >= 0 {
				line = line[:c]
			}
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if strings.HasSuffix(line, "\\") {
				pending += strings.TrimSuffix(line, "\\") + " "
				continue
			}
			cur.commands = append(cur.commands, pending+line)
			pending = ""
		}
		if strings.TrimSpace(line) != "" {
			prev = strings.TrimSpace(line)
		}
	}
	return blocks
}

func TestREADMEBlocksAreRunOrSayWhyNot(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	run := 0
	for _, b := range readmeBlocks(string(raw)) {
		if b.skip == "" {
			run += len(b.commands)
		} else if len(b.skip) < 10 {
			t.Errorf("README.md:%d: say why the block is not run", b.line)
		}
	}
	if run < 10 {
		t.Errorf("only %d README commands are run", run)
	}
}

func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the README's examples against the demo; skipped with -short")
	}
	if os.Getenv(readmeEnv) == "" {
		bin := buildAirlock(t)
		if _, err := exec.LookPath("unshare"); err == nil {
			// Run this test again in a network namespace of its own, where
			// the README's localhost:8000 is free whatever else runs here.
			cmd := exec.Command("unshare", "-rn", "sh", "-c", `ip link set lo up && exec "$@"`, "sh",
				os.Args[0], "-test.run=^TestREADMEExamples$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), readmeEnv+"="+bin)
			out, err := cmd.CombinedOutput()
			if err == nil || !bytes.Contains(out, []byte("unshare:")) {
				if err != nil {
					t.Fatalf("the README's examples failed:\n%s", out)
				}
				t.Logf("%s", out)
				return
			}
			t.Logf("no network namespace (%s): running here", bytes.TrimSpace(out))
		}
		if l, err := net.Listen("tcp", "127.0.0.1:8000"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("127.0.0.1:8000 is taken and no network namespace can be made: %v", err)
			}
			t.Skipf("127.0.0.1:8000 is taken and no network namespace can be made: %v", err)
		} else {
			l.Close()
		}
		t.Setenv(readmeEnv, bin)
	}
	runREADMEExamples(t, os.Getenv(readmeEnv))
}

var (
	readmeToken     = regexp.MustCompile(`"token": ?"(airlock_[^"]+)"`)
	readmeRequestID = regexp.MustCompile(`(?m)^request ([0-9A-Z]{26}) `)
	readmeLoginUser = regexp.MustCompile(`^airlock client login \S+ --user (\S+)`)
	readmeDemoUser  = regexp.MustCompile(`(?m)^  (\S+)\s+([a-z]+-[a-z]+-[a-z]+)\s`)
)

func runREADMEExamples(t *testing.T, bin string) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AIRLOCK_") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	var (
		token, requestID string
		tokens           = map[string]string{}
		ran              int
	)
	for _, b := range readmeBlocks(string(raw)) {
		if b.skip != "" {
			t.Logf("README.md:%d: not run: %s", b.line, b.skip)
			continue
		}
		for _, command := range b.commands {
			command = strings.Replace(command, "go run ./cmd/airlock ", "airlock ", 1)
			if strings.HasPrefix(command, "airlock demo") || strings.HasPrefix(command, "airlock serve") {
				out := startREADMEServer(t, dir, env, command)
				for _, m := range readmeDemoUser.FindAllStringSubmatch(out, -1) {
					tokens[m[1]] = m[2]
				}
				ran++
				continue
			}
			run := command
			run = strings.ReplaceAll(run, "airlock_…", token)
			run = strings.ReplaceAll(run, "01J…", requestID)
			stdin := ""
			if m := readmeLoginUser.FindStringSubmatch(run); m != nil {
				stdin = tokens[m[1]] + "\n"
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cmd := exec.CommandContext(ctx, "bash", "-c", run)
			cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			cancel()
			out := stdout.String()
			if err != nil || strings.Contains(out, `{"error":`) {
				t.Fatalf("README.md:%d: %s\nfailed (%v):\n%s%s", b.line, command, err, out, stderr.String())
			}
			t.Logf("README.md:%d: %s: ok", b.line, command)
			if m := readmeToken.FindStringSubmatch(out); m != nil {
				token = m[1]
			}
			if m := readmeRequestID.FindStringSubmatch(out); m != nil {
				requestID = m[1]
			}
			ran++
		}
	}
	if ran < 10 {
		t.Errorf("only %d README commands ran", ran)
	}
}

// startREADMEServer starts a long-running example and waits until it
// serves; it is stopped (SIGTERM) when the test ends. It returns what the
// command printed by then.
func startREADMEServer(t *testing.T, dir string, env []string, command string) string {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, "server.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", "exec "+command)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	done := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("%s stopped (%v):\n%s", command, waitErr, out)
		case <-time.After(100 * time.Millisecond):
		}
		if c, err := net.Dial("tcp", "127.0.0.1:8000"); err == nil {
			c.Close()
			out, _ := os.ReadFile(logf.Name())
			if bytes.Contains(out, []byte("Press Ctrl-C")) || !strings.HasPrefix(command, "airlock demo") {
				t.Logf("%s: serving", command)
				return string(out)
			}
		}
	}
	out, _ := os.ReadFile(logf.Name())
	t.Fatalf("%s did not serve on 127.0.0.1:8000 within 2 minutes:\n%s", command, out)
	return ""
}

// TestMakefileRunsTheREADMECommands: every target of the Makefile is in
// the README's table of them, running the same command.
func TestMakefileRunsTheREADMECommands(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	target, n := "", 0
	for line := range strings.SplitSeq(string(mk), "\n") {
		switch {
		case strings.HasPrefix(line, "\t") && target != "":
			command := strings.ReplaceAll(strings.TrimSpace(line), "$$", "$")
			row := "| `make " + target + "` | `" + command + "`"
			if !strings.Contains(string(readme), row) {
				t.Errorf("README.md has no row %q for the Makefile's target %s", row, target)
			}
			n++
		case strings.HasSuffix(line, ":") && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "."):
			target = strings.TrimSuffix(line, ":")
		}
	}
	if n < 4 {
		t.Errorf("only %d Makefile commands found", n)
	}
}
