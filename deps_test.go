package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencyRule keeps the layout honest: the domain imports only the
// standard library (and golang.org/x, the Go project's own extensions, for
// IDNA); adapters import the domain and not each other, except the edge
// (desktop), which composes the adapters it presents. Only package main
// (app.go) wires everything.
func TestDependencyRule(t *testing.T) {
	const mod = "github.com/resonanz/resonanz/"
	allowed := map[string][]string{
		"backend/resonanz":     {},
		"backend/bulk":         {}, // runtime tuning for bulk work, used by the edges
		"backend/sqlite":       {"backend/resonanz"},
		"backend/recipientcsv": {"backend/resonanz"},
		"backend/report":       {"backend/resonanz"},
		"backend/render":       {"backend/resonanz"},
		"backend/ingest":       {"backend/resonanz"},
		"backend/listener":     {"backend/resonanz"},
		"backend/analysis":     {"backend/resonanz"},
		"backend/send":         {"backend/resonanz", "backend/render"},
		"backend/smtp":         {"backend/resonanz"},
		"backend/keyring":      {"backend/resonanz"},
		"backend/mailbox":      {"backend/resonanz"}, // IMAP (go-imap) and MIME (go-message) adapter + pure classifier
		"backend/desktop":      {"backend/resonanz", "backend/bulk", "backend/recipientcsv", "backend/report", "backend/ingest", "backend/render", "backend/analysis", "backend/send", "backend/smtp"},
	}
	for pkg, want := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, std, _ := strings.Cut(line, " ")
			switch {
			case std == "true", path == mod+pkg:
			case strings.HasPrefix(path, mod):
				if !slices.Contains(want, strings.TrimPrefix(path, mod)) {
					t.Errorf("%s imports %s", pkg, strings.TrimPrefix(path, mod))
				}
			case pkg == "backend/resonanz" && !strings.HasPrefix(path, "golang.org/x/"):
				t.Errorf("the domain imports %s", path)
			}
		}
	}
}
