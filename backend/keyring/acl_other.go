//go:build !windows

package keyring

// restrictDir does nothing here: the folder's mode 0700 (and the files'
// 0600) already keep others out.
func restrictDir(string) error { return nil }
