package sqlite

import "syscall"

// mergeNice is how much nicer than the process the merge thread runs: 10
// more gives it about a tenth of the CPU time of the process's other
// threads while both want it.
const mergeNice = 10

// lowerThreadPriority lowers the calling OS thread's priority (on Linux a
// nice value is per thread) by mergeNice below the process's own, so that a
// listener started with nice stays below it too; the caller has locked its
// goroutine to it. Raising the nice value needs no privilege; a failure
// changes nothing.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	// The raw getpriority returns 20 − nice (1 … 40), never negative.
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-p+mergeNice, 19))
}
