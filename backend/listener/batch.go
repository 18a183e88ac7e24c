package listener

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// batcher is the group commit for hits: handlers put hits into a bounded
// queue, one writer goroutine hands them to the HitRecorder every batchSize
// hits or every interval, whichever comes first.
//
// Overload policy: enqueue waits at most enqueueWait for room; after that the
// hit is dropped and counted (Stats.Dropped). A request handler is never
// blocked longer than that, and the recipient always gets the pixel or the
// redirect. A hit that was enqueued (acknowledged) is written before close
// returns — close stops the intake, drains the queue and flushes.
type batcher struct {
	rec         resonanz.HitRecorder
	queue       chan resonanz.Hit
	batchSize   int
	interval    time.Duration
	enqueueWait time.Duration
	log         *slog.Logger

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	nudge  chan struct{} // a full batch is waiting
	stop   chan struct{} // closed with the queue
	done   chan struct{}

	enqueued, recorded, dropped, failed, batches atomic.Uint64
}

// Stats are the listener's hit counters since start.
type Stats struct {
	Enqueued uint64 // hits accepted into the queue
	Recorded uint64 // hits handed to the HitRecorder successfully
	Dropped  uint64 // hits dropped because the queue stayed full (overload) or after shutdown
	Failed   uint64 // hits lost because the HitRecorder kept failing
	Batches  uint64 // RecordHits calls that succeeded
	Queued   int    // hits waiting now
	// NoticesSent and NoticeErrors count the listener's own mails
	// (confirmation and profile links).
	NoticesSent  uint64
	NoticeErrors uint64
}

func newBatcher(rec resonanz.HitRecorder, queueSize, batchSize int, interval, enqueueWait time.Duration, log *slog.Logger) *batcher {
	b := &batcher{
		rec: rec, queue: make(chan resonanz.Hit, queueSize), batchSize: batchSize,
		interval: interval, enqueueWait: enqueueWait, log: log, done: make(chan struct{}),
		nudge: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	go b.run()
	return b
}

// add enqueues a hit; false means it was dropped.
func (b *batcher) add(h resonanz.Hit) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		b.dropped.Add(1)
		return false
	}
	select {
	case b.queue <- h:
		b.enqueued.Add(1)
		if len(b.queue) >= b.batchSize {
			b.wake()
		}
		return true
	default:
	}
	b.wake()
	t := time.NewTimer(b.enqueueWait)
	defer t.Stop()
	select {
	case b.queue <- h:
		b.enqueued.Add(1)
		return true
	case <-t.C:
		b.dropped.Add(1)
		return false
	}
}

func (b *batcher) run() {
	defer close(b.done)
	buf := make([]resonanz.Hit, 0, b.batchSize)
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	for {
		// The writer sleeps until the interval passes, a producer sees a full
		// batch waiting (nudge) or the queue closes — not once per hit: a
		// wake-up per hit costs more than the hit itself.
		select {
		case <-tick.C:
		case <-b.nudge:
		case <-b.stop:
		}
		for {
			select {
			case h, ok := <-b.queue:
				if !ok {
					b.flush(buf)
					return
				}
				buf = append(buf, h)
				if len(buf) >= b.batchSize {
					buf = b.flush(buf)
				}
				continue
			default:
			}
			break
		}
		buf = b.flush(buf)
	}
}

// flush writes buf, retrying a few times: the store may be busy (SQLite
// writer lock held by the desk). The context is not the request's: hits
// outlive their requests.
func (b *batcher) flush(buf []resonanz.Hit) []resonanz.Hit {
	if len(buf) == 0 {
		return buf
	}
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = b.rec.RecordHits(ctx, buf)
		cancel()
		if err == nil {
			b.recorded.Add(uint64(len(buf)))
			b.batches.Add(1)
			return buf[:0]
		}
	}
	b.failed.Add(uint64(len(buf)))
	b.log.Error("listener: recording hits failed; hits lost", "hits", len(buf), "err", err)
	return buf[:0]
}

func (b *batcher) wake() {
	select {
	case b.nudge <- struct{}{}:
	default:
	}
}

// close stops the intake, writes everything enqueued and waits for the
// writer, or until ctx is done.
func (b *batcher) close(ctx context.Context) error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
		close(b.stop)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) stats() Stats {
	return Stats{
		Enqueued: b.enqueued.Load(), Recorded: b.recorded.Load(), Dropped: b.dropped.Load(),
		Failed: b.failed.Load(), Batches: b.batches.Load(), Queued: len(b.queue),
	}
}
