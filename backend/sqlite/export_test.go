package sqlite

import (
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// AppendFrame and DecodeFrame expose the hit log's format to the tests.
func AppendFrame(b []byte, h resonanz.Hit) []byte { return appendFrame(b, h) }

// DecodeFrame: ok for a whole valid frame, short for a beginning of one.
func DecodeFrame(b []byte) (h resonanz.Hit, n int, ok, short bool) {
	h, n, st := decodeFrame(b)
	return h, n, st == frameOK, st == frameShort
}

// Abandon closes the inbox's files without merging, as a killed process
// leaves them.
func (in *HitInbox) Abandon() {
	in.wmu.Lock()
	in.cur = nil
	in.wmu.Unlock()
	in.closeFiles()
}

// SlowMerge makes each merge step take at least d longer (a slow store).
func (in *HitInbox) SlowMerge(d time.Duration) { in.stepHook = func() { time.Sleep(d) } }
