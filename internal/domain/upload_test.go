package domain

import (
	"testing"
	"time"
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
