package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// syncCheckLimit bounds the data file that is quick-checked before it is
// opened: PRAGMA quick_check reads every page (about 1 s per GB here; 64 MB
// cost some 60 ms), which would hold up the window and dominate short
// commands over big stores. A larger file is checked by the window and
// `resonanz serve` right after start, in the background (the UI switches to
// the recovery screen if it is damaged), and by `resonanz check`; damage a
// command meets is reported the same way.
var syncCheckLimit int64 = 64 << 20 // a variable for tests

// startupCheck runs PRAGMA quick_check over the data file before it is
// opened; nil when the file is too big to check before start, or when
// late is set (the desktop window) and opening the file writes
// nothing (no migration pending): then the check runs in the background
// once the window shows its first screen (startDailyBackups), instead of
// adding its 60–100 ms for a 40 MB store to the start-up.
func startupCheck(ctx context.Context, path string, late bool) (*resonanz.IntegrityInfo, error) {
	if st, err := os.Stat(path); err == nil && st.Size() > syncCheckLimit {
		return nil, nil
	}
	if late && sqlite.UpToDate(ctx, path) {
		return nil, nil
	}
	info, err := sqlite.CheckFile(ctx, path, false)
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// damagedError turns SQLite's "malformed"/"not a database" errors into the
// message about the damaged data file (with the newest good backup); other
// errors pass unchanged.
func damagedError(ctx context.Context, err error, dbPath string, dir *sqlite.BackupDir) error {
	var d *resonanz.DamagedError
	if err == nil || errors.As(err, &d) {
		return err
	}
	problem, ok := sqlite.Damage(err)
	if !ok {
		return err
	}
	return &resonanz.DamagedError{Path: dbPath, Problems: []string{problem}, Newest: dir.NewestGood(ctx)}
}

// backupService implements desktop.BackupService over the app.
type backupService struct{ a *App }

func (s backupService) Status(ctx context.Context) (resonanz.BackupStatus, error) {
	st, err := s.a.backupDir.Status()
	st.Check, _ = s.a.health()
	if s.a.secrets != nil {
		st.Secrets = s.a.secrets.Where(ctx)
	}
	return st, err
}

func (s backupService) SetRetention(_ context.Context, n int) error {
	return s.a.backupDir.SetRetention(n)
}

func (s backupService) BackupTo(ctx context.Context, dest string, progress func(resonanz.BackupProgress)) (resonanz.BackupResult, error) {
	res, err := s.a.backupDir.BackupNow(ctx, dest, progress)
	if err != nil {
		s.a.log.Error("backup failed", "dest", dest, "err", err)
	}
	return res, err
}

func (s backupService) Restore(ctx context.Context, path string, progress func(resonanz.BackupProgress)) error {
	if _, damaged := s.a.health(); damaged != nil { // recovery: the damaged file is moved aside, not read
		aside, err := s.a.backupDir.RestoreInto(ctx, s.a.dbPath, path, progress)
		if err != nil {
			return err
		}
		s.a.log.Info("data file restored; the damaged file was kept", "from", path, "damaged_copy", aside)
		return nil
	}
	if err := s.a.backupDir.Restore(ctx, path, progress); err != nil {
		return err
	}
	s.a.log.Info("data file restored", "from", path)
	return nil
}

func (s backupService) BackupPath(name string) (string, error) { return s.a.backupDir.Path(name) }

func (s backupService) Check(ctx context.Context, full bool) (resonanz.IntegrityInfo, error) {
	if s.a.db == nil {
		return sqlite.CheckFile(ctx, s.a.dbPath, full)
	}
	info, err := s.a.db.Check(ctx, full)
	if err == nil {
		s.a.mu.Lock()
		s.a.check = &info
		s.a.mu.Unlock()
	}
	return info, err
}

// health returns the last integrity check (nil before one ran) and the
// damage found (nil when none).
func (a *App) health() (*resonanz.IntegrityInfo, *resonanz.DamagedError) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.check, a.damaged
}

// lateCheck quick-checks a data file that was too big to check before
// start; damage switches the UI to the recovery screen. It reports whether
// the file is sound.
func (a *App) lateCheck(ctx context.Context) bool {
	if c, d := a.health(); c != nil || d != nil {
		return d == nil
	}
	info, err := sqlite.CheckFile(ctx, a.dbPath, false)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("integrity check failed to run", "err", err)
		}
		return false
	}
	if info.OK {
		a.mu.Lock()
		a.check = &info
		a.mu.Unlock()
		a.log.Info("integrity check", "ok", true, "ms", info.Millis)
		return true
	}
	d := &resonanz.DamagedError{Path: a.dbPath, Problems: info.Problems, Newest: a.backupDir.NewestGood(ctx)}
	a.mu.Lock()
	a.check, a.damaged = &info, d
	a.mu.Unlock()
	a.log.Error("data file damaged", "path", d.Path, "problems", d.Problems, "newest_backup", d.Newest)
	a.markDamaged(d)
	return false
}

// dailyBackupEvery is how often the running app looks whether today's
// automatic copy exists yet (so a machine that slept past midnight still
// gets one per day).
const dailyBackupEvery = time.Hour

// lateCheckWait bounds how long the late integrity check waits for the
// window's first screen (a window that never reports one still gets it).
const lateCheckWait = 10 * time.Second

// startDailyBackups runs the late integrity check of a big data file, then
// writes today's copy (in the background, if there is none yet) and again
// each day while the app runs; it returns a function that stops it.
// Failures are logged and kept as the last result the Settings card shows;
// they never remove older copies. A damaged file is not backed up. The
// check waits until started is closed (nil: it runs at once; at most
// lateCheckWait): the window closes it when its first screen shows, because
// the check reads the whole file (0.46 s of CPU for the 42 MB store of
// 100k recipients in make bench), which would compete with WebKit's start. The
// first copy waits delay after the check, for the same reason.
func (a *App) startDailyBackups(ctx context.Context, started <-chan struct{}, delay time.Duration) (stop func()) {
	if a.db == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if started != nil {
			wait := time.NewTimer(lateCheckWait)
			select {
			case <-ctx.Done():
				wait.Stop()
				return
			case <-started:
			case <-wait.C:
			}
			wait.Stop()
		}
		if !a.lateCheck(ctx) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		t := time.NewTicker(dailyBackupEvery)
		defer t.Stop()
		for {
			res, made, err := a.backupDir.Daily(ctx, nil)
			switch {
			case err != nil && ctx.Err() == nil && resonanz.ErrorCode(err) != resonanz.ECONFLICT:
				a.log.Error("daily backup failed", "err", err)
			case made:
				a.log.Info("daily backup written", "file", filepath.Base(res.File))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// backupName is the file name of a backup path, "" for none.
func backupName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}
