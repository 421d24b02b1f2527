package render

import (
	"mime"
	"testing"
)

func TestAttachment(t *testing.T) {
	for _, tc := range []struct {
		relpath, want string
	}{
		{"out/table.csv", `attachment; filename="table.csv"; filename*=UTF-8''table.csv`},
		{"out/my é.csv", `attachment; filename="my _.csv"; filename*=UTF-8''my%20%C3%A9.csv`},
		{`out/say "hi"\.txt`, `attachment; filename="say _hi__.txt"; filename*=UTF-8''say%20%22hi%22%5C.txt`},
		{"out/100%;x=1.csv", `attachment; filename="100_;x=1.csv"; filename*=UTF-8''100%25%3Bx%3D1.csv`},
		{"out/日本.png", `attachment; filename="__.png"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.png`},
	} {
		got := Attachment(tc.relpath)
		if got != tc.want {
			t.Errorf("Attachment(%q) =\n %s\nwant\n %s", tc.relpath, got, tc.want)
		}
		// A client reading RFC 6266 gets the exact name back.
		disp, params, err := mime.ParseMediaType(got)
		if err != nil || disp != "attachment" {
			t.Fatalf("%s: parse: %q %v", got, disp, err)
		}
		if want := tc.relpath[len("out/"):]; params["filename"] != want {
			t.Errorf("%s: a client reads the name %q, want %q", got, params["filename"], want)
		}
	}
}
