package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// BackupDirName is the backup folder inside the data directory.
const BackupDirName = "backups"

// statusFile keeps the retention and the last result in the backup folder,
// not in the database: a restore must not roll back the backup settings, and
// a failed backup of a damaged store must still be recorded.
const statusFile = "backup.json"

// MaxBackupRetention bounds the retention setting.
const MaxBackupRetention = 365

// backupName matches the copies the backup folder manages; anything else in
// the folder is left alone.
var backupName = regexp.MustCompile(`^resonanz-(\d{4}-\d{2}-\d{2})\.db$|^resonanz-(manual|before-restore)-(\d{4}-\d{2}-\d{2}-\d{6})\.db$`)

// BackupDir manages the backup folder of a store: one automatic copy per day
// (resonanz-YYYY-MM-DD.db) of which Retention are kept, manual copies and
// safety copies taken before a restore (the newest Retention of each kind).
// One backup or restore runs at a time.
type BackupDir struct {
	db  *DB // nil in recovery (the store could not be opened)
	dir string
	// Now returns the current time; tests replace it.
	Now func() time.Time
	mu  sync.Mutex
}

// NewBackupDir returns the manager of dir for db (nil: recovery mode, only
// listing and RestoreInto work).
func NewBackupDir(db *DB, dir string) *BackupDir {
	return &BackupDir{db: db, dir: dir, Now: time.Now}
}

// Dir returns the backup folder.
func (b *BackupDir) Dir() string { return b.dir }

type backupState struct {
	Retention int                    `json:"retention"`
	Last      *resonanz.BackupResult `json:"last,omitempty"`
}

func (b *BackupDir) state() backupState {
	st := backupState{Retention: resonanz.DefaultBackupRetention}
	if raw, err := os.ReadFile(filepath.Join(b.dir, statusFile)); err == nil {
		json.Unmarshal(raw, &st) // a garbled status file falls back to the defaults
	}
	if st.Retention < 1 || st.Retention > MaxBackupRetention {
		st.Retention = resonanz.DefaultBackupRetention
	}
	return st
}

func (b *BackupDir) saveState(st backupState) error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return fmt.Errorf("backup status: %w", err)
	}
	raw, _ := json.MarshalIndent(st, "", "  ")
	tmp, err := os.CreateTemp(b.dir, "."+statusFile+".*")
	if err != nil {
		return fmt.Errorf("backup status: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("backup status: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup status: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(b.dir, statusFile))
}

// Status returns the folder, retention, last result and the copies.
func (b *BackupDir) Status() (resonanz.BackupStatus, error) {
	st := b.state()
	list, err := b.List()
	return resonanz.BackupStatus{Dir: b.dir, Retention: st.Retention, Last: st.Last, Backups: list}, err
}

// SetRetention sets how many daily copies are kept (1..365) and prunes.
func (b *BackupDir) SetRetention(n int) error {
	if n < 1 || n > MaxBackupRetention {
		return resonanz.FieldError("retention", "error.backup.retention", "Keep between 1 and 365 daily backups.")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state()
	st.Retention = n
	if err := b.saveState(st); err != nil {
		return err
	}
	return b.prune(n)
}

// List returns the copies in the folder, newest first.
func (b *BackupDir) List() ([]resonanz.BackupFile, error) {
	entries, err := os.ReadDir(b.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []resonanz.BackupFile{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	out := []resonanz.BackupFile{}
	for _, e := range entries {
		m := backupName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		f := resonanz.BackupFile{Name: e.Name(), Kind: resonanz.BackupDaily, Size: info.Size(), At: info.ModTime().UTC()}
		switch m[2] {
		case "manual":
			f.Kind = resonanz.BackupManual
		case "before-restore":
			f.Kind = resonanz.BackupSafety
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// Path returns the path of the copy called name; only names of managed
// copies are accepted, so a caller cannot reach outside the folder.
func (b *BackupDir) Path(name string) (string, error) {
	if !backupName.MatchString(name) {
		return "", resonanz.E(resonanz.ENOTFOUND, "error.backup.unknown", "There is no backup \"{name}\".", "name", name)
	}
	p := filepath.Join(b.dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", resonanz.E(resonanz.ENOTFOUND, "error.backup.unknown", "There is no backup \"{name}\".", "name", name)
	}
	return p, nil
}

// DailyName is the name of the automatic copy of day t (local date).
func DailyName(t time.Time) string { return "resonanz-" + t.Format("2006-01-02") + ".db" }

func (b *BackupDir) stamped(kind string) string {
	return filepath.Join(b.dir, "resonanz-"+kind+"-"+b.Now().Format("2006-01-02-150405")+".db")
}

// Daily writes today's automatic copy unless it exists, then prunes old
// ones. made is false when today's copy was already there.
func (b *BackupDir) Daily(ctx context.Context, progress Progress) (res resonanz.BackupResult, made bool, err error) {
	path := filepath.Join(b.dir, DailyName(b.Now()))
	if _, err := os.Stat(path); err == nil {
		return resonanz.BackupResult{}, false, nil
	}
	res, err = b.run(ctx, resonanz.BackupDaily, path, progress)
	return res, err == nil, err
}

// BackupNow writes a copy to dest, or into the folder as a manual copy when
// dest is "".
func (b *BackupDir) BackupNow(ctx context.Context, dest string, progress Progress) (resonanz.BackupResult, error) {
	if dest == "" {
		dest = b.stamped("manual")
	}
	return b.run(ctx, resonanz.BackupManual, dest, progress)
}

// run makes one copy and records the result. Old copies are pruned only
// after a copy passed its check, so a failing backup never costs a good one.
func (b *BackupDir) run(ctx context.Context, kind, dest string, progress Progress) (resonanz.BackupResult, error) {
	if b.db == nil {
		return resonanz.BackupResult{}, resonanz.E(resonanz.ECONFLICT, "error.backup.dataFileCould", "The data file could not be opened; restore a backup first.")
	}
	if !b.mu.TryLock() {
		return resonanz.BackupResult{}, resonanz.E(resonanz.ECONFLICT, "error.backup.backupRestoreAlready", "A backup or restore is already running.")
	}
	defer b.mu.Unlock()
	res := resonanz.BackupResult{At: b.Now().UTC(), Kind: kind}
	err := b.db.Backup(ctx, dest, progress)
	if err != nil {
		res.Message = resonanz.ErrorMessage(err)
		if resonanz.ErrorCode(err) == resonanz.EINTERNAL {
			res.Message = err.Error() // the operator's own machine: say what failed
		}
	} else {
		res.OK, res.File = true, dest
	}
	st := b.state()
	st.Last = &res
	serr := b.saveState(st)
	if err != nil {
		return res, err
	}
	if err := b.prune(st.Retention); err != nil {
		return res, err
	}
	return res, serr
}

// prune removes the oldest copies beyond keep, per kind.
func (b *BackupDir) prune(keep int) error {
	list, err := b.List()
	if err != nil {
		return err
	}
	// Names carry their date and time, so within a kind they sort by age
	// (modification times can be changed by copying the folder).
	sort.Slice(list, func(i, j int) bool { return list[i].Name > list[j].Name })
	seen := map[string]int{}
	for _, f := range list { // newest first
		seen[f.Kind]++
		if seen[f.Kind] > keep {
			if err := os.Remove(filepath.Join(b.dir, f.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("prune backups: %w", err)
			}
		}
	}
	return nil
}

// Restore replaces the store's content with the copy at src (a path), after
// checking it and saving the current state as a safety copy in the folder.
func (b *BackupDir) Restore(ctx context.Context, src string, progress Progress) error {
	if b.db == nil {
		return resonanz.E(resonanz.ECONFLICT, "error.backup.dataFileCould2", "The data file could not be opened; restore it from the start screen.")
	}
	if !b.mu.TryLock() {
		return resonanz.E(resonanz.ECONFLICT, "error.backup.backupRestoreAlready", "A backup or restore is already running.")
	}
	defer b.mu.Unlock()
	safety := b.stamped("before-restore")
	if err := b.db.Restore(ctx, src, safety, progress); err != nil {
		return err
	}
	// The restored audit log says where its state came from.
	detail, _ := json.Marshal(map[string]string{"from": src, "safetyCopy": filepath.Base(safety)})
	if err := b.db.audit(ctx, "backup.restore", filepath.Base(src), string(detail)); err != nil {
		return err
	}
	st := b.state()
	return b.prune(st.Retention)
}

// NewestGood returns the path of the newest copy that passes a quick check,
// "" when there is none.
func (b *BackupDir) NewestGood(ctx context.Context) string {
	list, err := b.List()
	if err != nil {
		return ""
	}
	for _, f := range list {
		p := filepath.Join(b.dir, f.Name)
		if info, err := CheckFile(ctx, p, false); err == nil && info.OK {
			return p
		}
	}
	return ""
}

// RestoreInto recovers a damaged data file at path from the copy src without
// opening the damaged file: it is moved aside (path.damaged-TIMESTAMP, kept
// for inspection), a new store is created at path and the copy restored into
// it. It returns where the damaged file went.
func (b *BackupDir) RestoreInto(ctx context.Context, path, src string, progress Progress) (string, error) {
	if !b.mu.TryLock() {
		return "", resonanz.E(resonanz.ECONFLICT, "error.backup.backupRestoreAlready", "A backup or restore is already running.")
	}
	defer b.mu.Unlock()
	// Check the copy before touching anything.
	if info, err := CheckFile(ctx, src, true); err != nil {
		return "", err
	} else if !info.OK {
		return "", resonanz.E(resonanz.EINVALID, "error.backup.backupDamagedToo", "The backup {src} is damaged too ({problems}); choose another one.", "src", src, "problems", info.Problems[0])
	}
	aside := path + ".damaged-" + b.Now().Format("2006-01-02-150405")
	if _, err := os.Stat(path); err == nil {
		for _, s := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+s, aside+s); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("restore: move the damaged file aside: %w", err)
			}
		}
	} else {
		aside = ""
	}
	db, err := Open(ctx, path, Options{})
	if err != nil {
		return aside, err
	}
	if err := db.Restore(ctx, src, "", progress); err != nil {
		db.Close()
		removeDB(path)
		if aside != "" { // put the damaged file back rather than leave an empty store
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Rename(aside+s, path+s)
			}
		}
		return "", err
	}
	detail, _ := json.Marshal(map[string]string{"from": src, "damagedCopy": filepath.Base(aside)})
	if err := db.audit(ctx, "backup.restore", filepath.Base(src), string(detail)); err != nil {
		db.Close()
		return aside, err
	}
	return aside, db.Close()
}
