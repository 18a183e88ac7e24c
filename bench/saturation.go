package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// loadStats is what a time-bounded load run saw.
type loadStats struct {
	answered, refused, failed int // 200, 503, anything else (or transport errors)
	elapsed                   time.Duration
	p99                       time.Duration
}

// loadFor sends GETs to the URLs (round robin, all of one host) from conc
// keep-alive connections for dur, with a wrk-like client (rawClient). rate
// 0 is a closed loop (saturation: each connection sends its next request
// when the last is answered); rate > 0 paces the requests at that many per
// second in total (open loop, the latency of each measured from its
// scheduled start, so a stall counts for every request it delays). Requests
// still running at the end are cut off and not counted.
func loadFor(ctx context.Context, urls []string, dur time.Duration, conc int, rate float64) loadStats {
	addr, err := hostOf(urls[0])
	if err != nil {
		return loadStats{failed: 1}
	}
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var next atomic.Int64
	var mu sync.Mutex
	var st loadStats
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			rc := &rawClient{addr: addr, deadline: deadline}
			defer rc.close()
			var mine []time.Duration
			var answered, refused, failed int
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				st.answered, st.refused, st.failed = st.answered+answered, st.refused+refused, st.failed+failed
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if d := time.Until(t0); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				code, err := rc.get(urls[i%int64(len(urls))])
				switch {
				case err != nil && !time.Now().Before(deadline):
					// cut off at the end of the run: not counted
				case err != nil:
					failed++
				case code == 200:
					answered++
					mine = append(mine, time.Since(t0))
				case code == 503:
					refused++
				default:
					failed++
				}
			}
		})
	}
	wg.Wait()
	st.elapsed = min(time.Since(start), dur)
	slices.Sort(lat)
	if len(lat) > 0 {
		st.p99 = lat[len(lat)*99/100]
	}
	return st
}

// saturationRun is one run of one binary: a paced phase, a saturation
// phase, then SIGINT.
type saturationRun struct {
	paced, sat loadStats
	stored     int           // hits stored during both phases (personal + anonymous)
	flush      time.Duration // SIGINT until the program exited
	rss        int64
}

// listenerSaturation overloads `resonanz listen` with open pixels for
// random recipients of 100k, all with tracking consent: first at a fixed
// rate (the latency figure), then with 64 connections as fast as it
// answers. It counts answered requests against hits stored afterwards (no
// answered hit may be missing) and times the shutdown after SIGINT. The
// in-run baselines are a bare net/http GIF handler under the same loads and,
// with -base-bin, an older build of resonanz in alternating runs.
func listenerSaturation(ctx context.Context, cfg Config) ([]Result, error) {
	seed := filepath.Join(cfg.WorkDir, "saturation-seed", sqlite.FileName)
	if err := seedStore(ctx, seed, cfg.Recipients, 0); err != nil {
		return nil, err
	}
	if err := consentAll(ctx, seed); err != nil {
		return nil, err
	}
	const conc = 64
	dur, pacedDur, rate := cfg.Saturation, cfg.Saturation/3, 5000.0
	rng := rand.New(rand.NewPCG(7, 11))
	type target struct{ m, r int64 }
	targets := make([]target, 1<<16)
	for i := range targets {
		targets[i] = target{int64(rng.IntN(20) + 1), int64(rng.IntN(cfg.Recipients) + 1)}
	}
	one := func(bin string, run int) (saturationRun, error) {
		var out saturationRun
		data := filepath.Join(cfg.WorkDir, fmt.Sprintf("saturation-%d", run))
		os.RemoveAll(data)
		if err := copyFile(filepath.Join(data, sqlite.FileName), seed); err != nil {
			return out, err
		}
		addr, err := freeAddr()
		if err != nil {
			return out, err
		}
		cmd := exec.CommandContext(ctx, bin, "--data", data, "listen", "--addr", addr, "--track-rate", "-1")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		cmd.Env = append(os.Environ(), "RESONANZ_KEYRING=off")
		if err := cmd.Start(); err != nil {
			return out, err
		}
		defer cmd.Process.Kill()
		peak := watchRSS(cmd.Process.Pid)
		if err := waitHealthy(addr); err != nil {
			return out, err
		}
		secret, err := os.ReadFile(filepath.Join(data, "secrets", "listener.key"))
		if err != nil {
			return out, err
		}
		signer, err := listener.NewSigner(secret)
		if err != nil {
			return out, err
		}
		urls, err := listener.NewURLs("http://"+addr, signer)
		if err != nil {
			return out, err
		}
		list := make([]string, len(targets))
		for i, t := range targets {
			list[i] = urls.Open(t.m, t.r)
		}
		out.paced = loadFor(ctx, list, pacedDur, conc, rate)
		out.sat = loadFor(ctx, list, dur, conc, 0)
		t0 := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			if bin == cfg.Bin {
				return out, fmt.Errorf("listener exit: %w", err)
			}
			// An older build may give up flushing its queue (it exits 1
			// after 10 s): what it stored is counted all the same.
			fmt.Fprintf(os.Stderr, "saturation run %d, base build: %v\n", run, err)
		}
		out.flush, out.rss = time.Since(t0), peak()
		n, err := countHits(ctx, data)
		if err != nil {
			return out, err
		}
		out.stored = n[0] + n[1]
		os.RemoveAll(data)
		return out, nil
	}
	var runs, bases []saturationRun
	var bare []loadStats
	var bareP99 []float64
	for run := range cfg.Runs {
		r, err := one(cfg.Bin, run)
		if err != nil {
			return nil, err
		}
		if answered := r.paced.answered + r.sat.answered; r.stored < answered {
			// Not an error of the harness: the figure the workload exists for.
			fmt.Fprintf(os.Stderr, "saturation run %d: %d hits answered, %d stored: %d lost\n", run, answered, r.stored, answered-r.stored)
		}
		runs = append(runs, r)
		if cfg.BaseBin != "" {
			b, err := one(cfg.BaseBin, run)
			if err != nil {
				return nil, fmt.Errorf("base binary: %w", err)
			}
			bases = append(bases, b)
		}
		b, err := bareLoad(ctx, func(urls []string) loadStats { return loadFor(ctx, urls, dur, conc, 0) })
		if err != nil {
			return nil, err
		}
		bare = append(bare, b)
		// The same paced load on the bare handler: the latency this
		// machine gives at that rate at all (a loaded machine's p99).
		bp, err := bareLoad(ctx, func(urls []string) loadStats { return loadFor(ctx, urls, pacedDur, conc, rate) })
		if err != nil {
			return nil, err
		}
		bareP99 = append(bareP99, float64(bp.p99.Microseconds())/1000)
	}
	rateOf := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	var answered, stored, margin, p99, flush, refused, bareRate, baseAnswered, baseStored []float64
	var rss []int64
	for i, r := range runs {
		answered = append(answered, rateOf(r.sat.answered, r.sat.elapsed))
		// The hits stored during the saturation phase: all stored minus the
		// paced phase's (which were all answered and stored, or the line
		// below says so).
		stored = append(stored, rateOf(r.stored-r.paced.answered, r.sat.elapsed))
		margin = append(margin, float64(r.stored-r.paced.answered-r.sat.answered))
		p99 = append(p99, float64(r.paced.p99.Microseconds())/1000)
		flush = append(flush, float64(r.flush.Milliseconds()))
		refused = append(refused, float64(r.sat.refused+r.paced.refused))
		bareRate = append(bareRate, rateOf(bare[i].answered, bare[i].elapsed))
		rss = append(rss, r.rss)
		if len(bases) > 0 {
			b := bases[i]
			baseAnswered = append(baseAnswered, rateOf(b.sat.answered, b.sat.elapsed))
			baseStored = append(baseStored, rateOf(b.stored-b.paced.answered, b.sat.elapsed))
		}
	}
	name := fmt.Sprintf("listener saturation (%d connections, %s, random of %dk recipients, all consented)", conc, dur, cfg.Recipients/1000)
	res := []Result{
		{Name: name + ": answered", Value: median(answered), Unit: "hits/s", Baseline: median(bareRate), Ratio: median(answered) / median(bareRate),
			PeakRSS: median(rss), Runs: cfg.Runs},
		{Name: name + ": stored (durable)", Value: median(stored), Unit: "hits/s", Baseline: median(answered), Ratio: median(stored) / median(answered),
			Target: "stored ≥ answered; ≥ 0.8 of today's answer rate", Runs: cfg.Runs},
		// Stored may exceed answered: requests cut off at the end of the
		// run were stored but their answers not counted.
		{Name: "listener saturation: stored − answered (worst run)", Value: slices.Min(margin), Unit: "hits", Target: "≥ 0", Runs: cfg.Runs},
		{Name: "listener saturation: refused with 503 (median)", Value: median(refused), Unit: "requests", Runs: cfg.Runs},
		{Name: "listener saturation: SIGINT to exit", Value: median(flush), Unit: "ms", Runs: cfg.Runs},
		{Name: fmt.Sprintf("listener p99 at a fixed %.0fk hits/s (%.3g s)", rate/1000, pacedDur.Seconds()), Value: median(p99), Unit: "ms",
			Baseline: median(bareP99), Ratio: median(p99) / max(median(bareP99), 0.001), Target: "≤ 5 ms", Runs: cfg.Runs},
	}
	if len(bases) > 0 {
		res = append(res,
			Result{Name: "listener saturation, base build: answered", Value: median(baseAnswered), Unit: "hits/s", Runs: cfg.Runs},
			Result{Name: "listener saturation: stored against the base build's answer rate", Value: median(stored), Unit: "hits/s",
				Baseline: median(baseAnswered), Ratio: median(stored) / median(baseAnswered), Target: "≥ 0.8", Runs: cfg.Runs},
			Result{Name: "listener saturation, base build: stored", Value: median(baseStored), Unit: "hits/s", Runs: cfg.Runs})
	}
	return res, nil
}

// consentAll gives every recipient of the store tracking consent.
func consentAll(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", sqlite.DSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash)
		SELECT r.id, p.value, 0, 1, 0, 'form', 'Ja', 'h' FROM recipient r, json_each('["tracking:opens","tracking:clicks"]') p WHERE r.id % 3 <> 0`)
	return err
}

func waitHealthy(addr string) error {
	for range 200 {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("listener did not start on %s", addr)
}

// bareLoad runs load against a bare net/http GIF handler in this process.
func bareLoad(ctx context.Context, load func([]string) loadStats) (loadStats, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loadStats{}, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Write(gif)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	urls := make([]string, 4096)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://%s/o/%d", ln.Addr(), i)
	}
	return load(urls), nil
}
