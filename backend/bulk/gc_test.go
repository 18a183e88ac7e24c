package bulk

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestGC(t *testing.T) {
	pct := debug.SetGCPercent(100)
	defer debug.SetGCPercent(pct)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	done1 := GC()
	done2 := GC() // a second import at the same time
	if got := debug.SetGCPercent(-1); got != Percent {
		t.Errorf("GOGC during bulk work %d, want %d", got, Percent)
	}
	debug.SetGCPercent(Percent)
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
}
