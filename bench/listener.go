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

// gif is the bare baseline's answer: a 1×1 transparent GIF.
var gif = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// load fires n GETs from conc workers at the URLs (round robin) and
// returns hits per second and the 99th percentile latency.
func load(ctx context.Context, urls []string, n, conc int) (float64, time.Duration, error) {
	tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	lat := make([][]time.Duration, conc)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urls[i%int64(len(urls))], nil)
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0")
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	if firstErr != nil {
		return 0, 0, firstErr
	}
	slices.Sort(all)
	return float64(len(all)) / elapsed.Seconds(), all[len(all)*99/100], nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// listenerLoad measures `resonanz listen` under open-pixel load for random
// recipients (a third with tracking consent) against a bare net/http GIF
// handler, and checks afterwards that every hit was stored: per person
// with consent, as an anonymous count without.
func listenerLoad(ctx context.Context, cfg Config) ([]Result, error) {
	data := filepath.Join(cfg.WorkDir, "listener")
	if err := seedStore(ctx, filepath.Join(data, sqlite.FileName), cfg.Recipients, 0); err != nil {
		return nil, err
	}
	n := cfg.Hits
	const conc = 32
	rng := rand.New(rand.NewPCG(3, 5))
	type target struct{ m, r int64 }
	targets := make([]target, 4096)
	for i := range targets {
		targets[i] = target{int64(rng.IntN(20) + 1), int64(rng.IntN(cfg.Recipients) + 1)}
	}
	var rates, bases []float64
	var p99s, baseP99s []time.Duration
	var rss []int64
	for run := range cfg.Runs {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, cfg.Bin, "--data", data, "listen", "--addr", addr, "--track-rate", "-1")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		// The load client reads the listener key from its file below.
		cmd.Env = append(os.Environ(), "RESONANZ_KEYRING=off")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		peak := watchRSS(cmd.Process.Pid)
		ready := false
		for range 100 {
			if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				ready = true
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !ready {
			cmd.Process.Kill()
			return nil, fmt.Errorf("listener did not start on %s", addr)
		}
		secret, err := os.ReadFile(filepath.Join(data, "secrets", "listener.key"))
		if err != nil {
			return nil, err
		}
		signer, err := listener.NewSigner(secret)
		if err != nil {
			return nil, err
		}
		urls, err := listener.NewURLs("http://"+addr, signer)
		if err != nil {
			return nil, err
		}
		list := make([]string, len(targets))
		consented := 0
		for i, t := range targets {
			list[i] = urls.Open(t.m, t.r)
		}
		for i := range n {
			if targets[i%len(targets)].r%3 == 0 {
				consented++
			}
		}
		before, err := countHits(ctx, data)
		if err != nil {
			return nil, err
		}
		rate, p99, err := load(ctx, list, n, conc)
		cmd.Process.Signal(syscall.SIGINT) // graceful: flushes the queued hits
		werr := cmd.Wait()
		if err != nil {
			return nil, fmt.Errorf("listener load: %w", err)
		}
		if werr != nil {
			return nil, fmt.Errorf("listener exit: %w", werr)
		}
		rss = append(rss, peak())
		after, err := countHits(ctx, data)
		if err != nil {
			return nil, err
		}
		if got := [2]int{after[0] - before[0], after[1] - before[1]}; got != [2]int{consented, n - consented} {
			return nil, fmt.Errorf("listener run %d: stored %d personal and %d anonymous hits, want %d and %d", run, got[0], got[1], consented, n-consented)
		}
		rates, p99s = append(rates, rate), append(p99s, p99)

		// Baseline: a bare handler in this process.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/gif")
			w.Write(gif)
		})}
		go srv.Serve(ln)
		base := make([]string, len(list))
		for i := range base {
			base[i] = fmt.Sprintf("http://%s/o/%d", ln.Addr(), i)
		}
		brate, bp99, err := load(ctx, base, n, conc)
		srv.Close()
		if err != nil {
			return nil, err
		}
		bases, baseP99s = append(bases, brate), append(baseP99s, bp99)
	}
	r, b := median(rates), median(bases)
	return []Result{
		{Name: fmt.Sprintf("listener open pixel (%dk hits, %d connections)", n/1000, conc), Value: r, Unit: "hits/s",
			Baseline: b, Ratio: r / b, PeakRSS: median(rss), Target: "≥ 30k hits/s", Runs: cfg.Runs},
		{Name: "listener open pixel p99 latency", Value: float64(median(p99s).Microseconds()) / 1000, Unit: "ms",
			Baseline: float64(median(baseP99s).Microseconds()) / 1000, Ratio: float64(median(p99s)) / float64(median(baseP99s)),
			Target: "≤ 5 ms", Runs: cfg.Runs},
	}, nil
}

// countHits returns the personal open reactions and the anonymous opens.
func countHits(ctx context.Context, data string) ([2]int, error) {
	db, err := sql.Open("sqlite3", sqlite.DSN(filepath.Join(data, sqlite.FileName)))
	if err != nil {
		return [2]int{}, err
	}
	defer db.Close()
	var out [2]int
	err = db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM reaction WHERE type = 6), (SELECT COALESCE(SUM(n), 0) FROM reaction_anon WHERE type = 6)`).Scan(&out[0], &out[1])
	return out, err
}
