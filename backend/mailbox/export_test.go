package mailbox

import (
	"bytes"
	"io"
)

// SetAfterApply sets the hook between a batch's transaction and its move
// (tests of a crash there).
func SetAfterApply(s *Syncer, f func(folder string) error) { s.afterApply = f }

// ClassifyFull is Classify with every body parsed (the header-only path
// off), to compare the two.
func ClassifyFull(r io.Reader, addr Addresses) (Verdict, error) {
	v, _, err := classify(r, addr, true)
	return v, err
}

// HeaderOnly reports whether Classify reads raw from its header alone.
func HeaderOnly(raw []byte, addr Addresses) bool {
	_, parsed, _ := classify(bytes.NewReader(raw), addr, false)
	return !parsed
}
