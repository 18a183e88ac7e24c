package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/keyring"
	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/frontend/src/lib/i18n"
)

// runRelay runs `resonanz relay ...`: on the relay host `relay` (serve)
// and `relay pair`; on the desk `relay connect CODE` and `relay sync`.
func runRelay(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "":
		return runRelayServe(ctx, g, args, stdout, stderr)
	case "pair":
		publicURL := ""
		if err := parseCommand("relay pair", args, g, func(fs *flag.FlagSet) {
			fs.StringVar(&publicURL, "public-url", "", "the URL the desk reaches the relay at (default: the one the relay was started with)")
		}); err != nil {
			return usageError(stderr, err)
		}
		if g.data == "" {
			return usageError(stderr, errors.New("relay pair: --data DIR (the relay's data directory) is required"))
		}
		st, err := relay.Open(g.data)
		if err != nil {
			return fail(stderr, g, err)
		}
		defer st.Close()
		if publicURL == "" {
			if publicURL, err = st.PublicURL(ctx); err == nil && publicURL == "" {
				err = resonanz.E(resonanz.EINVALID, "error.cli.startRelayOnce", "Start the relay once with --public-url, or pass --public-url here.")
			}
			if err != nil {
				return fail(stderr, g, err)
			}
		}
		secret, err := st.NewPairing(ctx)
		if err != nil {
			return fail(stderr, g, err)
		}
		id, err := st.RelayID(ctx)
		if err != nil {
			return fail(stderr, g, err)
		}
		code := relay.Pairing{URL: publicURL, RelayID: id, Secret: secret}.Code()
		if g.json {
			return printJSON(stdout, map[string]string{"relayId": id, "code": code})
		}
		fmt.Fprintf(stdout, "Relay %s. On the desk run:\n\n  resonanz relay connect %s\n\nThe code is a password: a desk paired before must pair again.\n", id, code)
		return 0
	case "connect":
		if len(args) == 0 {
			return usageError(stderr, errors.New("relay connect: the pairing code is missing"))
		}
		code := args[0]
		if err := parseCommand("relay connect", args[1:], g, nil); err != nil {
			return usageError(stderr, err)
		}
		return withApp(ctx, g, stderr, func(a *App) error {
			p, err := a.ConnectRelay(ctx, code)
			if err != nil {
				return err
			}
			if g.json {
				printJSON(stdout, map[string]string{"relayId": p.RelayID, "url": p.URL})
			} else {
				fmt.Fprintf(stdout, "Paired with relay %s at %s. Links in mails now point there; run `resonanz relay sync` to publish.\n", p.RelayID, p.URL)
			}
			return nil
		})
	case "sync":
		collectOnly := false
		if err := parseCommand("relay sync", args, g, func(fs *flag.FlagSet) {
			fs.BoolVar(&collectOnly, "collect-only", false, "only collect the relay's events, publish nothing")
		}); err != nil {
			return usageError(stderr, err)
		}
		return withApp(ctx, g, stderr, func(a *App) error {
			res, err := a.SyncRelays(ctx, !collectOnly)
			if g.json {
				printJSON(stdout, res)
			} else {
				for _, r := range res {
					fmt.Fprintf(stdout, "relay %s: %d events applied (%v), %d already applied", r.RelayID, sum(r.Collected.Applied), r.Collected.Applied, r.Collected.Skipped)
					if r.Collected.Quarantined > 0 {
						fmt.Fprintf(stdout, ", %d quarantined (see `resonanz relay quarantine`)", r.Collected.Quarantined)
					}
					if r.Published != nil {
						fmt.Fprintf(stdout, "; published %d profiles, %d lists, %d links, %d surveys", r.Published.Profiles, r.Published.Lists, r.Published.Links, r.Published.Surveys)
					}
					fmt.Fprintln(stdout)
				}
			}
			return err
		})
	case "quarantine":
		if err := parseCommand("relay quarantine", args, g, nil); err != nil {
			return usageError(stderr, err)
		}
		return withApp(ctx, g, stderr, func(a *App) error {
			fs, err := a.RelayFailures(ctx)
			if err != nil {
				return err
			}
			if g.json {
				printJSON(stdout, fs)
				return nil
			}
			// The reasons in the language the user saved (as stored, in
			// English, when none is saved).
			var lang string
			if _, err := a.settingsSvc.Value(ctx, resonanz.SettingLanguage, &lang); err != nil {
				return err
			}
			for _, f := range fs {
				reason := f.Reason
				if lang != "" && f.Key != "" {
					reason = i18n.T(lang, f.Key, f.Reason, f.Params)
				}
				state := "quarantined"
				if !f.Quarantined {
					state = "retried by the next sync"
				}
				fmt.Fprintf(stdout, "%s  relay %s #%d %s at %s, %d attempts, %s: %s\n", f.ID, f.RelayID, f.Seq, f.Kind,
					f.At.Format(time.RFC3339), f.Attempts, state, reason)
			}
			if len(fs) == 0 {
				fmt.Fprintln(stdout, "No relay event failed to apply.")
			}
			return nil
		})
	case "retry":
		if len(args) == 0 {
			return usageError(stderr, errors.New("relay retry: the event id (from `resonanz relay quarantine`) is missing"))
		}
		id := args[0]
		if err := parseCommand("relay retry", args[1:], g, nil); err != nil {
			return usageError(stderr, err)
		}
		return withApp(ctx, g, stderr, func(a *App) error {
			if err := a.RetryRelayEvent(ctx, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Relay event %s applied.\n", id)
			return nil
		})
	}
	return usageError(stderr, fmt.Errorf("relay: unknown subcommand %q (serve with no subcommand, pair, connect, sync, quarantine, retry)", sub))
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// runRelayServe runs the relay: the listener's pages over the relay's own
// store, and the sync API. It never opens a desk's data.
func runRelayServe(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	addr, publicURL, secrets := ":8485", "", ""
	trackRate := 0.0
	var trusted []string
	if err := parseCommand("relay", args, g, func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "addr", addr, "address to listen on")
		fs.StringVar(&publicURL, "public-url", "", "base URL recipients and the desk reach the relay at (required)")
		fs.Float64Var(&trackRate, "track-rate", 0, "tracking requests per second and client IP (0: default 50, -1: no limit)")
		fs.StringVar(&secrets, "secrets", "", "folder of the secret store for the mail settings the desk publishes, outside the data directory (default: DIR-secrets beside --data; the OS keyring when one answers)")
		fs.Func("trusted-proxy", "reverse proxy (address or CIDR) whose X-Forwarded-For/Forwarded is believed; repeatable", func(v string) error {
			if _, err := listener.ParseTrustedProxies([]string{v}); err != nil {
				return errors.New(strings.TrimPrefix(err.Error(), "listener: "))
			}
			trusted = append(trusted, v)
			return nil
		})
	}); err != nil {
		return usageError(stderr, err)
	}
	if g.data == "" || publicURL == "" {
		return usageError(stderr, errors.New("relay: --data DIR (the relay's own data directory) and --public-url URL are required"))
	}
	proxies, err := listener.ParseTrustedProxies(trusted)
	if err != nil {
		return usageError(stderr, err)
	}
	log := newLogger(stderr)
	st, err := relay.Open(g.data)
	if err != nil {
		return fail(stderr, g, err)
	}
	defer st.Close()
	if err := st.SetPublicURL(ctx, publicURL); err != nil {
		return fail(stderr, g, err)
	}
	if secrets == "" {
		secrets = filepath.Clean(g.data) + "-secrets"
	}
	cfg := relay.Config{PublicURL: publicURL, TrustedProxies: proxies, TrackRate: trackRate, Log: log}
	if inside(secrets, g.data) {
		return usageError(stderr, errors.New("relay: --secrets must be outside the data directory"))
	}
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		log.Warn("relay: no secret store: the relay sends no mail and has no profile login", "err", err)
	} else {
		cfg.Secrets = keyring.New(secrets, keyring.Options{Disabled: keyring.DisabledByEnv()})
		cfg.Mailer = func(ctx context.Context, m relay.MailSettings) (relay.Mailer, error) {
			return smtp.NewMailer(smtp.ConfigFrom(m.SMTP, m.Password))
		}
	}
	srv, err := relay.NewServer(st, cfg)
	if err != nil {
		return fail(stderr, g, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(stderr, g, resonanz.E(resonanz.ECONFLICT, "error.cli.listenPickAnother", "Cannot listen on {addr}: {reason}. Pick another address with --addr.", "addr", addr, "reason", errors.Unwrap(err)))
	}
	id, _ := st.RelayID(ctx)
	if g.json {
		printJSON(stdout, map[string]string{"relayId": id, "addr": ln.Addr().String(), "publicUrl": publicURL})
	} else {
		fmt.Fprintf(stdout, "Resonanz relay %s on %s (public URL %s). Pair a desk with `resonanz relay pair --data %s`.\n", id, ln.Addr(), publicURL, g.data)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return fail(stderr, g, err)
	}
	return 0
}

// inside reports whether dir is dir or a folder under root.
func inside(dir, root string) bool {
	a, err1 := filepath.Abs(dir)
	b, err2 := filepath.Abs(root)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(b, a)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
