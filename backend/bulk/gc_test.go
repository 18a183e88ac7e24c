package bulk

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGC(t *testing.T) {
	pct := debug.SetGCPercent(100)
	defer debug.SetGCPercent(pct)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	done1 := GC()
	done2 := GC() // a second import at the same time
	if got := debug.SetGCPercent(Percent); got != Percent {
		t.Errorf("GOGC during bulk work %d, want %d", got, Percent)
	}
	if lim := debug.SetMemoryLimit(-1); lim == math.MaxInt64 || lim < Headroom {
		t.Errorf("memory limit during bulk work %d", lim)
	}
	done1()
	done1() // twice is once
	if got := debug.SetGCPercent(Percent); got != Percent {
		t.Errorf("the first to finish restored GOGC to %d while another runs", got)
	}
	done2()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC after bulk work %d, want 100", got)
	}
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		t.Errorf("memory limit after bulk work %d, want none", lim)
	}

	// GOGC off and a lower memory limit stay.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(1 << 20)
	done := GC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GOGC off became %d", got)
	}
	if lim := debug.SetMemoryLimit(-1); lim != 1<<20 {
		t.Errorf("a lower memory limit became %d", lim)
	}
	done()
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
}

// TestGC_LimitFollowsLiveHeap: work that keeps more alive than Headroom
// (a 1M-row import keeps its 1M addresses) raises the soft limit, so the
// collector does not run without pause.
func TestGC_LimitFollowsLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	done := GC()
	defer done()
	start := debug.SetMemoryLimit(-1)
	keep := make([][]byte, 0, 96)
	for range 96 { // 96 MiB live, twice Headroom
		keep = append(keep, make([]byte, 1<<20))
	}
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < start+2*96<<20 && time.Now().Before(deadline) {
		time.Sleep(every)
	}
	if lim := debug.SetMemoryLimit(-1); lim < start+2*96<<20 {
		t.Errorf("soft limit %d MiB with 96 MiB live (it began at %d MiB)", lim>>20, start>>20)
	}
	runtime.KeepAlive(keep)
}
