package listener

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// pageCSS is the only style; the CSP allows exactly this text by hash, so
// pages need no nonce and no 'unsafe-inline'.
const pageCSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222;background:#fff}` +
	`h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}label{display:block;margin:.5rem 0}` +
	`input[type=text],input[type=email],select{width:100%;padding:.4rem;font:inherit;box-sizing:border-box}` +
	`.check{display:flex;gap:.5rem;align-items:flex-start}.check input{margin-top:.35rem}` +
	`button{font:inherit;padding:.5rem 1rem;margin:.5rem .5rem .5rem 0;cursor:pointer}` +
	`.note{background:#eef5ff;border-left:4px solid #3a7bd5;padding:.5rem 1rem}` +
	`.error{background:#fff0f0;border-left:4px solid #c0392b;padding:.5rem 1rem}` +
	`.muted{color:#555;font-size:.9rem}.danger{background:#c0392b;color:#fff;border:0}` +
	`.intro,legend{white-space:pre-line}fieldset{border:1px solid #ccc;border-radius:4px;margin:1rem 0;padding:.5rem 1rem}` +
	`legend{font-weight:600;padding:0 .25rem}fieldset.invalid{border-color:#c0392b}` +
	`textarea{width:100%;padding:.4rem;font:inherit;box-sizing:border-box}.rating{display:flex;gap:1rem;flex-wrap:wrap}` +
	`.brand{display:flex;align-items:center;gap:.75rem;margin:0 0 1rem}.brand img{max-height:64px;max-width:240px;height:auto}` +
	`.brand p{margin:0;font-weight:600;font-size:1.1rem}`

var (
	cssHash = func() string { h := sha256.Sum256([]byte(pageCSS)); return base64.StdEncoding.EncodeToString(h[:]) }()
	// cspPage is for the HTML pages; cspNone for everything else.
	cspPage = "default-src 'none'; style-src 'sha256-" + cssHash + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	cspNone = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.T.lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>{{.Title}}{{with .Brand}} – {{.}}{{end}}</title><style>{{.CSS}}</style></head><body>
{{if or .Brand .Logo}}<header class="brand">{{if .Logo}}<img src="{{.Logo}}" alt="{{if .Brand}}{{else}}{{.T.logo_alt}}{{end}}">{{end}}{{with .Brand}}<p>{{.}}</p>{{end}}</header>
{{end}}<h1>{{.Title}}</h1>
{{if .Preview}}<p class="note">{{.T.preview}}</p>{{end}}
{{if .Notice}}<p class="note" role="status">{{.Notice}}</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Text}}<p>{{.Text}}</p>{{end}}
{{if .Address}}<p class="muted">{{.T.unsub_address}} {{.Address}}</p>{{end}}
{{if eq .Page "unsubscribe"}}
<form method="post"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">{{.T.unsub_button}}</button></form>
{{else if eq .Page "confirm"}}
<form method="post"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">{{.T.confirm_button}}</button></form>
{{else if eq .Page "login"}}
<form method="post"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label>{{.T.email}}<input type="email" name="email" required maxlength="254" autocomplete="email"></label>
<button type="submit">{{.T.login_button}}</button></form>
{{else if eq .Page "form"}}{{with .Form}}
{{if .Description}}<p class="muted">{{.Description}}</p>{{end}}
<form method="post"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>{{$.T.email}} *<input type="email" name="email" value="{{.Email}}" required maxlength="254" autocomplete="email"></label>
<label>{{$.T.first_name}}<input type="text" name="first_name" value="{{.FirstName}}" maxlength="200" autocomplete="given-name"></label>
<label>{{$.T.last_name}}<input type="text" name="last_name" value="{{.LastName}}" maxlength="200" autocomplete="family-name"></label>
<label class="check"><input type="checkbox" name="newsletter" value="1" required{{if .Newsletter}} checked{{end}}><input type="hidden" name="newsletter_w" value="{{.NewsHash}}"><span>{{.NewsletterWording}} *</span></label>
<h2>{{$.T.form_consents_heading}}</h2><p class="muted">{{$.T.form_consents_note}}</p>
{{range .Consents}}<label class="check"><input type="checkbox" name="{{.Field}}" value="1"{{if .Checked}} checked{{end}}><input type="hidden" name="{{.Field}}_w" value="{{.Hash}}"><span>{{.Wording}}</span></label>
{{end}}<p class="muted">{{$.T.form_note}}</p>
<button type="submit">{{$.T.form_submit}}</button></form>
<p class="muted"><a href="../../p/">{{$.T.login_link}}</a></p>
{{end}}{{else if eq .Page "erase"}}
<form method="post"><input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="action" value="erase-confirm">
<button type="submit" class="danger">{{.T.erase_yes}}</button></form>
<form method="get"><button type="submit">{{.T.cancel}}</button></form>
{{else if eq .Page "profile"}}{{with .Profile}}
<form method="post"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="action" value="save">
<p><span class="muted">{{$.T.email}}</span><br>{{.Email}}</p>
<label>{{$.T.salutation}}<select name="gender">{{range .Genders}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>{{$.T.title}}<input type="text" name="title" value="{{.Title}}" maxlength="100" autocomplete="honorific-prefix"></label>
<label>{{$.T.first_name}}<input type="text" name="first_name" value="{{.FirstName}}" maxlength="200" autocomplete="given-name"></label>
<label>{{$.T.last_name}}<input type="text" name="last_name" value="{{.LastName}}" maxlength="200" autocomplete="family-name"></label>
<label>{{$.T.language}}<select name="language">{{range .Languages}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<h2>{{$.T.lists_heading}}</h2>
{{range .Lists}}<label class="check"><input type="checkbox" name="{{.Field}}" value="1"{{if .Checked}} checked{{end}}><input type="hidden" name="{{.Field}}_w" value="{{.Hash}}"><span>{{.Wording}}{{if .Description}}<br><span class="muted">{{.Description}}</span>{{end}}</span></label>
{{else}}<p class="muted">{{$.T.lists_none}}</p>{{end}}
<h2>{{$.T.consents_heading}}</h2><p class="muted">{{$.T.consents_note}}</p>
{{range .Consents}}<label class="check"><input type="checkbox" name="{{.Field}}" value="1"{{if .Checked}} checked{{end}}><input type="hidden" name="{{.Field}}_w" value="{{.Hash}}"><span>{{.Wording}}</span></label>
{{end}}<button type="submit">{{$.T.save}}</button></form>
<h2>{{$.T.export_heading}}</h2><p>{{$.T.export_text}}</p>
<form method="post"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="action" value="export"><button type="submit">{{$.T.export_button}}</button></form>
<h2>{{$.T.erase_heading}}</h2><p>{{$.T.erase_text}}</p>
<form method="post"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="action" value="erase"><button type="submit">{{$.T.erase_button}}</button></form>
{{end}}{{else if eq .Page "survey"}}{{with .Survey}}
{{if .Intro}}<p class="intro">{{.Intro}}</p>{{end}}
<form method="post"><input type="hidden" name="csrf" value="{{$.CSRF}}">
{{range .Questions}}{{$f := .Field}}<fieldset{{if .Error}} class="invalid"{{end}}><legend>{{.Text}}{{if .Required}} <span class="muted">({{$.T.survey_required_mark}})</span>{{end}}</legend>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if eq .Type "text"}}<textarea name="{{.Field}}" rows="4" maxlength="2000" aria-label="{{.Text}}">{{.Value}}</textarea>
{{else if eq .Type "rating"}}<div class="rating"><span class="muted">{{$.T.survey_low}}</span>{{range .Options}}<label class="check"><input type="radio" name="{{$f}}" value="{{.Value}}"{{if .Checked}} checked{{end}}><span>{{.Label}}</span></label>{{end}}<span class="muted">{{$.T.survey_high}}</span></div>
{{else}}{{range .Options}}<label class="check"><input type="{{.Input}}" name="{{$f}}" value="{{.Value}}"{{if .Checked}} checked{{end}}><span>{{.Label}}</span></label>
{{end}}{{end}}</fieldset>
{{end}}{{with .Profile}}<label class="check"><input type="checkbox" name="{{.Field}}" value="1"{{if .Checked}} checked{{end}}><input type="hidden" name="{{.Field}}_w" value="{{.Hash}}"><span>{{.Wording}}</span></label>
{{end}}<button type="submit">{{$.T.survey_submit}}</button></form>
{{end}}{{end}}
</body></html>
`))

// pageData is what the page template gets. Every value is escaped by
// html/template; nothing is marked safe except the CSS, which is constant
// text and colours validated as #rrggbb.
type pageData struct {
	T       texts
	CSS     template.CSS
	Brand   string // the business's name, "" without branding
	Logo    string // the logo's URL path, "" without a logo
	Address string // the masked address (unsubscribe page)
	Page    string // "message", "unsubscribe", "erase", "profile", "survey", "form", "confirm", "login"
	Title   string
	Text    string
	Notice  string
	Error   string
	Preview bool
	CSRF    string
	Profile *profileForm
	Survey  *surveyForm
	Form    *signupForm
}

func (s *Server) lang(r *http.Request, recipient string) texts {
	return s.brandTexts(r.Context(), s.texts[pickLanguage(recipient, r.Header.Get("Accept-Language"), s.cfg.DefaultLanguage)])
}

func (s *Server) render(w http.ResponseWriter, status int, d pageData) {
	st := d.T.style()
	d.CSS = template.CSS(st.css)
	d.Brand, d.Logo = d.T[tBrandName], d.T[tBrandLogo]
	if d.Page == "" {
		d.Page = "message"
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		s.cfg.Log.Error("listener: rendering page", "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", st.csp)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message renders a page with a title and a text from t.
func (s *Server) message(w http.ResponseWriter, t texts, status int, titleKey, textKey string) {
	s.render(w, status, pageData{T: t, Title: t[titleKey], Text: t[textKey]})
}

// notFound is the neutral answer to anything invalid: it never says whether
// a token was forged, altered or of the wrong kind.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.message(w, s.lang(r, ""), http.StatusNotFound, "nf_title", "nf_text")
}

// parseForm reads a POST body of at most MaxBody bytes (urlencoded or
// multipart, as RFC 8058 allows both). It answers the request itself and
// returns false on failure.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request, t texts) bool {
	return s.parseFormMax(w, r, t, s.cfg.MaxBody)
}

// parseFormMax is parseForm with another body limit.
func (s *Server) parseFormMax(w http.ResponseWriter, r *http.Request, t texts, maxBody int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(maxBody)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.message(w, t, http.StatusRequestEntityTooLarge, "bad_request_title", "too_large")
		} else {
			s.message(w, t, http.StatusBadRequest, "bad_request_title", "error_text")
		}
		return false
	}
	return true
}

func (s *Server) serveUnsubscribe(w http.ResponseWriter, r *http.Request, tok string) {
	t := s.lang(r, "")
	c, err := s.signer.VerifyKind(tok, KindUnsubscribe, s.cfg.Now())
	if err != nil || s.deps.Subscriptions == nil {
		s.notFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		// GET never unsubscribes: link scanners and prefetchers follow links.
		text, addr := s.unsubscribeText(r.Context(), t, c, "unsub_text")
		s.render(w, http.StatusOK, pageData{
			T: t, Page: "unsubscribe", Title: t["unsub_title"], Text: text, Address: addr,
			Preview: c.Test, CSRF: s.signer.csrf(tok, s.cfg.Now()),
		})
		return
	}
	if !s.parseForm(w, r, t) {
		return
	}
	// RFC 8058 one-click: the mail client posts without cookies or page;
	// the signed token is the authorization.
	oneClick := r.PostForm.Get("List-Unsubscribe") == "One-Click"
	if !oneClick && !s.signer.checkCSRF(tok, r.PostForm.Get("csrf"), s.cfg.Now()) {
		s.message(w, t, http.StatusForbidden, "csrf_title", "csrf_text")
		return
	}
	if !c.Test {
		err := s.deps.Subscriptions.Unsubscribe(r.Context(), c.RecipientID, c.MailingID, oneClick, s.webClient(r))
		// An erased person is as unsubscribed as can be.
		if err != nil && resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			s.cfg.Log.Error("listener: unsubscribe", "recipient", c.RecipientID, "mailing", c.MailingID, "err", err)
			s.message(w, t, http.StatusInternalServerError, "error_title", "error_text")
			return
		}
	}
	text, addr := s.unsubscribeText(r.Context(), t, c, "unsub_done_text")
	s.render(w, http.StatusOK, pageData{T: t, Title: t["unsub_done_title"], Text: text, Address: addr, Preview: c.Test})
}

// unsubscribeText is the unsubscribe page's text (key, or key_list/
// key_lists naming the lists) and the masked address, when the
// subscriptions service can say them. A preview shows the sample list and
// address.
func (s *Server) unsubscribeText(ctx context.Context, t texts, c Claims, key string) (string, string) {
	var v UnsubscribeView
	if c.Test {
		v = UnsubscribeView{Email: t["sample_email"], Lists: []string{t["sample_list"]}}
	} else if uv, ok := s.deps.Subscriptions.(UnsubscribeViews); ok {
		var err error
		if v, err = uv.UnsubscribeView(ctx, c.RecipientID, c.MailingID); err != nil {
			if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
				s.cfg.Log.Error("listener: unsubscribe page", "recipient", c.RecipientID, "mailing", c.MailingID, "err", err)
			}
			v = UnsubscribeView{}
		}
	}
	text := t[key]
	switch {
	case len(v.Lists) == 1:
		text = strings.ReplaceAll(t[key+"_list"], "{lists}", t.quoteList(v.Lists))
	case len(v.Lists) > 1:
		text = strings.ReplaceAll(t[key+"_lists"], "{lists}", t.quoteList(v.Lists))
	}
	return text, MaskEmail(v.Email)
}
