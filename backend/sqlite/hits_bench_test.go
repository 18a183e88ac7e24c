//go:build unix

package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// BenchmarkRecordHits: the listener's writer, one RecordHits call (one
// transaction) per batch of open hits for random recipients of 100k, all with
// tracking consent. ns/op is per batch; hits/s is the durable write rate.
func BenchmarkRecordHits(b *testing.B) {
	db := hitsBenchStore(b)
	ctx := context.Background()
	svc := sqlite.NewReactionService(db)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	for _, size := range []int{8, 64, 512} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			hits := make([]resonanz.Hit, size)
			for b.Loop() {
				for i := range hits {
					hits[i] = benchHit(rng, now)
				}
				if err := svc.RecordHits(ctx, hits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "hits/s")
		})
	}
}

// BenchmarkHitInbox: the listener's path — every hit appended to the hit log
// alone, then merged into the store in batches of the given size (one
// transaction each, the lookups kept between them). ns/op is per batch.
func BenchmarkHitInbox(b *testing.B) {
	db := hitsBenchStore(b)
	ctx := context.Background()
	in, err := sqlite.OpenHitInbox(ctx, db, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close(ctx)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	for _, size := range []int{64, 512, 4096} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			in.MergeBatch = size
			var appendTime time.Duration
			cpu0 := cpuTime()
			for b.Loop() {
				t := time.Now()
				for range size {
					if err := in.AppendHit(benchHit(rng, now)); err != nil {
						b.Fatal(err)
					}
				}
				appendTime += time.Since(t)
				if _, err := in.MergeAll(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "hits/s")
			b.ReportMetric(float64(appendTime.Nanoseconds())/float64(size*b.N), "ns/append")
			// CPU time, unlike the wall clock, means something on a shared
			// machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(size*b.N), "cpu-ns/hit")
		})
	}
}

// BenchmarkHitInboxCold: what the merge costs after its lookups were
// dropped (a listener's start, or another connection's commit): 50k hits
// for random recipients of 100k (ten seconds at 5k hits/s), appended, then
// merged in batches of 4096. ns/op is per 50k hits.
func BenchmarkHitInboxCold(b *testing.B) {
	db := hitsBenchStore(b)
	ctx := context.Background()
	in, err := sqlite.OpenHitInbox(ctx, db, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close(ctx)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	const n = 50_000
	var cpu time.Duration
	for b.Loop() {
		// A commit of another connection: the merge's lookups are stale.
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO setting (name, value, updated_at) VALUES ('bench', '1', 0)
			ON CONFLICT (name) DO UPDATE SET value = value + 1`); err != nil {
			b.Fatal(err)
		}
		for range n {
			if err := in.AppendHit(benchHit(rng, now)); err != nil {
				b.Fatal(err)
			}
		}
		cpu0 := cpuTime()
		if _, err := in.MergeAll(ctx); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*b.N), "merge-cpu-ns/hit")
}

func benchHit(rng *rand.Rand, now time.Time) resonanz.Hit {
	return resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: int64(rng.IntN(20) + 1),
		RecipientID: int64(rng.IntN(100000) + 1), At: now, UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0", IP: "127.0.0.1"}
}

// hitsBenchStore is a store with 100k recipients, all with tracking
// consent, and 20 mailings.
func hitsBenchStore(b *testing.B) *sqlite.DB {
	db := MustOpenDB(b)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO list (name, created_at) VALUES ('Newsletter', 0)`,
		`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
		 INSERT INTO recipient (id, email, email_key, first_name, last_name, first_key, last_key, created_at, updated_at)
		 SELECT x, 'p' || x || '@example.org', 'p' || x || '@example.org', 'Anna', 'Müller', 'anna', 'müller', 0, 0 FROM c`,
		`INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash)
		 SELECT r.id, p.value, 0, 1, 0, 'form', 'Ja', 'h' FROM recipient r, json_each('["tracking:opens","tracking:clicks"]') p`,
		`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20)
		 INSERT INTO mailing (id, name, list_id, status, created_at, updated_at, sent_at) SELECT x, 'M' || x, 1, 'sent', 0, 0, 0 FROM c`,
		`ANALYZE`,
	} {
		if os.Getenv("NOIDX") != "" && q == `ANALYZE` {
			db.SQL().ExecContext(ctx, `DROP INDEX reaction_mailing`)
			db.SQL().ExecContext(ctx, `DROP INDEX reaction_recipient`)
		}
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
