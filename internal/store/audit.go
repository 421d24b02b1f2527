package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// ChainEvent makes e the event after the log's last (lastID, lastHash),
// as every store appends it: created now when no time is given, in UTC to
// the microsecond, with a non-nil Extra, the next id, linked to lastHash
// and hashed over exactly what is stored. It returns Extra as the JSON
// text to store.
func ChainEvent(e domain.Event, lastID int64, lastHash string) (domain.Event, string, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
	if e.Extra == nil {
		e.Extra = map[string]string{}
	}
	extra, err := json.Marshal(e.Extra)
	if err != nil {
		return e, "", fmt.Errorf("encode extra: %w", err)
	}
	e.ID = lastID + 1
	e.PrevHash = lastHash
	e.Hash = e.ChainHash(e.PrevHash)
	return e, string(extra), nil
}
