// Package dovecottest starts a throw-away Dovecot IMAP server on 127.0.0.1
// for tests and the bench: its own config, user and Maildir in a temporary
// directory, no system service. Dovecot must be installed (Debian package
// dovecot-imapd) and the process must run as root (Dovecot's privilege
// separation; the mail user is `mail`, because uid 0 is refused for mail).
package dovecottest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-imap/client"
)

// Server is a running Dovecot.
type Server struct {
	Host, User, Password string
	Port                 int
	dir                  string
	maildir              string
	uid, gid             int
	cmd                  *exec.Cmd
	seq                  atomic.Int64
}

// Start starts Dovecot in a new directory of the system's temporary
// directory (a test's TempDir is 0700, which the auth process, running as
// user dovecot, cannot enter); Close removes it.
func Start() (*Server, error) {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr != nil {
			return nil, errors.New("dovecottest: dovecot is not installed (Debian: apt-get install dovecot-imapd; `make setup` does it)")
		}
		bin = "/usr/sbin/dovecot"
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("dovecottest: Dovecot needs root for its privilege separation; run the tests as root (CI does)")
	}
	mailUser, err := user.Lookup("mail")
	if err != nil {
		return nil, fmt.Errorf("dovecottest: user mail: %w", err)
	}
	uid, _ := strconv.Atoi(mailUser.Uid)
	gid, _ := strconv.Atoi(mailUser.Gid)
	// The auth process runs as user dovecot: the directory must be
	// readable for it, so not t.TempDir's 0700.
	base, err := os.MkdirTemp("", "dovecottest")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	s := &Server{Host: "127.0.0.1", Port: port, User: "news", Password: hex.EncodeToString(pw), dir: base, uid: uid, gid: gid}
	home := filepath.Join(base, "home")
	s.maildir = filepath.Join(home, s.User, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.maildir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	if err := chownAll(home, uid, gid); err != nil {
		return nil, err
	}
	passwd := filepath.Join(base, "passwd")
	if err := os.WriteFile(passwd, []byte(s.User+":{PLAIN}"+s.Password+"\n"), 0o644); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = %[4]d
last_valid_uid = 0
mail_location = maildir:~/Maildir
mail_privileged_group =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[2]s
}
userdb {
  driver = static
  args = uid=%[4]d gid=%[5]d home=%[1]s/home/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 50
}
`, base, passwd, port, uid, gid)
	confPath := filepath.Join(base, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "-F", "-c", confPath)
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(base)
		return nil, fmt.Errorf("dovecottest: start: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second) // 20 s was too short once under load average 28
	for {
		// Ready means a login works: the port opens before the auth
		// process answers ("Temporary authentication failure").
		c, err := client.DialWithDialer(&net.Dialer{Timeout: time.Second}, s.Addr())
		if err == nil {
			err = c.Login(s.User, s.Password)
			c.Logout()
			if err == nil {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Close()
			log, _ := os.ReadFile(filepath.Join(base, "dovecot.log"))
			return nil, fmt.Errorf("dovecottest: not listening after 60 s: %s %s", out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops Dovecot, waits for it and removes its directory.
func (s *Server) Close() error {
	defer os.RemoveAll(s.dir)
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return nil
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Deliver drops a message into the INBOX's Maildir/new, as a local
// delivery agent would (line ends become CRLF).
func (s *Server) Deliver(raw []byte) error {
	return s.DeliverTo("", raw)
}

// DeliverTo drops a message into a folder ("" or INBOX: the inbox); the
// folder must exist (Maildir++ name, e.g. ".Archive").
func (s *Server) DeliverTo(folder string, raw []byte) error {
	dir := s.maildir
	if folder != "" && folder != "INBOX" {
		dir = filepath.Join(s.maildir, "."+folder)
	}
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	name := fmt.Sprintf("%d.M%dP%d.dovecottest", time.Now().Unix(), s.seq.Add(1), os.Getpid())
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	if err := os.Chown(tmp, s.uid, s.gid); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "new", name))
}

// Maildir is the user's Maildir (for tests that look at the files).
func (s *Server) Maildir() string { return s.maildir }

func chownAll(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// CPU returns the processor time Dovecot's processes have used so far (user
// and system, its exited processes included): the bench subtracts two
// readings to charge a run with the server's share. Linux only (/proc);
// the resolution is the kernel's clock tick (10 ms).
func (s *Server) CPU() (time.Duration, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, errors.New("dovecottest: not running")
	}
	pgrp := s.cmd.Process.Pid // Setpgid: the master leads the group
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// After "(comm)": state ppid pgrp ... utime(14) stime(15)
		// cutime(16) cstime(17), counting fields from 1 for pid.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 15 {
			continue
		}
		if g, _ := strconv.Atoi(string(f[2])); g != pgrp {
			continue
		}
		// Live processes' own time plus what their exited children
		// used (waited for: in cutime, cstime).
		for _, k := range f[11:15] {
			n, _ := strconv.ParseInt(string(k), 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / 100, nil
}
