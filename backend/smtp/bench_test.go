package smtp_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
	mail "github.com/wneessen/go-mail"
)

// peakRSSMB returns the process's peak resident set size (VmHWM) in MB, or 0
// where /proc is not available.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(peakRSSMB(), "peakRSS-MB")
}

// BenchmarkSend sends b.N messages through the Mailer to an smtptest sink, in
// batches of 1000 as the send runner would. "pipelined" is the default path,
// "stepwise" sends command by command (Config.NoPipelining).
func BenchmarkSend(b *testing.B) {
	for _, tc := range []struct {
		mode  string
		tls   bool
		conns int
	}{
		{"pipelined", false, 1}, {"pipelined", false, 2}, {"pipelined", false, 4}, {"pipelined", false, 8},
		{"pipelined", true, 4},
		{"stepwise", false, 1}, {"stepwise", false, 4}, {"stepwise", false, 8},
	} {
		sec := "plain"
		if tc.tls {
			sec = "starttls"
		}
		b.Run(fmt.Sprintf("%s/%s/conns=%d", tc.mode, sec, tc.conns), func(b *testing.B) {
			srv := smtptest.Start(b, smtptest.Options{Sink: true, TLS: tc.tls})
			m := mailerFor(b, srv, func(c *smtp.Config) {
				c.MaxConnections = tc.conns
				c.NoPipelining = tc.mode == "stepwise"
			})
			msgs := batch(1000)
			b.ReportAllocs()
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				n := min(len(msgs), b.N-sent)
				for _, msg := range msgs[:n] {
					msg.MessageID = ""
				}
				per, err := m.Send(context.Background(), msgs[:n])
				mustAllOK(b, per, err)
				sent += n
			}
			b.StopTimer()
			reportRate(b, sent)
			if int(srv.Count()) != sent {
				b.Fatalf("sink counted %d, sent %d", srv.Count(), sent)
			}
		})
	}
}

// BenchmarkGoMailBaseline is bare go-mail: one prebuilt message sent b.N
// times over conns connections, each with its own mail.Client, to the same
// sink. "default" keeps go-mail's NOOP before and RSET after every message;
// "lean" turns them off as the Mailer does.
func BenchmarkGoMailBaseline(b *testing.B) {
	for _, variant := range []string{"default", "lean"} {
		for _, conns := range []int{1, 4, 8} {
			if variant == "default" && conns == 8 {
				continue
			}
			b.Run(fmt.Sprintf("%s/conns=%d", variant, conns), func(b *testing.B) {
				srv := smtptest.Start(b, smtptest.Options{Sink: true})
				opts := []mail.Option{mail.WithPort(srv.Port), mail.WithTLSPolicy(mail.NoTLS), mail.WithHELO("client.test")}
				if variant == "lean" {
					opts = append(opts, mail.WithoutNoop(), mail.WithoutRset())
				}
				clients := make([]*mail.Client, conns)
				msgs := make([]*mail.Msg, conns)
				for i := range clients {
					c, err := mail.NewClient(srv.Host, opts...)
					if err != nil {
						b.Fatal(err)
					}
					if err := c.DialWithContext(context.Background()); err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					clients[i] = c
					msgs[i] = fixedMsg(b)
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				for i, c := range clients {
					share := b.N / conns
					if i < b.N%conns {
						share++
					}
					wg.Go(func() {
						for range share {
							if err := c.Send(msgs[i]); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				reportRate(b, b.N)
			})
		}
	}
}

func fixedMsg(tb testing.TB) *mail.Msg {
	tb.Helper()
	m := newsletter()
	m.To = "r0@example.org"
	m.MessageID = "fixed@verein.example"
	m.Date = time.Now()
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(m.From.FromName, m.From.FromAddress); err != nil {
		tb.Fatal(err)
	}
	if err := msg.To(m.To); err != nil {
		tb.Fatal(err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.Date)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg
}
