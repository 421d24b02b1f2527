package domain

import "time"

// Stamp identifies one state of a request: its version and the id of its
// newest audit event. Every change to a request, upload bookkeeping
// included, increases one of them, so what is made of a request (a
// rendered page, a cached copy) may be kept by its stamp.
type Stamp struct {
	Version   int64
	LastEvent int64
}

// UploadClaim names a released file leased for upload to job-server.
type UploadClaim struct {
	RequestID string
	Relpath   string
}

// APIToken is an API token as airlock keeps it: by the sha256 of its
// secret (the secret itself is only ever given to the client).
type APIToken struct {
	Hash       string
	Username   string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}
