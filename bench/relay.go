package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// startRelay starts `resonanz relay` on a free port and waits for it.
func startRelay(ctx context.Context, cfg Config, dir, addr string) (*exec.Cmd, string, error) {
	if addr == "" {
		var err error
		if addr, err = freeAddr(); err != nil {
			return nil, "", err
		}
	}
	cmd := exec.CommandContext(ctx, cfg.Bin, "--data", dir, "relay", "--addr", addr, "--public-url", "http://"+addr, "--track-rate", "-1")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.Env = append(os.Environ(), "RESONANZ_KEYRING=off")
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	for range 100 {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd, "http://" + addr, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, "", fmt.Errorf("relay did not start on %s", addr)
}

func stopRelay(cmd *exec.Cmd) error {
	cmd.Process.Signal(syscall.SIGINT)
	return cmd.Wait()
}

// relayLoad measures the relay beside the local listener (same open-pixel
// load: the relay answers each pixel only after its hit is committed and
// sealed to the desk), then the desk's sync of cfg.Hits events (10k with
// -quick, 100k otherwise): pull, open (HPKE), apply through the desk's
// services, acknowledge.
func relayLoad(ctx context.Context, cfg Config) ([]Result, error) {
	desk := filepath.Join(cfg.WorkDir, "relay-desk")
	dir := filepath.Join(cfg.WorkDir, "relay")
	if err := seedStore(ctx, filepath.Join(desk, sqlite.FileName), cfg.Recipients, 0); err != nil {
		return nil, err
	}
	cmd, base, err := startRelay(ctx, cfg, dir, "")
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, cfg.Bin, "--data", dir, "--json", "relay", "pair").Output()
	if err != nil {
		stopRelay(cmd)
		return nil, fmt.Errorf("relay pair: %w", err)
	}
	var pair struct{ Code string }
	json.Unmarshal(out, &pair)
	connect := exec.CommandContext(ctx, cfg.Bin, "--data", desk, "relay", "connect", pair.Code)
	connect.Env = append(os.Environ(), "RESONANZ_KEYRING=off")
	if out, err := connect.CombinedOutput(); err != nil {
		stopRelay(cmd)
		return nil, fmt.Errorf("relay connect: %v %s", err, out)
	}
	secret, err := os.ReadFile(filepath.Join(desk, "secrets", "listener.key"))
	if err != nil {
		stopRelay(cmd)
		return nil, err
	}
	signer, _ := listener.NewSigner(secret)
	urls, _ := listener.NewURLs(base, signer)
	rng := rand.New(rand.NewPCG(3, 5))
	list := make([]string, 4096)
	for i := range list {
		list[i] = urls.Open(int64(rng.IntN(20)+1), int64(rng.IntN(cfg.Recipients)+1))
	}
	// Each run: the relay, then the desk's own listener with the same
	// tokens and load (its public URL is the relay's: the paths are the
	// same), so the ratio is taken on the same machine at the same time.
	var rates, localRates []float64
	var p99s, localP99s []time.Duration
	for range cfg.Runs {
		rate, p99, err := load(ctx, list, cfg.Hits, 32)
		if err != nil {
			stopRelay(cmd)
			return nil, fmt.Errorf("relay load: %w", err)
		}
		rates, p99s = append(rates, rate), append(p99s, p99)
		if err := stopRelay(cmd); err != nil {
			return nil, fmt.Errorf("relay exit: %w", err)
		}
		lrate, lp99, err := localLoad(ctx, cfg, desk, base, list)
		if err != nil {
			return nil, err
		}
		localRates, localP99s = append(localRates, lrate), append(localP99s, lp99)
		if cmd, _, err = startRelay(ctx, cfg, dir, strings.TrimPrefix(base, "http://")); err != nil {
			return nil, err
		}
	}
	if err := stopRelay(cmd); err != nil {
		return nil, fmt.Errorf("relay exit: %w", err)
	}

	// The sync: n single events appended directly (as many visits on
	// separate occasions make), then `relay sync` on the desk; the first
	// run also collects what the load left.
	n := min(cfg.Hits, 10000)
	if cfg.Hits >= 100000 {
		n = 100000
	}
	var syncRates []float64
	for range cfg.Runs {
		st, err := relay.Open(dir)
		if err != nil {
			return nil, err
		}
		batches := make([][]resonanz.Hit, 0, 5000)
		for i := range n {
			h := resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: int64(i%20 + 1), RecipientID: int64(i%cfg.Recipients + 1), At: time.Now().UTC(), UserAgent: "Thunderbird/128.0", IP: "192.0.2.1"}
			batches = append(batches, []resonanz.Hit{h})
			if len(batches) == cap(batches) || i == n-1 {
				if err := st.RecordHitEvents(ctx, batches); err != nil {
					st.Close()
					return nil, err
				}
				batches = batches[:0]
			}
		}
		st.Close()
		// The same address: the desk's pairing names it.
		cmd, _, err = startRelay(ctx, cfg, dir, strings.TrimPrefix(base, "http://"))
		if err != nil {
			return nil, err
		}
		sync := exec.CommandContext(ctx, cfg.Bin, "--data", desk, "--json", "relay", "sync", "--collect-only")
		sync.Env = append(os.Environ(), "RESONANZ_KEYRING=off")
		t0 := time.Now()
		out, err = sync.CombinedOutput()
		elapsed := time.Since(t0)
		stopRelay(cmd)
		if err != nil {
			return nil, fmt.Errorf("relay sync: %v %s", err, out)
		}
		if !strings.Contains(string(out), `"hits":`) {
			return nil, fmt.Errorf("relay sync applied no hits: %s", out)
		}
		syncRates = append(syncRates, float64(n)/elapsed.Seconds())
	}
	r, l := median(rates), median(localRates)
	p, lp := median(p99s), median(localP99s)
	return []Result{
		{Name: fmt.Sprintf("relay open pixel (%dk hits, 32 connections; answered after the commit and seal), baseline: the desk's listener, same load, same run", cfg.Hits/1000),
			Value: r, Unit: "hits/s", Baseline: l, Ratio: r / l, Target: "beside the listener's", Runs: cfg.Runs},
		{Name: "relay open pixel p99 latency, baseline: the desk's listener", Value: float64(p.Microseconds()) / 1000, Unit: "ms",
			Baseline: float64(lp.Microseconds()) / 1000, Ratio: float64(p) / float64(lp), Runs: cfg.Runs},
		{Name: fmt.Sprintf("relay sync of %d events (pull, open, apply, acknowledge)", n), Value: median(syncRates),
			Unit: "events/s", Runs: cfg.Runs},
	}, nil
}

// localLoad runs the desk's own listener on its data (the desk the relay
// is paired with) and puts the relay's load on it: the same token URLs,
// sent to the listener's address.
func localLoad(ctx context.Context, cfg Config, desk, relayBase string, list []string) (float64, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, cfg.Bin, "--data", desk, "listen", "--addr", addr, "--public-url", relayBase, "--track-rate", "-1")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.Env = append(os.Environ(), "RESONANZ_KEYRING=off")
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	if err := waitHealthy(addr); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, 0, err
	}
	local := make([]string, len(list))
	for i, u := range list {
		local[i] = "http://" + addr + strings.TrimPrefix(u, relayBase)
	}
	rate, p99, err := load(ctx, local, cfg.Hits, 32)
	cmd.Process.Signal(syscall.SIGINT)
	werr := cmd.Wait()
	if err != nil {
		return 0, 0, fmt.Errorf("listener load: %w", err)
	}
	if werr != nil {
		return 0, 0, fmt.Errorf("listener exit: %w", werr)
	}
	return rate, p99, nil
}
