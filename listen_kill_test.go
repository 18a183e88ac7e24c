//go:build unix

package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
)

// TestListener_KilledUnderLoad runs `resonanz listen` as a child process,
// loads it with open pixels from 32 connections and kills it with SIGKILL
// in the middle: every hit it answered is in the store once the desk has
// started (it merges what the killed listener left in the inbox), and none
// twice (at most the requests that were sent are stored).
func TestListener_KilledUnderLoad(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	a, err := NewApp(ctx, data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m, ids := seedOpenTracked(t, a, 20)
	c := startChild(t, "--data", data, "--json", "listen", "--addr", "127.0.0.1:0", "--track-rate", "-1")
	waitUntil(t, c, "the ready line", func() bool { return strings.Contains(c.stdout.String(), "\n") })
	var info struct{ Addr, PublicURL string }
	if err := json.Unmarshal([]byte(c.stdout.String()), &info); err != nil {
		t.Fatalf("ready line %q: %v", c.stdout.String(), err)
	}
	srv, err := a.newListener(info.Addr, info.PublicURL, 0, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	urls, err := listener.NewURLs(info.PublicURL, srv.Signer())
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown(ctx)
	a.Close()

	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var sent, answered atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				resp, err := client.Get(urls.Open(m.ID, ids[(w+i)%len(ids)]))
				if err != nil {
					continue // cut off by the kill: not answered
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusOK {
					answered.Add(1)
				}
			}
		})
	}
	// Kill in the middle of the load, once a good number was answered.
	deadline := time.Now().Add(time.Minute)
	for answered.Load() < 2000 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c.kill(t)
	close(stop)
	wg.Wait()
	if answered.Load() == 0 {
		t.Fatal("nothing answered before the kill")
	}

	checkIntegrity(t, data)
	b, err := NewApp(ctx, data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// The desk starts without a listener of its own: it merges what the
	// killed one left.
	b.autoStartListener(ctx)
	b.leftHits.Wait()
	st, err := b.statsSvc.MailingStats(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := int64(st.Opens.Total); got < answered.Load() || got > sent.Load() {
		t.Fatalf("%d opens stored; %d answered before the kill, %d sent: %d answered hits lost", got, answered.Load(), sent.Load(), max(answered.Load()-got, 0))
	}
	t.Logf("%d answered, %d stored, %d sent", answered.Load(), st.Opens.Total, sent.Load())
}
