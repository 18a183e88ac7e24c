//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/sqlite"
)

// childEnv, when set to a JSON array of arguments, makes the test binary the
// resonanz command: tests start it as a child process (to kill it) with
// startChild.
const childEnv = "RESONANZ_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, "child args:", err)
			os.Exit(3)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, args, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// lockedBuffer is a bytes.Buffer the test may read while the child writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// child is the resonanz command running as a separate process.
type child struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when the process has ended
	err            error         // Wait's result, after done
}

// startChild starts `resonanz args...` as a child process; it is killed when
// the test ends if still running.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	enc, _ := json.Marshal(args)
	c := &child{cmd: exec.Command(os.Args[0]), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), childEnv+"="+string(enc))
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// exited reports whether the child has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and fails t unless the child was still running and
// died of it.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if c.exited() {
		t.Fatalf("the child ended before it was killed: %v\nstdout %s\nstderr %s", c.err, c.stdout.String(), c.stderr.String())
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", c.err)
	}
}

// wait waits for the child to end by itself and returns its exit status.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the child did not end\nstderr %s", c.stderr.String())
	}
	return c.cmd.ProcessState.ExitCode()
}

// runChild runs `resonanz args...` as a child process to its end.
func runChild(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := startChild(t, args...)
	code = c.wait(t)
	return code, c.stdout.String(), c.stderr.String()
}

// waitUntil polls cond until it holds; it fails t after a minute or when
// the child ends first. It waits on observable progress, never on a sleep.
func waitUntil(t *testing.T, c *child, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if c != nil && c.exited() {
			t.Fatalf("waiting for %s: the child ended: %v\nstdout %s\nstderr %s", what, c.err, c.stdout.String(), c.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// peekStore opens the store file of dataDir as a second process would, to
// watch a child's progress and check the file after a crash.
func peekStore(t *testing.T, dataDir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", sqlite.DSN(filepath.Join(dataDir, sqlite.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// count runs a query returning one integer.
func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// checkIntegrity runs SQLite's integrity and foreign key checks and opens
// the store as the program does (migrations, checksums).
func checkIntegrity(t *testing.T, dataDir string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dataDir, sqlite.FileName), sqlite.Options{})
	if err != nil {
		t.Fatalf("the store does not open after the crash: %v", err)
	}
	defer db.Close()
	var res string
	if err := db.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
	rows, err := db.SQL().Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("foreign_key_check found dangling references")
	}
}
