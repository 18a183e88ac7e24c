package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// importPeople imports n generated recipients into the store in data.
func importPeople(t *testing.T, data string, from, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("E-Mail;Vorname;Nachname\n")
	for i := from; i < from+n; i++ {
		b.WriteString("person" + itoa(i) + "@example.org;Vor" + itoa(i) + ";" + strings.Repeat("Nach", 20) + "\n")
	}
	csv := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "--data", data, "import", "recipients", csv, "--list", "Kunden"); code != 0 {
		t.Fatalf("import: exit %d %s", code, stderr)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// exportCSV returns the recipients as CSV through the command line.
func exportCSV(t *testing.T, data string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "--data", data, "export", "recipients")
	if code != 0 {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	return stdout
}

func TestRun_BackupRestoreCheck(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	importPeople(t, data, 0, 50)
	want := exportCSV(t, data)

	// backup into the folder, and to a chosen file
	code, stdout, stderr := runCLI(t, "--data", data, "backup")
	if code != 0 || !strings.Contains(stdout, "Backup written to") {
		t.Fatalf("backup: exit %d %q %q", code, stdout, stderr)
	}
	out := filepath.Join(dir, "mine.db")
	code, stdout, stderr = runCLI(t, "--data", data, "--json", "backup", "--out", out)
	var res struct {
		File string
		Size int64
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.File != out || res.Size == 0 {
		t.Fatalf("backup --out: exit %d %q %q", code, stdout, stderr)
	}
	entries, _ := os.ReadDir(filepath.Join(data, sqlite.BackupDirName))
	var manual string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "resonanz-manual-") {
			manual = e.Name()
		}
	}
	if manual == "" {
		t.Fatalf("no manual copy in the backups folder: %v", entries)
	}

	// change the data, restore the file, the exact rows come back
	importPeople(t, data, 50, 30)
	if exportCSV(t, data) == want {
		t.Fatal("import changed nothing")
	}
	code, stdout, stderr = runCLI(t, "--data", data, "restore", out)
	if code != 0 || !strings.Contains(stdout, "Restored") {
		t.Fatalf("restore: exit %d %q %q", code, stdout, stderr)
	}
	if got := exportCSV(t, data); got != want {
		t.Errorf("restored recipients differ:\n%s\n---\n%s", got, want)
	}
	// by name from the backups folder
	importPeople(t, data, 100, 5)
	if code, _, stderr := runCLI(t, "--data", data, "restore", manual); code != 0 {
		t.Fatalf("restore by name: exit %d %s", code, stderr)
	}
	if got := exportCSV(t, data); got != want {
		t.Error("restore by name: recipients differ")
	}

	if code, stdout, _ := runCLI(t, "--data", data, "check"); code != 0 || !strings.Contains(stdout, "is sound") {
		t.Errorf("check: exit %d %q", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "--data", data, "--json", "check", "--full"); code != 0 || !strings.Contains(stdout, `"ok":true`) {
		t.Errorf("check --full: exit %d %q", code, stdout)
	}

	// a file that is no backup is refused with exit 1 and the data stays
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("junk", 2000)), 0o600)
	if code, _, stderr := runCLI(t, "--data", data, "restore", junk); code != 1 || !strings.Contains(stderr, "not a Resonanz backup") {
		t.Errorf("restore junk: exit %d %q", code, stderr)
	}
	if got := exportCSV(t, data); got != want {
		t.Error("a refused restore changed the data")
	}
	if code, _, _ := runCLI(t, "--data", data, "restore"); code != exitUsage {
		t.Errorf("restore without a file: exit %d, want %d", code, exitUsage)
	}
}

// damageStore overwrites pages in the middle of the data file.
func damageStore(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, 4096*8)
	for i := range junk {
		junk[i] = byte(i*31 + 7)
	}
	if _, err := f.WriteAt(junk, 4096*2); err != nil {
		t.Fatal(err)
	}
}

func TestRun_DamagedDataFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	importPeople(t, data, 0, 300)
	want := exportCSV(t, data)
	if code, _, stderr := runCLI(t, "--data", data, "backup"); code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	dbPath, _ := filepath.Abs(filepath.Join(data, sqlite.FileName))
	damageStore(t, dbPath)

	for _, args := range [][]string{
		{"check"},
		{"export", "recipients"},
		{"stats"},
	} {
		code, _, stderr := runCLI(t, append([]string{"--data", data}, args...)...)
		if code != exitDamaged {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitDamaged, stderr)
		}
		if !strings.Contains(stderr, dbPath) || !strings.Contains(stderr, "is damaged") || !strings.Contains(stderr, "resonanz-manual-") {
			t.Errorf("%v: message does not name the file and the newest good backup: %q", args, stderr)
		}
	}
	code, _, stderr := runCLI(t, "--data", data, "--json", "check")
	if code != exitDamaged || !strings.Contains(stderr, `"error"`) {
		t.Errorf("check --json: exit %d %q", code, stderr)
	}

	// restore works on the damaged file: it is moved aside, the copy comes back
	entries, _ := os.ReadDir(filepath.Join(data, sqlite.BackupDirName))
	var name string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "resonanz-manual-") {
			name = e.Name()
		}
	}
	code, stdout, stderr := runCLI(t, "--data", data, "restore", name)
	if code != 0 || !strings.Contains(stdout, "damaged file was kept") {
		t.Fatalf("restore damaged: exit %d %q %q", code, stdout, stderr)
	}
	if code, _, _ := runCLI(t, "--data", data, "check", "--full"); code != 0 {
		t.Errorf("check after restore: exit %d", code)
	}
	if got := exportCSV(t, data); got != want {
		t.Error("recovered data differs from the backup")
	}
	aside, _ := filepath.Glob(dbPath + ".damaged-*")
	if len(aside) == 0 {
		t.Error("the damaged file was not kept")
	}
}

// TestServe_Recovery: `resonanz serve` over a damaged data file still comes
// up, says so on the terminal and in System.Info, binds only what recovery
// needs, restores the newest good backup and serves its download.
func TestServe_Recovery(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	importPeople(t, data, 0, 300)
	want := exportCSV(t, data)
	if code, _, stderr := runCLI(t, "--data", data, "backup"); code != 0 {
		t.Fatal(stderr)
	}
	damageStore(t, filepath.Join(data, sqlite.FileName))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan ServeInfo, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, data, "127.0.0.1:0", os.DirFS(t.TempDir()), newLogger(io.Discard), func(i ServeInfo) { ready <- i })
	}()
	var info ServeInfo
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatalf("serve failed on a damaged file: %v", err)
	}
	if !strings.Contains(info.Damaged, "is damaged") {
		t.Errorf("ready info does not say the file is damaged: %+v", info)
	}
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+info.Addr+path, strings.NewReader(body))
		req.Header.Set("X-Resonanz-Token", info.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/api/System/Info", "[]")
	var si struct{ Damaged, NewestBackup string }
	if code != 200 || json.Unmarshal([]byte(body), &si) != nil || si.Damaged == "" || !strings.HasPrefix(si.NewestBackup, "resonanz-manual-") {
		t.Fatalf("Info: %d %s", code, body)
	}
	if code, _ := post("/api/Recipients/Find", `[{}]`); code != 404 {
		t.Errorf("recipients are bound in recovery: %d", code)
	}
	// The copy can be downloaded with the token (header) and not without.
	get := func(token string) int {
		req, _ := http.NewRequest("GET", "http://"+info.Addr+"/api/download/backup/"+si.NewestBackup, nil)
		if token != "" {
			req.Header.Set("X-Resonanz-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get(""); c != 401 {
		t.Errorf("download without token: %d", c)
	}
	if c := get(info.Token); c != 200 {
		t.Errorf("download with token: %d", c)
	}
	if code, body := post("/api/Backups/Restore", `[{"opId":"r1","name":"`+si.NewestBackup+`"}]`); code != 200 {
		t.Fatalf("restore: %d %s", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := exportCSV(t, data); got != want {
		t.Error("recovered data differs from the backup")
	}
}

// events records emitted event names.
type events struct {
	mu    sync.Mutex
	names []string
}

func (e *events) Emit(name string, _ any) {
	e.mu.Lock()
	e.names = append(e.names, name)
	e.mu.Unlock()
}

func (e *events) has(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.names, name)
}

// TestLateCheck: a data file too big to check before start is checked
// right after; damage switches the UI to recovery (System.Info, an event),
// no daily backup is taken of it, and a restore puts a good file in place.
func TestLateCheck(t *testing.T) {
	old := syncCheckLimit
	syncCheckLimit = 1 // every file counts as big
	defer func() { syncCheckLimit = old }()

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	importPeople(t, data, 0, 300)
	want := exportCSV(t, data)
	if code, _, stderr := runCLI(t, "--data", data, "backup"); code != 0 {
		t.Fatal(stderr)
	}
	damageStore(t, filepath.Join(data, sqlite.FileName))

	ctx := context.Background()
	ev := &events{}
	a, err := NewApp(ctx, data, Edge{Mode: "browser", Events: ev}, newLogger(io.Discard))
	if err != nil {
		t.Fatalf("a big damaged file must not be checked before start: %v", err)
	}
	stop := a.startDailyBackups(ctx, nil, 0)
	waitFor(t, func() bool { return ev.has(resonanz.EventSystemDamaged) })
	stop()
	info, _ := a.system.Info()
	if !strings.Contains(info.Damaged, "is damaged") || !strings.HasPrefix(info.NewestBackup, "resonanz-manual-") || !ev.has(resonanz.EventSystemDamaged) {
		t.Fatalf("late damage not reported: %+v, events %v", info, ev.names)
	}
	if daily, _ := filepath.Glob(filepath.Join(data, sqlite.BackupDirName, "resonanz-20*-*-*.db")); len(daily) != 0 {
		t.Errorf("a damaged file was backed up: %v", daily)
	}
	st, err := a.backups.Status()
	if err != nil || st.Check == nil || st.Check.OK {
		t.Errorf("status check %+v, %v", st.Check, err)
	}
	if _, err := a.backups.Restore(desktop.BackupRequest{Name: info.NewestBackup}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if got := exportCSV(t, data); got != want {
		t.Error("restored data differs from the backup")
	}

	// A sound big file: checked after start, then today's copy is written.
	ev = &events{}
	a, err = NewApp(ctx, data, Edge{Mode: "browser", Events: ev}, newLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	stop = a.startDailyBackups(ctx, nil, 0)
	waitFor(t, func() bool { c, _ := a.health(); return c != nil })
	for range 100 {
		if daily, _ := filepath.Glob(filepath.Join(data, sqlite.BackupDirName, "resonanz-20*-*-*.db")); len(daily) == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if ev.has(resonanz.EventSystemDamaged) {
		t.Error("a sound file was reported damaged")
	}
	if st, _ := a.backups.Status(); st.Check == nil || !st.Check.OK {
		t.Errorf("late check of a sound file: %+v", st.Check)
	}
	if daily, _ := filepath.Glob(filepath.Join(data, sqlite.BackupDirName, "resonanz-20*-*-*.db")); len(daily) != 1 {
		t.Errorf("daily copies %v", daily)
	}
}

// TestLateCheck_AfterTheFirstScreen: the window's late integrity check
// reads the whole file, so it waits until the first screen shows instead
// of competing with WebKit's start-up for the CPU.
func TestLateCheck_AfterTheFirstScreen(t *testing.T) {
	old := syncCheckLimit
	syncCheckLimit = 1 // every file counts as big
	defer func() { syncCheckLimit = old }()
	data := filepath.Join(t.TempDir(), "data")
	importPeople(t, data, 0, 50)

	ctx := context.Background()
	a, err := NewApp(ctx, data, Edge{Mode: "desktop"}, newLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	shown := make(chan struct{})
	stop := a.startDailyBackups(ctx, shown, time.Hour)
	defer stop()
	time.Sleep(300 * time.Millisecond)
	if c, _ := a.health(); c != nil {
		t.Fatal("the late check ran before the first screen showed")
	}
	close(shown)
	waitFor(t, func() bool { c, _ := a.health(); return c != nil && c.OK })
}

// waitFor waits up to 5 s for cond.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the late integrity check did not finish")
}

func TestRecoveryApp_NoBackup(t *testing.T) {
	a, err := NewRecoveryApp(context.Background(), t.TempDir(), Edge{Mode: "browser"}, newLogger(io.Discard),
		&resonanz.DamagedError{Path: "/x/resonanz.db", Problems: []string{"file is not a database"}})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := a.system.Info()
	if info.NewestBackup != "" || !strings.Contains(info.Damaged, "No good backup was found") {
		t.Errorf("info %+v", info)
	}
	if b := a.Bindings(); len(b) != 2 {
		t.Errorf("recovery binds %d façades, want System and Backups", len(b))
	}
}

// TestStartupCheck_LateForTheWindow: commands check a small data file
// before opening it; the window leaves an up-to-date file to the background
// check (startDailyBackups → lateCheck) so the check does not delay its
// first screen, but checks first when opening would migrate.
func TestStartupCheck_LateForTheWindow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	if info, err := startupCheck(ctx, path, true); err != nil || info == nil || !info.OK {
		t.Errorf("window, no file yet: %+v, %v; want a (trivial) check first", info, err)
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if info, err := startupCheck(ctx, path, false); err != nil || info == nil || !info.OK {
		t.Errorf("command: %+v, %v; want a check before opening", info, err)
	}
	if info, err := startupCheck(ctx, path, true); err != nil || info != nil {
		t.Errorf("window, up-to-date file: %+v, %v; want the check left to the background", info, err)
	}
}
