package resonanz_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestDistinctSketch_ErrorBound checks the documented error bound: within
// ±3 % at 10,000 distinct people (and at 1,000 and 100,000), within 1
// below 100, repeats of the same person add nothing, and every key gives
// the bound (the hash is keyed per database).
func TestDistinctSketch_ErrorBound(t *testing.T) {
	for _, key := range []string{"k1", "another key", "0123456789abcdef0123456789abcdef"} {
		for _, tc := range []struct {
			n   int
			tol float64 // absolute
		}{
			{0, 0}, {1, 0}, {17, 1}, {99, 1}, {1_000, 30}, {10_000, 300}, {100_000, 3_000},
		} {
			s := resonanz.NewDistinctSketch()
			for i := range tc.n {
				h := resonanz.SketchHash([]byte(key), 42, int64(i+1))
				s.Add(h)
				s.Add(h) // a second open of the same person
			}
			got := resonanz.ParseDistinctSketch(s.Bytes()).Estimate()
			if math.Abs(float64(got-tc.n)) > tc.tol {
				t.Errorf("key %q: %d distinct estimated as %d (tolerance ±%.0f)", key, tc.n, got, tc.tol)
			}
		}
	}
}

func TestDistinctSketch_Merge(t *testing.T) {
	a, b := resonanz.NewDistinctSketch(), resonanz.NewDistinctSketch()
	key := []byte("k")
	for i := range 6000 {
		a.Add(resonanz.SketchHash(key, 1, int64(i)))
	}
	for i := 4000; i < 10000; i++ { // 2000 people in both
		b.Add(resonanz.SketchHash(key, 1, int64(i)))
	}
	a.Merge(b)
	if got := a.Estimate(); math.Abs(float64(got-10000)) > 300 {
		t.Errorf("merged estimate %d, want 10000 ±3 %%", got)
	}
}

func TestDistinctSketch_DamagedStartsEmpty(t *testing.T) {
	if got := resonanz.ParseDistinctSketch([]byte{1, 2, 3}).Estimate(); got != 0 {
		t.Errorf("estimate of a damaged sketch = %d", got)
	}
}

func TestSketchHash_PerMailing(t *testing.T) {
	key := []byte("k")
	if resonanz.SketchHash(key, 1, 7) == resonanz.SketchHash(key, 2, 7) {
		t.Error("the same person hashes alike in two mailings")
	}
	if resonanz.SketchHash(key, 1, 7) == resonanz.SketchHash([]byte("other"), 1, 7) {
		t.Error("the hash ignores the key")
	}
}

// TestSketchHasher: one hasher used for many hashes gives each time what
// HMAC-SHA-256 over the big-endian mailing and recipient gives (the stored
// sketches depend on it), and no allocation per hash.
func TestSketchHasher(t *testing.T) {
	key := []byte("sketch key")
	h := resonanz.NewSketchHasher(key)
	for _, c := range [][2]int64{{1, 7}, {2, 7}, {1, 8}, {1 << 40, -1}, {1, 7}} {
		mac := hmac.New(sha256.New, key)
		binary.Write(mac, binary.BigEndian, c)
		want := binary.BigEndian.Uint64(mac.Sum(nil))
		if got := h.Hash(c[0], c[1]); got != want {
			t.Errorf("Hash(%d, %d) = %x, want %x", c[0], c[1], got, want)
		}
		if got := resonanz.SketchHash(key, c[0], c[1]); got != want {
			t.Errorf("SketchHash(%d, %d) = %x, want %x", c[0], c[1], got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { h.Hash(3, 4) }); n != 0 {
		t.Errorf("%v allocations per hash", n)
	}
}
