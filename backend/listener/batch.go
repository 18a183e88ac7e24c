package listener

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// batcher is the group commit for hits, run continuously: one writer
// goroutine takes whatever hits have gathered since its last commit (at most
// batchSize) and hands them to the HitRecorder in one call (one
// transaction), while the hits that arrive meanwhile gather for the next
// one. A handler waits for the commit of its own hit, so a tracking request
// is answered only once its hit is durable; at low load a hit waits for one
// commit of a few hits, under load the batches grow by themselves.
//
// Overload policy (nothing answered is lost): a request waits for room in the
// bounded queue (at most enqueueWait), then for its hit's commit (at most
// commitWait). A hit that was queued is always written, before close returns
// at the latest — a request whose commit takes longer than commitWait is
// answered anyway, because its hit is queued. A hit that finds no room in
// time is not queued: the caller decides what to do with it (the open pixel
// answers 503 with Retry-After; a click or image is written synchronously
// and redirected, because a person must reach the link). Because each
// handler waits for its commit, the queue holds at most one hit per running
// request: overload shows as longer answers (backpressure), not as a growing
// queue that a shutdown must flush or a crash could lose.
//
// A HitRecorder that is also a HitAppender (the desk's hit log) needs none
// of this: each request appends its own hit and is answered when the
// append returned; the batcher then only counts. If it is a HitBacklog too
// (its hits still have to be merged into the store), a request first waits
// for room in its bounded backlog, at most enqueueWait, and a hit that finds
// none takes the overload path above: an open pixel is refused with 503 and
// Retry-After, a click or image is appended all the same (recordNow) and
// redirected. So the listener answers at the rate the store takes hits, and
// the backlog a shutdown has to merge stays bounded.
type batcher struct {
	rec         resonanz.HitRecorder
	app         HitAppender // rec, when it appends single hits cheaply
	backlog     HitBacklog  // rec, when its appended hits wait for a merge
	batchSize   int
	queueSize   int
	enqueueWait time.Duration
	commitWait  time.Duration
	log         *slog.Logger

	mu     sync.Mutex
	wake   *sync.Cond // signals the writer: a batch is waiting or closed
	segs   []*segment // batches waiting for the writer, oldest first
	queued int        // hits in segs
	room   chan struct{}
	closed bool
	done   chan struct{}

	enqueued, recorded, dropped, failed, batches, refused, direct, late atomic.Uint64
}

// HitAppender is a HitRecorder that makes a single hit durable cheaply,
// e.g. by appending it to a log file with one write(2). The listener then
// calls AppendHit in the request and answers when it returns: no queue, no
// round trip to a writer goroutine, no wait for the next group commit. When
// AppendHit fails, the hit is treated as one that found no room (an open
// pixel answers 503 with Retry-After, a click or image is written with
// RecordHits and redirected).
type HitAppender interface {
	AppendHit(h resonanz.Hit) error
}

// HitBacklog is a HitAppender whose appended hits wait to be merged into
// the store, in a backlog it bounds. AppendHitWithin appends a hit if the
// backlog is below its bound, waiting at most wait (or until ctx ends) for
// a merge to make room, and reports whether it did; concurrent calls never
// take the backlog past the bound. Backlog returns the hits waiting.
type HitBacklog interface {
	AppendHitWithin(ctx context.Context, wait time.Duration, h resonanz.Hit) (bool, error)
	Backlog() int
}

// segment is one batch: the hits of one RecordHits call and the signal that
// it is done.
type segment struct {
	hits []resonanz.Hit
	done chan struct{}
	err  error // set before done is closed
}

// Stats are the listener's hit counters since start.
type Stats struct {
	Enqueued uint64 // hits accepted into the queue (or appended by a HitAppender)
	Recorded uint64 // hits stored by the HitRecorder (queued or written synchronously)
	Dropped  uint64 // hits neither queued nor stored (a click whose synchronous write failed)
	Failed   uint64 // queued hits lost because the HitRecorder kept failing
	Batches  uint64 // RecordHits calls that succeeded
	Queued   int    // hits waiting now (with a HitBacklog: appended, not yet merged)
	// Refused counts open pixels answered 503 (Retry-After) because their
	// hit found no room in time; Direct counts clicks and images written
	// synchronously for the same reason; Late counts requests answered
	// before their queued hit was committed (commit slower than the wait).
	Refused uint64
	Direct  uint64
	Late    uint64
	// NoticesSent and NoticeErrors count the listener's own mails
	// (confirmation and profile links).
	NoticesSent  uint64
	NoticeErrors uint64
}

func newBatcher(rec resonanz.HitRecorder, queueSize, batchSize int, enqueueWait, commitWait time.Duration, log *slog.Logger) *batcher {
	b := &batcher{
		rec: rec, batchSize: batchSize, queueSize: max(queueSize, batchSize), enqueueWait: enqueueWait,
		commitWait: commitWait, log: log, room: make(chan struct{}), done: make(chan struct{}),
	}
	b.wake = sync.NewCond(&b.mu)
	if app, ok := rec.(HitAppender); ok {
		b.app = app
		b.backlog, _ = rec.(HitBacklog)
		close(b.done) // no writer goroutine
		return b
	}
	go b.run()
	return b
}

// addResult is what became of a hit handed to add.
type addResult int

const (
	hitStored addResult = iota // committed
	hitQueued                  // queued, commit still running (or the request went away): it will be written
	hitFailed                  // queued, but the HitRecorder failed: lost
	hitNoRoom                  // not queued: no room within enqueueWait, or the listener is closing
)

// add queues a hit and waits for its commit, bounded as described on
// batcher; ctx is the request's.
func (b *batcher) add(ctx context.Context, h resonanz.Hit) addResult {
	if b.app != nil {
		appended, err := true, error(nil)
		if b.backlog != nil {
			appended, err = b.backlog.AppendHitWithin(ctx, b.enqueueWait, h)
		} else {
			err = b.app.AppendHit(h)
		}
		if err != nil {
			b.log.Error("listener: recording a hit failed", "err", err)
			return hitNoRoom
		}
		if !appended {
			return hitNoRoom
		}
		b.enqueued.Add(1)
		b.recorded.Add(1)
		return hitStored
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	b.mu.Lock()
	for !b.closed && b.queued >= b.queueSize {
		room := b.room
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(b.enqueueWait)
		}
		select {
		case <-room:
		case <-timer.C:
			return hitNoRoom
		case <-ctx.Done():
			return hitNoRoom
		}
		b.mu.Lock()
	}
	if b.closed {
		b.mu.Unlock()
		return hitNoRoom
	}
	var seg *segment
	if n := len(b.segs); n > 0 && len(b.segs[n-1].hits) < b.batchSize {
		seg = b.segs[n-1]
	} else {
		seg = &segment{hits: make([]resonanz.Hit, 0, min(b.batchSize, 64)), done: make(chan struct{})}
		b.segs = append(b.segs, seg)
	}
	seg.hits = append(seg.hits, h)
	b.queued++
	b.mu.Unlock()
	b.enqueued.Add(1)
	b.wake.Signal()

	if timer == nil {
		timer = time.NewTimer(b.commitWait)
	} else {
		timer.Reset(b.commitWait)
	}
	select {
	case <-seg.done:
		if seg.err != nil {
			return hitFailed
		}
		return hitStored
	case <-timer.C:
		b.late.Add(1)
		return hitQueued
	case <-ctx.Done():
		return hitQueued
	}
}

// recordNow writes one hit synchronously, for a click or image whose hit
// found no room in the queue (with a HitBacklog: it is appended beyond the
// backlog's bound; the wait for room before it keeps those few).
func (b *batcher) recordNow(h resonanz.Hit) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.rec.RecordHits(ctx, []resonanz.Hit{h}); err != nil {
		b.dropped.Add(1)
		b.log.Error("listener: recording a hit synchronously failed; hit lost", "err", err)
		return
	}
	b.direct.Add(1)
	b.recorded.Add(1)
}

// run is the writer: it commits one segment after the other as soon as the
// previous commit is done, until the batcher is closed and drained.
func (b *batcher) run() {
	defer close(b.done)
	for {
		b.mu.Lock()
		for len(b.segs) == 0 && !b.closed {
			b.wake.Wait()
		}
		if len(b.segs) == 0 {
			b.mu.Unlock()
			return
		}
		seg := b.segs[0]
		b.segs[0] = nil
		b.segs = b.segs[1:]
		b.queued -= len(seg.hits)
		close(b.room)
		b.room = make(chan struct{})
		b.mu.Unlock()

		seg.err = b.flush(seg.hits)
		close(seg.done)
	}
}

// flush writes hits, retrying a few times: the store may be busy (SQLite
// writer lock held by the desk). The context is not the request's: hits
// outlive their requests.
func (b *batcher) flush(hits []resonanz.Hit) error {
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = b.rec.RecordHits(ctx, hits)
		cancel()
		if err == nil {
			b.recorded.Add(uint64(len(hits)))
			b.batches.Add(1)
			return nil
		}
	}
	b.failed.Add(uint64(len(hits)))
	b.log.Error("listener: recording hits failed; hits lost", "hits", len(hits), "err", err)
	return err
}

// close stops the intake, writes everything queued and waits for the
// writer, or until ctx is done (the writer then finishes in the background).
func (b *batcher) close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wake.Broadcast()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) stats() Stats {
	b.mu.Lock()
	q := b.queued
	b.mu.Unlock()
	if b.backlog != nil {
		q = b.backlog.Backlog()
	}
	return Stats{
		Enqueued: b.enqueued.Load(), Recorded: b.recorded.Load(), Dropped: b.dropped.Load(),
		Failed: b.failed.Load(), Batches: b.batches.Load(), Queued: q,
		Refused: b.refused.Load(), Direct: b.direct.Load(), Late: b.late.Load(),
	}
}
