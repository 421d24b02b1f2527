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
// text to store. An event holding text that is not valid UTF-8 (or holds
// NUL) is refused: such text cannot be stored byte for byte in every
// store, and the hash must cover exactly what is stored.
func ChainEvent(e domain.Event, lastID int64, lastHash string) (domain.Event, string, error) {
	if err := checkEventText(e); err != nil {
		return e, "", err
	}
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

// checkEventText applies domain.CheckText to every text of an event.
func checkEventText(e domain.Event) error {
	for what, v := range map[string]string{"the event type": string(e.Type), "the user name": e.User,
		"the workspace name": e.Workspace, "the request id": e.Request, "the path": e.Path} {
		if err := domain.CheckText(what, v); err != nil {
			return fmt.Errorf("audit event %s: %w", e.Type, err)
		}
	}
	for k, v := range e.Extra {
		if err := domain.CheckText("an event field name", k); err != nil {
			return fmt.Errorf("audit event %s: %w", e.Type, err)
		}
		if err := domain.CheckText(k, v); err != nil {
			return fmt.Errorf("audit event %s: %w", e.Type, err)
		}
	}
	return nil
}
