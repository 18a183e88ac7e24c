package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// watchRSS follows the peak resident memory of a running process (VmHWM of
// /proc/PID/status, in KB) until the returned function is called, which
// returns the highest value seen. The kernel's ru_maxrss is no use for a
// child of this process: Go starts children with vfork, and ru_maxrss keeps
// the high-water mark of the memory the child shared with its parent before
// exec, so every child would report at least this harness's own peak (the
// send workload's bare go-mail baseline holds 100k messages: every later
// child "used" 370 MB). VmHWM belongs to the program after exec. Polling
// misses only growth within the last interval before the process exits.
func watchRSS(pid int) (peakKB func() int64) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var mu sync.Mutex
	var peak int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, ok := readHWM(path); ok {
				mu.Lock()
				peak = max(peak, kb)
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// output runs cmd like cmd.Output and returns its stdout, how long it ran
// and its peak resident memory in KB (see watchRSS).
func output(cmd *exec.Cmd) (out []byte, elapsed time.Duration, peakKB int64, err error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, err
	}
	peak := watchRSS(cmd.Process.Pid)
	err = cmd.Wait()
	elapsed = time.Since(start)
	peakKB = peak()
	if err != nil {
		return stdout.Bytes(), elapsed, peakKB, fmt.Errorf("%w: %s", err, stderr.Bytes())
	}
	return stdout.Bytes(), elapsed, peakKB, nil
}

// readHWM reads VmHWM (KB) from a /proc/PID/status file.
func readHWM(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	_, rest, ok := bytes.Cut(b, []byte("VmHWM:"))
	if !ok {
		return 0, false
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) == 0 {
		return 0, false
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	return kb, err == nil
}
