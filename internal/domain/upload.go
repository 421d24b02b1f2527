package domain

import "time"

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
