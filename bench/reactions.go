package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// seedStore creates a store with n recipients (person<i>@example.org,
// a city attribute), tracking and profiling consent for every third, 20
// mailings with 5 tagged links each, and m reactions spread over them
// (opens, clicks on the links, deliveries) within the last 180 days.
// Bulk SQL with the reaction indexes dropped and rebuilt: this is data
// generation, not a measured step.
func seedStore(ctx context.Context, path string, n, m int) error {
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UnixMilli()
	steps := []string{
		`INSERT INTO attribute (key, label, type, created_at) VALUES ('city', 'Stadt', 'text', 0)`,
		`INSERT INTO list (name, created_at) VALUES ('Newsletter', 0)`,
		fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
		 INSERT INTO recipient (id, email, email_key, first_name, last_name, first_key, last_key, gender, attrs, created_at, updated_at)
		 SELECT x, 'person' || x || '@example.org', 'person' || x || '@example.org', 'Anna', 'Müller', 'anna', 'müller', 'f',
		        json_object('city', CASE x %% 7 WHEN 0 THEN 'Berlin' WHEN 1 THEN 'Hamburg' WHEN 2 THEN 'München' WHEN 3 THEN 'Köln'
		        WHEN 4 THEN 'Leipzig' WHEN 5 THEN 'Bremen' ELSE 'Dresden' END), 0, 0 FROM c`, n),
		`INSERT INTO membership (list_id, recipient_id, status, updated_at) SELECT 1, id, 'confirmed', 0 FROM recipient`,
		`INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash)
		 SELECT id, 'newsletter', 1, 1, 0, 'form', 'Ja', 'h' FROM recipient`,
		`INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash)
		 SELECT r.id, p.value, 0, 1, 0, 'form', 'Ja', 'h' FROM recipient r, json_each('["tracking:opens","tracking:clicks","profiling"]') p WHERE r.id % 3 = 0`,
		`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20)
		 INSERT INTO mailing (id, name, list_id, status, external_id, created_at, updated_at, sent_at)
		 SELECT x, 'M' || x, 1, 'sent', 'campaign-' || x, 0, 0, 0 FROM c`,
		`WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 99)
		 INSERT INTO link (id, mailing_id, idx, url, url_key, kind, tags)
		 SELECT x + 1, x / 5 + 1, x % 5, 'https://reisen.example/' || x, 'https://reisen.example/' || x, 'text', '[]' FROM c`,
		`INSERT INTO link_tag (tag, link_id) SELECT CASE id % 5 WHEN 0 THEN 'Abenteuerreisen' WHEN 1 THEN 'Studienreisen'
		 WHEN 2 THEN 'Wellness' WHEN 3 THEN 'Kreuzfahrten' ELSE 'Städtereisen' END, id FROM link`,
		// x → mailing 1..20, recipient spread by a prime stride, type by x % 10:
		// 0..5 opened (every 8th a machine open), 6..8 clicked, 9 delivered.
		fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 0 WHERE %d > 0 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
		 INSERT INTO reaction (mailing_id, recipient_id, type, at, link_id, flags)
		 SELECT x %% 20 + 1, (x * 7919) %% %d + 1,
		        CASE WHEN x %% 10 < 6 THEN 6 WHEN x %% 10 < 9 THEN 7 ELSE 2 END,
		        %d - (x * 15551) %% 15552000000,
		        CASE WHEN x %% 10 BETWEEN 6 AND 8 THEN (x %% 20) * 5 + (x / 20) %% 5 + 1 END,
		        CASE WHEN x %% 10 < 6 AND x %% 8 = 0 THEN 1 ELSE 0 END
		 FROM c`, m, m-1, n, now),
		`INSERT INTO target_group (name, rule, created_at, updated_at) VALUES ('Bench', json('` + benchRule + `'), 0, 0)`,
		`ANALYZE`,
	}
	// The reaction indexes are dropped for the bulk insert and rebuilt
	// from the schema's own definitions, so the seeded store always has
	// the indexes the migrations create.
	reactionStep := slices.IndexFunc(steps, func(q string) bool { return strings.Contains(q, "INSERT INTO reaction (") })
	indexes, err := reactionIndexes(ctx, db.SQL())
	if err != nil {
		return err
	}
	for i, q := range steps {
		if i == reactionStep {
			for _, ix := range indexes {
				if _, err := db.SQL().ExecContext(ctx, `DROP INDEX `+ix.name); err != nil {
					return fmt.Errorf("seed: drop %s: %w", ix.name, err)
				}
			}
		}
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: %w\n%s", err, q)
		}
		if i == reactionStep {
			for _, ix := range indexes {
				if _, err := db.SQL().ExecContext(ctx, ix.sql); err != nil {
					return fmt.Errorf("seed: %w\n%s", err, ix.sql)
				}
			}
		}
	}
	return nil
}

type index struct{ name, sql string }

// reactionIndexes returns the indexes defined on the reaction table.
func reactionIndexes(ctx context.Context, db *sql.DB) ([]index, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reaction' AND sql IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		out = append(out, ix)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("seed: the reaction table has no indexes")
	}
	return out, rows.Err()
}

// benchRule is the target group: an attribute, clicks on a tag
// within 90 days, and a consent.
const benchRule = `{"kind":"group","match":"all","conditions":[
	{"kind":"attribute","field":"city","op":"eq","value":"Berlin"},
	{"kind":"reaction","reaction":"clicked","tag":"Abenteuerreisen","days":90},
	{"kind":"consent","purpose":"tracking:clicks"}]}`

// runJSON runs the binary and decodes its JSON output into v; it returns
// the wall time and the peak RSS in KB.
func runJSON(ctx context.Context, bin string, v any, args ...string) (time.Duration, int64, error) {
	out, elapsed, peak, err := output(exec.CommandContext(ctx, bin, args...))
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %w: %s", args, err, out)
	}
	if err := json.Unmarshal(out, v); err != nil {
		return 0, 0, fmt.Errorf("%v: %w: %s", args, err, out)
	}
	return elapsed, peak, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// importReactions measures `resonanz import reactions` of a generated
// SendGrid log against a raw insert of as many reaction rows.
func importReactions(ctx context.Context, cfg Config) ([]Result, error) {
	n := cfg.Events
	seed := filepath.Join(cfg.WorkDir, "events-seed", sqlite.FileName)
	if err := seedStore(ctx, seed, cfg.Recipients, 0); err != nil {
		return nil, err
	}
	logPath := filepath.Join(cfg.WorkDir, "sendgrid.json")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	recipients := cfg.Recipients
	err = ingest.GenerateSendGrid(f, n, 1, func(i int) string { return fmt.Sprintf("person%d@example.org", i%recipients+1) })
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	var times, baselines []time.Duration
	var rss []int64
	for run := range cfg.Runs {
		data := filepath.Join(cfg.WorkDir, fmt.Sprintf("events-%d", run))
		if err := copyFile(filepath.Join(data, sqlite.FileName), seed); err != nil {
			return nil, err
		}
		var res struct{ Read, Imported, Duplicates, Unmatched int }
		elapsed, peak, err := runJSON(ctx, cfg.Bin, &res, "--data", data, "--json", "import", "reactions", logPath, "--mailing", "M1")
		if err != nil {
			return nil, err
		}
		if res.Read != n || res.Imported+res.Duplicates+res.Unmatched != n || res.Imported == 0 {
			return nil, fmt.Errorf("import reactions: implausible result %+v for %d events", res, n)
		}
		times, rss = append(times, elapsed), append(rss, peak)
		base, err := rawReactionInsert(ctx, filepath.Join(cfg.WorkDir, fmt.Sprintf("events-raw-%d", run)), seed, n)
		if err != nil {
			return nil, err
		}
		baselines = append(baselines, base)
	}
	t, b := median(times).Seconds(), median(baselines).Seconds()
	return []Result{{
		Name: fmt.Sprintf("import reactions SendGrid (%dk events)", n/1000), Value: t, Unit: "s",
		Baseline: b, Ratio: t / b, PeakRSS: median(rss), Target: "≤ 3× raw insert for 1M events", Runs: cfg.Runs,
	}}, nil
}

// rawReactionInsert is the baseline: n reaction rows inserted with one
// prepared statement in one transaction into a copy of the seeded store.
func rawReactionInsert(ctx context.Context, dir, seed string, n int) (time.Duration, error) {
	path := filepath.Join(dir, sqlite.FileName)
	if err := copyFile(path, seed); err != nil {
		return 0, err
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
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
		st, err := tx.PrepareContext(ctx, `INSERT INTO reaction (mailing_id, recipient_id, type, at, flags) VALUES (1, ?, 6, ?, 0)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			if _, err := st.ExecContext(ctx, i%100+1, int64(i)); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	return time.Since(start), err
}

// analysis measures `resonanz stats` of one mailing and `resonanz group`
// of a three-condition target group over a seeded store, against an
// in-process full count of the reaction table (SQLite's scan speed).
func analysisWorkloads(ctx context.Context, cfg Config) ([]Result, error) {
	data := filepath.Join(cfg.WorkDir, "analysis")
	if err := seedStore(ctx, filepath.Join(data, sqlite.FileName), cfg.Recipients*10, cfg.Reactions); err != nil {
		return nil, err
	}
	var stats, group, base []time.Duration
	var statsRSS, groupRSS []int64
	for range cfg.Runs {
		var st struct {
			Opens struct{ Total int }
		}
		d, peak, err := runJSON(ctx, cfg.Bin, &st, "--data", data, "--json", "stats", "M1")
		if err != nil {
			return nil, err
		}
		if st.Opens.Total == 0 {
			return nil, fmt.Errorf("stats: no opens counted")
		}
		stats, statsRSS = append(stats, d), append(statsRSS, peak)
		var g struct{ Count int }
		d, peak, err = runJSON(ctx, cfg.Bin, &g, "--data", data, "--json", "group", "Bench")
		if err != nil {
			return nil, err
		}
		group, groupRSS = append(group, d), append(groupRSS, peak)
		b, err := countScan(ctx, filepath.Join(data, sqlite.FileName))
		if err != nil {
			return nil, err
		}
		base = append(base, b)
	}
	b := median(base).Seconds()
	scale := fmt.Sprintf("%dk recipients, %dk reactions", cfg.Recipients*10/1000, cfg.Reactions/1000)
	return []Result{
		{Name: "mailing report (" + scale + ")", Value: median(stats).Seconds(), Unit: "s", Baseline: b,
			Ratio: median(stats).Seconds() / b, PeakRSS: median(statsRSS), Target: "≤ 0.5 s over 10M reactions", Runs: cfg.Runs},
		{Name: "target group, 3 conditions (" + scale + ")", Value: median(group).Seconds(), Unit: "s", Baseline: b,
			Ratio: median(group).Seconds() / b, PeakRSS: median(groupRSS), Target: "≤ 1 s over 1M recipients, 10M reactions", Runs: cfg.Runs},
	}, nil
}

// countScan times SELECT COUNT(*) over the reaction table in-process.
func countScan(ctx context.Context, path string) (time.Duration, error) {
	db, err := sql.Open("sqlite3", sqlite.DSN(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	var n int
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM reaction`).Scan(&n)
	return time.Since(start), err
}
