// Command bench is the one performance harness of Resonanz (`make bench`).
// It generates its data deterministically, runs each workload as a whole
// program where a user would (the resonanz binary) and as Go benchmarks for
// the hot functions, measures every step at least three times, reports the
// median beside an in-run baseline, and writes bench/results.json.
//
//	go run ./bench -bin build/bin/resonanz [-quick] [-out bench/results.json]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Result is one line of the report.
type Result struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"` // value / baseline
	PeakRSS  int64   `json:"peakRssKB,omitempty"`
	Target   string  `json:"target,omitempty"`
	Runs     int     `json:"runs"`
}

// Report is bench/results.json.
type Report struct {
	When    time.Time `json:"when"`
	Machine string    `json:"machine"`
	Quick   bool      `json:"quick"`
	Results []Result  `json:"results"`
}

// Config sizes the workloads.
type Config struct {
	Bin        string
	Recipients int
	Events     int // provider-log events to import
	Reactions  int // reactions in the analysis store (10× Recipients recipients)
	Hits       int // listener requests per run
	Runs       int
	WorkDir    string
	// Saturation is how long the listener saturation phase runs.
	Saturation time.Duration
	// BaseBin, when set, is an older resonanz build measured in
	// alternating runs where a workload compares with it (saturation).
	BaseBin string
	Only    []string // workload names to run; empty: all
}

func main() {
	bin := flag.String("bin", "build/bin/resonanz", "the resonanz binary to measure")
	quick := flag.Bool("quick", false, "small data, for a run under two minutes")
	out := flag.String("out", "bench/results.json", "where to write the results")
	only := flag.String("only", "", "run only these workloads (comma-separated: "+strings.Join(workloadNames(), ", ")+")")
	baseBin := flag.String("base-bin", "", "an older resonanz build to compare with in alternating runs (listener saturation, app start)")
	work := flag.String("work", "", "keep the seeded stores in this (new, empty) directory instead of a removed temporary one")
	flag.Parse()
	cfg := Config{Bin: *bin, Recipients: 100_000, Events: 1_000_000, Reactions: 10_000_000, Hits: 200_000, Runs: 3,
		Saturation: 30 * time.Second, BaseBin: *baseBin, WorkDir: *work}
	if *quick {
		cfg.Recipients, cfg.Events, cfg.Reactions, cfg.Hits, cfg.Saturation = 10_000, 50_000, 500_000, 30_000, 6*time.Second
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	rep, err := Run(context.Background(), cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	rep.Quick = *quick
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Run executes every workload and prints one line per result to w.
func Run(ctx context.Context, cfg Config, w io.Writer) (Report, error) {
	rep := Report{When: time.Now().UTC(), Machine: machine()}
	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "resonanz-bench-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(d)
		work = d
	}
	bin, err := filepath.Abs(cfg.Bin)
	if err != nil {
		return rep, err
	}
	cfg.Bin, cfg.WorkDir = bin, work
	if cfg.BaseBin != "" {
		if cfg.BaseBin, err = filepath.Abs(cfg.BaseBin); err != nil {
			return rep, err
		}
	}
	if cfg.Saturation == 0 {
		cfg.Saturation = 2 * time.Second
	}
	for _, name := range cfg.Only {
		if !slices.Contains(workloadNames(), name) {
			return rep, fmt.Errorf("no workload %q (there are: %s)", name, strings.Join(workloadNames(), ", "))
		}
	}
	for _, wl := range workloads {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, wl.name) {
			continue
		}
		res, err := wl.run(ctx, cfg)
		if err != nil {
			return rep, err
		}
		for _, r := range res {
			fmt.Fprintln(w, r.Line())
			rep.Results = append(rep.Results, r)
		}
	}
	return rep, nil
}

// workloads run in this order; each capability adds its own.
var workloads = []struct {
	name string
	run  func(context.Context, Config) ([]Result, error)
}{
	{"recipients", importRecipients},
	{"reactions", importReactions},
	{"analysis", analysisWorkloads},
	{"start", appStart},
	{"listener", listenerLoad},
	{"saturation", listenerSaturation},
	{"relay", relayLoad},
	{"send", sendWorkload},
	{"mailbox", mailboxWorkload},
}

func workloadNames() []string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.name
	}
	return names
}

// Line formats a result as `name: value unit (baseline value, ratio)`.
func (r Result) Line() string {
	s := fmt.Sprintf("%s: %s %s", r.Name, num(r.Value), r.Unit)
	if r.Baseline > 0 {
		s += fmt.Sprintf(" (baseline %s %s, ratio %.2f)", num(r.Baseline), r.Unit, r.Ratio)
	}
	if r.PeakRSS > 0 {
		s += fmt.Sprintf(", peak RSS %d MB", r.PeakRSS/1024)
	}
	if r.Target != "" {
		s += ", target " + r.Target
	}
	return s
}

func num(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// median returns the median of xs (the lower middle for even counts).
func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
