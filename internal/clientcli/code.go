package clientcli

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/airlock-go/airlock/internal/client"
)

type codeCmd struct {
	Workspace string `arg:"" help:"The workspace."`
	Commit    string `arg:"" help:"The commit its job ran (40 hexadecimal digits, as the manifest's commit)."`
	Path      string `arg:"" optional:"" help:"A folder or file of the repository (default: its root)."`
}

// Run lists a folder of the repository, or writes a file's text.
func (c *codeCmd) Run(e *Env, cc *Cmd) error {
	s, err := cc.connect(e)
	if err != nil {
		return err
	}
	code, err := s.api.Code(e.Ctx, c.Workspace, c.Commit, c.Path)
	if err != nil {
		return s.fail(err)
	}
	if s.json {
		return writeRaw(s.out, s.raw)
	}
	if code.Kind == "file" {
		if code.Content == nil {
			return fmt.Errorf("%s is not text (%s): use --json to get its bytes, in base64", clean(code.Path), byteSize(code.Size))
		}
		if _, err := io.WriteString(s.out, codeText(*code.Content)); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		return nil
	}
	return s.print(func(w io.Writer) { printCode(w, code) })
}

// codeText is a file's text with the control characters a terminal
// would act on (escape sequences, carriage returns, bidirectional
// controls) shown as U+FFFD: tabs and newlines are kept, so that code
// reads as written.
func codeText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return r
		}
		if unsafeRune(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// printCode writes a folder (or a link or submodule) for a person.
func printCode(w io.Writer, c client.Code) {
	where := clean(c.Path)
	if where == "" {
		where = "/"
	}
	fmt.Fprintf(w, "%s@%s %s\n", clean(c.Repo), shortHash(c.Commit), where)
	switch c.Kind {
	case "symlink":
		fmt.Fprintln(w, "A symbolic link: links are not followed.")
		return
	case "submodule":
		fmt.Fprintln(w, "A submodule: another repository's code, not in this one.")
		return
	}
	for _, e := range c.Entries {
		name, size := clean(e.Name), byteSize(e.Size)
		switch e.Kind {
		case "dir":
			name, size = name+"/", ""
		case "symlink", "submodule":
			size = e.Kind
		}
		fmt.Fprintf(w, "%s\t%s\n", name, size)
	}
}
