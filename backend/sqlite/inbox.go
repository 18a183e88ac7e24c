package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// settingInboxMark prefixes the merge marks in the store: one setting per
// file of the hit log, named by the file's generation, holding the offset up
// to which the file is merged. It is written in the same transaction as the
// merged reactions.
const settingInboxMark = "listener.inbox."

// HitInbox is the listener's durable write path: an append-only log beside
// the store (see hitlog.go). AppendHit writes one hit's frame with one
// write(2) and returns; then the hit survives the listener's crash or
// SIGKILL (it is in the kernel's page cache, which the kernel writes out;
// the file is fsynced about once a second, so a power cut or kernel crash
// may take the last second of hits, as it may take the store's last commits
// under synchronous=NORMAL). No SQLite, no lock of the store, no round trip
// to a writer: a handler pays a few microseconds and answers.
//
// A merge goroutine moves the hits into the store in large transactions —
// the consent gate, the personal reactions and the anonymous counts exactly
// as ReactionService.RecordHits — and records in the same transaction how
// far it got in the file, so a crash at any point neither loses nor doubles
// a hit. Files are rotated at RotateSize and removed once merged. Each
// process appends to a file of its own and holds a lock on every file it
// owns; a file whose owner ended (crash, kill) is adopted and merged by the
// next process that opens the inbox (the next listener, or the desk).
// Reports see a hit once it is merged (within about MergeInterval).
type HitInbox struct {
	db  *DB
	dir string
	log *slog.Logger

	// MergeBatch is the most hits per merge transaction (default 4096);
	// MergeInterval how often the merge runs (default 1 s): large merges
	// cost far less per hit than small ones (the reaction indexes' pages
	// each transaction dirties and writes: 55 µs of CPU per hit in
	// transactions of 4096, 73 µs in 512, 145 µs in 64;
	// BenchmarkHitInbox);
	// RotateSize the size from which the merge starts a new file, so merged
	// files can be removed (default 4 MiB).
	MergeBatch    int
	MergeInterval time.Duration
	RotateSize    int64
	// BacklogWindow bounds the backlog (hits appended by this process and
	// not yet merged) to about that much of the merge's measured capacity
	// (default 2 s), and MinBacklog is the bound's floor (default 2 ×
	// MergeBatch): at it AppendHitWithin appends nothing, and the listener
	// answers open pixels 503 with Retry-After instead of appending.
	// Unbounded, a listener that answers faster than the merge stores (quiet,
	// it answers about twice as fast) piles up a backlog that no shutdown
	// deadline can merge; bounded, the durable rate is the merge rate, and
	// Close has at most about BacklogWindow of merging to do.
	BacklogWindow time.Duration
	MinBacklog    int

	// Appending (see AppendHit): wmu guards the fields below and is held
	// only to copy a frame or swap a buffer, never across write(2), so a
	// handler never waits behind another's system call or behind a lock
	// holder the kernel has descheduled.
	wmu      sync.Mutex
	wdone    *sync.Cond  // on wmu: signalled when a write ends (rotation and Close wait for it)
	cur      *logFile    // the file appended to; nil once closed
	group    *frameGroup // the frames gathering for the next write
	spare    []byte      // the last write's buffer, for reuse
	flushing bool        // a write is running (outside wmu)
	broken   bool        // the last failed append could not be undone: rotate first

	fmu   sync.Mutex
	files []*logFile // owned, oldest first; the last is cur while open

	mergeMu sync.Mutex // one merge at a time; it guards the fields below
	rbuf    []byte
	hits    []resonanz.Hit // a step's decoded hits, reused
	// The merge runs on a connection of its own (with a larger page cache,
	// see connect), and keeps what it looked
	// up (consent timelines, recipients, mailings, user agents) for as
	// long as the store's PRAGMA data_version says that no other
	// connection has committed since: its own commits write reactions
	// only, so the lookups stay true. Under load this saves the merge most
	// of its queries.
	conn    *sql.Conn
	version int64
	lookups *hitLookups

	backlog  atomic.Int64  // hits this process appended and has not merged
	reserved atomic.Int64  // appends AppendHitWithin admitted that are not in backlog yet
	limit    atomic.Int64  // the bound of backlog (see backlogLimit)
	rate     float64       // the merge's measured capacity, hits/s (mergeMu)
	kick     chan struct{} // a full batch waits: merge now, not at the tick
	roomMu   sync.Mutex
	room     chan struct{} // closed (and replaced) when a merge made room

	stepHook  func() // tests: runs before each merge step (a slow store)
	writeHook func() // tests: runs before each write of appended frames, outside wmu

	stop    chan struct{}
	done    chan struct{}
	smu     sync.Mutex
	started bool
	closed  bool
}

// OpenHitInbox opens the inbox beside the store: it merges what an earlier
// build left in its SQLite inbox, adopts the files of processes that ended
// and starts a file of its own. Start starts merging.
func OpenHitInbox(ctx context.Context, db *DB, log *slog.Logger) (*HitInbox, error) {
	return openHitInbox(ctx, db, log, true)
}

// MergeLeftHits merges what listeners that ended without merging (a crash,
// a kill) left in the inbox, and removes their files: the desk does it at
// start when it runs no listener itself. It returns the hits merged. The
// files of running listeners are theirs.
func MergeLeftHits(ctx context.Context, db *DB, log *slog.Logger) (int, error) {
	in, err := openHitInbox(ctx, db, log, false)
	if err != nil {
		return 0, err
	}
	n, err := in.MergeAll(ctx)
	return n, errors.Join(err, in.Close(ctx))
}

// LeftHits reports whether the inbox holds files at all (of running
// listeners or left by ended ones): a cheap look before MergeLeftHits.
func LeftHits(db *DB) bool {
	seqs, _ := listLogs(filepath.Join(filepath.Dir(db.path), InboxDirName))
	return len(seqs) > 0
}

func openHitInbox(ctx context.Context, db *DB, log *slog.Logger, own bool) (*HitInbox, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	in := &HitInbox{db: db, dir: filepath.Join(filepath.Dir(db.path), InboxDirName), log: log,
		MergeBatch: 4096, MergeInterval: time.Second, RotateSize: 4 << 20, BacklogWindow: 2 * time.Second,
		kick: make(chan struct{}, 1), room: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	in.wdone = sync.NewCond(&in.wmu)
	if err := os.MkdirAll(in.dir, 0o700); err != nil {
		return nil, fmt.Errorf("open hit inbox: %w", err)
	}
	if err := drainLegacyInbox(ctx, db); err != nil {
		return nil, err
	}
	seqs, err := listLogs(in.dir)
	if err != nil {
		return nil, fmt.Errorf("open hit inbox: %w", err)
	}
	for _, seq := range seqs {
		lf, err := adoptLog(in.dir, seq)
		switch {
		case errors.Is(err, errLocked): // a running listener's
		case err != nil:
			log.Error("listener: a file of the hit inbox cannot be merged", "seq", seq, "err", err)
		case lf != nil:
			in.files = append(in.files, lf)
		}
	}
	if !own {
		return in, nil
	}
	cur, err := createLog(in.dir)
	if err != nil {
		in.closeFiles()
		return nil, fmt.Errorf("open hit inbox: %w", err)
	}
	cur.own = true
	in.cur = cur
	in.files = append(in.files, cur)
	return in, nil
}

// errInboxClosed: a hit arrived after Close.
var errInboxClosed = errors.New("the hit inbox is closed")

// AppendHit makes one hit durable (see HitInbox) and returns; it is safe
// for concurrent use.
//
// Concurrent appends are written together (flat combining): a handler adds
// its frame to the group gathering under wmu; if no write is running it
// becomes the writer — it takes the group, writes it with one write(2)
// outside the lock and wakes the group's other handlers — else it waits for
// its group's write. A writer writes its own group only and then hands the
// next group to one of its waiters, so no request waits for more than the
// write before its own and its own. Each hit is in the kernel before its
// request is answered, as with one write per hit; under load the listener
// makes a fraction of the system calls.
func (in *HitInbox) AppendHit(h resonanz.Hit) error {
	in.wmu.Lock()
	if in.cur == nil {
		in.wmu.Unlock()
		return fmt.Errorf("record hit: %w", errInboxClosed)
	}
	if in.group == nil {
		in.group = newFrameGroup(in.spare)
		in.spare = nil
	}
	g := in.group
	g.buf = appendFrame(g.buf, h)
	g.frames++
	turn := g.turn
	for in.flushing {
		in.wmu.Unlock()
		select {
		case <-g.done:
			return g.err
		case <-turn: // the last writer handed this group on: write it
			turn = nil // once; if another append took the write, wait for it
		}
		in.wmu.Lock()
		if g.written {
			in.wmu.Unlock()
			return g.err
		}
	}
	// Not written and no write running: g is the gathering group (the
	// groups before it were written in turn).
	in.flushing = true
	in.group = nil
	if in.cur == nil { // closed while g was gathering
		in.endWriteLocked(g, fmt.Errorf("record hit: %w", errInboxClosed))
		in.wmu.Unlock()
		return g.err
	}
	if in.broken {
		if err := in.rotateLocked(); err != nil {
			in.endWriteLocked(g, fmt.Errorf("record hit: %w", err))
			in.wmu.Unlock()
			return g.err
		}
	}
	cur := in.cur
	in.wmu.Unlock()

	if in.writeHook != nil {
		in.writeHook()
	}
	_, err := cur.f.Write(g.buf)

	in.wmu.Lock()
	if err != nil {
		// A partly written frame would hide every later one from the
		// reader: cut it off, or continue in a new file.
		if terr := cur.f.Truncate(cur.size.Load()); terr != nil {
			in.broken = true
		}
		err = fmt.Errorf("record hit: %w", err)
	} else {
		cur.size.Add(int64(len(g.buf)))
		if in.backlog.Add(int64(g.frames)) >= int64(max(in.MergeBatch, 1)) {
			select {
			case in.kick <- struct{}{}:
			default:
			}
		}
	}
	in.endWriteLocked(g, err)
	in.wmu.Unlock()
	return err
}

// frameGroup is the frames of the appends that one write(2) makes durable.
type frameGroup struct {
	buf     []byte
	frames  int
	done    chan struct{} // closed once written (or failed: err)
	turn    chan struct{} // closed when the writer before hands on to this group
	written bool          // wmu
	err     error         // set before done is closed
}

func newFrameGroup(buf []byte) *frameGroup {
	return &frameGroup{buf: buf[:0], done: make(chan struct{}), turn: make(chan struct{})}
}

// endWriteLocked ends the write of g with err and hands on to the group
// gathering meanwhile, if any; in.wmu is held.
func (in *HitInbox) endWriteLocked(g *frameGroup, err error) {
	g.written, g.err = true, err
	close(g.done)
	in.flushing = false
	if len(g.buf) <= 64<<10 {
		in.spare = g.buf // the waiters are done with it: they only read g.err
	}
	if in.group != nil {
		close(in.group.turn)
	}
	in.wdone.Broadcast()
}

// waitWritesLocked waits until no write runs (before the current file may
// end: its size must count every frame written); in.wmu is held.
func (in *HitInbox) waitWritesLocked() {
	for in.flushing {
		in.wdone.Wait()
	}
}

// Backlog returns how many hits this process appended that are not merged
// into the store yet.
func (in *HitInbox) Backlog() int { return int(in.backlog.Load()) }

// AppendHitWithin appends h (see AppendHit) if the backlog has room for
// it, waiting at most wait (or until ctx ends) for a merge to make room; it
// reports whether h was appended. Room is reserved before the append, so
// concurrent requests never take the backlog past its bound: checked and
// appended apart, each of them could see the last free place.
func (in *HitInbox) AppendHitWithin(ctx context.Context, wait time.Duration, h resonanz.Hit) (bool, error) {
	if !in.awaitRoom(ctx, wait) {
		return false, nil
	}
	// AppendHit counts h into the backlog before the reservation ends, so
	// the two together never count less than what is appended.
	err := in.AppendHit(h)
	in.reserved.Add(-1)
	return err == nil, err
}

// reserve takes one place below the bound for an append, if there is one.
func (in *HitInbox) reserve() bool {
	limit := in.backlogLimit()
	for {
		r := in.reserved.Load()
		if in.backlog.Load()+r >= limit {
			return false
		}
		if in.reserved.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// awaitRoom reserves a place (see reserve), trying again after each merge
// that made room, for at most wait (or until ctx ends).
func (in *HitInbox) awaitRoom(ctx context.Context, wait time.Duration) bool {
	if in.reserve() {
		return true
	}
	if wait <= 0 {
		return false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		in.roomMu.Lock()
		room := in.room
		in.roomMu.Unlock()
		if in.reserve() {
			return true
		}
		select {
		case <-room:
		case <-timer.C:
			return in.reserve()
		case <-ctx.Done():
			return in.reserve()
		}
	}
}

// backlogLimit is the backlog's bound: BacklogWindow of the merge's measured
// capacity, at least MinBacklog.
func (in *HitInbox) backlogLimit() int64 {
	floor := int64(in.MinBacklog)
	if floor <= 0 {
		floor = 2 * int64(max(in.MergeBatch, 1))
	}
	return max(in.limit.Load(), floor)
}

// merged takes n merged hits of this process off the backlog, learns the
// merge's capacity from a step that merged n hits in d, and wakes the
// requests waiting for room; mergeMu is held.
func (in *HitInbox) merged(n int, own bool, d time.Duration) {
	if own {
		in.backlog.Add(-int64(n))
	}
	// Small steps (a quiet listener) cost more per hit and say little
	// about the capacity: only steps of a good size count.
	if d > 0 && n >= max(in.MergeBatch/4, 1) {
		r := float64(n) / d.Seconds()
		if in.rate == 0 {
			in.rate = r
		} else {
			in.rate = 0.7*in.rate + 0.3*r
		}
		in.limit.Store(int64(in.rate * in.BacklogWindow.Seconds()))
	}
	in.roomMu.Lock()
	close(in.room)
	in.room = make(chan struct{})
	in.roomMu.Unlock()
}

// RecordHits appends hits one by one (resonanz.HitRecorder); when it
// returns nil they are durable as after AppendHit.
func (in *HitInbox) RecordHits(_ context.Context, hits []resonanz.Hit) error {
	for _, h := range hits {
		if err := in.AppendHit(h); err != nil {
			return err
		}
	}
	return nil
}

// rotateLocked ends the current file and starts a new one; in.wmu is held,
// and no write runs (the writer itself, or after waitWritesLocked).
func (in *HitInbox) rotateLocked() error {
	next, err := createLog(in.dir)
	if err != nil {
		return err
	}
	next.own = true
	in.cur.final.Store(true)
	in.fmu.Lock()
	in.files = append(in.files, next)
	in.fmu.Unlock()
	in.cur, in.broken = next, false
	return nil
}

// Start starts the merge goroutine; it merges what is there first.
func (in *HitInbox) Start() {
	in.smu.Lock()
	defer in.smu.Unlock()
	if in.started || in.closed {
		return
	}
	in.started = true
	go in.run()
}

func (in *HitInbox) run() {
	defer close(in.done)
	var syncs sync.WaitGroup
	defer syncs.Wait()
	// Once a second, also while a long merge runs.
	syncs.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-in.stop:
				return
			case <-tick.C:
				in.sync()
			}
		}
	})
	// The merge is background work beside the handlers that answer
	// people: on a thread of its own with a lower priority, it no longer
	// takes a core from them for the length of a transaction (the p99 at
	// a fixed rate). It still gets the CPU it needs: when it falls behind,
	// the backlog bound makes the handlers wait for room. The thread ends
	// with the goroutine (locked, never unlocked).
	runtime.LockOSThread()
	lowerThreadPriority()
	tick := time.NewTicker(in.MergeInterval)
	defer tick.Stop()
	for {
		// Step by step, back to back while there is work, so that Close
		// never waits for more than one transaction.
		for {
			select {
			case <-in.stop:
				return
			default:
			}
			in.mergeMu.Lock()
			_, more, err := in.merge(context.Background())
			in.mergeMu.Unlock()
			if err != nil {
				in.log.Error("listener: merging hits into the store failed; they stay in the inbox", "err", err)
			}
			if err != nil || !more {
				break
			}
		}
		select {
		case <-in.stop:
			return
		case <-tick.C:
		case <-in.kick:
		}
	}
}

// sync asks the kernel to put the current file on disk (the power-cut
// window; a process crash does not need it).
func (in *HitInbox) sync() {
	in.wmu.Lock()
	cur := in.cur
	in.wmu.Unlock()
	if cur != nil && !cur.final.Load() {
		cur.f.Sync()
	}
}

// Close stops appending and merging, merges everything left, removes the
// merged files and closes them (not the store).
//
// When ctx has a deadline, Close stops merging in time for it: what is not
// merged by then stays in the inbox — durable, each answered hit is in a
// file — and the next process that opens the inbox merges it (a warning says
// how much). That is not an error: nothing is lost, and a listener stopped
// with Ctrl+C under load exits 0. The backlog bound (BacklogWindow) keeps
// it to about two seconds of merging, so it takes an unusually slow store
// to leave anything. Errors are the merge's own (the store failed).
func (in *HitInbox) Close(ctx context.Context) error {
	in.smu.Lock()
	started, closed := in.started, in.closed
	in.closed = true
	in.smu.Unlock()
	if closed {
		return nil
	}
	if started {
		close(in.stop)
		select {
		case <-in.done: // at most one merge step
		case <-ctx.Done():
			// The merge is stuck in one transaction (the store is
			// locked?). Its files stay locked until the process ends;
			// closing them under a running merge could let another
			// process adopt and merge them twice.
			in.log.Warn("listener: the hits not yet merged stay in the hit inbox; the next start merges them", "hits", in.backlog.Load(), "dir", in.dir)
			return nil
		}
	}
	in.wmu.Lock()
	in.waitWritesLocked()
	if in.cur != nil {
		in.cur.final.Store(true)
		in.cur = nil
	}
	in.wmu.Unlock()
	left, err := in.mergeUntil(ctx)
	in.mergeMu.Lock()
	in.dropConn()
	in.mergeMu.Unlock()
	in.closeFiles()
	if left && err == nil {
		in.log.Warn("listener: the hits not yet merged stay in the hit inbox; the next start merges them", "hits", in.backlog.Load(), "dir", in.dir)
	}
	return err
}

// mergeUntil merges step by step until everything is merged, or until
// ctx's deadline is too close for another step (left reports that something
// is left). A step that ctx cuts off is rolled back: its hits stay.
func (in *HitInbox) mergeUntil(ctx context.Context) (left bool, err error) {
	in.mergeMu.Lock()
	defer in.mergeMu.Unlock()
	deadline, hasDeadline := ctx.Deadline()
	var step time.Duration // the longest step so far
	for {
		if ctx.Err() != nil || hasDeadline && time.Until(deadline) < 2*step+50*time.Millisecond {
			return true, nil
		}
		t := time.Now()
		_, more, err := in.merge(ctx)
		step = max(step, time.Since(t))
		if err != nil && ctx.Err() != nil {
			return true, nil
		}
		if err != nil || !more {
			return false, err
		}
	}
}

// closeFiles closes (and so unlocks) the files still owned: what they hold
// unmerged is adopted by the next process that opens the inbox.
func (in *HitInbox) closeFiles() {
	in.fmu.Lock()
	defer in.fmu.Unlock()
	for _, lf := range in.files {
		lf.f.Close()
	}
	in.files = nil
}

// MergeAll merges until everything durable is merged and returns how many
// hits it merged.
func (in *HitInbox) MergeAll(ctx context.Context) (int, error) {
	in.mergeMu.Lock()
	defer in.mergeMu.Unlock()
	total := 0
	for {
		n, more, err := in.merge(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// readChunk is how much of a file one merge step reads at most.
const readChunk = 1 << 20

// merge takes one step on the oldest file: it merges up to MergeBatch hits
// into the store in one transaction, or removes the file once it is merged
// and final, or rotates the current file once it is merged and large. more
// reports whether another step may find work now.
func (in *HitInbox) merge(ctx context.Context) (n int, more bool, err error) {
	start := time.Now()
	if in.stepHook != nil {
		in.stepHook()
	}
	in.fmu.Lock()
	if len(in.files) == 0 {
		in.fmu.Unlock()
		return 0, false, nil
	}
	lf := in.files[0]
	in.fmu.Unlock()
	if !lf.marked {
		if lf.merged, err = in.mark(ctx, lf); err != nil {
			return 0, false, err
		}
		lf.marked = true
	}
	final := lf.final.Load() // before size: once final, size is the end
	end := lf.size.Load()
	if lf.merged < end {
		want := min(end-lf.merged, readChunk)
		if cap(in.rbuf) < int(want) {
			in.rbuf = make([]byte, want)
		}
		b := in.rbuf[:want]
		k, rerr := lf.f.ReadAt(b, lf.merged)
		b = b[:k]
		hits := in.hits[:0]
		defer func() { in.hits = hits[:0] }() // the next step reuses it (mergeMu)
		off, status := 0, frameOK
		for len(hits) < max(in.MergeBatch, 1) {
			var h resonanz.Hit
			var fn int
			if h, fn, status = decodeFrame(b[off:]); status != frameOK {
				break
			}
			hits, off = append(hits, h), off+fn
		}
		if len(hits) == 0 {
			// Nothing whole at the offset: a torn tail or garbage (a power
			// cut), or a read error. Nothing after it can be read.
			if rerr == nil && status == frameShort && lf.merged+int64(len(b)) < end {
				return 0, false, fmt.Errorf("merge hits: short read of %s", lf.path)
			}
			if !final {
				// Not a tear: the current file's size counts whole frames
				// only. Continue in a new file; this one ends here.
				in.log.Error("listener: the hit inbox file is damaged; continuing in a new file", "file", lf.path, "offset", lf.merged, "err", rerr)
				in.wmu.Lock()
				in.waitWritesLocked()
				if in.cur == lf {
					if err := in.rotateLocked(); err != nil {
						in.wmu.Unlock()
						return 0, false, fmt.Errorf("merge hits: %w", err)
					}
				}
				in.wmu.Unlock()
				final = true
			} else {
				in.log.Warn("listener: the hit inbox file ends in an incomplete hit (a power cut?); the rest of it is skipped", "file", lf.path, "offset", lf.merged, "bytes", end-lf.merged)
			}
			end = lf.merged
			lf.size.Store(end)
		} else {
			if err := in.commit(ctx, lf, hits, lf.merged+int64(off)); err != nil {
				return 0, false, err
			}
			lf.merged += int64(off)
			in.merged(len(hits), lf.own, time.Since(start))
			return len(hits), true, nil
		}
	}
	if final {
		// Merged: the file may go. The mark is removed after the file: a
		// crash in between leaves a mark of a file that is gone.
		lf.f.Close()
		if err := os.Remove(lf.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, false, fmt.Errorf("merge hits: %w", err)
		}
		in.fmu.Lock()
		in.files = in.files[1:]
		in.fmu.Unlock()
		// On the merge's own connection: a commit of another connection
		// would change PRAGMA data_version and so drop the merge's lookups.
		if err := in.connect(ctx); err != nil {
			return 0, false, err
		}
		if _, err := in.conn.ExecContext(ctx, `DELETE FROM setting WHERE name = ?`, settingInboxMark+lf.gen); err != nil {
			in.dropConn()
			return 0, false, fmt.Errorf("merge hits: %w", err)
		}
		return 0, true, nil
	}
	if end >= in.RotateSize {
		in.wmu.Lock()
		in.waitWritesLocked()
		var err error
		if in.cur == lf {
			err = in.rotateLocked()
		}
		in.wmu.Unlock()
		if err != nil {
			return 0, false, fmt.Errorf("merge hits: %w", err)
		}
		return 0, true, nil
	}
	return 0, false, nil
}

// mark reads how far a file is merged (the header's end when not at all).
func (in *HitInbox) mark(ctx context.Context, lf *logFile) (int64, error) {
	var v string
	err := in.db.db.QueryRowContext(ctx, `SELECT value FROM setting WHERE name = ?`, settingInboxMark+lf.gen).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return int64(logHeaderLen), nil
	}
	if err != nil {
		return 0, fmt.Errorf("merge hits: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < int64(logHeaderLen) {
		return 0, fmt.Errorf("merge hits: bad mark %q for %s", v, lf.path)
	}
	return n, nil
}

// maxLookups bounds the merge's kept lookups (recipients).
const maxLookups = 250_000

// commit stores hits and the file's new mark in one transaction.
func (in *HitInbox) commit(ctx context.Context, lf *logFile, hits []resonanz.Hit, mark int64) (err error) {
	if err := in.connect(ctx); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// What a failed transaction looked up or inserted (a user
			// agent's id) may be rolled back; the connection may be broken.
			in.dropConn()
		}
	}()
	tx, err := in.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("merge hits: %w", err)
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
		return fmt.Errorf("merge hits: %w", err)
	}
	if in.lookups == nil || version != in.version || len(in.lookups.recipients) > maxLookups {
		in.lookups, in.version = newHitLookups(), version
	}
	if err := recordHitsCached(ctx, tx, hits, in.lookups); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO setting (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		settingInboxMark+lf.gen, strconv.FormatInt(mark, 10), millis(in.db.Now())); err != nil {
		return fmt.Errorf("merge hits: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("merge hits: %w", err)
	}
	return nil
}

// connect takes the merge's connection from the pool, if it has none.
func (in *HitInbox) connect(ctx context.Context) (err error) {
	if in.conn == nil {
		if in.conn, err = in.db.db.Conn(ctx); err != nil {
			return fmt.Errorf("merge hits: %w", err)
		}
		// Random recipients' reactions land on random pages of the
		// reaction indexes; once those outgrow the page cache, a
		// transaction spills and rereads them. 32 MB instead of 8 cost a
		// quarter less CPU per hit with 250k–750k reactions stored
		// (BenchmarkHitInbox); dropConn gives the connection back with the
		// pool's size.
		if _, err := in.conn.ExecContext(ctx, `PRAGMA cache_size = -32768`); err != nil {
			in.dropConn()
			return fmt.Errorf("merge hits: %w", err)
		}
		in.lookups = nil
	}
	return nil
}

// dropConn gives the merge's connection back and forgets its lookups.
func (in *HitInbox) dropConn() {
	if in.conn != nil {
		in.conn.ExecContext(context.Background(), `PRAGMA cache_size = `+cacheSize)
		in.conn.Close()
	}
	in.conn, in.lookups = nil, nil
}
