package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxUploadRetryDelay caps the wait between upload attempts of a file.
const MaxUploadRetryDelay = time.Hour

// UploadFailingAttempts is how many failed attempts make a file "upload
// failing" on the request page and in the metrics.
const UploadFailingAttempts = 5

// NextUploadAttempt returns when a file that has failed attempts times,
// the last at last, may be tried again: the retry delay doubles with each
// failure, up to an hour, and retries never stop.
func NextUploadAttempt(last time.Time, attempts int, retryDelay time.Duration) time.Time {
	d := retryDelay
	for i := 1; i < attempts && d < MaxUploadRetryDelay; i++ {
		d *= 2
	}
	return last.Add(min(d, MaxUploadRetryDelay))
}

// UploadFailing reports whether a file's uploads have failed often enough
// to tell people.
func (f RequestFile) UploadFailing() bool {
	return !f.Uploaded && f.UploadAttempts > UploadFailingAttempts
}

// MaxUploadErrorLength bounds, in characters, the reason kept for a
// file's last failed upload attempt.
const MaxUploadErrorLength = 500

// UploadErrorText is the reason kept and shown for a failed upload
// attempt: the error's text made valid UTF-8 without NUL or other control
// characters (it may quote what job-server answered), cut to
// MaxUploadErrorLength characters.
func UploadErrorText(err error) string {
	if err == nil {
		return ""
	}
	s := strings.ToValidUTF8(err.Error(), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxUploadErrorLength {
		s = string([]rune(s)[:MaxUploadErrorLength-1]) + "…"
	}
	if s == "" {
		s = "upload failed"
	}
	return s
}
