// Package bulk tunes the Go runtime for bulk work such as a 100k-row import.
package bulk

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Percent is the GOGC value while bulk work runs, and Headroom how far the
// Go runtime's memory may grow above what it held when the work began.
const (
	Percent  = 400
	Headroom = 40 << 20
)

var (
	mu        sync.Mutex
	users     int
	prevPct   int
	prevLimit int64
)

// GC lets the garbage collector run less often while bulk work runs. An
// import allocates a few KB per row that die within a batch, while what
// stays live is small, so by default (GOGC 100) the collector runs every
// few MB, dozens of times, and takes a sixth of the CPU. During the work
// the heap may grow to five times what is live, but never more than
// Headroom above the runtime's memory at the start (a soft limit, which
// makes the collector run earlier, not the work fail). done restores the
// settings when the last concurrent user is done; calling it again does
// nothing. GOGC off or above Percent, and a lower GOMEMLIMIT, are kept.
func GC() (done func()) {
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		metrics.Read(s)
		limit := int64(math.MaxInt64)
		if s[0].Value.Kind() == metrics.KindUint64 {
			limit = int64(s[0].Value.Uint64()) + Headroom
		}
		prevLimit = debug.SetMemoryLimit(-1) // a negative limit reads the current one
		if prevPct = debug.SetGCPercent(Percent); prevPct < 0 || prevPct >= Percent {
			debug.SetGCPercent(prevPct) // off or laxer already
		}
		debug.SetMemoryLimit(min(limit, prevLimit))
	}
	users++
	return sync.OnceFunc(func() {
		mu.Lock()
		defer mu.Unlock()
		if users--; users == 0 {
			debug.SetGCPercent(prevPct)
			debug.SetMemoryLimit(prevLimit)
		}
	})
}
