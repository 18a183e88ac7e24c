package listener

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// limiter is a per-client token bucket with bounded memory: a fixed number of
// shards, each holding at most maxPerShard buckets. When a shard is full,
// buckets that have refilled completely (idle clients) are evicted first,
// then arbitrary ones: an evicted client starts again with a full bucket,
// which errs on the side of serving people.
type limiter struct {
	rate   float64 // tokens per second
	burst  float64
	seed   maphash.Seed
	shards [limiterShards]limiterShard
	max    int // per shard
}

const limiterShards = 32

type limiterShard struct {
	mu      sync.Mutex
	buckets map[netip.Addr]bucket
}

type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds
}

// newLimiter returns nil (no limit) when rate ≤ 0.
func newLimiter(rate float64, burst, maxClients int) *limiter {
	if rate <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	l := &limiter{rate: rate, burst: float64(burst), seed: maphash.MakeSeed(), max: max(maxClients/limiterShards, 16)}
	for i := range l.shards {
		l.shards[i].buckets = make(map[netip.Addr]bucket)
	}
	return l
}

// clientKey groups IPv6 clients by /64 (one customer line); IPv4 by address.
func clientKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// allow takes one token for client a at time now.
func (l *limiter) allow(a netip.Addr, now time.Time) bool {
	if l == nil {
		return true
	}
	key := clientKey(a)
	sh := &l.shards[maphash.Comparable(l.seed, key)%limiterShards]
	t := now.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		if len(sh.buckets) >= l.max {
			l.evict(sh, t)
		}
		b = bucket{tokens: l.burst, last: t}
	} else if dt := float64(t-b.last) / 1e9; dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.rate)
		b.last = t
	}
	if b.tokens < 1 {
		sh.buckets[key] = b
		return false
	}
	b.tokens--
	sh.buckets[key] = b
	return true
}

func (l *limiter) evict(sh *limiterShard, now int64) {
	full := int64(l.burst / l.rate * 1e9) // time to refill from empty
	for k, b := range sh.buckets {
		if now-b.last >= full {
			delete(sh.buckets, k)
		}
	}
	for k := range sh.buckets { // still full: drop some at random
		if len(sh.buckets) < l.max*3/4 {
			break
		}
		delete(sh.buckets, k)
	}
}

// size returns the number of tracked clients (tests).
func (l *limiter) size() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].buckets)
		l.shards[i].mu.Unlock()
	}
	return n
}
