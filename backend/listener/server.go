// Package listener is the optional recipient-facing HTTP server: open pixel,
// click redirect, tracked images, one-click unsubscribe (RFC 8058), the
// profile page and the survey page. Every URL carries a signed token (see Signer); hits are
// written in batches (group commit) through a resonanz.HitRecorder, which
// applies the tracking-consent gate. The package imports only the standard
// library and the domain package; the composition root wires the store in
// through the small interfaces below.
package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Links resolves click destinations. Only links that belong to the mailing
// can be resolved, so the listener never redirects to a URL taken from the
// request. An unknown link returns an error (ENOTFOUND preferred).
type Links interface {
	// LinkTarget returns the destination URL and the link kind
	// (resonanz.LinkText or resonanz.LinkImage) of link linkID in mailing
	// mailingID.
	LinkTarget(ctx context.Context, mailingID, linkID int64) (url string, kind string, err error)
}

// Images resolves the source URL of a mailing's tracked image; the listener
// redirects the image request there after recording a
// resonanz.ReactionImageLoad hit.
type Images interface {
	ImageURL(ctx context.Context, mailingID, imageID int64) (url string, err error)
}

// Subscriptions unsubscribes recipients.
type Subscriptions interface {
	// Unsubscribe sets the recipient's membership on the mailing's list(s)
	// to unsubscribed and appends a newsletter withdrawal (source
	// unsubscribe_link, or one_click for an RFC 8058 POST, with the
	// client's IP and user agent) to the consent ledger, counted for the
	// mailing's report. It must be idempotent: unsubscribing an
	// unsubscribed recipient succeeds and appends nothing. mailingID 0
	// means every list.
	Unsubscribe(ctx context.Context, recipientID, mailingID int64, oneClick bool, client resonanz.WebClient) error
}

// Profiles serves the profile page.
type Profiles interface {
	// Profile returns what the page shows; ENOTFOUND for an erased person.
	Profile(ctx context.Context, recipientID int64) (ProfileView, error)
	// UpdateProfile stores the person's own data and the changes of list
	// subscriptions and consents (only changed items are passed; each with
	// the exact wording that was shown). Consent changes go to the ledger
	// with source profile_page and the client's IP and user agent.
	UpdateProfile(ctx context.Context, recipientID int64, u ProfileUpdate, client resonanz.WebClient) error
	// Export returns the person's data (GDPR Art. 15/20).
	Export(ctx context.Context, recipientID int64) (resonanz.PersonalDataExport, error)
	// RequestErasure records the person's request to be erased (GDPR
	// Art. 17); the desk carries it out or erases at once.
	RequestErasure(ctx context.Context, recipientID int64, client resonanz.WebClient) error
}

// ProfileView is a recipient's own data as the profile page shows it.
type ProfileView struct {
	Email     string // shown, not editable
	FirstName string
	LastName  string
	Gender    resonanz.Gender // drives the salutation
	Title     string          // e.g. "Dr."
	Language  string          // "de", "en" or ""
	Lists     []ListChoice    // lists the person may (un)subscribe
	// Consents holds the current state of the purposes
	// resonanz.PurposeTrackingOpens, PurposeTrackingClicks and
	// PurposeProfiling; a missing purpose is not granted.
	Consents map[string]bool
	// MailName is the name mails the public forms trigger may use: empty
	// for a person who never confirmed (anybody can type any name into
	// the signup form). Suppressed says the person is not mailed (bounced,
	// complained). A relay decides its own mails with them.
	MailName   string `json:",omitempty"`
	Suppressed bool   `json:",omitempty"`
}

// ListChoice is one list on the profile page.
type ListChoice struct {
	ListID      int64
	Name        string
	Description string
	Subscribed  bool // membership confirmed (or unconfirmed: pending)
	Confirmed   bool `json:",omitempty"` // membership confirmed
}

// ProfileUpdate is a submitted profile form (see resonanz.ProfileUpdate).
type ProfileUpdate = resonanz.ProfileUpdate

// ListChange subscribes to or unsubscribes from one list.
type ListChange = resonanz.ListChange

// ConsentChange grants or withdraws one purpose.
type ConsentChange = resonanz.ConsentChange

// Signups runs the public signup form, the double opt-in confirmation and
// the profile login.
type Signups interface {
	// FormList returns the list a signup form is for (ENOTFOUND when it
	// was deleted).
	FormList(ctx context.Context, listID int64) (ListChoice, error)
	// Signup creates the recipient by address (an existing one is left as
	// it is: the form is anonymous) and
	// records a pending double opt-in with the wordings shown. It returns
	// the confirmation token, or "" when no mail must go out (already
	// confirmed, suppressed). The answer to the person is the same either
	// way, so nothing tells whether an address is known.
	Signup(ctx context.Context, s Signup, client resonanz.WebClient) (SignupResult, error)
	// Confirm confirms the request behind token (see
	// resonanz.OptInService.ConfirmOptIn): ENOTFOUND for an unknown token,
	// EFORBIDDEN for an expired one.
	Confirm(ctx context.Context, token string, client resonanz.WebClient) (resonanz.OptInRequest, error)
	// ProfileRecipient finds a recipient by address for the profile login
	// (ENOTFOUND when there is none).
	ProfileRecipient(ctx context.Context, email string) (Addressee, error)
}

// Signup is a submitted signup form (see resonanz.Signup).
type Signup = resonanz.Signup

// SignupResult says where the confirmation mail goes.
type SignupResult struct {
	Token string // "" when no mail must be sent
	Addressee
}

// Addressee is who a notice is mailed to.
type Addressee struct {
	RecipientID int64
	Email       string
	Name        string // display name, may be empty
	Language    string // "de", "en" or "" (then the page's language)
	// LinkKey, when set, is the person secret a relay needs in the
	// person's profile link (?k=).
	LinkKey string
}

// Notice is a mail the listener sends itself (confirmation, profile link):
// plain content with exactly one untracked link, no pixel.
type Notice struct {
	To, ToName  string
	Language    string
	Subject     string
	Text, HTML  string
	Kind        string // NoticeConfirmation or NoticeProfileLink
	RecipientID int64  // for logs
}

// Kinds of notices.
const (
	NoticeConfirmation = "confirmation"
	NoticeProfileLink  = "profile-link"
)

// Mailer sends notices; the composition root fills in the sender and the
// Message-ID and uses the configured SMTP server.
type Mailer interface {
	SendNotice(ctx context.Context, n Notice) error
}

// Deps are the services the listener uses. Hits is required; an endpoint
// whose dependency is nil answers 404. If Hits has a method
// Close(context.Context) error, Shutdown calls it after the last hit was
// handed over.
type Deps struct {
	Hits          resonanz.HitRecorder
	Links         Links
	Images        Images
	Subscriptions Subscriptions
	Profiles      Profiles
	Surveys       Surveys
	Signups       Signups
	Mailer        Mailer
	Brands        Brands // optional: the business's name, logo and colours
}

// Config configures the listener. Zero values take the documented defaults.
type Config struct {
	// Addr is where ListenAndServe listens (default "127.0.0.1:8485").
	Addr string
	// PublicURL is where recipients reach the listener, e.g.
	// "https://news.example.org/r" (a reverse proxy in front); required.
	// Its path, if any, is expected on incoming requests too.
	PublicURL string
	// Secret is the per-installation signing secret (≥ 32 bytes).
	Secret []byte
	// ProfileTTL is how long profile links stay valid (default 30 days).
	ProfileTTL time.Duration

	// Group commit, continuous: the writer commits the hits gathered since
	// its last commit, at most BatchSize (default 512) per transaction, and
	// a tracking request is answered once its hit is committed. QueueSize
	// bounds the hits waiting (default 65536); EnqueueWait is the longest a
	// request waits for room (default 1 s) — then an open pixel is answered
	// 503 with Retry-After, a click or image is written synchronously;
	// CommitWait is the longest a request waits for its queued hit's commit
	// before it is answered anyway (default 2 s; the hit stays queued and is
	// written before Shutdown returns). None of this applies when Hits is a
	// HitAppender: each request appends its own hit.
	BatchSize   int
	QueueSize   int
	EnqueueWait time.Duration
	CommitWait  time.Duration

	// TrackRate and TrackBurst limit tracking requests (/o, /c, /i) per
	// client IP (IPv6 per /64): default 50/s, burst 200 — image proxies
	// fetch for many people from few addresses. PageRate and PageBurst
	// limit the pages and forms (/u, /p): default 2/s, burst 20. A negative
	// rate disables that limit.
	TrackRate  float64
	TrackBurst int
	PageRate   float64
	PageBurst  int
	// MailRate and MailBurst limit the mails the signup form and the
	// profile login send per address (default 3 per hour, burst 3), so the
	// forms cannot be used to flood someone's inbox.
	MailRate  float64
	MailBurst int
	// MailPerClientRate and MailPerClientBurst limit those mails per client
	// IP (IPv6 per /64), whatever the addresses: default 10 per hour,
	// burst 10 (--mail-per-client). MailGlobalRate and MailGlobalBurst are
	// the budget of all of them together: default 200 per hour, burst 200
	// (--mail-budget). A burst alone means that many per hour. A negative
	// rate disables that limit.
	MailPerClientRate  float64
	MailPerClientBurst int
	MailGlobalRate     float64
	MailGlobalBurst    int
	// MaxClients bounds the rate limiter's memory (default 100000 clients).
	MaxClients int
	// TrustedProxies are the reverse proxies in front of the listener
	// (--trusted-proxy, Settings → Listener). Only when the connection's
	// peer is one of them are X-Forwarded-For (or, without it, Forwarded)
	// believed, and then only up to the right-most hop that is not trusted:
	// that hop is the client (rate limits, ledger evidence). Without any,
	// the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// MaxBody bounds form bodies (default 16 KiB).
	MaxBody int64
	// MaxSurveyBody bounds survey form bodies, which carry free-text
	// answers (default 128 KiB).
	MaxSurveyBody int64
	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers (default 5 s): a slowloris client that trickles them is cut
	// off. Bodies must arrive within 15 s, responses be taken within 30 s.
	ReadHeaderTimeout time.Duration
	// DefaultLanguage is used when neither the recipient nor the browser
	// says ("de" or "en"; default "de").
	DefaultLanguage string
	// Wordings overrides consent texts: language → purpose → wording. The
	// newsletter purpose's text may contain "{list}" for the list name;
	// "survey_profile" is the survey page's "use my answers to update my
	// profile" box; the signup form's tracking texts are under
	// "form:<purpose>".
	Wordings map[string]map[string]string

	Log *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Validate checks the configuration; New accepts an invalid one, but then
// Serve and ListenAndServe return this error and the handler answers 503.
func (c Config) Validate() error {
	if c.PublicURL == "" {
		return errors.New("listener: the public URL is required (--public-url)")
	}
	if _, err := normalizePublicURL(c.PublicURL); err != nil {
		return err
	}
	if len(c.Secret) < MinSecretLength {
		return fmt.Errorf("listener: secret must have at least %d bytes", MinSecretLength)
	}
	if c.BatchSize < 0 || c.QueueSize < 0 || c.CommitWait < 0 || c.EnqueueWait < 0 || c.MaxBody < 0 || c.MaxSurveyBody < 0 || c.ProfileTTL < 0 || c.ReadHeaderTimeout < 0 {
		return errors.New("listener: sizes and durations must not be negative")
	}
	switch c.DefaultLanguage {
	case "", "de", "en":
	default:
		return fmt.Errorf("listener: default language %q: use de or en", c.DefaultLanguage)
	}
	return nil
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8485"
	}
	if c.BatchSize == 0 {
		c.BatchSize = 512
	}
	if c.CommitWait == 0 {
		c.CommitWait = 2 * time.Second
	}
	if c.QueueSize == 0 {
		c.QueueSize = 65536
	}
	if c.EnqueueWait == 0 {
		c.EnqueueWait = time.Second
	}
	if c.TrackRate == 0 {
		c.TrackRate, c.TrackBurst = 50, max(c.TrackBurst, 200)
	}
	if c.PageRate == 0 {
		c.PageRate, c.PageBurst = 2, max(c.PageBurst, 20)
	}
	if c.MailRate == 0 {
		c.MailRate, c.MailBurst = 3.0/3600, max(c.MailBurst, 3)
	}
	// A burst alone sets the hourly budget.
	if c.MailPerClientBurst == 0 {
		c.MailPerClientBurst = 10
	}
	if c.MailPerClientRate == 0 {
		c.MailPerClientRate = float64(c.MailPerClientBurst) / 3600
	}
	if c.MailGlobalBurst == 0 {
		c.MailGlobalBurst = 200
	}
	if c.MailGlobalRate == 0 {
		c.MailGlobalRate = float64(c.MailGlobalBurst) / 3600
	}
	if c.MaxClients == 0 {
		c.MaxClients = 100000
	}
	if c.MaxBody == 0 {
		c.MaxBody = 16 << 10
	}
	if c.MaxSurveyBody == 0 {
		c.MaxSurveyBody = 128 << 10
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = "de"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server is the listener. Create it with New, serve with Serve or
// ListenAndServe (or mount Handler), and always call Shutdown: it writes the
// hits still queued.
type Server struct {
	cfg    Config
	deps   Deps
	err    error
	signer *Signer
	prefix string // PublicURL's path, "" or "/r"
	urls   URLs

	hits       *batcher
	trackLimit *limiter
	pageLimit  *limiter
	mailLimit  *limiter // per address
	// mailClientLimit and mailGlobalLimit: per client IP, and all together
	mailClientLimit *limiter
	mailGlobalLimit *limiter
	texts           map[string]texts

	mails        sync.WaitGroup // notices being sent
	mailSem      chan struct{}  // bounds concurrent notices
	noticesSent  atomic.Uint64
	noticeErrors atomic.Uint64

	mu       sync.Mutex
	servers  []*http.Server
	closed   bool // Shutdown has begun: Serve refuses to start
	shutOnce sync.Once
	shutErr  error
}

// New builds the listener and starts its hit writer. An invalid
// configuration (see Config.Validate) does not panic: the server then
// refuses to serve.
func New(cfg Config, deps Deps) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, deps: deps}
	s.err = cfg.Validate()
	if s.err == nil && deps.Hits == nil {
		s.err = errors.New("listener: a HitRecorder is required")
	}
	if s.err == nil {
		s.signer, _ = NewSigner(cfg.Secret)
		s.signer.ProfileTTL = cfg.ProfileTTL
		base, _ := normalizePublicURL(cfg.PublicURL)
		s.prefix = base[strings.Index(base, "://")+3:]
		if i := strings.IndexByte(s.prefix, '/'); i >= 0 {
			s.prefix = s.prefix[i:]
		} else {
			s.prefix = ""
		}
		s.urls, _ = NewURLs(cfg.PublicURL, s.signer)
		s.urls.now = cfg.Now
		s.hits = newBatcher(deps.Hits, cfg.QueueSize, cfg.BatchSize, cfg.EnqueueWait, cfg.CommitWait, cfg.Log)
	}
	s.trackLimit = newLimiter(cfg.TrackRate, cfg.TrackBurst, cfg.MaxClients)
	s.pageLimit = newLimiter(cfg.PageRate, cfg.PageBurst, cfg.MaxClients)
	s.mailLimit = newLimiter(cfg.MailRate, cfg.MailBurst, cfg.MaxClients)
	s.mailClientLimit = newLimiter(cfg.MailPerClientRate, cfg.MailPerClientBurst, cfg.MaxClients)
	s.mailGlobalLimit = newLimiter(cfg.MailGlobalRate, cfg.MailGlobalBurst, limiterShards)
	s.mailSem = make(chan struct{}, 4)
	s.texts = buildTexts(cfg.Wordings)
	return s
}

// Err returns the configuration error, if any.
func (s *Server) Err() error { return s.err }

// Signer returns the server's token signer (nil when misconfigured), e.g. to
// build URLs in tests.
func (s *Server) Signer() *Signer { return s.signer }

// Stats returns the hit counters.
func (s *Server) Stats() Stats {
	var st Stats
	if s.hits != nil {
		st = s.hits.stats()
	}
	st.NoticesSent, st.NoticeErrors = s.noticesSent.Load(), s.noticeErrors.Load()
	return st
}

// Handler returns the listener's HTTP handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Addr:    s.cfg.Addr,
		Handler: s.Handler(),
		// Against slowloris and stuck clients; bodies are small.
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelDebug),
	}
}

// ListenAndServe listens on Config.Addr and serves until ctx is done or
// Shutdown is called; then it shuts down gracefully (10 s at most).
func (s *Server) ListenAndServe(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done or Shutdown is called. When ctx ends
// it calls Shutdown with a 10-second limit and returns its error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.err != nil {
		ln.Close()
		return s.err
	}
	hs := s.httpServer()
	hs.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	s.mu.Lock()
	if s.closed {
		// Shutdown came first: it could not stop a server it did not know.
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.servers = append(s.servers, hs)
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("listener: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := s.Shutdown(sctx)
		<-errc
		return err
	}
}

// Shutdown stops accepting requests, waits for running ones, then writes
// every queued hit. It is safe to call more than once. If ctx ends first,
// the remaining hits are still written in the background.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		servers := s.servers
		s.mu.Unlock()
		var errs []error
		for _, hs := range servers {
			if err := hs.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := waitGroup(ctx, &s.mails); err != nil {
			errs = append(errs, fmt.Errorf("sending notices: %w", err))
		}
		if s.hits != nil {
			if err := s.hits.close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("flushing hits: %w", err))
			} else if c, ok := s.deps.Hits.(interface{ Close(context.Context) error }); ok {
				if err := c.Close(ctx); err != nil {
					errs = append(errs, fmt.Errorf("closing the hit recorder: %w", err))
				}
			}
		}
		s.shutErr = errors.Join(errs...)
	})
	return s.shutErr
}

// waitGroup waits for wg or until ctx ends.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) webClient(r *http.Request) resonanz.WebClient {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = strings.ToValidUTF8(ua[:512], "")
	}
	return resonanz.WebClient{IP: s.clientAddr(r).String(), UserAgent: ua}
}
