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
	in.waitWritesLocked()
	in.cur = nil
	in.wmu.Unlock()
	in.closeFiles()
}

// SlowMerge makes each merge step take at least d longer (a slow store).
func (in *HitInbox) SlowMerge(d time.Duration) { in.stepHook = func() { time.Sleep(d) } }

// OnWrite runs f before each write of appended frames (outside the lock).
func (in *HitInbox) OnWrite(f func()) { in.writeHook = f }

// Gathering returns how many appends wait in the group gathering for the
// next write.
func (in *HitInbox) Gathering() int {
	in.wmu.Lock()
	defer in.wmu.Unlock()
	if in.group == nil {
		return 0
	}
	return in.group.frames
}
