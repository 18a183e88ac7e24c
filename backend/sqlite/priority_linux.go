package sqlite

import "syscall"

// mergeNice is the merge thread's nice value: at 10, the kernel gives it
// about a tenth of the CPU time of a thread at 0 while both want it.
const mergeNice = 10

// lowerThreadPriority lowers the calling OS thread's priority (on Linux a
// nice value is per thread); the caller has locked its goroutine to it.
// Raising the nice value needs no privilege; a failure changes nothing.
func lowerThreadPriority() {
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), mergeNice)
}
