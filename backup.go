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

// cliCheckLimit bounds the data file the command line quick-checks before
// every command: PRAGMA quick_check reads every page (about 1 s per GB
// here), which would dominate short commands over big stores. Larger files
// are checked by the desktop window and `resonanz serve` at start-up, by
// `resonanz check`, and damage a command meets is reported the same way.
const cliCheckLimit = 64 << 20

// startupCheck runs PRAGMA quick_check over the data file before it is
// opened; nil when skipped (a big file on the command line).
func startupCheck(ctx context.Context, path, mode string) (*resonanz.IntegrityInfo, error) {
	if mode == "cli" {
		if st, err := os.Stat(path); err == nil && st.Size() > cliCheckLimit {
			return nil, nil
		}
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
	st.Check = s.a.check
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
	if s.a.db == nil { // recovery: the damaged file is moved aside, not opened
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
		s.a.check = &info
	}
	return info, err
}

// dailyBackupEvery is how often the running app looks whether today's
// automatic copy exists yet (so a machine that slept past midnight still
// gets one per day).
const dailyBackupEvery = time.Hour

// startDailyBackups writes today's copy now (in the background, if there is
// none yet) and again each day while the app runs; it returns a function
// that stops it. Failures are logged and kept as the last result the
// Settings card shows; they never remove older copies.
func (a *App) startDailyBackups(ctx context.Context) (stop func()) {
	if a.db == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
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
