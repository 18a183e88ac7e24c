// Package bulk tunes the Go runtime for bulk work such as a 100k-row import.
package bulk

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Percent is the GOGC value while bulk work runs. Headroom is how far the
// Go runtime's memory may grow above what it held when the work began,
// plus twice what is live: a soft limit that follows the live heap.
const (
	Percent  = 400
	Headroom = 40 << 20
)

// every is how often the soft limit follows the live heap.
const every = 50 * time.Millisecond

var (
	mu        sync.Mutex
	users     int
	prevPct   int
	prevLimit int64
	base      int64 // the runtime's memory when the first user began
	limit     int64 // the soft limit set now
	stop      chan struct{}
)

// GC lets the garbage collector run less often while bulk work runs. An
// import allocates a few KB per row that die within a batch, while little
// stays live, so by default (GOGC 100) the collector runs every few MB,
// dozens of times per 100k rows.
//
// During the work the heap may grow to five times what is live (GOGC 400),
// within a soft limit of Headroom above the runtime's memory at the start.
// That limit alone would make the collector run without pause once the
// live heap nears it (a 1M-row import keeps its 1M addresses), so it
// follows the live heap: it is never less than twice the live heap above
// the start, and the collector never runs more often than with GOGC 100.
//
// done restores the settings when the last concurrent user is done;
// calling it again does nothing. GOGC off or above Percent, and a lower
// GOMEMLIMIT, are kept.
func GC() (done func()) {
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		prevLimit = debug.SetMemoryLimit(-1) // a negative limit reads the current one
		if prevPct = debug.SetGCPercent(Percent); prevPct < 0 || prevPct >= Percent {
			debug.SetGCPercent(prevPct) // off or laxer already
		}
		base, limit = read("/memory/classes/total:bytes"), 0
		follow()
		stop = make(chan struct{})
		go func(stop chan struct{}) {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					mu.Lock()
					follow()
					mu.Unlock()
				case <-stop:
					return
				}
			}
		}(stop)
	}
	users++
	return sync.OnceFunc(func() {
		mu.Lock()
		defer mu.Unlock()
		if users--; users == 0 {
			close(stop)
			debug.SetGCPercent(prevPct)
			debug.SetMemoryLimit(prevLimit)
		}
	})
}

// follow raises the soft limit to base + Headroom + twice the live heap
// when that is more than it is (never above a limit set before). It is
// called with mu held.
func follow() {
	want := base + Headroom + 2*read("/gc/heap/live:bytes")
	if want > limit {
		limit = want
		debug.SetMemoryLimit(min(limit, prevLimit))
	}
}

// read returns a runtime metric in bytes (0 when this Go lacks it).
func read(name string) int64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64))
}
