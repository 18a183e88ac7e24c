package send

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// simulate sends total messages in batches of at most size through l on a
// fake clock; each batch takes took to complete. It returns the completion
// time of every message, the fake time the run took and the number of batches.
func simulate(t *testing.T, l *limiter, total, size int, took time.Duration) (done []time.Time, run time.Duration, batches int) {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := start
	now := func() time.Time { return clock }
	sleep := func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }
	for len(done) < total {
		batches++
		n, err := l.take(context.Background(), min(size, total-len(done)), now, sleep)
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(took)
		l.sent(clock, n)
		for range n {
			done = append(done, clock)
		}
	}
	return done, clock.Sub(start), batches
}

// maxInPeriod is the most messages that completed within any period.
func maxInPeriod(done []time.Time, period time.Duration) int {
	best, lo := 0, 0
	for hi := range done {
		for done[hi].Sub(done[lo]) >= period {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestLimiter(t *testing.T) {
	for _, tc := range []struct {
		name               string
		perSecond          float64
		perMinute, perHour int
		total, size        int
		took               time.Duration
		minTook, maxTook   time.Duration // the run's fake duration
		checkSec, checkMin int           // the most messages in any second / minute
		checkHour          int
	}{
		{name: "no limit", total: 1000, size: 500, maxTook: 0},
		{name: "10 per second", perSecond: 10, total: 100, size: 500,
			minTook: 9 * time.Second, maxTook: 9 * time.Second, checkSec: 10},
		{name: "2.5 per second counts as 2", perSecond: 2.5, total: 11, size: 500,
			minTook: 5 * time.Second, maxTook: 5 * time.Second, checkSec: 2},
		{name: "one every two seconds", perSecond: 0.5, total: 5, size: 500,
			minTook: 8 * time.Second, maxTook: 8 * time.Second, checkSec: 1},
		{name: "600 per minute bursts, then waits", perMinute: 600, total: 1500, size: 250,
			minTook: 2 * time.Minute, maxTook: 2 * time.Minute, checkMin: 600},
		{name: "per second and per minute together", perSecond: 50, perMinute: 1000, total: 2500, size: 500,
			minTook: 2*time.Minute + 9*time.Second, maxTook: 2*time.Minute + 10*time.Second, checkSec: 50, checkMin: 1000},
		{name: "per hour", perHour: 100, total: 250, size: 40,
			minTook: 2 * time.Hour, maxTook: 2*time.Hour + time.Minute, checkHour: 100},
		// A batch counts when the server has taken all of it, and the next
		// starts a period after that: conservative when the server is slow.
		{name: "slow batches count when they complete", perSecond: 10, total: 50, size: 100, took: 700 * time.Millisecond,
			minTook: 5*700*time.Millisecond + 4*time.Second, maxTook: 5*700*time.Millisecond + 4*time.Second, checkSec: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(tc.perSecond, tc.perMinute, tc.perHour)
			done, took, _ := simulate(t, l, tc.total, tc.size, tc.took)
			if len(done) != tc.total {
				t.Fatalf("sent %d, want %d", len(done), tc.total)
			}
			if took < tc.minTook || took > tc.maxTook {
				t.Errorf("took %v, want %v..%v", took, tc.minTook, tc.maxTook)
			}
			for _, c := range []struct {
				limit  int
				period time.Duration
			}{{tc.checkSec, time.Second}, {tc.checkMin, time.Minute}, {tc.checkHour, time.Hour}} {
				if c.limit > 0 {
					if got := maxInPeriod(done, c.period); got > c.limit {
						t.Errorf("%d messages within %v, limit %d", got, c.period, c.limit)
					}
				}
			}
		})
	}
}

// TestLimiterRandom: whatever the limits and batch sizes, no window ever
// holds more than its limit, and the run is not slower than the tightest
// limit requires (plus one period of slack).
func TestLimiterRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		perSecond := float64(r.IntN(40)) / 4 // 0..9.75
		perMinute := r.IntN(3) * r.IntN(400)
		total, size := 1+r.IntN(1500), 1+r.IntN(300)
		l := newLimiter(perSecond, perMinute, 0)
		done, took, batches := simulate(t, l, total, size, time.Duration(r.IntN(200))*time.Millisecond)
		if perSecond > 0 {
			if got := maxInPeriod(done, time.Second); float64(got) > max(1, perSecond) {
				t.Fatalf("#%d %v/s %v/min: %d within a second", i, perSecond, perMinute, got)
			}
		}
		if perMinute > 0 {
			if got := maxInPeriod(done, time.Minute); got > perMinute {
				t.Fatalf("#%d %v/s %v/min: %d within a minute", i, perSecond, perMinute, got)
			}
		}
		// Not slower than needed: the tighter of the two rates, plus
		// batch completion times and one period of slack.
		need := time.Duration(0)
		if perSecond >= 1 {
			need = max(need, time.Duration(float64(total)/math.Floor(perSecond)*float64(time.Second)))
		} else if perSecond > 0 {
			need = max(need, time.Duration(float64(total)/perSecond*float64(time.Second)))
		}
		if perMinute > 0 {
			need = max(need, time.Duration(total/perMinute)*time.Minute)
		}
		// Each batch may add its completion time to the wait.
		if slack := need + time.Minute + time.Duration(batches)*200*time.Millisecond; took > slack {
			t.Fatalf("#%d %v/s %v/min, %d msgs in batches of %d: took %v, want ≤ %v", i, perSecond, perMinute, total, size, took, slack)
		}
	}
}
