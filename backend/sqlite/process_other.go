//go:build !unix

package sqlite

// processAlive cannot tell here: a claim then holds until its lease lapses.
func processAlive(pid int) bool { return pid > 0 }
