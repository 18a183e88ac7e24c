package desktop_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
)

func newUploadBridge(t *testing.T) (*desktop.Bridge, *desktop.Uploads, *desktop.EventHub) {
	t.Helper()
	up, err := desktop.NewUploads(filepath.Join(t.TempDir(), "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	hub := desktop.NewEventHub()
	b, err := desktop.NewBridge(desktop.BridgeConfig{Token: token, Uploads: up, Events: hub})
	if err != nil {
		t.Fatal(err)
	}
	return b, up, hub
}

func TestUploads(t *testing.T) {
	b, up, _ := newUploadBridge(t)

	if w := do(b, "POST", "/api/upload", "email\na@example.org\n", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("upload without token: %d", w.Code)
	}
	w := do(b, "POST", "/api/upload", "email\na@example.org\n", map[string]string{desktop.TokenHeader: token, "X-File-Name": `C:\Users\anna\..\kunden.csv`})
	var res desktop.UploadResult
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &res) != nil || res.Name != "kunden.csv" || res.Size != 20 {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	path, name, err := up.Resolve(res.Source)
	if err != nil || name != "kunden.csv" {
		t.Fatalf("resolve: %v", err)
	}
	if body, _ := os.ReadFile(path); string(body) != "email\na@example.org\n" {
		t.Errorf("stored %q", body)
	}
	for _, bad := range []string{"/etc/passwd", "upload:../../etc/passwd", "upload:" + strings.Repeat("0", 32), "upload:", ""} {
		if _, _, err := up.Resolve(bad); err == nil {
			t.Errorf("resolved %q", bad)
		}
	}

	up.MaxBytes = 10
	w = do(b, "POST", "/api/upload", strings.Repeat("x", 11), map[string]string{desktop.TokenHeader: token})
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "larger than") {
		t.Errorf("oversized upload: %d %s", w.Code, w.Body.String())
	}
}

func TestPickedFiles(t *testing.T) {
	if _, _, err := (desktop.PickedFiles{}).Resolve("relative/kunden.csv"); err == nil {
		t.Error("relative path accepted")
	}
	if p, name, err := (desktop.PickedFiles{}).Resolve("/home/anna/kunden.csv"); err != nil || p != "/home/anna/kunden.csv" || name != "kunden.csv" {
		t.Errorf("%q %q %v", p, name, err)
	}
}

func TestEventHub(t *testing.T) {
	b, _, hub := newUploadBridge(t)
	srv := httptest.NewServer(b)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("events without token: %v %v", resp, err)
	}
	// EventSource sends no headers: the token comes in the query.
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events?token="+token, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // ": connected"
	emit := desktop.Throttle(hub, "import:progress:op1", time.Hour)
	emit(map[string]int{"rows": 1}, false)
	emit(map[string]int{"rows": 2}, false) // throttled away
	emit(map[string]int{"rows": 3}, true)  // final always goes out
	var got []string
	for lines.Scan() && len(got) < 2 {
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			got = append(got, data)
		}
	}
	want := []string{`{"data":{"rows":1},"name":"import:progress:op1"}`, `{"data":{"rows":3},"name":"import:progress:op1"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events %q, want %q", got, want)
	}
}
