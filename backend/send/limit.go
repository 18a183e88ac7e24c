package send

import (
	"context"
	"math"
	"time"
)

// window is one sending limit: at most count messages in any period.
type window struct {
	count  int
	period time.Duration
	q      []time.Time // completion times still within the period, oldest first from head
	head   int
}

// expire forgets the messages that left the period before now.
func (w *window) expire(now time.Time) {
	for w.head < len(w.q) && !w.q[w.head].Add(w.period).After(now) {
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.q) {
		w.q = append(w.q[:0], w.q[w.head:]...)
		w.head = 0
	}
}

func (w *window) room() int { return w.count - (len(w.q) - w.head) }

// limiter enforces every window at once, exactly: no period ever holds more
// messages than its limit. Messages count from when the server has taken
// their batch, so a slow batch counts late rather than early.
type limiter struct {
	windows []*window
}

// newLimiter builds the limits of a job; zero means no such limit.
// perSecond below 1 means one message every 1/perSecond seconds (0.5: one
// every two seconds); from 1 on its whole part counts (at most that many
// messages in any second). perMinute and perHour count messages in any
// minute or hour.
func newLimiter(perSecond float64, perMinute, perHour int) *limiter {
	l := &limiter{}
	switch {
	case perSecond >= 1:
		l.add(int(math.Floor(perSecond)), time.Second)
	case perSecond > 0:
		l.add(1, time.Duration(float64(time.Second)/perSecond))
	}
	if perMinute > 0 {
		l.add(perMinute, time.Minute)
	}
	if perHour > 0 {
		l.add(perHour, time.Hour)
	}
	return l
}

func (l *limiter) add(count int, period time.Duration) {
	l.windows = append(l.windows, &window{count: count, period: period})
}

// take waits until at least one message may go out and returns how many
// (at most want) may go out now.
func (l *limiter) take(ctx context.Context, want int, now func() time.Time, sleep func(context.Context, time.Duration) error) (int, error) {
	for {
		t := now()
		n := want
		var until time.Time // when the fullest window has room again
		for _, w := range l.windows {
			w.expire(t)
			room := w.room()
			if room <= 0 {
				if free := w.q[w.head].Add(w.period); free.After(until) {
					until = free
				}
			}
			n = min(n, room)
		}
		if n >= 1 {
			return n, nil
		}
		if err := sleep(ctx, until.Sub(t)); err != nil {
			return 0, err
		}
	}
}

// sent records n messages that the server took at t.
func (l *limiter) sent(t time.Time, n int) {
	for _, w := range l.windows {
		for range n {
			w.q = append(w.q, t)
		}
	}
}
