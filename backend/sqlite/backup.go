package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// pagesPerStep is how many pages one backup step copies: 1024 pages of 4 KiB
// are 4 MiB, a few milliseconds of work between progress reports and
// cancellation checks.
const pagesPerStep = 1024

// Progress receives the pages copied so far out of total.
type Progress func(p resonanz.BackupProgress)

func (p Progress) report(phase string, done, total int) {
	if p != nil {
		p(resonanz.BackupProgress{Phase: phase, Done: done, Total: total})
	}
}

// rawOpen opens one driver connection outside any pool.
func rawOpen(dsn string) (*sqlite3.SQLiteConn, error) {
	c, err := (&sqlite3.SQLiteDriver{}).Open(dsn)
	if err != nil {
		return nil, err
	}
	return c.(*sqlite3.SQLiteConn), nil
}

// fileDSN is a DSN for path with extra query parameters.
func fileDSN(path string, params ...string) string {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath()
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	return dsn
}

// rawStrings runs query on a raw connection and returns its first column.
func rawStrings(ctx context.Context, c *sqlite3.SQLiteConn, query string) ([]string, error) {
	rows, err := c.QueryContext(ctx, query, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	vals := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(vals); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return out, err
		}
		switch v := vals[0].(type) {
		case []byte:
			out = append(out, string(v))
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
}

// copyPages copies the main database of src into dst with the online backup
// API, pagesPerStep pages at a time, reporting progress and stopping when ctx
// is done.
func copyPages(ctx context.Context, dst, src *sqlite3.SQLiteConn, phase string, progress Progress) error {
	b, err := dst.Backup("main", src, "main")
	if err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			b.Finish()
			return err
		}
		done, err := b.Step(pagesPerStep)
		total := b.PageCount()
		if err != nil {
			b.Finish()
			return err
		}
		progress.report(phase, total-b.Remaining(), total)
		if done {
			return b.Finish()
		}
	}
}

// integrity runs PRAGMA quick_check (full: integrity_check) on c and returns
// the problems it reports (none when the file is sound).
func integrity(ctx context.Context, c *sqlite3.SQLiteConn, full bool) ([]string, error) {
	pragma := "PRAGMA quick_check(100)"
	if full {
		pragma = "PRAGMA integrity_check(100)"
	}
	res, err := rawStrings(ctx, c, pragma)
	if err != nil {
		return nil, err
	}
	if len(res) == 1 && res[0] == "ok" {
		return nil, nil
	}
	return res, nil
}

// Backup writes a consistent copy of the store to dest while the app keeps
// running: the online backup API copies the pages of one read snapshot (held
// open over all steps, so writers carry on in the WAL and the copy never
// restarts), into a temporary file beside dest that is then checked with
// PRAGMA integrity_check, synced and renamed. dest is replaced only by a copy
// that passed its check. The copy is a single self-contained file (rollback
// journal, no -wal), mode 0600.
func (db *DB) Backup(ctx context.Context, dest string, progress Progress) error {
	dest, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if same, _ := sameFile(dest, db.path); same {
		return resonanz.E(resonanz.EINVALID, "error.backup.backupOverwriteData", "A backup cannot overwrite the data file itself ({dest}).", "dest", dest)
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return resonanz.E(resonanz.EINVALID, "error.backup.createBackupFolder", "Cannot create the backup folder {dir}: {reason}.", "dir", dir, "reason", errors.Unwrap(err))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".*.partial")
	if err != nil {
		return resonanz.E(resonanz.EINVALID, "error.backup.writeBackup", "Cannot write a backup to {dir}: {reason}.", "dir", dir, "reason", errors.Unwrap(err))
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath)
	defer os.Remove(tmpPath + "-journal")
	if err := db.backupTo(ctx, tmpPath, progress); err != nil {
		return err
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return resonanz.E(resonanz.EINVALID, "error.backup.writeBackup2", "Cannot write the backup {dest}: {reason}.", "dest", dest, "reason", errors.Unwrap(err))
	}
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func (db *DB) backupTo(ctx context.Context, tmpPath string, progress Progress) error {
	dst, err := rawOpen(fileDSN(tmpPath))
	if err != nil {
		return fmt.Errorf("backup: open copy: %w", err)
	}
	defer dst.Close()
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		src := dc.(*sqlite3.SQLiteConn)
		// One read transaction over every step: all pages come from the same
		// snapshot, and commits of other connections do not restart the copy.
		if _, err := src.Exec("BEGIN DEFERRED", nil); err != nil {
			return err
		}
		defer src.Exec("ROLLBACK", nil)
		if _, err := rawStrings(ctx, src, "SELECT count(*) FROM sqlite_schema"); err != nil {
			return err
		}
		return copyPages(ctx, dst, src, "backup", progress)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("backup: copy: %w", err)
	}
	// A self-contained file: the copy of a WAL database would switch to WAL
	// (and grow -wal/-shm files) whenever it is opened.
	if _, err := dst.Exec("PRAGMA journal_mode=DELETE", nil); err != nil {
		return fmt.Errorf("backup: journal mode: %w", err)
	}
	progress.report("verify", 0, 1)
	problems, err := integrity(ctx, dst, true)
	if err != nil {
		return fmt.Errorf("backup: verify copy: %w", err)
	}
	if len(problems) > 0 {
		return resonanz.E(resonanz.EINTERNAL, "error.backup.backupCopyFailed", "The backup copy failed its integrity check ({problems}); it was discarded.", "problems", problems[0])
	}
	progress.report("verify", 1, 1)
	return nil
}

// Check runs the integrity check over the open store (PRAGMA quick_check, or
// the slower integrity_check when full).
func (db *DB) Check(ctx context.Context, full bool) (resonanz.IntegrityInfo, error) {
	start := time.Now()
	info := resonanz.IntegrityInfo{Path: db.path, Full: full, At: db.Now().UTC()}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return info, fmt.Errorf("check: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		var err error
		info.Problems, err = integrity(ctx, dc.(*sqlite3.SQLiteConn), full)
		return err
	})
	info.Millis = time.Since(start).Milliseconds()
	if err != nil {
		if p, ok := Damage(err); ok {
			info.Problems = []string{p}
			return info, nil
		}
		return info, fmt.Errorf("check: %w", err)
	}
	info.OK = len(info.Problems) == 0
	if info.Problems == nil {
		info.Problems = []string{}
	}
	return info, nil
}

// Damage reports whether err is SQLite saying the file is damaged or not a
// database at all, with a short description.
func Damage(err error) (string, bool) {
	if se, ok := errors.AsType[*SchemaError](err); ok {
		return "changed outside Resonanz: " + se.Objects(), true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrCorrupt:
			return "database disk image is malformed", true
		case sqlite3.ErrNotADB:
			return "file is not a database", true
		}
	}
	return "", false
}

// CheckFile runs the integrity check over the data file at path without
// opening it as the store (nothing is written, no migration runs): PRAGMA
// quick_check, or integrity_check when full. A missing or empty file is
// sound (a new installation). Damage is reported in the result, not as an
// error; the error is for a file that cannot be read at all.
func CheckFile(ctx context.Context, path string, full bool) (info resonanz.IntegrityInfo, err error) {
	start := time.Now()
	info = resonanz.IntegrityInfo{Path: path, Full: full, At: time.Now().UTC(), Problems: []string{}}
	// A named result, so that the time reaches the caller.
	defer func() { info.Millis = time.Since(start).Milliseconds() }()
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.Size() == 0) {
		info.OK = true
		return info, nil
	} else if err != nil {
		return info, resonanz.E(resonanz.EINVALID, "error.backup.readDataFile", "Cannot read the data file {path}: {reason}.", "path", path, "reason", errors.Unwrap(err))
	}
	if st.IsDir() {
		return info, resonanz.E(resonanz.EINVALID, "error.backup.folderDataFile", "{path} is a folder, not a data file.", "path", path)
	}
	c, err := rawOpen(fileDSN(path, "mode=ro"))
	if err != nil {
		if p, ok := Damage(err); ok {
			info.Problems = []string{p}
			return info, nil
		}
		return info, fmt.Errorf("check %s: %w", path, err)
	}
	defer c.Close()
	info.Problems, err = integrity(ctx, c, full)
	if err != nil {
		if p, ok := Damage(err); ok {
			info.Problems = []string{p}
			return info, nil
		}
		if ctx.Err() != nil {
			return info, ctx.Err()
		}
		return info, fmt.Errorf("check %s: %w", path, err)
	}
	if info.Problems == nil {
		info.Problems = []string{}
	}
	info.OK = len(info.Problems) == 0
	return info, nil
}

// Restore replaces the store's content with the backup at src, in place:
// the pages are copied into the live database through the backup API, so
// every open handle stays valid and sees the restored data. Before anything
// changes, src is copied and checked (integrity_check; it must be a Resonanz
// data file not written by a newer version; an older one is migrated — on the
// copy, src itself is never touched), and the current state is saved to
// safety (when not empty). Writers wait (busy timeout) while the pages go in.
func (db *DB) Restore(ctx context.Context, src, safety string, progress Progress) error {
	src, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if same, _ := sameFile(src, db.path); same {
		return resonanz.E(resonanz.EINVALID, "error.backup.dataFileItself", "{src} is the data file itself; choose a backup.", "src", src)
	}
	staged, err := db.stage(ctx, src, progress)
	if staged != "" {
		defer removeDB(staged)
	}
	if err != nil {
		return err
	}
	if safety != "" {
		if err := db.Backup(ctx, safety, func(p resonanz.BackupProgress) {
			if p.Phase == "backup" {
				progress.report("safety", p.Done, p.Total)
			}
		}); err != nil {
			return fmt.Errorf("restore: safety backup: %w", err)
		}
	}
	from, err := rawOpen(fileDSN(staged))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer from.Close()
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		return copyPages(ctx, dc.(*sqlite3.SQLiteConn), from, "restore", progress)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("restore: copy: %w", err)
	}
	return nil
}

// stage copies src next to the store, checks the copy and brings its schema
// up to date; it returns the copy's path (to remove) even on error.
func (db *DB) stage(ctx context.Context, src string, progress Progress) (string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return "", resonanz.E(resonanz.EINVALID, "error.backup.read", "Cannot read {src}: {reason}.", "src", src, "reason", errors.Unwrap(err))
	}
	if st.IsDir() || st.Size() == 0 {
		return "", resonanz.E(resonanz.EINVALID, "error.backup.resonanzBackupEmpty", "{src} is not a Resonanz backup (it is empty or a folder).", "src", src)
	}
	notOurs := resonanz.E(resonanz.EINVALID, "error.backup.resonanzBackup", "{src} is not a Resonanz backup.", "src", src)
	tmp, err := os.CreateTemp(filepath.Dir(db.path), ".restore-*.db")
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	staged := tmp.Name()
	tmp.Close()

	in, err := rawOpen(fileDSN(src, "mode=ro"))
	if err != nil {
		return staged, notOurs
	}
	out, err := rawOpen(fileDSN(staged))
	if err != nil {
		in.Close()
		return staged, fmt.Errorf("restore: %w", err)
	}
	err = copyPages(ctx, out, in, "verify", progress)
	in.Close()
	if err != nil {
		out.Close()
		if _, ok := Damage(err); ok {
			return staged, resonanz.E(resonanz.EINVALID, "error.backup.resonanzBackupDamaged", "{src} is not a Resonanz backup or it is damaged ({reason}).", "src", src, "reason", err)
		}
		if ctx.Err() != nil {
			return staged, ctx.Err()
		}
		return staged, fmt.Errorf("restore: read %s: %w", src, err)
	}
	problems, err := integrity(ctx, out, true)
	if err == nil && len(problems) > 0 {
		err = resonanz.E(resonanz.EINVALID, "error.backup.backupDamagedChoose", "The backup {src} is damaged ({problems}); choose another one.", "src", src, "problems", problems[0])
	} else if err != nil {
		if p, ok := Damage(err); ok {
			err = resonanz.E(resonanz.EINVALID, "error.backup.backupDamagedChoose", "The backup {src} is damaged ({problems}); choose another one.", "src", src, "problems", p)
		}
	}
	if err == nil {
		var tables []string
		tables, err = rawStrings(ctx, out, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migration'")
		if err == nil && len(tables) == 0 {
			err = notOurs
		}
	}
	var pageSize []string
	if err == nil {
		pageSize, err = rawStrings(ctx, out, "PRAGMA page_size")
	}
	out.Close()
	if err != nil {
		return staged, err
	}

	// Bring an older schema up to date on the copy; a newer one is refused.
	sdb, err := sql.Open("sqlite3", DSN(staged))
	if err != nil {
		return staged, fmt.Errorf("restore: %w", err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	copyDB := &DB{db: sdb, path: src, Now: db.Now}
	if err := copyDB.migrate(ctx, db.migrations); err != nil {
		var re *resonanz.Error
		if errors.As(err, &re) {
			return staged, err
		}
		return staged, resonanz.E(resonanz.EINVALID, "error.backup.resonanzBackupProgram", "{src} is not a Resonanz backup of this program ({reason}).", "src", src, "reason", err)
	}
	// A backup taken during a large import lacks the name indexes.
	if err := copyDB.repairNameIndexes(ctx); err != nil {
		return staged, fmt.Errorf("restore: %w", err)
	}
	// A hand-made trigger, view or index could switch off the consent
	// guarantees: the schema must be exactly what the migrations create.
	if err := checkSchema(ctx, sdb, src, db.migrations); err != nil {
		return staged, err
	}
	// The backup API cannot change the page size of a WAL database: give the
	// copy the store's page size first.
	var want string
	if err := db.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&want); err != nil {
		return staged, fmt.Errorf("restore: %w", err)
	}
	if len(pageSize) == 1 && pageSize[0] != want {
		for _, q := range []string{"PRAGMA journal_mode=DELETE", "PRAGMA page_size=" + want, "VACUUM"} {
			if _, err := sdb.ExecContext(ctx, q); err != nil {
				return staged, fmt.Errorf("restore: page size: %w", err)
			}
		}
	}
	// Back to a single file (checkpointing the WAL) for the copy into the store.
	if _, err := sdb.ExecContext(ctx, "PRAGMA journal_mode=DELETE"); err != nil {
		return staged, fmt.Errorf("restore: %w", err)
	}
	return staged, sdb.Close()
}

// removeDB removes a database file and its journal files.
func removeDB(path string) {
	for _, s := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + s)
	}
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// UpToDate reports whether the data file at path exists and has every
// embedded migration applied, so that opening it writes nothing. Anything
// it cannot tell (no file, no schema table, an unreadable file) is false.
func UpToDate(ctx context.Context, path string) bool {
	ms, err := loadMigrations(Migrations)
	if err != nil {
		return false
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		return false
	}
	c, err := rawOpen(fileDSN(path, "mode=ro"))
	if err != nil {
		return false
	}
	defer c.Close()
	v, err := rawStrings(ctx, c, `SELECT COUNT(*) FROM schema_migration`)
	return err == nil && len(v) == 1 && v[0] == strconv.Itoa(len(ms))
}
