package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/sqlite"
)

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
		{"ReservedListen", []string{"listen"}, 2, "resonanz listen: not available yet"},
		{"ReservedImport", []string{"import", "recipients", "x.csv"}, 2, "resonanz import: not available yet"},
		{"ReservedExport", []string{"export"}, 2, "resonanz export: not available yet"},
		{"ReservedStats", []string{"--json", "stats"}, 2, "resonanz stats: not available yet"},
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
			if !strings.Contains(stderr, "Usage: resonanz") {
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
		var e struct{ Error struct{ Code, Message string } }
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
	done := make(chan int)
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
