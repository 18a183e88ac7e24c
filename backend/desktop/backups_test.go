package desktop_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// fakeBackups is a BackupService over a folder.
type fakeBackups struct {
	dir      string
	restored string
}

func (f *fakeBackups) Status(context.Context) (resonanz.BackupStatus, error) {
	return resonanz.BackupStatus{Dir: f.dir, Retention: 7}, nil
}
func (f *fakeBackups) SetRetention(context.Context, int) error { return nil }
func (f *fakeBackups) BackupTo(_ context.Context, dest string, progress func(resonanz.BackupProgress)) (resonanz.BackupResult, error) {
	if dest == "" {
		dest = filepath.Join(f.dir, "resonanz-manual-2026-11-28-120000.db")
	}
	progress(resonanz.BackupProgress{Phase: "backup", Done: 1, Total: 1})
	os.WriteFile(dest, []byte("SQLite format 3\x00"), 0o600)
	return resonanz.BackupResult{OK: true, File: dest, At: time.Now()}, nil
}
func (f *fakeBackups) Restore(_ context.Context, path string, _ func(resonanz.BackupProgress)) error {
	f.restored = path
	return nil
}
func (f *fakeBackups) BackupPath(name string) (string, error) {
	if name != "resonanz-manual-2026-11-28-120000.db" {
		return "", resonanz.Errorf(resonanz.ENOTFOUND, "There is no backup %q.", name)
	}
	return filepath.Join(f.dir, name), nil
}
func (f *fakeBackups) Check(context.Context, bool) (resonanz.IntegrityInfo, error) {
	return resonanz.IntegrityInfo{OK: true}, nil
}

type recorder struct{ names []string }

func (r *recorder) Emit(name string, _ any) { r.names = append(r.names, name) }

func TestBackups_BrowserMode(t *testing.T) {
	svc := &fakeBackups{dir: t.TempDir()}
	events := &recorder{}
	b := desktop.NewBackups(context.Background(), svc, nil, desktop.PickedFiles{}, events)

	res, err := b.BackupNow(desktop.BackupRequest{OpID: "op1"})
	if err != nil || !res.OK || res.Download != "resonanz-manual-2026-11-28-120000.db" {
		t.Fatalf("BackupNow = %+v, %v", res, err)
	}
	if len(events.names) == 0 || events.names[0] != "backup:progress:op1" {
		t.Errorf("progress events %v", events.names)
	}
	if _, err := b.PickBackupFile("x"); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Errorf("PickBackupFile in browser mode: %v", err)
	}

	t.Run("OK/RestoreByName", func(t *testing.T) {
		if _, err := b.Restore(desktop.BackupRequest{Name: "resonanz-manual-2026-11-28-120000.db"}); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(svc.restored) != "resonanz-manual-2026-11-28-120000.db" {
			t.Errorf("restored %q", svc.restored)
		}
	})
	t.Run("ErrNothingChosen", func(t *testing.T) {
		if _, err := b.Restore(desktop.BackupRequest{}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("%v", err)
		}
	})
	t.Run("ErrRelativeSource", func(t *testing.T) {
		if _, err := b.Restore(desktop.BackupRequest{Source: "../resonanz.db"}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("%v", err)
		}
	})
	t.Run("ErrBusy", func(t *testing.T) {
		b.Busy = func() string { return "the running send" }
		defer func() { b.Busy = nil }()
		svc.restored = ""
		if _, err := b.Restore(desktop.BackupRequest{Name: "resonanz-manual-2026-11-28-120000.db"}); resonanz.ErrorCode(err) != resonanz.ECONFLICT || svc.restored != "" {
			t.Errorf("restore during a send: %v", err)
		}
	})

	t.Run("Download", func(t *testing.T) {
		h := desktop.BackupDownloads{Svc: svc}
		for path, want := range map[string]int{
			"/api/download/backup/resonanz-manual-2026-11-28-120000.db": 200,
			"/api/download/backup/resonanz.db":                          404,
			"/api/download/backup/../resonanz.db":                       404,
			"/api/download/other":                                       404,
		} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			if w.Code != want {
				t.Errorf("GET %s: %d, want %d", path, w.Code, want)
			}
			if want == 200 && w.Header().Get("Content-Disposition") == "" {
				t.Errorf("no attachment header")
			}
		}
	})
}
