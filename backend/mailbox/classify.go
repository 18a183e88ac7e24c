package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charsets beyond UTF-8 and ASCII in bounce texts
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Kind is what a message in the mailbox is.
type Kind string

// Kinds of messages, in the order Classify tests for them.
const (
	KindComplaint   Kind = "complaint"   // RFC 5965 ARF feedback report
	KindBounce      Kind = "bounce"      // RFC 3464 DSN or a mail server's plain-text report
	KindUnsubscribe Kind = "unsubscribe" // a mail to the mailto: address of List-Unsubscribe
	KindAutoReply   Kind = "auto_reply"  // RFC 3834 or an out-of-office subject
	KindReply       Kind = "reply"       // anything else: left for the user
)

// Failure is one recipient a bounce reports.
type Failure struct {
	Email string `json:"email"` // lower-cased; "" when the report names nobody (the token or Message-ID may)
	// Status is the RFC 3463 enhanced status code ("5.1.1"), or the SMTP
	// reply code ("550") when the report has no enhanced code.
	Status     string `json:"status,omitempty"`
	Action     string `json:"action,omitempty"` // failed, delayed (RFC 3464)
	Diagnostic string `json:"diagnostic,omitempty"`
	Hard       bool   `json:"hard"` // permanent: suppress; else soft (counted)
}

// Verdict is what Classify found out about one message.
type Verdict struct {
	Kind Kind `json:"kind"`
	// Format names the form recognized: rfc3464, postfix, exim, sendmail,
	// qmail, exchange, gmail, gmx, t-online, ionos, generic (bounces); arf
	// (complaints); token (unsubscribes); rfc3834, header, subject
	// (auto-replies); "" for replies.
	Format       string    `json:"format,omitempty"`
	Failures     []Failure `json:"failures,omitempty"`
	Email        string    `json:"email,omitempty"` // complaints and unsubscribes: whose (may be empty)
	FeedbackType string    `json:"feedback_type,omitempty"`
	// MailingID and RecipientID come from a valid token (the VERP address a
	// bounce went to, the unsubscribe address) or, for the mailing, from the
	// X-Resonanz-Mailing header of the returned original.
	MailingID   int64 `json:"mailing_id,omitempty"`
	RecipientID int64 `json:"recipient_id,omitempty"`
	// OriginalMessageID is the Message-ID of the mail this one reports on
	// (from the returned original or In-Reply-To), without angle brackets.
	OriginalMessageID string `json:"original_message_id,omitempty"`
	// TokenError says why an unsubscribe mail changes nothing: "forged"
	// (a token that is not ours) or "missing".
	TokenError string `json:"token_error,omitempty"`

	MessageID string    `json:"message_id,omitempty"`
	From      string    `json:"from,omitempty"` // the sender's address
	FromName  string    `json:"from_name,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Date      time.Time `json:"date,omitzero"`
	// DateRaw is the Date header as written (the ledger's evidence).
	DateRaw string `json:"-"`
}

// Limits that keep a hostile message from costing much.
const (
	maxParts    = 64
	maxDepth    = 4
	maxTextRead = 256 << 10
)

// ErrNotMessage is returned when not even a header can be read.
var ErrNotMessage = errors.New("mailbox: not a mail message")

// Classify reads one message and says what it is. It never panics on bad
// input: a malformed MIME structure is classified by what could be read,
// and only a message without a readable header is an error. addr names
// the addresses that lead back (their tokens are checked with addr.Tokens;
// nil: no token is trusted).
func Classify(r io.Reader, addr Addresses) (Verdict, error) {
	v, _, err := classify(r, addr, false)
	return v, err
}

// classify is Classify; full parses every body (tests compare that with
// the header-only path); parsed says whether the body was read.
func classify(r io.Reader, addr Addresses, full bool) (v Verdict, parsed bool, err error) {
	e, err := message.Read(r)
	if e == nil {
		if err == nil {
			err = ErrNotMessage
		}
		return Verdict{}, false, errors.Join(ErrNotMessage, err)
	}
	h := mail.Header{Header: e.Header}
	v.MessageID, _ = h.MessageID()
	v.Subject, _ = h.Subject()
	if v.Subject == "" {
		v.Subject = h.Get("Subject")
	}
	v.DateRaw = oneLine(h.Get("Date"))
	v.Date = parseDate(h, v.DateRaw)
	if !v.Date.IsZero() {
		v.Date = v.Date.UTC()
	}
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		v.From, v.FromName = strings.ToLower(from[0].Address), from[0].Name
	} else {
		v.From = strings.ToLower(strings.Trim(strings.TrimSpace(h.Get("From")), "<>"))
	}

	c := classifier{addr: addr, h: h, v: &v}
	name := strings.ToLower(v.FromName)
	c.system = h.Has("X-Failed-Recipients") || strings.TrimSpace(h.Get("Return-Path")) == "<>" || isDaemon(v.From) ||
		strings.Contains(name, "mail delivery") || strings.Contains(name, "mailer-daemon") || strings.Contains(name, "mail-system")
	c.bounceSubject = bounceSubject.MatchString(v.Subject)
	if parsed = full || c.bodyMatters(e); parsed {
		c.w = walk(e)
	} else {
		c.w = &parts{}
	}
	switch {
	case c.complaint():
	case c.bounce():
	case c.unsubscribe():
	case c.autoReply():
	default:
		v.Kind = KindReply
		if ids, err := h.MsgIDList("In-Reply-To"); err == nil && len(ids) > 0 {
			v.OriginalMessageID = ids[0]
		}
	}
	return v, parsed, nil
}

// bodyMatters reports whether the body can change the verdict. Only a
// multipart or message/* body holds report parts (a DSN, an ARF report, a
// returned original), and a plain body is read only for a plain-text
// bounce, which must come from a mail system or carry a bounce subject
// (textBounce). Anything else (replies, auto-replies, unsubscribe mails)
// is classified from its header alone, without reading the body.
func (c *classifier) bodyMatters(e *message.Entity) bool {
	if c.system || c.bounceSubject {
		return true
	}
	t, _, _ := e.Header.ContentType() // as walk reads it
	return strings.HasPrefix(t, "multipart/") || strings.HasPrefix(t, "message/") || t == "text/rfc822-headers"
}

// parseDate reads the Date header: its usual RFC 5322 form directly (the
// general parser costs a sync of 10 000 messages a noticeable share of its
// CPU), anything else with the general parser.
func parseDate(h mail.Header, raw string) time.Time {
	for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 -0700 (MST)"} {
		if t, err := time.Parse(layout, raw); err == nil {
			return t
		}
	}
	t, _ := h.Date()
	return t
}

// parts is what walk collected from the MIME tree.
type parts struct {
	reportType string             // report-type of a multipart/report
	status     []textproto.Header // blocks of message/delivery-status
	feedback   *textproto.Header  // message/feedback-report
	original   *textproto.Header  // header of message/rfc822 or text/rfc822-headers
	text       []string           // text/plain parts (or the whole body), truncated
}

func walk(e *message.Entity) *parts {
	p := &parts{}
	n := 0
	// One reader for the header-like parts of the message: a new one per
	// part was a third of what a DSN's classification allocated.
	var br *bufio.Reader
	defer func() {
		if br != nil {
			br.Reset(nil)
			readers.Put(br)
		}
	}()
	headerReader := func(r io.Reader) *bufio.Reader {
		if br == nil {
			br = readers.Get().(*bufio.Reader)
		}
		br.Reset(io.LimitReader(r, maxTextRead))
		return br
	}
	var visit func(e *message.Entity, depth int)
	visit = func(e *message.Entity, depth int) {
		n++
		if n > maxParts || depth > maxDepth {
			return
		}
		t, params, _ := e.Header.ContentType()
		switch {
		case strings.HasPrefix(t, "multipart/"):
			if t == "multipart/report" && p.reportType == "" {
				p.reportType = strings.ToLower(params["report-type"])
			}
			mr := e.MultipartReader()
			if mr == nil {
				return
			}
			for n <= maxParts {
				part, err := mr.NextPart()
				if part == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
					return
				}
				visit(part, depth+1)
			}
		case t == "message/delivery-status" || t == "message/global-delivery-status":
			br := headerReader(e.Body)
			for len(p.status) < 100 {
				h, err := textproto.ReadHeader(br)
				if h.Len() > 0 {
					p.status = append(p.status, h)
				}
				if err != nil {
					break
				}
				if _, err := br.Peek(1); err != nil {
					break
				}
			}
		case t == "message/feedback-report":
			h, _ := textproto.ReadHeader(headerReader(e.Body))
			p.feedback = &h
		case t == "message/rfc822" || t == "text/rfc822-headers" || t == "message/global" || t == "message/global-headers":
			if p.original == nil {
				h, err := textproto.ReadHeader(headerReader(e.Body))
				if err == nil || h.Len() > 0 {
					p.original = &h
				}
			}
		case t == "" || t == "text/plain":
			if len(p.text) < 4 {
				b, _ := io.ReadAll(io.LimitReader(e.Body, maxTextRead))
				p.text = append(p.text, string(bytes.ToValidUTF8(b, []byte("\uFFFD"))))
			}
		case t == "text/html":
			if len(p.text) == 0 {
				b, _ := io.ReadAll(io.LimitReader(e.Body, maxTextRead))
				p.text = append(p.text, htmlText(string(bytes.ToValidUTF8(b, []byte("\uFFFD")))))
			}
		}
	}
	visit(e, 0)
	return p
}

// readers are the bufio.Readers walk reads header-like parts with.
var readers = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

var htmlTags = regexp.MustCompile(`(?s)<[^>]*>`)

// htmlText is a crude text view of an HTML bounce (Exchange sends some
// reports as HTML only): tags become spaces.
func htmlText(s string) string {
	s = htmlTags.ReplaceAllString(s, " ")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&nbsp;", " ").Replace(s)
}

type classifier struct {
	addr Addresses
	h    mail.Header
	w    *parts
	v    *Verdict
	// system: the message comes from a mail system (a daemon sender, an
	// empty Return-Path or X-Failed-Recipients); bounceSubject: its
	// subject is a bounce's.
	system, bounceSubject bool
	rcpts                 []string // recipients(), nil until parsed
}

// fromOriginal fills the Message-ID and mailing of the returned original.
func (c *classifier) fromOriginal() {
	if c.w.original == nil {
		c.w.original = inlineOriginal(strings.Join(c.w.text, "\n"))
	}
	o := c.w.original
	if o == nil {
		return
	}
	if id := strings.Trim(strings.TrimSpace(o.Get("Message-Id")), "<>"); id != "" && !strings.ContainsAny(id, " \t") {
		c.v.OriginalMessageID = id
	}
	if c.v.MailingID == 0 {
		c.v.MailingID = positiveID(o.Get("X-Resonanz-Mailing"))
	}
	// The original's List-Unsubscribe carries our token even when an
	// abuse desk redacts the recipient.
	if c.v.RecipientID == 0 {
		c.tokenIn(o.Get("List-Unsubscribe"), TokenUnsubscribe)
	}
}

func positiveID(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 18 {
		return 0
	}
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

var tokenish = regexp.MustCompile(`[+ ]([a-zA-Z2-7]{20,40})\b`)

// tokenIn verifies the first token of kind in s and takes its ids.
func (c *classifier) tokenIn(s string, kind TokenKind) bool {
	if c.addr.Tokens == nil || s == "" {
		return false
	}
	s = strings.ReplaceAll(s, "%20", " ")
	for _, m := range tokenish.FindAllStringSubmatch(s, 8) {
		if cl, err := c.addr.Tokens.Verify(m[1]); err == nil && cl.Kind == kind {
			c.v.MailingID, c.v.RecipientID = cl.MailingID, cl.RecipientID
			return true
		}
	}
	return false
}

// recipients returns the addresses the message was delivered to, from the
// headers mail servers set on delivery and the visible ones (parsed once
// per message).
func (c *classifier) recipients() []string {
	if c.rcpts == nil {
		c.rcpts = c.parseRecipients()
	}
	return c.rcpts
}

func (c *classifier) parseRecipients() []string {
	out := []string{} // not nil: parsed
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc"} {
		for _, v := range c.h.Values(k) {
			if list, err := mail.ParseAddressList(v); err == nil {
				for _, a := range list {
					out = append(out, strings.ToLower(a.Address))
				}
				continue
			}
			out = append(out, strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>")))
		}
	}
	return out
}

// complaint recognizes an RFC 5965 feedback report.
func (c *classifier) complaint() bool {
	fb := c.w.feedback
	if fb == nil && c.w.reportType != "feedback-report" {
		return false
	}
	c.v.Kind, c.v.Format = KindComplaint, "arf"
	if fb != nil {
		c.v.FeedbackType = strings.ToLower(strings.TrimSpace(fb.Get("Feedback-Type")))
		for _, k := range []string{"Original-Rcpt-To", "Removal-Recipient"} {
			if a := bareAddress(fb.Get(k)); a != "" {
				c.v.Email = a
				break
			}
		}
	}
	c.fromOriginal()
	if c.v.Email == "" && c.w.original != nil {
		if a := bareAddress(c.w.original.Get("To")); a != "" && !c.own(a) {
			c.v.Email = a
		}
	}
	return true
}

// bareAddress returns the one address in s, lower-cased ("" if none).
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if i := strings.IndexByte(s, ';'); i >= 0 { // rfc822; user@example.com
		s = strings.TrimSpace(s[i+1:])
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return strings.ToLower(a.Address)
	}
	s = strings.Trim(s, "<> \t")
	if strings.Count(s, "@") == 1 && !strings.ContainsAny(s, " \t,;<>") {
		return strings.ToLower(s)
	}
	return ""
}

// own reports whether a is one of the addresses leading back to us.
func (c *classifier) own(a string) bool {
	base := stripTag(a)
	return base != "" && (strings.EqualFold(base, c.addr.Bounce) || strings.EqualFold(base, c.addr.Unsubscribe))
}

// stripTag removes a +tag from the local part.
func stripTag(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 {
		return a
	}
	if plus := strings.IndexByte(a[:at], '+'); plus > 0 {
		return a[:plus] + a[at:]
	}
	return a
}

var (
	statusCode  = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	replyCode   = regexp.MustCompile(`(?:^|[\s:;(\[])([45][0-9][0-9])(?:[\s\-]|$)`)
	addressLike = regexp.MustCompile(`[A-Za-z0-9._%+=\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
)

// bounce recognizes a DSN or a plain-text bounce.
func (c *classifier) bounce() bool {
	c.bounceToken()
	if c.w.reportType == "delivery-status" || len(c.w.status) > 0 {
		c.v.Kind, c.v.Format = KindBounce, "rfc3464"
		c.dsnFailures()
		c.fromOriginal()
		c.textFallback()
		return true
	}
	format, ok := c.textBounce()
	if !ok {
		c.v.MailingID, c.v.RecipientID = 0, 0
		return false
	}
	c.v.Kind, c.v.Format = KindBounce, format
	c.fromOriginal()
	c.textFallback()
	return true
}

// bounceToken takes the ids of a VERP address the message was sent to.
func (c *classifier) bounceToken() {
	if c.addr.Tokens == nil {
		return
	}
	for _, a := range c.recipients() {
		if c.tokenIn(tagOf(a), TokenBounce) {
			return
		}
	}
}

// tagOf returns "+tag" of an address's local part ("" when none).
func tagOf(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 {
		return ""
	}
	if plus := strings.IndexByte(a[:at], '+'); plus >= 0 {
		return a[plus:at]
	}
	return ""
}

// dsnFailures reads the per-recipient blocks of a delivery-status part.
func (c *classifier) dsnFailures() {
	for _, b := range c.w.status {
		rcpt := b.Get("Final-Recipient")
		if rcpt == "" {
			rcpt = b.Get("Original-Recipient")
		}
		action := strings.ToLower(strings.TrimSpace(b.Get("Action")))
		if rcpt == "" || action == "delivered" || action == "relayed" || action == "expanded" {
			continue
		}
		f := Failure{Email: bareAddress(rcpt), Action: action, Diagnostic: oneLine(b.Get("Diagnostic-Code"))}
		if i := strings.IndexByte(f.Diagnostic, ';'); i >= 0 && i < 12 {
			f.Diagnostic = strings.TrimSpace(f.Diagnostic[i+1:]) // "smtp; 550 ..."
		}
		if m := statusCode.FindString(b.Get("Status")); m != "" {
			f.Status = m
		} else if m := statusCode.FindString(f.Diagnostic); m != "" {
			f.Status = m
		}
		f.Hard = hardness(action, f.Status, f.Diagnostic)
		c.v.Failures = append(c.v.Failures, f)
	}
}

// textFallback fills a bounce's failures from X-Failed-Recipients or the
// text when the structured parts named nobody.
func (c *classifier) textFallback() {
	if len(c.v.Failures) > 0 {
		return
	}
	text := c.reportText()
	status, diag := statusOf(text)
	hard := hardness(actionOf(text), status, text)
	emails := c.failedAddresses(text)
	for _, e := range emails {
		c.v.Failures = append(c.v.Failures, Failure{Email: e, Status: status, Diagnostic: diag, Hard: hard})
	}
	if len(emails) == 0 {
		// Nobody named: the token or the original's Message-ID may still
		// tell who it was.
		c.v.Failures = append(c.v.Failures, Failure{Status: status, Diagnostic: diag, Hard: hard})
	}
}

// reportText is the human-readable report without the returned original.
func (c *classifier) reportText() string {
	text := strings.Join(c.w.text, "\n")
	lower := strings.ToLower(text)
	cut := len(text)
	for _, m := range originalMarkers {
		if i := strings.Index(lower, m); i >= 0 && i < cut {
			cut = i
		}
	}
	return text[:cut]
}

// inlineOriginal reads the header of an original that a plain-text bounce
// quotes after one of the originalMarkers.
func inlineOriginal(text string) *textproto.Header {
	lower := strings.ToLower(text)
	for _, m := range originalMarkers {
		i := strings.Index(lower, m)
		if i < 0 || len(lower) != len(text) {
			continue
		}
		rest := text[i+len(m):]
		if m[0] != '\n' {
			nl := strings.IndexByte(rest, '\n')
			if nl < 0 {
				continue
			}
			rest = rest[nl+1:]
		} else {
			rest = text[i+1:]
		}
		rest = strings.TrimLeft(rest, "\r\n \t")
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(rest)))
		if (err == nil || h.Len() > 0) && h.Has("Message-Id") {
			return &h
		}
	}
	return nil
}

// originalMarkers start the copy of the original in plain-text bounces.
var originalMarkers = []string{
	"--- below this line is a copy of the message",
	"------ this is a copy of the message",
	"----- original message follows -----",
	"----- transcript of session follows -----", // sendmail: the addresses come before it
	"|------------------------- message text follows",
	"------- original message -------",
	"--- original message ---",
	"original message headers:",
	"----- ursprüngliche nachricht -----",
	"--- die ursprüngliche nachricht",
	"------ dies ist eine kopie der nachricht",
	"--- the header of the original message is following",
	"\nreturn-path:",
	"\nreceived: from",
}

// failedAddresses finds the recipients a plain-text report names.
func (c *classifier) failedAddresses(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = strings.ToLower(strings.Trim(a, ".<>()[]:;,"))
		if a == "" || seen[a] || c.own(a) || a == c.v.From || isDaemon(a) {
			return
		}
		a = strings.Clone(a) // not a slice of the report's text (up to 256 KB) kept with the verdict
		seen[a] = true
		out = append(out, a)
	}
	for _, v := range c.h.Values("X-Failed-Recipients") {
		for _, a := range strings.Split(v, ",") {
			if b := bareAddress(a); b != "" {
				add(b)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, a := range addressLike.FindAllString(text, 20) {
		if len(out) >= 10 {
			break
		}
		add(a)
	}
	return out
}

func isDaemon(a string) bool {
	local := a
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		local = a[:at]
	}
	switch strings.ToLower(local) {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "noreply", "no-reply", "double-bounce", "bounce":
		return true
	}
	return false
}

// statusOf finds the first enhanced status (or SMTP reply code) and the
// line it is on.
func statusOf(text string) (status, diag string) {
	// Clones: not slices of the report's text kept with the verdict.
	if loc := statusCode.FindStringIndex(text); loc != nil {
		return strings.Clone(text[loc[0]:loc[1]]), lineAround(text, loc[0])
	}
	if m := replyCode.FindStringSubmatchIndex(text); m != nil {
		return strings.Clone(text[m[2]:m[3]]), lineAround(text, m[2])
	}
	return "", ""
}

func lineAround(text string, i int) string {
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := strings.IndexByte(text[i:], '\n')
	if end < 0 {
		end = len(text) - i
	}
	return oneLine(text[start : i+end])
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "")
	}
	return s
}

// Words that say a failure is temporary, or permanent, when no status says.
var (
	softWords = []string{"delayed", "will retry", "will be retried", "temporar", "not yet been delivered",
		"still undelivered", "vorübergehend", "verzögert", "wird weiter versucht", "erneut versucht",
		"mailbox full", "mailbox is full", "over quota", "quota exceeded", "postfach voll", "speicherplatz", "insufficient storage"}
	hardWords = []string{"permanent", "given up", "user unknown", "unknown user", "does not exist", "no such user",
		"address not found", "couldn't be found", "recipient not found", "mailbox unavailable", "existiert nicht",
		"unbekannt", "nicht gefunden", "dauerhaft", "endgültig"}
)

func actionOf(text string) string {
	l := strings.ToLower(text)
	for _, w := range []string{"delayed", "will retry", "verzögert", "still undelivered", "not yet been delivered"} {
		if strings.Contains(l, w) {
			return "delayed"
		}
	}
	return "failed"
}

// hardness decides hard (true) or soft: a delayed action or a 4.x.x status
// is soft; a 5.x.x status is hard except a full mailbox (5.2.2, quota),
// which is commonly temporary. Without a status, the words decide; when
// nothing says, it is soft, so an unclear report never suppresses anyone.
func hardness(action, status, text string) bool {
	l := strings.ToLower(text)
	full := strings.HasPrefix(status, "5.2.2") || strings.HasPrefix(status, "552") ||
		strings.Contains(l, "quota") || strings.Contains(l, "mailbox full") || strings.Contains(l, "mailbox is full") ||
		strings.Contains(l, "postfach voll") || strings.Contains(l, "insufficient storage")
	switch {
	case action == "delayed" || full:
		return false
	case strings.HasPrefix(status, "5"):
		return true
	case strings.HasPrefix(status, "4"):
		return false
	}
	for _, w := range softWords {
		if strings.Contains(l, w) {
			return false
		}
	}
	for _, w := range hardWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// A textFormat recognizes one mail server's plain-text bounce.
type textFormat struct {
	name    string
	from    []string // substrings of the sender's address (any)
	markers []string // substrings of the lower-cased text (any)
}

// textFormats in the order they are tried; hosts that run Exim or
// Postfix are named before the generic forms of their software.
var textFormats = []textFormat{
	{name: "gmail", from: []string{"@googlemail.com", "@gmail.com"}, markers: []string{"your message wasn't delivered", "delivery to the following recipient failed", "message not delivered"}},
	{name: "gmx", from: []string{"@gmx.net", "@gmx.de", "@web.de", "@gmx.at", "@gmx.ch"}, markers: []string{"could not be delivered", "nicht zugestellt"}},
	{name: "t-online", from: []string{"t-online.de"}, markers: []string{"failed addresses follow", "nicht zugestellt", "could not be delivered"}},
	{name: "ionos", from: []string{"kundenserver.de", "ionos.", "1and1.", "1und1."}, markers: []string{"could not be delivered", "nicht zugestellt", "zustellung fehlgeschlagen"}},
	{name: "exchange", markers: []string{"delivery has failed to these recipients", "your message did not reach some or all", "the following recipient(s) cannot be reached",
		"remote server returned", "diagnostic information for administrators", "übermittlung an folgende empfänger oder gruppen ist fehlgeschlagen"}},
	{name: "qmail", markers: []string{"this is the qmail-send program", "i'm afraid i wasn't able to deliver your message"}},
	{name: "postfix", markers: []string{"this is the mail system at host", "i'm sorry to have to inform you that your message could not"}},
	{name: "sendmail", markers: []string{"the following addresses had permanent fatal errors", "the original message was received at", "----- transcript of session follows -----"}},
	{name: "exim", markers: []string{"this message was created automatically by mail delivery software", "the following address(es) failed"}},
	{name: "generic", markers: []string{"could not be delivered", "undeliverable", "delivery failed", "konnte nicht zugestellt", "unzustellbar",
		"nicht zugestellt", "permanent error", "delivery status notification", "returned mail"}},
}

var bounceSubject = regexp.MustCompile(`(?i)(undeliver|undelivered|returned mail|failure notice|delivery status notification|mail delivery failed|delivery failure|` +
	`nicht zustellbar|unzustellbar|zustellung fehlgeschlagen|fehlgeschlagene zustellung|unzustellbare|non remis|delivery (has )?failed|warning: could not send|delayed mail|delivery delayed)`)

// textBounce recognizes a plain-text bounce: it must come from a mail
// system (a daemon sender, an empty Return-Path or X-Failed-Recipients)
// or have a bounce subject, and its text must match a known form.
func (c *classifier) textBounce() (string, bool) {
	system, subject := c.system, c.bounceSubject
	if !system && !subject {
		return "", false
	}
	text := strings.ToLower(strings.Join(c.w.text, "\n"))
	for _, f := range textFormats {
		if len(f.from) > 0 && !containsAny(c.v.From, f.from) {
			continue
		}
		if containsAny(text, f.markers) {
			return f.name, true
		}
	}
	if system && subject {
		return "generic", true
	}
	if c.h.Has("X-Failed-Recipients") {
		return "generic", true
	}
	return "", false
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// unsubscribe recognizes a mail to the unsubscribe address: the token in
// the local part (sub-addressing) or in the subject must be ours.
func (c *classifier) unsubscribe() bool {
	toUs := false
	for _, a := range c.recipients() {
		if c.addr.Unsubscribe != "" && strings.EqualFold(stripTag(a), c.addr.Unsubscribe) {
			toUs = true
		}
		if tag := tagOf(a); tag != "" && c.tokenIn(tag, TokenUnsubscribe) {
			c.v.Kind, c.v.Format = KindUnsubscribe, "token"
			c.v.Email = c.v.From
			return true
		}
	}
	if !toUs {
		return false
	}
	c.v.Kind, c.v.Format, c.v.Email = KindUnsubscribe, "token", c.v.From
	if c.tokenIn(" "+c.v.Subject, TokenUnsubscribe) {
		return true
	}
	c.v.TokenError = "missing"
	for _, a := range c.recipients() {
		if tag := tagOf(a); tag != "" && strings.EqualFold(stripTag(a), c.addr.Unsubscribe) {
			c.v.TokenError = "forged"
		}
	}
	if tokenish.MatchString(" " + c.v.Subject) {
		c.v.TokenError = "forged"
	}
	return true
}

var autoSubject = regexp.MustCompile(`(?i)^\s*(out of (the )?office|automatic reply|auto(matic)?[ -]?repl(y|ies)|autoreply|auto[ -]?response|` +
	`abwesenheit|abwesenheitsnotiz|automatische (antwort|rückantwort|benachrichtigung)|nicht im büro|ich bin (derzeit |zurzeit |momentan )?(nicht im büro|abwesend|im urlaub)|` +
	`urlaubsbenachrichtigung|im urlaub|vacation|on vacation|away from (the )?office)`)

// autoReply recognizes RFC 3834 auto-replies and common out-of-office
// mails.
func (c *classifier) autoReply() bool {
	set := func(format string) bool {
		c.v.Kind, c.v.Format = KindAutoReply, format
		if ids, err := c.h.MsgIDList("In-Reply-To"); err == nil && len(ids) > 0 {
			c.v.OriginalMessageID = ids[0]
		}
		return true
	}
	if as := strings.ToLower(strings.TrimSpace(c.h.Get("Auto-Submitted"))); as != "" && as != "no" {
		return set("rfc3834")
	}
	if c.h.Has("X-Autoreply") || c.h.Has("X-Autorespond") || c.h.Has("X-Autoresponder") {
		return set("header")
	}
	for _, k := range []string{"Precedence", "X-Precedence"} {
		if strings.EqualFold(strings.TrimSpace(c.h.Get(k)), "auto_reply") {
			return set("header")
		}
	}
	if autoSubject.MatchString(c.v.Subject) {
		return set("subject")
	}
	return false
}
