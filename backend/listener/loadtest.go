package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LoadTest sends n GET requests to url over conc keep-alive connections and
// returns the throughput (requests per second) and the 99th-percentile
// latency. Every response must have status 200; the first other status or
// transport error fails the run. It is for the bench harness and
// BenchmarkOpenPixel, against 127.0.0.1.
func LoadTest(ctx context.Context, url string, n, conc int) (perSecond float64, p99 time.Duration, err error) {
	if n <= 0 || conc <= 0 {
		return 0, 0, errors.New("listener: load test needs n > 0 and conc > 0")
	}
	conc = min(conc, n)
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		MaxConnsPerHost:     conc,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	lat := make([][]time.Duration, conc)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	fail := func(e error) { once.Do(func() { firstErr = e }) }
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, n/conc+1)
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) loadtest")
				resp, err := client.Do(req)
				if err != nil {
					fail(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					fail(fmt.Errorf("listener: load test: status %d", resp.StatusCode))
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return 0, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return float64(len(all)) / elapsed.Seconds(), all[(len(all)*99)/100], nil
}
