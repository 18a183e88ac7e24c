//go:build !linux

package sqlite

// lowerThreadPriority does nothing here: only Linux has per-thread nice
// values through setpriority.
func lowerThreadPriority() {}
