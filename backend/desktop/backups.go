package desktop

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// BackupService is what the Backups card needs; the composition root
// implements it over the store's backup folder (or, when the data file is
// damaged, over the folder alone).
type BackupService interface {
	Status(ctx context.Context) (resonanz.BackupStatus, error)
	SetRetention(ctx context.Context, n int) error
	// BackupTo writes a copy to dest, or into the backup folder when dest is "".
	BackupTo(ctx context.Context, dest string, progress func(resonanz.BackupProgress)) (resonanz.BackupResult, error)
	// Restore replaces the data with the backup at path.
	Restore(ctx context.Context, path string, progress func(resonanz.BackupProgress)) error
	// BackupPath returns the path of a copy in the backup folder by name.
	BackupPath(name string) (string, error)
	Check(ctx context.Context, full bool) (resonanz.IntegrityInfo, error)
}

// Backups is the bound façade of the Backups card in Settings and of the
// recovery screen shown when the data file is damaged.
type Backups struct {
	ctx     context.Context
	svc     BackupService
	window  *Window // nil in browser mode
	sources Sources
	events  Emitter
	ops     operations
	// Busy, when set, names a job that must end before a restore ("" none).
	Busy func() string
}

// NewBackups returns the Backups façade; window is nil in browser mode.
func NewBackups(ctx context.Context, svc BackupService, window *Window, sources Sources, events Emitter) *Backups {
	return &Backups{ctx: ctx, svc: svc, window: window, sources: sources, events: events}
}

// BackupRequest starts a backup or restore; OpID scopes the progress events
// ("backup:progress:<opId>") and Cancel.
type BackupRequest struct {
	OpID string `json:"opId"`
	// Source is the backup to restore: a path picked in the desktop window,
	// "upload:<id>" in browser mode, or Name for a copy in the backup folder.
	Source string `json:"source"`
	Name   string `json:"name"`
}

// BackupNowResult is the outcome of "Back up now". In the desktop window
// the copy went where the user chose (Cancelled when they closed the
// dialog); in browser mode it is in the backup folder and Download names it
// for GET /api/download/backup/<name>.
type BackupNowResult struct {
	resonanz.BackupResult
	Cancelled bool   `json:"cancelled"`
	Download  string `json:"download"`
}

// Status returns the backup folder, retention, last result and the copies.
func (b *Backups) Status() (resonanz.BackupStatus, error) { return b.svc.Status(b.ctx) }

// SetRetention sets how many daily copies are kept (1..365).
func (b *Backups) SetRetention(n int) (resonanz.BackupStatus, error) {
	if err := b.svc.SetRetention(b.ctx, n); err != nil {
		return resonanz.BackupStatus{}, err
	}
	return b.svc.Status(b.ctx)
}

func (b *Backups) progress(opID string) func(resonanz.BackupProgress) {
	emit := Throttle(b.events, resonanz.Scoped(resonanz.EventBackupProgress, opID), 100*time.Millisecond)
	return func(p resonanz.BackupProgress) { emit(p, p.Done == p.Total) }
}

// BackupNow writes a copy of the data file: through the native save dialog
// in the desktop window, into the backup folder for download in browser mode.
func (b *Backups) BackupNow(req BackupRequest) (BackupNowResult, error) {
	ctx, done := b.ops.start(b.ctx, req.OpID)
	defer done()
	dest := ""
	if b.window != nil {
		wctx := b.window.current()
		if wctx == nil {
			return BackupNowResult{}, resonanz.E(resonanz.EINVALID, "error.backup.saveDialogAvailable", "The save dialog is only available in the desktop window.")
		}
		path, err := runtime.SaveFileDialog(wctx, runtime.SaveDialogOptions{
			DefaultFilename: "resonanz-" + time.Now().Format("2006-01-02-1504") + ".db",
			Filters:         []runtime.FileFilter{{DisplayName: "Resonanz backup (*.db)", Pattern: "*.db"}},
		})
		if err != nil {
			return BackupNowResult{}, fmt.Errorf("save dialog: %w", err)
		}
		if path == "" {
			return BackupNowResult{Cancelled: true}, nil
		}
		dest = path
	}
	res, err := b.svc.BackupTo(ctx, dest, b.progress(req.OpID))
	if err != nil {
		return BackupNowResult{}, err
	}
	out := BackupNowResult{BackupResult: res}
	if b.window == nil {
		out.Download = filepath.Base(res.File)
	}
	return out, nil
}

// Restore replaces the data with a backup: a copy in the backup folder
// (Name), a picked file or an upload (Source). The backup is checked first
// and the current state saved as a safety copy in the backup folder.
func (b *Backups) Restore(req BackupRequest) (resonanz.BackupStatus, error) {
	if b.Busy != nil {
		if job := b.Busy(); job != "" {
			return resonanz.BackupStatus{}, resonanz.E(resonanz.ECONFLICT, "error.backup.waitUntilHas", "Wait until {job} has ended (or pause it) before restoring a backup.", "job", job)
		}
	}
	var path string
	var err error
	switch {
	case req.Name != "":
		path, err = b.svc.BackupPath(req.Name)
	case req.Source != "":
		path, _, err = b.sources.Resolve(req.Source)
	default:
		err = resonanz.E(resonanz.EINVALID, "error.backup.chooseBackupRestore", "Choose a backup to restore.")
	}
	if err != nil {
		return resonanz.BackupStatus{}, err
	}
	ctx, done := b.ops.start(b.ctx, req.OpID)
	defer done()
	if err := b.svc.Restore(ctx, path, b.progress(req.OpID)); err != nil {
		return resonanz.BackupStatus{}, err
	}
	return b.svc.Status(b.ctx)
}

// Cancel stops the backup or restore opID; a cancelled restore leaves the
// data as it was.
func (b *Backups) Cancel(opID string) (bool, error) { return b.ops.cancel(opID), nil }

// Check runs the integrity check over the data file (full: the slower
// integrity_check that also compares indexes with their tables).
func (b *Backups) Check(full bool) (resonanz.IntegrityInfo, error) { return b.svc.Check(b.ctx, full) }

// PickBackupFile opens the native file dialog for a backup (desktop window
// only) and returns its path, "" when cancelled. Browser mode uploads.
func (b *Backups) PickBackupFile(title string) (string, error) {
	if b.window == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.uploadFileInstead", "Upload the file instead: there is no file dialog in browser mode.")
	}
	ctx := b.window.current()
	if ctx == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.backup.fileDialogAvailable", "The file dialog is only available in the desktop window.")
	}
	return runtime.OpenFileDialog(ctx, runtime.OpenDialogOptions{
		Title:   title,
		Filters: []runtime.FileFilter{{DisplayName: "Resonanz backup (*.db)", Pattern: "*.db;*.sqlite;*.bak"}},
	})
}

// Quit closes the desktop window (the recovery screen asks for a restart
// after a restore); in browser mode it does nothing.
func (b *Backups) Quit() (bool, error) {
	if b.window != nil {
		if ctx := b.window.current(); ctx != nil {
			runtime.Quit(ctx)
			return true, nil
		}
	}
	return false, nil
}

// BackupDownloads serves copies of the backup folder in browser mode
// (GET /api/download/backup/<name>).
type BackupDownloads struct {
	Svc BackupService
}

// ServeHTTP implements http.Handler.
func (d BackupDownloads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/api/download/backup/")
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	path, err := d.Svc.BackupPath(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.sqlite3")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeFile(w, r, path)
}
