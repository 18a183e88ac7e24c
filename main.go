// Command resonanz is the Resonanz newsletter desk: a desktop window by
// default, the same desk in a browser with `serve`, and headless commands for
// scripts. See `resonanz help`.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

//go:embed all:frontend/dist
var dist embed.FS

const usage = `Usage: resonanz [--data DIR] [--json] [COMMAND] [FLAGS]

Commands:
  (none), desktop   open the desktop window
  serve             the same desk in a browser  [--addr 127.0.0.1:8484]
  listen            recipient-facing listener: tracking, unsubscribe, profile page
                    [--addr 127.0.0.1:8485] [--public-url URL] [--track-rate N]
                    [--trusted-proxy CIDR]... (default: Settings → Listener)
                    [--mail-per-client N] [--mail-budget N] (confirmation mails per hour)
  relay             the always-on relay for the recipient pages (on a small host):
                    relay --data DIR --public-url URL [--addr :8485]; relay pair --data DIR;
                    on the desk: relay connect CODE, relay sync [--collect-only], relay quarantine, relay retry ID
  import            import recipients from CSV  (resonanz import --help)
  export            export a person's data or recipients as CSV  (resonanz export)
  stats             reaction statistics  (resonanz stats --help)
  group             count a target group  (resonanz group NAME | --rule JSON)
  render            render a Markdown template for one recipient  (resonanz render --help)
  send              send a mailing, or a test copy  (resonanz send --help)
  mailbox sync      read bounces, complaints, unsubscribes and replies from the
                    sender's IMAP mailbox  (resonanz mailbox --help)
  backup            a checked copy of the data file  [--out FILE]
  restore           replace the data with a backup  (resonanz restore FILE|NAME)
  check             integrity check of the data file  [--full]
  version           print the version
  help              show this help

Global flags (before or after the command):
  --data DIR        data directory (default: $RESONANZ_DATA, else the user's data dir)
  --json            machine-readable output

Exit status: 0 success, 1 the command failed, 2 wrong command line, 3 the data file is damaged.
`

// exitUsage is the exit status for a wrong command line.
const exitUsage = 2

// Both servers bind to loopback unless told otherwise: the desk holds
// personal data, the listener belongs behind the user's reverse proxy.
const (
	defaultServeAddr  = "127.0.0.1:8484"
	defaultListenAddr = "127.0.0.1:8485"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile(os.Getenv("RESONANZ_CPUPROFILE"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole run to path (for
// performance work: RESONANZ_CPUPROFILE=cpu.out resonanz import …, then
// go tool pprof); "" profiles nothing. It writes the mutex and block
// profiles of the run to path.mutex and path.block.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resonanz: CPU profile:", err)
		return func() {}
	}
	// Where the time waits, beside where it runs: path.mutex and path.block.
	runtime.SetMutexProfileFraction(10)
	runtime.SetBlockProfileRate(int(10 * time.Microsecond))
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		for _, name := range []string{"mutex", "block"} {
			if pf, err := os.Create(path + "." + name); err == nil {
				pprof.Lookup(name).WriteTo(pf, 0)
				pf.Close()
			}
		}
	}
}

// globals are the flags every command accepts.
type globals struct {
	data string
	json bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.data, "data", g.data, "data directory")
	fs.BoolVar(&g.json, "json", g.json, "machine-readable output")
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{data: os.Getenv("RESONANZ_DATA")}
	top := newFlagSet("resonanz")
	g.register(top)
	if err := top.Parse(args); err != nil {
		return usageError(stderr, err)
	}
	cmd, rest := "desktop", top.Args()
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}

	switch cmd {
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version":
		if err := parseCommand(cmd, rest, g, nil); err != nil {
			return usageError(stderr, err)
		}
		if g.json {
			return printJSON(stdout, map[string]string{"version": resonanz.Version})
		}
		fmt.Fprintln(stdout, "resonanz", resonanz.Version)
		return 0
	case "desktop":
		if err := parseCommand(cmd, rest, g, nil); err != nil {
			return usageError(stderr, err)
		}
		dataDir, err := resolveDataDir(g)
		if err != nil {
			return fail(stderr, g, err)
		}
		if err := runDesktop(ctx, args, dataDir, mustSub(dist, "frontend/dist"), newLogger(stderr)); err != nil {
			return fail(stderr, g, err)
		}
		return 0
	case "serve":
		addr := defaultServeAddr
		if err := parseCommand(cmd, rest, g, func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", addr, "address to listen on")
		}); err != nil {
			return usageError(stderr, err)
		}
		dataDir, err := resolveDataDir(g)
		if err != nil {
			return fail(stderr, g, err)
		}
		err = runServe(ctx, dataDir, addr, mustSub(dist, "frontend/dist"), newLogger(stderr), func(info ServeInfo) {
			if g.json {
				printJSON(stdout, info)
				return
			}
			if info.Damaged != "" {
				fmt.Fprintf(stdout, "WARNING: %s\nThe browser shows the recovery screen.\n\n", info.Damaged)
			}
			fmt.Fprintf(stdout, "Resonanz is ready in your browser:\n\n    %s\n\nThe address contains this launch's access token; keep it to yourself. Press Ctrl+C to stop.\n", info.URL)
		})
		if err != nil {
			return fail(stderr, g, err)
		}
		return 0
	case "import":
		return runImport(ctx, g, rest, stdout, stderr)
	case "export":
		return runExport(ctx, g, rest, stdout, stderr)
	case "stats":
		return runStats(ctx, g, rest, stdout, stderr)
	case "group":
		return runGroup(ctx, g, rest, stdout, stderr)
	case "render":
		return runRender(ctx, g, rest, stdout, stderr)
	case "send":
		return runSend(ctx, g, rest, stdout, stderr)
	case "backup":
		return runBackup(ctx, g, rest, stdout, stderr)
	case "restore":
		return runRestore(ctx, g, rest, stdout, stderr)
	case "check":
		return runCheck(ctx, g, rest, stdout, stderr)
	case "mailbox":
		return runMailbox(ctx, g, rest, stdout, stderr)
	case "relay":
		return runRelay(ctx, g, rest, stdout, stderr)
	case "listen":
		addr, publicURL := defaultListenAddr, ""
		trackRate := 0.0
		var trusted []string
		mailPerClient, mailBudget := 0, 0
		if err := parseCommand(cmd, rest, g, func(fs *flag.FlagSet) {
			fs.IntVar(&mailPerClient, "mail-per-client", 0, "confirmation and profile-link mails per client IP and hour (0: default 10, -1: no limit)")
			fs.IntVar(&mailBudget, "mail-budget", 0, "confirmation and profile-link mails per hour in all (0: default 200, -1: no limit)")
			fs.StringVar(&addr, "addr", addr, "address to listen on")
			fs.Func("trusted-proxy", "reverse proxy (address or CIDR) whose X-Forwarded-For/Forwarded is believed; repeatable (default: Settings → Listener)", func(v string) error {
				if _, err := listener.ParseTrustedProxies([]string{v}); err != nil {
					return errors.New(strings.TrimPrefix(err.Error(), "listener: "))
				}
				trusted = append(trusted, v)
				return nil
			})
			fs.Float64Var(&trackRate, "track-rate", 0, "tracking requests per second and client IP (0: default 50, -1: no limit)")
			fs.StringVar(&publicURL, "public-url", "", "base URL recipients reach the listener at (default http://ADDR)")
		}); err != nil {
			return usageError(stderr, err)
		}
		return withApp(ctx, g, stderr, func(a *App) error {
			// Bind first: the address printed is the one bound (":0" picks
			// a free port).
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return resonanz.E(resonanz.ECONFLICT, "error.cli.listenPickAnother", "Cannot listen on {addr}: {reason}. Pick another address with --addr.", "addr", addr, "reason", errors.Unwrap(err))
			}
			addr = ln.Addr().String()
			if publicURL == "" {
				publicURL = "http://" + addr
			}
			if trusted == nil {
				ls, err := a.listenerSetup.Load(ctx)
				if err != nil {
					ln.Close()
					return err
				}
				trusted = ls.TrustedProxies
			}
			srv, err := a.newListener(addr, publicURL, trackRate, trusted, newLogger(stderr), func(c *listener.Config) {
				c.MailPerClientBurst, c.MailGlobalBurst = max(mailPerClient, 0), max(mailBudget, 0)
				if mailPerClient < 0 {
					c.MailPerClientRate = -1
				}
				if mailBudget < 0 {
					c.MailGlobalRate = -1
				}
			})
			if err != nil {
				ln.Close()
				return err
			}
			if g.json {
				printJSON(stdout, map[string]string{"addr": addr, "publicUrl": publicURL})
			} else {
				fmt.Fprintf(stdout, "Resonanz listener on %s (public URL %s). Press Ctrl+C to stop.\n", addr, publicURL)
			}
			// Serve shuts down gracefully when ctx ends (Ctrl+C, SIGTERM):
			// the hits still queued are written before it returns.
			return srv.Serve(ctx, ln)
		})
	default:
		return usageError(stderr, fmt.Errorf("unknown command %q", cmd))
	}
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // usageError prints one line and the usage itself
	return fs
}

// parseCommand parses a command's flags; the global flags are accepted after
// the command too. Positional arguments are refused: no command takes any yet.
func parseCommand(name string, args []string, g *globals, define func(*flag.FlagSet)) error {
	fs := newFlagSet(name)
	g.register(fs)
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return nil
}

func resolveDataDir(g *globals) (string, error) {
	if g.data != "" {
		return g.data, nil
	}
	d, err := defaultDataDir()
	if err != nil {
		return "", resonanz.E(resonanz.EINVALID, "error.cli.findYourData", "Cannot find your data directory ({reason}); pass --data DIR.", "reason", err)
	}
	return d, nil
}

func usageError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) { // -h and --help ask for the usage; that is no error
		fmt.Fprint(stderr, usage)
		return 0
	}
	fmt.Fprintf(stderr, "resonanz: %s\n\n%s", strings.TrimPrefix(err.Error(), "resonanz: "), usage)
	return exitUsage
}

// fail reports a command's error: the user message for coded errors, a
// generic message (and the details) for internal ones. A damaged data file
// (found at start-up or by the command) exits with exitDamaged.
func fail(stderr io.Writer, g *globals, err error) int {
	if _, ok := sqlite.Damage(err); ok {
		if dir, derr := resolveDataDir(g); derr == nil {
			if abs, aerr := filepath.Abs(dir); aerr == nil {
				err = damagedError(context.Background(), err, filepath.Join(abs, sqlite.FileName),
					sqlite.NewBackupDir(nil, filepath.Join(abs, sqlite.BackupDirName)))
			}
		}
	}
	exit := 1
	if d := (*resonanz.DamagedError)(nil); errors.As(err, &d) {
		exit = exitDamaged
	}
	code, msg := resonanz.ErrorCode(err), resonanz.ErrorMessage(err)
	if code == resonanz.EINTERNAL {
		msg = err.Error() // on the command line the operator is the user; show the cause
	}
	if g.json {
		printJSON(stderr, map[string]map[string]string{"error": {"code": code, "message": msg}})
	} else {
		fmt.Fprintf(stderr, "resonanz: %s\n", msg)
	}
	return exit
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "resonanz:", err)
		return 1
	}
	return 0
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
