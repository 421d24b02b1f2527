package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"

	"github.com/airlock-go/airlock/internal/store"
)

const anyRequestSQL = `SELECT 1 FROM requests LIMIT 1`

var _ store.Importer = (*Store)(nil)

// Import runs fn in one write transaction on a database that holds no
// request; see store.Importer.
func (s *Store) Import(ctx context.Context, fn func(store.ImportTx) error) error {
	return s.Tx(ctx, func(t store.Tx) error {
		it := importTx{t.(*tx)}
		found, err := it.exists(ctx, anyRequestSQL)
		if err != nil {
			return s.fail(err, "import: look for requests")
		}
		if found {
			return s.fail(store.ErrNotEmpty, "import")
		}
		return fn(it)
	})
}

// importTx is the store.ImportTx of an import's transaction.
type importTx struct{ *tx }

// PutUser caches a user document in the import's transaction.
func (t importTx) PutUser(ctx context.Context, u store.UserRecord) error {
	_, err := t.exec(ctx, putUserSQL, u.Username, string(u.APIData), u.LastRefresh)
	return t.fail(err, "put user %s", u.Username)
}

// countedTables are the tables TableCounts counts.
var countedTables = []string{"requests", "submitted_reviews", "file_groups", "request_files",
	"file_versions", "file_reviews", "reviewed_versions", "comments", "users", "audit_log"}

// TableCounts counts the rows of the tables of requests, users and the
// audit log, in one snapshot.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.read(ctx, func(c q) error {
		for _, t := range countedTables {
			var n int64
			if err := c.queryRow(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
				return fmt.Errorf("count %s: %w", t, err)
			}
			out[t] = n
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "table counts")
	}
	return out, nil
}

// eventsPerInsert is how many events one INSERT of AppendEvents writes:
// 11 arguments each, well under both databases' limit on arguments.
const eventsPerInsert = 200

// AppendEvents chains events after the log's head (held, as AppendEvent
// holds it, until the transaction ends), writes them in multi-row
// inserts and moves the head once.
func (t importTx) AppendEvents(ctx context.Context, events []domain.Event) ([]domain.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var lastID, firstID int64
	var lastHash string
	if err := t.queryRow(ctx, t.s.d.LockAuditHead).Scan(&lastID, &lastHash); err != nil {
		return nil, t.fail(err, "append events: read audit head")
	}
	firstID = lastID
	out := make([]domain.Event, 0, len(events))
	for start := 0; start < len(events); start += eventsPerInsert {
		batch := events[start:min(start+eventsPerInsert, len(events))]
		args := make([]any, 0, len(batch)*11)
		rows := make([]string, 0, len(batch))
		for _, e := range batch {
			e, extra, err := store.ChainEvent(e, lastID, lastHash)
			if err != nil {
				return nil, t.fail(err, "append event")
			}
			args = append(args, e.ID, string(e.Type), e.User, e.Workspace, nullString(e.Request), nullString(e.Path),
				extra, e.CreatedAt, e.Hidden, e.PrevHash, e.Hash)
			rows = append(rows, "("+placeholders(11)+")")
			lastID, lastHash = e.ID, e.Hash
			out = append(out, e)
		}
		if _, err := t.exec(ctx, insertEventsSQL+strings.Join(rows, ", "), args...); err != nil {
			return nil, t.fail(err, "append events %d to %d", out[start].ID, lastID)
		}
	}
	if err := t.execOne(ctx, moveAuditHeadSQL, lastID, lastHash, firstID); err != nil {
		return nil, t.fail(err, "append events: move audit head")
	}
	return out, nil
}

const insertEventsSQL = `INSERT INTO audit_log (id, type, "user", workspace, request, path, extra, created_at,
	hidden, prev_hash, hash) VALUES `
