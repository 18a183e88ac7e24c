package listener

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Forms without a token in their URL (the signup form is public, the profile
// login has no person yet) are protected against cross-site posts with a
// double-submit cookie: a random SameSite=Strict cookie, and a hidden field
// that is a MAC over it with a time stamp. A post from another site carries
// no cookie and only gets the form back, with nothing stored or sent.
const csrfCookie = "rz_csrf"

// formCSRF returns the hidden field value for the browser's cookie, setting
// a fresh cookie when there is none.
func (s *Server) formCSRF(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 22 && tokenChars(c.Value) {
		v = c.Value
	} else {
		b := make([]byte, 16)
		rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{
			Name: csrfCookie, Value: v, Path: s.prefix + "/", MaxAge: int(csrfTTL / time.Second),
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: strings.HasPrefix(s.urls.base, "https:"),
		})
	}
	return s.signer.csrf("cookie:"+v, s.cfg.Now())
}

// checkFormCSRF checks a post's hidden field against its cookie.
func (s *Server) checkFormCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 22 || !tokenChars(c.Value) {
		return false
	}
	return s.signer.checkCSRF("cookie:"+c.Value, r.PostForm.Get("csrf"), s.cfg.Now())
}

// addressKey turns a normalized e-mail address into a rate-limiter key. The
// limiter groups IPv6 keys by /64, so 64 bits of a SHA-256 decide: plenty
// for telling addresses apart.
func addressKey(email string) netip.Addr {
	sum := sha256.Sum256([]byte("mail:" + mailbox(email)))
	return netip.AddrFrom16([16]byte(sum[:16]))
}

// mailbox folds the addresses that reach one mailbox into one key: the
// sub-address after "+" goes, and on Gmail-style domains (which ignore dots
// in the local part) the dots go too. key is already lower case.
func mailbox(key string) string {
	at := strings.LastIndexByte(key, '@')
	if at <= 0 {
		return key
	}
	local, domain := key[:at], key[at+1:]
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	switch domain {
	case "gmail.com", "googlemail.com":
		local, domain = strings.ReplaceAll(local, ".", ""), "gmail.com"
	}
	return local + "@" + domain
}

// globalKey is the one bucket of the global mail budget.
var globalKey = netip.IPv6Unspecified()

// allowMail takes one mail from the address's, the client's and the global
// budget; false when any is spent (the answer stays the same, no mail).
func (s *Server) allowMail(r *http.Request, key string) bool {
	now := s.cfg.Now()
	return s.mailLimit.allow(addressKey(key), now) && s.mailClientLimit.allow(s.clientAddr(r), now) &&
		s.mailGlobalLimit.allow(globalKey, now)
}

// signupForm is the signup page's view model.
type signupForm struct {
	ListName, Description       string
	Email, FirstName, LastName  string
	NewsletterWording, NewsHash string
	Newsletter                  bool
	Consents                    []checkRow
}

func (s *Server) signupForm(t texts, l ListChoice, r *http.Request) *signupForm {
	w := t.wording(resonanz.PurposeNewsletter, l.Name)
	f := &signupForm{ListName: l.Name, Description: l.Description, NewsletterWording: w, NewsHash: resonanz.WordingHash(w)}
	if r.Method == http.MethodPost && r.PostForm != nil {
		// Shown again after an error: keep what the person typed and ticked
		// (nothing is ever ticked for them).
		p := r.PostForm
		f.Email, f.FirstName, f.LastName = clip(p.Get("email"), 254), clip(p.Get("first_name"), 200), clip(p.Get("last_name"), 200)
		f.Newsletter = p.Get("newsletter") == "1"
	}
	for _, c := range consentPurposes {
		w := t.wording(formPrefix+c.purpose, "")
		f.Consents = append(f.Consents, checkRow{Field: c.field, Wording: w, Hash: resonanz.WordingHash(w),
			Checked: r.Method == http.MethodPost && r.PostForm != nil && r.PostForm.Get(c.field) == "1"})
	}
	return f
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}

// serveForm is the public signup form of a list: GET shows it, POST records
// a pending double opt-in and mails the confirmation link. The answer to a
// valid post is always the same page, known address or not.
func (s *Server) serveForm(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := s.signer.VerifyKind(tok, KindForm, s.cfg.Now())
	if err != nil || s.deps.Signups == nil {
		s.notFound(w, r)
		return
	}
	t := s.lang(r, "")
	l, err := s.deps.Signups.FormList(r.Context(), c.ListID)
	if err != nil {
		if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			s.cfg.Log.Error("listener: signup form", "list", c.ListID, "err", err)
		}
		s.notFound(w, r)
		return
	}
	page := pageData{T: t, Page: "form", Title: strings.ReplaceAll(t["form_title"], "{list}", l.Name)}
	if r.Method != http.MethodPost {
		page.CSRF, page.Form = s.formCSRF(w, r), s.signupForm(t, l, r)
		s.render(w, http.StatusOK, page)
		return
	}
	if !s.parseForm(w, r, t) {
		return
	}
	again := func(status int, msg string) {
		page.CSRF, page.Form, page.Error = s.formCSRF(w, r), s.signupForm(t, l, r), msg
		if status == http.StatusOK {
			page.Error, page.Notice = "", msg
		}
		s.render(w, status, page)
	}
	if !s.checkFormCSRF(r) {
		if _, sent := r.PostForm["csrf"]; !sent {
			// Posted from a snippet on the sender's website: show the full
			// form with the wordings, prefilled, to be submitted here.
			again(http.StatusOK, t["form_check"])
		} else {
			again(http.StatusForbidden, t["csrf_text"])
		}
		return
	}
	p := r.PostForm
	email, key, err := resonanz.NormalizeEmail(p.Get("email"))
	if err != nil || !utf8.ValidString(p.Get("email")) {
		again(http.StatusUnprocessableEntity, t["form_email_invalid"])
		return
	}
	first, last := strings.TrimSpace(p.Get("first_name")), strings.TrimSpace(p.Get("last_name"))
	for _, x := range []string{first, last} {
		if !utf8.ValidString(x) || utf8.RuneCountInString(x) > 200 || strings.ContainsAny(x, "\r\n\x00") {
			again(http.StatusUnprocessableEntity, t["error_text"])
			return
		}
	}
	if p.Get("newsletter") != "1" {
		again(http.StatusUnprocessableEntity, t["form_required"])
		return
	}
	wording, ok := s.findWording(t, resonanz.PurposeNewsletter, l.Name, p.Get("newsletter_w"))
	if !ok {
		again(http.StatusConflict, t["stale"])
		return
	}
	su := Signup{ListID: l.ListID, Email: email, FirstName: first, LastName: last, Language: t["lang"], Wording: wording}
	for _, cp := range consentPurposes {
		if p.Get(cp.field) != "1" {
			continue
		}
		w, ok := s.findWording(t, formPrefix+cp.purpose, "", p.Get(cp.field+"_w"))
		if !ok {
			again(http.StatusConflict, t["stale"])
			return
		}
		su.Consents = append(su.Consents, resonanz.PendingConsent{Purpose: cp.purpose, Wording: w})
	}
	done := pageData{T: t, Title: t["form_done_title"], Text: t["form_done_text"]}
	if c.Test || !s.allowMail(r, key) {
		// Too many mails to this address already: the same answer, no mail.
		s.render(w, http.StatusOK, done)
		return
	}
	res, err := s.deps.Signups.Signup(r.Context(), su, s.webClient(r))
	if err != nil {
		if code := resonanz.ErrorCode(err); code == resonanz.EINVALID {
			again(http.StatusUnprocessableEntity, resonanz.ErrorMessage(err))
			return
		} else if code != resonanz.ECONFLICT {
			s.cfg.Log.Error("listener: signup", "list", l.ListID, "err", err)
			s.message(w, t, http.StatusInternalServerError, "error_title", "error_text")
			return
		}
	}
	if err == nil && res.Token != "" {
		lang := res.Language
		if lang != "de" && lang != "en" {
			lang = t["lang"]
		}
		// No name, neither in the greeting nor in To: anybody can type any
		// text into the form, and this mail goes to an unconfirmed address.
		n := ConfirmationNotice(lang, res.Email, "", l.Name, wording, s.urls.Confirm(res.Token), s.noticeBrand(r.Context()))
		n.RecipientID = res.RecipientID
		s.sendNotice(n)
	}
	s.render(w, http.StatusOK, done)
}

// serveConfirm is the link in the confirmation mail. GET only shows a
// button: mail scanners and link previews fetch links, and must not
// subscribe anyone. POST confirms.
func (s *Server) serveConfirm(w http.ResponseWriter, r *http.Request, tok string) {
	t := s.lang(r, "")
	if s.deps.Signups == nil {
		s.notFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		s.render(w, http.StatusOK, pageData{T: t, Page: "confirm", Title: t["confirm_title"], Text: t["confirm_text"],
			CSRF: s.signer.csrf(tok, s.cfg.Now())})
		return
	}
	if !s.parseForm(w, r, t) {
		return
	}
	if !s.signer.checkCSRF(tok, r.PostForm.Get("csrf"), s.cfg.Now()) {
		s.message(w, t, http.StatusForbidden, "csrf_title", "csrf_text")
		return
	}
	req, err := s.deps.Signups.Confirm(r.Context(), tok, s.webClient(r))
	switch resonanz.ErrorCode(err) {
	case "":
		s.render(w, http.StatusOK, pageData{T: t, Title: t["confirm_done_title"],
			Text: strings.ReplaceAll(t["confirm_done_text"], "{list}", req.ListName)})
	case resonanz.ENOTFOUND:
		s.notFound(w, r)
	case resonanz.EFORBIDDEN:
		s.message(w, t, http.StatusGone, "expired_title", "confirm_expired_text")
	default:
		s.cfg.Log.Error("listener: confirm opt-in", "err", err)
		s.message(w, t, http.StatusInternalServerError, "error_title", "error_text")
	}
}

// serveProfileLogin is /p/ without a token: people ask for a fresh profile
// link, which goes to their address if it is a recipient's. The answer is
// the same either way.
func (s *Server) serveProfileLogin(w http.ResponseWriter, r *http.Request) {
	t := s.lang(r, "")
	if s.deps.Signups == nil || s.deps.Profiles == nil {
		s.notFound(w, r)
		return
	}
	page := pageData{T: t, Page: "login", Title: t["login_title"], Text: t["login_text"]}
	if r.Method != http.MethodPost {
		page.CSRF = s.formCSRF(w, r)
		s.render(w, http.StatusOK, page)
		return
	}
	if !s.parseForm(w, r, t) {
		return
	}
	if !s.checkFormCSRF(r) {
		page.CSRF, page.Error = s.formCSRF(w, r), t["csrf_text"]
		s.render(w, http.StatusForbidden, page)
		return
	}
	email, key, err := resonanz.NormalizeEmail(r.PostForm.Get("email"))
	if err != nil {
		page.CSRF, page.Error = s.formCSRF(w, r), t["form_email_invalid"]
		s.render(w, http.StatusUnprocessableEntity, page)
		return
	}
	done := pageData{T: t, Title: t["login_done_title"], Text: t["login_done_text"]}
	if !s.allowMail(r, key) {
		s.render(w, http.StatusOK, done)
		return
	}
	a, err := s.deps.Signups.ProfileRecipient(r.Context(), email)
	switch {
	case err == nil:
		lang := a.Language
		if lang != "de" && lang != "en" {
			lang = t["lang"]
		}
		urls := s.urls
		if a.LinkKey != "" {
			urls = urls.WithPersonKey(func(int64) string { return a.LinkKey })
		}
		n := ProfileLinkNotice(lang, a.Email, a.Name, urls.Profile(0, a.RecipientID), s.noticeBrand(r.Context()))
		n.RecipientID = a.RecipientID
		s.sendNotice(n)
	case resonanz.ErrorCode(err) != resonanz.ENOTFOUND:
		s.cfg.Log.Error("listener: profile login", "err", err)
	}
	s.render(w, http.StatusOK, done)
}

// sendNotice mails n in the background, so that the answer does not wait for
// the mail server (nor tells by its timing whether a mail went out).
// Shutdown waits for these.
func (s *Server) sendNotice(n Notice) {
	if s.deps.Mailer == nil {
		s.cfg.Log.Warn("listener: no mailer configured; notice not sent", "kind", n.Kind, "recipient", n.RecipientID)
		return
	}
	s.mails.Add(1)
	go func() {
		defer s.mails.Done()
		s.mailSem <- struct{}{}
		defer func() { <-s.mailSem }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.deps.Mailer.SendNotice(ctx, n); err != nil {
			s.cfg.Log.Error("listener: sending notice", "kind", n.Kind, "recipient", n.RecipientID, "err", err)
			s.noticeErrors.Add(1)
			return
		}
		s.noticesSent.Add(1)
	}()
}

var noticeTmpl = template.Must(template.New("notice").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{{.Subject}}</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;color:#222;max-width:36rem;margin:1rem auto;padding:0 1rem">
<p>{{.Greeting}}</p>
{{range .Paras}}<p>{{.}}</p>
{{end}}<p><a href="{{.URL}}" style="display:inline-block;padding:.6rem 1.2rem;background:{{.Accent}};color:{{.OnAccent}};text-decoration:none;border-radius:4px">{{.Button}}</a></p>
{{with .Brand.Name}}<p>{{$.Signoff}}<br>{{.}}</p>
{{end}}<p style="font-size:.9rem;color:#555">{{.URLNote}}<br>{{.URL}}</p>
{{if .Wording}}<p style="font-size:.9rem;color:#555">{{.WordingNote}}<br>„{{.Wording}}“</p>{{end}}
<p style="font-size:.9rem;color:#555">{{.Ignore}}</p>
</body></html>
`))

type noticeData struct {
	Lang, Subject, Greeting, Button, URL, URLNote, Wording, WordingNote, Ignore string
	Paras                                                                       []string
	Brand                                                                       NoticeBrand
	Signoff, Accent, OnAccent                                                   string
}

// NoticeBrand is the business's branding in a notice: its name (in the
// text and the sign-off) and accent colour (the button). The logo stays
// out: a remote image would tell the listener when an unconfirmed address
// opens the mail, the very thing it may not record without consent.
type NoticeBrand struct {
	Name   string
	Accent string // #rrggbb or "" (default)
}

// BrandNotice returns the notice branding of b (none when b is invalid).
func BrandNotice(b resonanz.Branding) NoticeBrand {
	b = b.Normalize()
	if b.Validate() != nil {
		return NoticeBrand{}
	}
	return NoticeBrand{Name: b.Name, Accent: b.Accent}
}

func buildNotice(kind, to, name string, d noticeData) Notice {
	br := resonanz.Branding{Accent: d.Brand.Accent}
	if !resonanz.ValidColor(br.Accent) {
		br.Accent = ""
	}
	d.Accent, d.OnAccent = br.AccentOrDefault(), br.OnAccent()
	var html bytes.Buffer
	if err := noticeTmpl.Execute(&html, d); err != nil {
		panic(err) // constant template over strings: cannot fail
	}
	var text strings.Builder
	text.WriteString(d.Greeting + "\n\n")
	for _, p := range d.Paras {
		text.WriteString(p + "\n\n")
	}
	text.WriteString(d.URL + "\n\n")
	if d.Brand.Name != "" {
		text.WriteString(d.Signoff + "\n" + d.Brand.Name + "\n\n")
	}
	if d.Wording != "" {
		text.WriteString(d.WordingNote + "\n„" + d.Wording + "“\n\n")
	}
	text.WriteString(d.Ignore + "\n")
	return Notice{To: to, ToName: name, Language: d.Lang, Subject: d.Subject, Text: text.String(), HTML: html.String(), Kind: kind}
}

func greeting(t texts, name string) string {
	if strings.TrimSpace(name) == "" {
		return t["mail_hello"]
	}
	return strings.ReplaceAll(t["mail_hello_name"], "{name}", name)
}

// ConfirmationNotice is the double opt-in mail in lang ("de" or "en"): the
// confirmation link, the wording agreed to, nothing tracked. The desk uses
// it too, to send confirmation mails again.
func ConfirmationNotice(lang, to, name, listName, wording, confirmURL string, brand NoticeBrand) Notice {
	t := textsFor(lang)
	text := strings.ReplaceAll(t["mail_confirm_text"], "{list}", listName)
	if brand.Name != "" {
		text = strings.NewReplacer("{list}", listName, "{name}", brand.Name).Replace(t["mail_confirm_text_named"])
	}
	return buildNotice(NoticeConfirmation, to, name, noticeData{
		Lang: t["lang"], Subject: strings.ReplaceAll(t["mail_confirm_subject"], "{list}", listName), Greeting: greeting(t, name),
		Paras: []string{text}, Button: t["mail_confirm_button"],
		URL: confirmURL, URLNote: t["mail_url_note"], Wording: wording, WordingNote: t["mail_wording_note"], Ignore: t["mail_confirm_ignore"],
		Brand: brand, Signoff: t["mail_signoff"],
	})
}

// ProfileLinkNotice is the mail with a personal profile link.
func ProfileLinkNotice(lang, to, name, profileURL string, brand NoticeBrand) Notice {
	t := textsFor(lang)
	text := t["mail_profile_text"]
	if brand.Name != "" {
		text = strings.ReplaceAll(t["mail_profile_text_named"], "{name}", brand.Name)
	}
	return buildNotice(NoticeProfileLink, to, name, noticeData{
		Lang: t["lang"], Subject: t["mail_profile_subject"], Greeting: greeting(t, name),
		Paras: []string{text}, Button: t["mail_profile_button"],
		URL: profileURL, URLNote: t["mail_url_note"], Ignore: t["mail_profile_ignore"],
		Brand: brand, Signoff: t["mail_signoff"],
	})
}

// NewsletterWording is the default newsletter consent wording of a list in
// lang, as the signup form shows it.
func NewsletterWording(lang, listName string) string {
	return textsFor(lang).wording(resonanz.PurposeNewsletter, listName)
}

var defaultTexts = buildTexts(nil)

func textsFor(lang string) texts {
	if t, ok := defaultTexts[lang]; ok {
		return t
	}
	return defaultTexts["de"]
}
