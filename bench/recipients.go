package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/resonanz/resonanz/backend/sqlite"
)

var (
	firstNames = []string{"Anna", "Bernd", "Clara", "Dieter", "Emma", "Felix", "Greta", "Hans", "Ida", "Jörg", "Karin", "Lukas", "Marie", "Niklas", "Olga", "Paul"}
	lastNames  = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann"}
	salutation = []string{"Frau", "Herr", "", "divers"}
	titles     = []string{"", "", "", "Dr.", "Prof. Dr."}
)

// WriteRecipientsCSV writes n deterministic recipients (German headers,
// semicolons, as German Excel saves them).
func WriteRecipientsCSV(path string, n int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fmt.Fprintln(w, "E-Mail;Vorname;Nachname;Anrede;Titel;Sprache")
	for i := range n {
		fmt.Fprintf(w, "person%d.%d@example.org;%s;%s;%s;%s;%s\n", i, rng.IntN(1000),
			firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))],
			salutation[rng.IntN(len(salutation))], titles[rng.IntN(len(titles))], []string{"de", "en"}[rng.IntN(2)])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// importRecipients measures `resonanz import recipients` of a generated CSV
// into a fresh store against a raw bulk insert of the same number of rows.
func importRecipients(ctx context.Context, cfg Config) ([]Result, error) {
	csvPath := filepath.Join(cfg.WorkDir, "recipients.csv")
	if err := WriteRecipientsCSV(csvPath, cfg.Recipients, 1); err != nil {
		return nil, err
	}
	var times, baselines []time.Duration
	var rss []int64
	for run := range cfg.Runs {
		data := filepath.Join(cfg.WorkDir, fmt.Sprintf("import-%d", run))
		// Create the store first: the measured run is the import, not the migrations.
		if db, err := sqlite.Open(ctx, filepath.Join(data, sqlite.FileName), sqlite.Options{}); err != nil {
			return nil, err
		} else {
			db.Close()
		}
		out, elapsed, peak, err := output(exec.CommandContext(ctx, cfg.Bin, "--data", data, "--json", "import", "recipients", csvPath, "--list", "Newsletter"))
		if err != nil {
			return nil, fmt.Errorf("import recipients: %w: %s", err, out)
		}
		var res struct{ Read, Created int }
		if err := json.Unmarshal(out, &res); err != nil || res.Created != cfg.Recipients {
			return nil, fmt.Errorf("import recipients: created %d of %d (%s)", res.Created, cfg.Recipients, out)
		}
		times = append(times, elapsed)
		rss = append(rss, peak)

		base, err := rawInsert(ctx, filepath.Join(cfg.WorkDir, fmt.Sprintf("raw-%d", run)), cfg.Recipients)
		if err != nil {
			return nil, err
		}
		baselines = append(baselines, base)
	}
	t, b := median(times).Seconds(), median(baselines).Seconds()
	return []Result{{
		Name: fmt.Sprintf("import recipients CSV (%dk rows)", cfg.Recipients/1000), Value: t, Unit: "s",
		Baseline: b, Ratio: t / b, PeakRSS: median(rss), Target: "≤ 1.5 s and ≤ 100 MB for 100k", Runs: cfg.Runs,
	}}, nil
}

// rawInsert is the in-run baseline: the same number of rows inserted into
// the same table with one prepared statement in one transaction.
func rawInsert(ctx context.Context, dir string, n int) (time.Duration, error) {
	db, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName), sqlite.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	err = func() error {
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, `INSERT INTO recipient (email, email_key, first_name, last_name, gender, title, language, attrs, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		now := time.Now().UnixMilli()
		for i := range n {
			e := fmt.Sprintf("person%d@example.org", i)
			if _, err := st.ExecContext(ctx, e, e, "Anna", "Müller", "f", "", "de", now, now); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	return time.Since(start), err
}
