package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/sqlite"
)

// newCLIApp opens an App as the command line does, on an empty data
// directory of the test's own, and closes it when the test ends.
func newCLIApp(t *testing.T) *App {
	t.Helper()
	a, err := NewApp(context.Background(), t.TempDir(), Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRun_Usage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
		err  string // substring of the first stderr line
	}{
		{"UnknownCommand", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"UnknownGlobalFlag", []string{"--frob"}, 2, "flag provided but not defined: -frob"},
		{"UnknownCommandFlag", []string{"serve", "--port", "1"}, 2, "serve: flag provided but not defined: -port"},
		{"UnexpectedArgument", []string{"version", "extra"}, 2, `version: unexpected argument "extra"`},
		{"ListenBadFlag", []string{"listen", "--port", "1"}, 2, "listen: flag provided but not defined: -port"},
		{"ListenBadTrustedProxy", []string{"listen", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "proxy.example"}, 2, `trusted proxy "proxy.example" is neither an address nor a CIDR prefix`},
		{"ImportReactionsBadProvider", []string{"import", "reactions", "--provider", "x", "a.json", "b.json"}, 2, "expected exactly one argument, got 2"},
		{"ImportWhat", []string{"import"}, 2, "resonanz import: say what to import"},
		{"ImportUnknown", []string{"import", "bananas"}, 2, `resonanz import: unknown import "bananas"`},
		{"ImportTwoFiles", []string{"import", "recipients", "a.csv", "b.csv"}, 2, "expected exactly one argument, got 2"},
		{"ImportBadMap", []string{"import", "recipients", "a.csv", "--map", "nonsense"}, 2, "--map wants 'Header=field'"},
		{"ExportWhat", []string{"export"}, 2, "resonanz export: say what to export"},
		{"ExportBadDelimiter", []string{"export", "recipients", "--delimiter", "|"}, 2, "--delimiter must be"},
		{"StatsTwoMailings", []string{"--json", "stats", "a", "b"}, 2, "resonanz stats: name one mailing, or --all"},
	} {
		t.Run("Err"+tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			first, _, _ := strings.Cut(stderr, "\n")
			if !strings.Contains(first, tt.err) {
				t.Errorf("first line %q, want it to contain %q", first, tt.err)
			}
			if !strings.Contains(stderr, "Usage:") {
				t.Errorf("no usage after the error: %q", stderr)
			}
		})
	}

	t.Run("OK/Help", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "help")
		if code != 0 || !strings.Contains(stdout, "serve") {
			t.Errorf("exit %d stdout %q", code, stdout)
		}
	})

	t.Run("OK/VersionJSON", func(t *testing.T) {
		for _, args := range [][]string{{"--json", "version"}, {"version", "--json"}} {
			code, stdout, _ := runCLI(t, args...)
			var v struct{ Version string }
			if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v.Version == "" {
				t.Errorf("%v: exit %d stdout %q", args, code, stdout)
			}
		}
	})
}

func TestRun_ServeErrors(t *testing.T) {
	t.Run("ErrBadAddr", func(t *testing.T) {
		code, _, stderr := runCLI(t, "--data", t.TempDir(), "serve", "--addr", "nonsense")
		if code != 1 || !strings.Contains(stderr, "is not host:port") {
			t.Errorf("exit %d stderr %q", code, stderr)
		}
	})
	t.Run("ErrJSON", func(t *testing.T) {
		code, _, stderr := runCLI(t, "--data", t.TempDir(), "--json", "serve", "--addr", "nonsense")
		var e struct {
			Error struct{ Code, Message string }
		}
		if code != 1 || json.Unmarshal([]byte(stderr), &e) != nil || e.Error.Code != "invalid" {
			t.Errorf("exit %d stderr %q", code, stderr)
		}
	})
}

// TestRun_Serve starts the real serve command on a free loopback port, calls a
// bound method through the bridge with and without the token, and stops it.
func TestRun_Serve(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	t.Setenv("RESONANZ_DATA", dataDir)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1) // buffered: a failing serve must not block before closing the pipe
	go func() {
		done <- run(ctx, []string{"--json", "serve", "--addr", "127.0.0.1:0"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v (stderr %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	var info ServeInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil || !strings.HasPrefix(info.URL, "http://127.0.0.1:") || !strings.Contains(info.URL, info.Token) {
		t.Fatalf("ready line %q: %v", line, err)
	}

	post := func(path, body, token string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", "http://"+info.Addr+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("X-Resonanz-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if resp, _ := post("/api/Settings/SaveSender", `[{"fromAddress":"intruder@example.org"}]`, ""); resp.StatusCode != 401 {
		t.Errorf("without token: %d", resp.StatusCode)
	}
	resp, body := post("/api/Settings/SaveSender", `[{"fromName":"Desk","fromAddress":"desk@example.org"}]`, info.Token)
	if resp.StatusCode != 200 {
		t.Fatalf("with token: %d %s", resp.StatusCode, body)
	}
	resp, body = post("/api/System/Info", `[]`, info.Token)
	if resp.StatusCode != 200 || !strings.Contains(body, `"mode":"browser"`) || !strings.Contains(body, filepath.Join(dataDir, sqlite.FileName)) {
		t.Errorf("Info: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}

	// The value written through the bridge is in the store on disk.
	db, err := sqlite.Open(context.Background(), filepath.Join(dataDir, sqlite.FileName), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlite.NewSettingsService(db).Sender(context.Background())
	if err != nil || s.FromAddress != "desk@example.org" {
		t.Errorf("stored %+v, %v", s, err)
	}
	if _, err := os.Stat(dataDir); err != nil {
		t.Error(err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg")
	d, err := defaultDataDir()
	if err != nil || d != "/xdg/resonanz" {
		t.Errorf("XDG: %q %v", d, err)
	}
	t.Setenv("XDG_DATA_HOME", "relative") // the XDG spec says ignore relative paths
	t.Setenv("HOME", "/home/anna")
	d, _ = defaultDataDir()
	if d != "/home/anna/.local/share/resonanz" {
		t.Errorf("HOME: %q", d)
	}
}

func TestRun_ImportExportRecipients(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csvPath := filepath.Join(dir, "kunden.csv")
	// German Excel export: semicolons, Windows-1252 (0xFC is ü), CRLF.
	body := "E-Mail;Vorname;Nachname;Anrede;Titel;Tracking\r\n" +
		"anna@example.org;Anna;M\xfcller;Frau;Dr.;ja\r\n" +
		"kaputt;X;Y;;;\r\n" +
		"bert@example.org;Bert;Beispiel;Herr;;nein\r\n" +
		"ANNA@example.org;Anna;;Frau;;\r\n"
	if err := os.WriteFile(csvPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Read, Created, Updated, Skipped int
		Rejected                        []struct {
			Line   int
			Reason string
		}
	}
	importJSON := func(args ...string) result {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--data", data, "--json", "import", "recipients", csvPath}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r result
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%q: %v", stdout, err)
		}
		return r
	}

	r := importJSON("--list", "Kunden")
	if r.Read != 4 || r.Created != 2 || r.Skipped != 1 || len(r.Rejected) != 1 || r.Rejected[0].Line != 3 {
		t.Errorf("first import %+v", r)
	}
	if r := importJSON("--list", "Kunden"); r.Created != 0 || r.Updated != 0 || r.Skipped != 3 {
		t.Errorf("second import is not a no-op: %+v", r)
	}

	code, _, stderr := runCLI(t, "--data", data, "import", "recipients", csvPath, "--map", "Tracking=consent:tracking:opens")
	if code != 1 || !strings.Contains(stderr, "stated source and evidence") {
		t.Errorf("consent without evidence: exit %d %q", code, stderr)
	}

	code, stdout, stderr := runCLI(t, "--data", data, "export", "recipient", "anna@EXAMPLE.org")
	var export struct {
		Format    string
		Recipient struct{ LastName, Gender string }
		Lists     []struct{ ListName, Status string }
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &export) != nil {
		t.Fatalf("export: exit %d %q %q", code, stdout, stderr)
	}
	if export.Format != "resonanz.personal-data/1" || export.Recipient.LastName != "Müller" || export.Recipient.Gender != "f" ||
		len(export.Lists) != 1 || export.Lists[0].Status != "confirmed" {
		t.Errorf("export %+v", export)
	}
	// No language saved: the proof page is German.
	code, stdout, _ = runCLI(t, "--data", data, "export", "recipient", "--format", "proof", "anna@example.org")
	if code != 0 || !strings.Contains(stdout, "<h1>Einwilligungsnachweis für anna@example.org</h1>") {
		t.Errorf("proof page: exit %d %q", code, stdout)
	}
	if code, _, stderr := runCLI(t, "--data", data, "export", "recipient", "nobody@example.org"); code != 1 || !strings.Contains(stderr, "no recipient") {
		t.Errorf("unknown recipient: exit %d %q", code, stderr)
	}

	out := filepath.Join(dir, "export.csv")
	if code, _, stderr := runCLI(t, "--data", data, "export", "recipients", "--list", "Kunden", "--out", out); code != 0 {
		t.Fatalf("export csv: %d %s", code, stderr)
	}
	got, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(got), "\ufeffemail;first_name;last_name") || !strings.Contains(string(got), "anna@example.org;Anna;Müller;f;Dr.;") {
		t.Errorf("csv %q", got)
	}
	if code, _, _ := runCLI(t, "--data", data, "export", "recipients", "--out", out); code != 1 {
		t.Error("export overwrote an existing file")
	}
}
