// Package disttest checks what `make dist` built (make test-dist): the .deb
// unpacked and run on Linux, the Windows installer run silently under Wine,
// the same commands on both giving the same output, and the Windows programs'
// PE headers and resources. It runs only when RESONANZ_DIST names the dist
// directory (make test-dist sets it); plain `go test ./...` skips it.
package disttest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// distDir is the directory make dist wrote, or the test is skipped.
func distDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RESONANZ_DIST")
	if dir == "" {
		t.Skip("RESONANZ_DIST is not set (make test-dist sets it)")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the dist checks run on linux/amd64")
	}
	return dir
}

// repoRoot is the source tree (two levels up from this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// versions are the version strings of the build: the plain one (version
// command, installer name) and the Debian one.
func versions(t *testing.T) (plain, deb string) {
	t.Helper()
	plain, deb = os.Getenv("RESONANZ_DIST_VERSION"), os.Getenv("RESONANZ_DIST_DEBVERSION")
	if plain == "" || deb == "" {
		t.Fatal("RESONANZ_DIST_VERSION and RESONANZ_DIST_DEBVERSION are not set (make test-dist sets them from scripts/version.sh)")
	}
	return plain, deb
}

// one returns the single file in dir matching pattern.
func one(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) != 1 {
		t.Fatalf("want exactly one %s in %s, got %v (%v)", pattern, dir, m, err)
	}
	return m[0]
}

// TestArtifacts: the four files with the version in their names, and
// SHA256SUMS covering exactly them.
func TestArtifacts(t *testing.T) {
	dir := distDir(t)
	version, deb := versions(t)
	want := []string{
		"Resonanz-" + version + "-windows-amd64-setup.exe",
		"Resonanz-" + version + "-windows-amd64.zip",
		"resonanz_" + deb + "_amd64.deb",
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not `SUM  NAME`", line)
		}
		listed[name] = sum
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != "SHA256SUMS" {
			names = append(names, e.Name())
		}
	}
	if strings.Join(names, "\n") != strings.Join(sortedCopy(want), "\n") {
		t.Errorf("dist holds %q, want %q", names, sortedCopy(want))
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if listed[name] != hex.EncodeToString(sum[:]) {
			t.Errorf("SHA256SUMS: %s is listed as %q, is %x", name, listed[name], sum)
		}
		t.Logf("%s: %.1f MB", name, float64(len(data))/1e6)
	}
	if len(listed) != len(names) {
		t.Errorf("SHA256SUMS lists %d files, dist holds %d", len(listed), len(names))
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// run executes a command with a deadline and returns its stdout, stderr and
// exit status (-1: it could not start or was killed).
func run(t *testing.T, timeout time.Duration, env []string, name string, args ...string) (stdout []byte, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	code = 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if errors.Is(err, exec.ErrWaitDelay) {
		// It ended with success, but a process it started (under Wine: the
		// WebView2 bootstrapper's updater, wineserver) still holds its
		// output open; what it wrote until then is here.
		code = cmd.ProcessState.ExitCode()
	} else if err != nil {
		t.Logf("%s %v: %v", name, args, err)
		code = -1
	}
	if ctx.Err() != nil {
		t.Logf("%s %v: timed out after %s", name, args, timeout)
		code = -1
	}
	return out.Bytes(), errb.String(), code
}

// scenario is the same work on Linux and on Windows: a Windows-1252 CSV with
// umlauts, a template rendered in the three formats, a provider log, the
// statistics and the export. Paths are in the system's own spelling.
type scenario struct {
	data, csv, template, reactions string
}

// step is one command of the scenario and how its output is compared.
type step struct {
	name string
	args []string
	// text: compare with line ends normalized; eml: also mask what differs
	// per run (Date, Message-ID, MIME boundary). Otherwise byte for byte.
	text, eml bool
}

func (s scenario) steps() []step {
	d := []string{"--data", s.data}
	return []step{
		{name: "version", args: []string{"version"}, text: true},
		{name: "import-recipients.json", args: append([]string{"import", "recipients", s.csv, "--list", "Kunden", "--json"}, d...)},
		{name: "render.html", args: append([]string{"render", s.template, "--recipient", "juergen.mueller@example.de", "--format", "html"}, d...), text: true},
		{name: "render.txt", args: append([]string{"render", s.template, "--recipient", "juergen.mueller@example.de", "--format", "text"}, d...), text: true},
		{name: "render.eml", args: append([]string{"render", s.template, "--recipient", "aenne.schaefer@example.de", "--format", "eml"}, d...), eml: true},
		{name: "import-reactions.json", args: append([]string{"import", "reactions", s.reactions, "--provider", "auto", "--json"}, d...)},
		{name: "stats.json", args: append([]string{"stats", "--json"}, d...)},
		{name: "stats.txt", args: append([]string{"stats"}, d...), text: true},
		{name: "export-recipients.csv", args: append([]string{"export", "recipients", "--list", "Kunden"}, d...)},
	}
}

// recipientsCSV is the import file as a German Excel writes it: Windows-1252,
// `;`, CRLF.
const recipientsCSV = "E-Mail;Vorname;Nachname;Anrede;Sprache\r\n" +
	"juergen.mueller@example.de;Jürgen;Müller;Herr;de\r\n" +
	"aenne.schaefer@example.de;Änne;Schäfer;Frau;de\r\n" +
	"alice@example.com;Alice;Weiß;Frau;en\r\n" +
	"kein-at-zeichen;Kaputt;Zeile;;de\r\n"

const templateMD = "# Grüße aus Köln\n\n{{ salutation }},\n\nunser Frühjahrsangebot: " +
	"[Zur Insel](https://example.com/insel){name=\"Insel\"}.\n\n- Punkt eins\n- Punkt zwei\n"

// windows1252 encodes s, which holds only Latin-1 letters.
func windows1252(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	for _, r := range s {
		if r > 0xff || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("%q is not in the Latin-1 part of Windows-1252", r)
		}
		b = append(b, byte(r))
	}
	return b
}

func writeInputs(t *testing.T, csv, template, reactions string) {
	t.Helper()
	for path, data := range map[string][]byte{
		csv:       windows1252(t, recipientsCSV),
		template:  []byte(templateMD),
		reactions: mustRead(t, "testdata/sendgrid.json"),
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	emlDate     = regexp.MustCompile(`(?m)^Date: .*$`)
	emlID       = regexp.MustCompile(`(?m)^Message-ID: .*$`)
	emlBoundary = regexp.MustCompile(`[0-9a-f]{40,}`)
)

// normalize makes outputs comparable as the step says.
func normalize(s step, out []byte) string {
	text := string(out)
	if s.text || s.eml {
		text = strings.ReplaceAll(text, "\r\n", "\n")
	}
	if s.eml {
		text = emlDate.ReplaceAllString(text, "Date: (masked)")
		text = emlID.ReplaceAllString(text, "Message-ID: (masked)")
		text = emlBoundary.ReplaceAllString(text, "(boundary)")
	}
	return text
}

// linuxOutputs runs the scenario with the .deb's resonanz (unpacked).
func linuxOutputs(t *testing.T, bin string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	sc := scenario{
		data:      filepath.Join(dir, "data"),
		csv:       filepath.Join(dir, "Jürgen", "Empfänger.csv"),
		template:  filepath.Join(dir, "Jürgen", "Grüße.md"),
		reactions: filepath.Join(dir, "Jürgen", "sendgrid.json"),
	}
	writeInputs(t, sc.csv, sc.template, sc.reactions)
	outputs := map[string]string{}
	for _, s := range sc.steps() {
		out, stderr, code := run(t, time.Minute, []string{"RESONANZ_KEYRING=off"}, bin, s.args...)
		if code != 0 {
			t.Fatalf("linux %s: exit %d\n%s", s.name, code, stderr)
		}
		outputs[s.name] = normalize(s, out)
	}
	return outputs
}

// checkScenarioOutputs checks what the outputs must say on either system.
func checkScenarioOutputs(t *testing.T, system string, out map[string]string, version string) {
	t.Helper()
	checks := []struct{ step, want string }{
		{"version", "resonanz " + version + "\n"},
		{"import-recipients.json", `"created":3`},
		{"import-recipients.json", `"line":5`},
		{"render.txt", "Sehr geehrter Herr Müller"},
		{"render.html", "Grüße aus Köln"},
		{"render.eml", "To: =?UTF-8?"},
		{"import-reactions.json", `"provider":"sendgrid"`},
		{"stats.json", `"opens":`},
		{"export-recipients.csv", "\ufeffemail;"},
		{"export-recipients.csv", "juergen.mueller@example.de;Jürgen;Müller;"},
		{"export-recipients.csv", "aenne.schaefer@example.de;Änne;Schäfer;"},
	}
	for _, c := range checks {
		if c.step == "version" {
			if out[c.step] != c.want {
				t.Errorf("%s %s: got %q, want %q", system, c.step, out[c.step], c.want)
			}
			continue
		}
		if !strings.Contains(out[c.step], c.want) {
			t.Errorf("%s %s: missing %q in\n%.600s", system, c.step, c.want, out[c.step])
		}
	}
}
