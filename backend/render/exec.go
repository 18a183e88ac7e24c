package render

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Options are the per-send decisions Execute asks for. Every func may be
// nil. Funcs are called synchronously from Execute.
type Options struct {
	// InGroup answers whether the recipient belongs to the named target
	// group (evaluated elsewhere). Nil means: in no group.
	InGroup func(group string) bool
	// RewriteLink returns the URL to put into the mail for one occurrence
	// of a link (once in the HTML part, once in the text part), e.g. a
	// tracked redirect when the recipient's consent allows it. url is the
	// personalized URL; nil keeps it.
	RewriteLink func(link resonanz.LinkMeta, url string) string
	// RewriteImage returns the URL of an image, e.g. through the image
	// proxy; nil keeps it.
	RewriteImage func(url string) string
	// OpenPixelURL, when not empty, adds a 1×1 open-tracking image to the
	// HTML part.
	OpenPixelURL string
	// SystemURL returns the recipient's URL of a system link: kind is
	// SystemProfile, SystemUnsubscribe or SystemSurvey (slug names the
	// survey). "" (or a nil func: no listener) leaves the URL empty and
	// the layout's {{ footer }} out.
	SystemURL func(kind, slug string) string
}

// Result is a rendered mail for one recipient.
type Result struct {
	Subject   string
	Preheader string
	HTML      string
	Text      string
}

// ErrSkip matches (errors.Is) the *SkipError Execute returns when a
// recipient must not get the mailing.
var ErrSkip = errors.New("recipient skipped")

// SkipError says why a recipient was skipped: a placeholder marked
// required had no value.
type SkipError struct {
	Key    string // the placeholder's key (or "salutation")
	Reason string // a sentence for the send report
}

// Error implements error.
func (e *SkipError) Error() string { return "recipient skipped: " + e.Reason }

// Is makes errors.Is(err, ErrSkip) true.
func (e *SkipError) Is(target error) bool { return target == ErrSkip }

// state is one execution.
type state struct {
	t       *Template
	r       *resonanz.Recipient
	o       *Options
	lang    string
	skip    *SkipError
	sal     [4]struct{ name, val string }
	nsal    int
	subject string
	pre     string
	scratch []byte
	wraps   []int
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Execute renders the template for one recipient. It returns a *SkipError
// (errors.Is(err, ErrSkip)) when a required value is missing; other errors
// do not occur for a compiled template.
func (t *Template) Execute(r *resonanz.Recipient, o Options) (Result, error) {
	s := state{t: t, r: r, o: &o, lang: normLang(r.Language)}
	if s.lang == "" || !t.hasLang(s.lang) {
		s.lang = t.lang
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := (*bp)[:0]
	var res Result
	b = s.run(b, t.subject)
	s.subject = collapse(string(b))
	b = s.run(b[:0], t.preheader)
	s.pre = collapse(string(b))
	b = s.run(b[:0], t.layout)
	res.HTML = string(b)
	b = s.run(b[:0], t.text)
	res.Text = tidyText(b)
	*bp = b
	if s.skip != nil {
		return Result{}, s.skip
	}
	res.Subject, res.Preheader = s.subject, s.pre
	return res, nil
}

func (t *Template) hasLang(l string) bool {
	_, ok := t.sal[l+"/formal"]
	return ok || l == "de" || l == "en"
}

// normLang reduces "de-AT" or "DE" to "de".
func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	return l
}

// raw returns a recipient's value for key, untouched.
func (s *state) raw(key string) string {
	switch key {
	case resonanz.KeyEmail:
		return s.r.Email
	case resonanz.KeyFirstName:
		return s.r.FirstName
	case resonanz.KeyLastName:
		return s.r.LastName
	case resonanz.KeyGender:
		return string(s.r.Gender)
	case resonanz.KeyTitle:
		return s.r.Title
	case resonanz.KeyLanguage:
		return s.r.Language
	}
	return s.r.Attributes[key]
}

func (s *state) run(b []byte, ops []op) []byte {
	for pc := 0; pc < len(ops) && s.skip == nil; pc++ {
		o := &ops[pc]
		switch o.kind {
		case opLit:
			b = append(b, o.s...)
		case opValue:
			v := s.filter(strings.TrimSpace(neutralize(s.raw(o.t.key))), o.t)
			b = appendCtx(b, v, o.ctx)
		case opSal:
			b = appendCtx(b, s.filter(s.salutation(o.t.key), o.t), o.ctx)
		case opIf:
			if !s.eval(&o.t.cond) {
				pc = s.branch(ops, o.next) - 1
			}
		case opElseIf, opElse:
			pc = o.end
		case opLink:
			start := len(s.scratch)
			s.scratch = s.run(s.scratch, o.sub)
			u := string(s.scratch[start:])
			s.scratch = s.scratch[:start]
			if s.o.RewriteLink != nil {
				u = s.o.RewriteLink(s.t.links[o.link], u)
			}
			b = appendCtx(b, u, o.ctx)
		case opImage:
			start := len(s.scratch)
			s.scratch = s.run(s.scratch, o.sub)
			if s.o.RewriteImage != nil {
				b = appendCtx(b, s.o.RewriteImage(string(s.scratch[start:])), o.ctx)
			} else {
				b = appendHTML(b, string(s.scratch[start:]))
			}
			s.scratch = s.scratch[:start]
		case opWrapStart:
			s.wraps = append(s.wraps, len(b))
		case opWrapEnd:
			start := s.wraps[len(s.wraps)-1]
			s.wraps = s.wraps[:len(s.wraps)-1]
			s.scratch = append(s.scratch[:0], b[start:]...)
			b = wrap(b[:start], s.scratch, o.s, o.s2, 72)
			s.scratch = s.scratch[:0]
		case opUnderline:
			ls := 0
			for i := len(b) - 1; i >= 0; i-- {
				if b[i] == '\n' {
					ls = i + 1
					break
				}
			}
			n := utf8.RuneCount(b[ls:]) - utf8.RuneCountInString(o.s2)
			b = append(b, '\n')
			b = append(b, o.s2...)
			for range max(n, 3) {
				b = append(b, o.s...)
			}
		case opContent:
			b = s.run(b, s.t.html)
		case opPreheader:
			b = appendHTML(b, s.pre)
		case opSubject:
			b = appendHTML(b, s.subject)
		case opLang:
			b = append(b, s.lang...)
		case opSystem:
			if s.o.SystemURL != nil {
				b = appendCtx(b, s.o.SystemURL(o.t.key, o.t.arg), o.ctx)
			}
		case opFooter:
			b = s.footer(b, o.ctx)
		case opPixel:
			if s.o.OpenPixelURL != "" {
				b = append(b, `<img src="`...)
				b = appendHTML(b, s.o.OpenPixelURL)
				b = append(b, `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;">`...)
			}
		}
	}
	return b
}

// footerTexts are the footer's link texts by language (others: English).
var footerTexts = map[string][2]string{
	"de": {"Profil und Einstellungen", "Abmelden"},
	"en": {"Profile and settings", "Unsubscribe"},
}

// footer writes the profile and unsubscribe links, or nothing without
// them (no listener configured).
func (s *state) footer(b []byte, c ectx) []byte {
	if s.o.SystemURL == nil {
		return b
	}
	profile, unsub := s.o.SystemURL(SystemProfile, ""), s.o.SystemURL(SystemUnsubscribe, "")
	if profile == "" && unsub == "" {
		return b
	}
	txt, ok := footerTexts[s.lang]
	if !ok {
		txt = footerTexts["en"]
	}
	links := [][2]string{{txt[0], profile}, {txt[1], unsub}}
	if c == ctxText {
		b = append(b, "\n\n----\n"...)
		for _, l := range links {
			if l[1] != "" {
				b = append(b, l[0]+": "+l[1]+"\n"...)
			}
		}
		return b
	}
	b = append(b, `<div class="footer" style="max-width:600px;margin:16px auto 0;padding:0 16px;font-size:12px;line-height:1.5;color:#6b7280;text-align:center;">`...)
	sep := ""
	for _, l := range links {
		if l[1] == "" {
			continue
		}
		b = append(b, sep...)
		b = append(b, `<a href="`...)
		b = appendHTML(b, l[1])
		b = append(b, `" style="color:#6b7280;" target="_blank">`...)
		b = appendHTML(b, l[0])
		b = append(b, "</a>"...)
		sep = " · "
	}
	return append(b, "</div>"...)
}

// branch evaluates the chain of else-if/else starting at ops[j] and returns
// where execution continues.
func (s *state) branch(ops []op, j int) int {
	for {
		o := &ops[j]
		switch o.kind {
		case opElseIf:
			if s.eval(&o.t.cond) {
				return j + 1
			}
			j = o.next
		default: // opElse, opEnd
			return j + 1
		}
	}
}

func (s *state) salutation(name string) string {
	for i := range s.nsal {
		if s.sal[i].name == name {
			return s.sal[i].val
		}
	}
	b := s.t.sal[s.lang+"/"+name]
	if b == nil {
		b = s.t.sal[s.t.lang+"/"+name]
	}
	if b == nil {
		for _, l := range []string{"de", "en"} {
			if b = s.t.sal[l+"/"+name]; b != nil {
				break
			}
		}
	}
	v := ""
	if b != nil {
		if i := b.match(s); i >= 0 {
			v = collapse(string(s.run(nil, b.rules[i].text)))
		}
	}
	if s.nsal < len(s.sal) {
		s.sal[s.nsal].name, s.sal[s.nsal].val = name, v
		s.nsal++
	}
	return v
}

func (s *state) filter(v string, t *tag) string {
	for i := range t.filters {
		f := &t.filters[i]
		switch f.name {
		case "default":
			if v == "" {
				v = f.arg
			}
		case "prefix":
			if v != "" {
				v = f.arg + v
			}
		case "suffix":
			if v != "" {
				v = v + f.arg
			}
		case "trim":
			v = strings.TrimSpace(v)
		case "capitalize":
			if r, n := utf8.DecodeRuneInString(v); n > 0 && !unicode.IsUpper(r) && unicode.ToUpper(r) != r {
				v = string(unicode.ToUpper(r)) + v[n:]
			}
		case "upper":
			v = strings.ToUpper(v)
		case "lower":
			v = strings.ToLower(v)
		case "date":
			v = formatDate(v, f.arg, s.lang)
		case "number":
			v = formatNumber(v, f.n, s.lang)
		case "required":
			if strings.TrimSpace(v) == "" && s.skip == nil {
				key := t.key
				if t.kind == tagSalutation {
					key = "salutation"
				}
				s.skip = &SkipError{Key: key, Reason: "the required value " + strconv.Quote(key) + " is empty"}
			}
		}
	}
	return v
}

func (s *state) eval(c *cond) bool {
	switch c.Op {
	case resonanz.BlockInGroup:
		return s.o.InGroup != nil && s.o.InGroup(c.Value)
	case resonanz.BlockNotInGroup:
		return s.o.InGroup == nil || !s.o.InGroup(c.Value)
	}
	v := strings.TrimSpace(s.raw(c.Key))
	switch c.Op {
	case resonanz.BlockEmpty:
		return v == ""
	case resonanz.BlockNotEmpty:
		return v != ""
	case resonanz.BlockEquals:
		return strings.EqualFold(v, c.Value)
	case resonanz.BlockNotEquals:
		return !strings.EqualFold(v, c.Value)
	case resonanz.BlockContains:
		return strings.Contains(strings.ToLower(v), strings.ToLower(c.Value))
	case resonanz.BlockBefore:
		return isDate(v) && v < c.Value
	case resonanz.BlockAfter:
		return isDate(v) && v > c.Value
	case resonanz.BlockGreater, resonanz.BlockLess:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) {
			return false
		}
		if c.Op == resonanz.BlockGreater {
			return n > c.num
		}
		return n < c.num
	}
	return false
}

func isDate(v string) bool {
	return len(v) == 10 && v[4] == '-' && v[7] == '-'
}

var (
	monthsDE = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	shortDE  = [...]string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."}
)

// formatDate formats a canonical date (YYYY-MM-DD); anything else is
// returned unchanged.
func formatDate(v, format, lang string) string {
	if !isDate(v) {
		return v
	}
	y, e1 := strconv.Atoi(v[:4])
	m, e2 := strconv.Atoi(v[5:7])
	d, e3 := strconv.Atoi(v[8:])
	if e1 != nil || e2 != nil || e3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return v
	}
	ys, ds := strconv.Itoa(y), strconv.Itoa(d)
	if lang == "en" {
		switch format {
		case "short":
			return v[8:] + "/" + v[5:7] + "/" + ys
		case "medium":
			return ds + " " + monthsEN[m-1][:3] + " " + ys
		case "long":
			return ds + " " + monthsEN[m-1] + " " + ys
		}
		return v
	}
	switch format {
	case "short":
		return v[8:] + "." + v[5:7] + "." + ys
	case "medium":
		return ds + ". " + shortDE[m-1] + " " + ys
	case "long":
		return ds + ". " + monthsDE[m-1] + " " + ys
	}
	return v
}

// formatNumber formats a canonical number with decimals (-1: as stored)
// and the separators of lang; anything else is returned unchanged.
func formatNumber(v string, decimals int, lang string) string {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) >= 1e15 {
		return v
	}
	return resonanz.FormatDecimal(lang, strconv.FormatFloat(n, 'f', decimals, 64))
}

// collapse trims s and reduces runs of spaces to one (subjects, preheaders
// and salutations, where an empty value must not leave a double space).
func collapse(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	sp := false
	for _, r := range s {
		if r == ' ' {
			if sp {
				continue
			}
			sp = true
		} else {
			sp = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wrap appends the paragraph p to b, wrapped at width runes, the first line
// prefixed with first and the others with rest; '\v' is a hard break.
func wrap(b, p []byte, first, rest string, width int) []byte {
	b = append(b, first...)
	col := utf8.RuneCountInString(first)
	restCol := utf8.RuneCountInString(rest)
	lineStart := true
	for i := 0; i < len(p); {
		switch p[i] {
		case ' ', '\n':
			i++
			continue
		case '\v':
			b = append(b, '\n')
			b = append(b, rest...)
			col = restCol
			lineStart = true
			i++
			continue
		}
		j, n := i, 0
		for j < len(p) {
			c := p[j]
			if c == ' ' || c == '\n' || c == '\v' {
				break
			}
			if c&0xC0 != 0x80 { // count runes, not continuation bytes
				n++
			}
			j++
		}
		if !lineStart && col+1+n > width {
			b = append(b, '\n')
			b = append(b, rest...)
			col = restCol
			lineStart = true
		}
		if !lineStart {
			b = append(b, ' ')
			col++
		}
		b = append(b, p[i:j]...)
		col += n
		lineStart = false
		i = j
	}
	return b
}

// tidyText removes trailing spaces, collapses blank lines (also those of
// only quote markers) to one and trims the text part.
func tidyText(b []byte) string {
	out := make([]byte, 0, len(b))
	blank := false
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		line := b[:i]
		if i < len(b) {
			b = b[i+1:]
		} else {
			b = b[i:]
		}
		for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
			line = line[:len(line)-1]
		}
		empty := true
		for _, c := range line {
			if c != '>' && c != ' ' {
				empty = false
				break
			}
		}
		if empty {
			blank = len(out) > 0
			continue
		}
		if len(out) > 0 {
			out = append(out, '\n')
			if blank {
				out = append(out, '\n')
			}
		}
		blank = false
		out = append(out, line...)
	}
	if len(out) > 0 {
		out = append(out, '\n')
	}
	return string(out)
}

// Message assembles the outgoing message for a rendered result; MIME
// encoding is the writer's job (backend/smtp).
func (res Result) Message(from resonanz.SenderIdentity, r *resonanz.Recipient) *resonanz.Message {
	return &resonanz.Message{
		From:      from,
		To:        r.Email,
		ToName:    collapse(neutralize(r.FirstName + " " + r.LastName)),
		Subject:   res.Subject,
		Preheader: res.Preheader,
		HTML:      res.HTML,
		Text:      res.Text,
	}
}
