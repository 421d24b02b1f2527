package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNextUploadAttemptBacksOffToAnHour(t *testing.T) {
	last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute},
		{6, 32 * time.Minute}, {7, time.Hour}, {50, time.Hour}, {1 << 30, time.Hour},
	}
	for _, tt := range tests {
		if got := NextUploadAttempt(last, tt.attempts, time.Minute).Sub(last); got != tt.want {
			t.Errorf("after %d attempts: wait %v, want %v", tt.attempts, got, tt.want)
		}
	}
	if got := NextUploadAttempt(last, 3, 2*time.Hour).Sub(last); got != time.Hour {
		t.Errorf("a retry delay over an hour waits %v", got)
	}
}

func TestUploadFailing(t *testing.T) {
	for attempts, want := range map[int]bool{0: false, 5: false, 6: true} {
		if got := (RequestFile{UploadAttempts: attempts}).UploadFailing(); got != want {
			t.Errorf("%d attempts: failing=%v", attempts, got)
		}
	}
	if (RequestFile{UploadAttempts: 9, Uploaded: true}).UploadFailing() {
		t.Error("an uploaded file is failing")
	}
}

func TestLocalRedirect(t *testing.T) {
	for target, want := range map[string]string{
		"/workspaces/":           "/workspaces/",
		"/requests/view/1/?a=b":  "/requests/view/1/?a=b",
		"":                       "/fallback",
		"//evil.example/":        "/fallback",
		"https://evil.example/":  "/fallback",
		"/\\evil.example":        "/fallback",
		"javascript:alert(1)":    "/fallback",
		"/ok\r\nSet-Cookie: x=1": "/fallback",
		"workspaces/":            "/fallback",
		"/%2F%2Fevil.example":    "/%2F%2Fevil.example",
		"/\tevil":                "/fallback",
	} {
		if got := LocalRedirect(target, "/fallback"); got != want {
			t.Errorf("LocalRedirect(%q) = %q, want %q", target, got, want)
		}
	}
}

func TestUploadErrorText(t *testing.T) {
	long := strings.Repeat("é", MaxUploadErrorLength+10)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", errors.New("job-server answered 503: down"), "job-server answered 503: down"},
		{"invalid UTF-8 and NUL", errors.New("bad \xff\xfe\x00 bytes\n"), "bad \uFFFD  bytes"},
		{"empty", errors.New(" "), "upload failed"},
		{"long", errors.New(long), strings.Repeat("é", MaxUploadErrorLength-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UploadErrorText(tt.err)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) || strings.ContainsRune(got, 0) || utf8.RuneCountInString(got) > MaxUploadErrorLength {
				t.Errorf("%q is not fit to store", got)
			}
		})
	}
}
