package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// exitDamaged is the exit status when the data file failed its integrity
// check (the message names the file and the newest good backup).
const exitDamaged = 3

const backupUsage = `Usage:
  resonanz backup [--out FILE]     a checked copy of the data file, made while Resonanz may be running
                                   (default: into the backups folder of the data directory)
  resonanz restore FILE|NAME       replace the data with a backup (a file, or the name of a copy in the
                                   backups folder); the current state is saved there first
  resonanz check [--full]          the integrity check of the data file (PRAGMA quick_check, or the
                                   slower integrity_check with --full); exit 3 when it is damaged
`

// runBackup implements `resonanz backup`.
func runBackup(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var out string
	if err := parseCommand("backup", args, g, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "write the copy to this file")
	}); err != nil {
		fmt.Fprintf(stderr, "resonanz %v\n\n%s", err, backupUsage)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		res, err := a.backupDir.BackupNow(ctx, out, nil)
		if err != nil {
			return err
		}
		st, err := os.Stat(res.File)
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, map[string]any{"file": res.File, "size": st.Size(), "at": res.At})
			return nil
		}
		fmt.Fprintf(stdout, "Backup written to %s (%s, checked).\n", res.File, humanBytes(st.Size()))
		return nil
	})
}

// runRestore implements `resonanz restore FILE`.
func runRestore(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var src string
	fs := newFlagSet("restore")
	g.register(fs)
	if err := parseInterspersed(fs, args, &src); err != nil {
		fmt.Fprintf(stderr, "resonanz restore: %v\n\n%s", err, backupUsage)
		return exitUsage
	}
	dataDir, err := resolveDataDir(g)
	if err != nil {
		return fail(stderr, g, err)
	}
	log := newLogger(stderr)
	a, err := NewApp(ctx, dataDir, Edge{Mode: "cli"}, log)
	var damaged *resonanz.DamagedError
	if errors.As(err, &damaged) {
		a, err = NewRecoveryApp(ctx, dataDir, Edge{Mode: "cli"}, log, damaged)
	}
	if err != nil {
		return fail(stderr, g, err)
	}
	defer a.Close()
	// A name of a copy in the backups folder works as well as a path.
	if _, err := os.Stat(src); err != nil {
		if p, perr := a.backupDir.Path(src); perr == nil {
			src = p
		}
	}
	if err := (backupService{a}).Restore(ctx, src, nil); err != nil {
		return fail(stderr, g, err)
	}
	if g.json {
		printJSON(stdout, map[string]string{"restored": src, "dataFile": a.dbPath})
		return 0
	}
	if damaged != nil {
		fmt.Fprintf(stdout, "Restored %s from %s. The damaged file was kept beside it (.damaged-…).\n", a.dbPath, src)
	} else {
		fmt.Fprintf(stdout, "Restored %s from %s. The state before is in %s.\n", a.dbPath, src, a.backupDir.Dir())
	}
	return 0
}

// runCheck implements `resonanz check`: it reads the data file without
// opening it as the store, so it works on a damaged file too.
func runCheck(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var full bool
	if err := parseCommand("check", args, g, func(fs *flag.FlagSet) {
		fs.BoolVar(&full, "full", false, "run the full integrity_check")
	}); err != nil {
		fmt.Fprintf(stderr, "resonanz %v\n\n%s", err, backupUsage)
		return exitUsage
	}
	dataDir, err := resolveDataDir(g)
	if err != nil {
		return fail(stderr, g, err)
	}
	path := filepath.Join(dataDir, sqlite.FileName)
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	info, err := sqlite.CheckFile(ctx, path, full)
	if err != nil {
		return fail(stderr, g, err)
	}
	if info.OK {
		if g.json {
			printJSON(stdout, info)
		} else {
			fmt.Fprintf(stdout, "%s is sound (%s, %d ms).\n", path, map[bool]string{false: "quick_check", true: "integrity_check"}[full], info.Millis)
		}
		return 0
	}
	newest := sqlite.NewBackupDir(nil, filepath.Join(filepath.Dir(path), sqlite.BackupDirName)).NewestGood(ctx)
	if g.json {
		printJSON(stdout, info)
	}
	return fail(stderr, g, &resonanz.DamagedError{Path: path, Problems: info.Problems, Newest: newest})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
}
