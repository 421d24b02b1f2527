package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBackupExists is returned by Backup when the backup file exists.
var ErrBackupExists = errors.New("the backup file exists")

// Backup writes a copy of the SQLite database at path to the new file to,
// online: VACUUM INTO reads one snapshot of the database while other
// connections and processes go on reading and writing it. The copy is
// written beside to under a temporary name, checked (PRAGMA quick_check),
// synced, and then linked to to, which is never overwritten: when to
// exists, Backup fails with ErrBackupExists. It returns the size of the
// copy.
func Backup(ctx context.Context, path, to string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: no database at %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("sqlite: backup: %s is not a database file", path)
	}
	if _, err := os.Lstat(to); err == nil {
		return 0, fmt.Errorf("sqlite: backup to %s: %w; choose a new name", to, ErrBackupExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("sqlite: backup to %s: %w", to, err)
	}
	dir := filepath.Dir(to)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return 0, fmt.Errorf("sqlite: backup to %s: no folder %s", to, dir)
	}

	var b [8]byte
	rand.Read(b[:])
	tmp := filepath.Join(dir, "."+filepath.Base(to)+".tmp-"+hex.EncodeToString(b[:]))
	defer os.Remove(tmp) // gone already once linked; left by nothing else

	if err := vacuumInto(ctx, path, tmp); err != nil {
		return 0, fmt.Errorf("sqlite: backup %s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return 0, fmt.Errorf("sqlite: backup %s: %w", path, err)
	}
	// A hard link never replaces an existing file, unlike a rename.
	if err := os.Link(tmp, to); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("sqlite: backup to %s: %w; choose a new name", to, ErrBackupExists)
		}
		return 0, fmt.Errorf("sqlite: backup to %s: %w", to, err)
	}
	if err := os.Remove(tmp); err != nil {
		return 0, fmt.Errorf("sqlite: backup to %s: %w", to, err)
	}
	if err := syncFile(dir); err != nil {
		return 0, fmt.Errorf("sqlite: backup to %s: %w", to, err)
	}
	fi, err = os.Stat(to)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup to %s: %w", to, err)
	}
	return fi.Size(), nil
}

// vacuumInto copies the database at path into the new file to, then
// checks the copy.
func vacuumInto(ctx context.Context, path, to string) error {
	db, err := openDB(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		return fmt.Errorf("vacuum into %s: %w", to, err)
	}
	check, err := openDB(ctx, to)
	if err != nil {
		return fmt.Errorf("open the copy: %w", err)
	}
	defer check.Close()
	var result string
	if err := check.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&result); err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("check the copy: %s", result)
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
