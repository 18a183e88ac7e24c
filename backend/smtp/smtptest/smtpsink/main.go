// Command smtpsink runs the test SMTP server (package smtptest) for the
// browser end-to-end tests: plain SMTP on 127.0.0.1, no authentication. It
// prints {"addr":"127.0.0.1:PORT","host":…,"port":…} as its first stdout
// line, writes every message it accepts to DIR/NNNN.eml (as received, CRLF
// line ends) and stops on SIGINT or SIGTERM.
//
// With -https FILES it also serves the files of that folder over HTTPS on
// 127.0.0.1 (a self-signed certificate, net/http/httptest's) and adds
// "https":"https://127.0.0.1:PORT" to the ready line: the external images a
// mailing links, for the preview in the journey (the browser there ignores
// certificate errors).
//
//	go run ./backend/smtp/smtptest/smtpsink -dir /tmp/mails [-https testdata/e2e]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

func main() {
	dir := flag.String("dir", "", "folder the received messages are written to (required)")
	files := flag.String("https", "", "folder whose files are also served over HTTPS on 127.0.0.1 (optional)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "smtpsink: -dir is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "smtpsink:", err)
		os.Exit(1)
	}
	var n atomic.Int64
	srv, err := smtptest.NewServer(smtptest.Options{Accept: func(m smtptest.Message) error {
		// Written before the 250 reply: once the sender saw it accepted, the file is there.
		name := filepath.Join(*dir, fmt.Sprintf("%04d.eml", n.Add(1)))
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, m.Data, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, name)
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "smtpsink:", err)
		os.Exit(1)
	}
	defer srv.Close()
	info := map[string]any{"addr": srv.Addr, "host": srv.Host, "port": srv.Port}
	if *files != "" {
		web := httptest.NewTLSServer(http.FileServer(http.Dir(*files)))
		defer web.Close()
		info["https"] = web.URL
	}
	ready, _ := json.Marshal(info)
	fmt.Println(string(ready))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}
