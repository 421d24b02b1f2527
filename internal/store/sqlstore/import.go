package sqlstore

import (
	"context"
	"fmt"

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
