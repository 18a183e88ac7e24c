//go:build !unix && !windows

package sqlite

import "os"

// lockFile cannot lock here: run one listener per data directory.
func lockFile(*os.File) error { return nil }
