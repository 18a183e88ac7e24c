package listener

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// profileForm is the profile page's view model.
type profileForm struct {
	Email, FirstName, LastName, Title string
	Genders, Languages                []option
	Lists, Consents                   []checkRow
}

type option struct {
	Value, Label string
	Selected     bool
}

// checkRow is a checkbox with the wording next to it; Hash identifies the
// wording version and comes back with the form.
type checkRow struct {
	Field, Wording, Hash, Description string
	Checked                           bool
}

func (s *Server) profileForm(t texts, v ProfileView) *profileForm {
	f := &profileForm{Email: v.Email, FirstName: v.FirstName, LastName: v.LastName, Title: v.Title}
	for _, g := range []struct {
		v resonanz.Gender
		k string
	}{{resonanz.GenderUnknown, "sal_none"}, {resonanz.GenderFemale, "sal_f"}, {resonanz.GenderMale, "sal_m"}, {resonanz.GenderDiverse, "sal_d"}} {
		f.Genders = append(f.Genders, option{Value: string(g.v), Label: t[g.k], Selected: v.Gender == g.v})
	}
	for _, l := range []string{"", "de", "en"} {
		key := "lang_none"
		if l != "" {
			key = "lang_" + l
		}
		f.Languages = append(f.Languages, option{Value: l, Label: t[key], Selected: v.Language == l})
	}
	for _, l := range v.Lists {
		w := t.wording(resonanz.PurposeNewsletter, l.Name)
		f.Lists = append(f.Lists, checkRow{
			Field: "list_" + strconv.FormatInt(l.ListID, 10), Wording: w, Hash: resonanz.WordingHash(w),
			Description: l.Description, Checked: l.Subscribed,
		})
	}
	for _, p := range consentPurposes {
		w := t.wording(p.purpose, "")
		f.Consents = append(f.Consents, checkRow{Field: p.field, Wording: w, Hash: resonanz.WordingHash(w), Checked: v.Consents[p.purpose]})
	}
	return f
}

func (s *Server) serveProfile(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := s.signer.VerifyKind(tok, KindProfile, s.cfg.Now())
	if errors.Is(err, ErrExpired) {
		s.message(w, s.lang(r, ""), http.StatusGone, "expired_title", "expired_text")
		return
	}
	if err != nil || s.deps.Profiles == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	if c.Test {
		// A test mail's or an export's link names a real recipient: show
		// sample data and refuse every action.
		s.servePreviewProfile(w, r, tok)
		return
	}
	v, err := s.deps.Profiles.Profile(ctx, c.RecipientID)
	if err != nil {
		if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
			s.notFound(w, r)
			return
		}
		s.cfg.Log.Error("listener: profile", "recipient", c.RecipientID, "err", err)
		s.message(w, s.lang(r, ""), http.StatusInternalServerError, "error_title", "error_text")
		return
	}
	t := s.lang(r, v.Language)
	page := pageData{T: t, Page: "profile", Title: t["profile_title"], Preview: c.Test, CSRF: s.signer.csrf(tok, s.cfg.Now())}
	if r.Method != http.MethodPost {
		page.Profile = s.profileForm(t, v)
		s.render(w, http.StatusOK, page)
		return
	}
	if !s.parseForm(w, r, t) {
		return
	}
	if !s.signer.checkCSRF(tok, r.PostForm.Get("csrf"), s.cfg.Now()) {
		s.message(w, t, http.StatusForbidden, "csrf_title", "csrf_text")
		return
	}
	client := s.webClient(r)
	switch r.PostForm.Get("action") {
	case "save":
		u, errText := s.profileUpdate(t, v, r)
		u.MailingID = c.MailingID
		if errText == "" && !c.Test {
			if err := s.deps.Profiles.UpdateProfile(ctx, c.RecipientID, u, client); err != nil {
				if resonanz.ErrorCode(err) == resonanz.EINTERNAL {
					s.cfg.Log.Error("listener: update profile", "recipient", c.RecipientID, "err", err)
				}
				errText = resonanz.ErrorMessage(err)
			}
		}
		if errText != "" {
			// Show what was submitted is not needed: re-render the stored state
			// with the error, so nothing half-saved is suggested.
			page.Error = errText
			page.Profile = s.profileForm(t, v)
			s.render(w, http.StatusUnprocessableEntity, page)
			return
		}
		if !c.Test {
			if nv, err := s.deps.Profiles.Profile(ctx, c.RecipientID); err == nil {
				v = nv
				t = s.lang(r, v.Language)
				page.T, page.Title = t, t["profile_title"]
			}
		}
		page.Notice = t["saved"]
		page.Profile = s.profileForm(t, v)
		s.render(w, http.StatusOK, page)
	case "export":
		data, err := s.deps.Profiles.Export(ctx, c.RecipientID)
		if err != nil {
			s.cfg.Log.Error("listener: export", "recipient", c.RecipientID, "err", err)
			s.message(w, t, http.StatusInternalServerError, "error_title", "error_text")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="personal-data.json"`)
		h.Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(data)
	case "erase":
		page.Page, page.Title, page.Text = "erase", t["erase_heading"], t["erase_confirm"]
		s.render(w, http.StatusOK, page)
	case "erase-confirm":
		if !c.Test {
			if err := s.deps.Profiles.RequestErasure(ctx, c.RecipientID, client); err != nil {
				s.cfg.Log.Error("listener: request erasure", "recipient", c.RecipientID, "err", err)
				s.message(w, t, http.StatusInternalServerError, "error_title", "error_text")
				return
			}
		}
		s.render(w, http.StatusOK, pageData{T: t, Title: t["erase_done_title"], Text: t["erase_done_text"], Preview: c.Test})
	default:
		s.message(w, t, http.StatusBadRequest, "bad_request_title", "error_text")
	}
}

// profileUpdate reads the submitted form against the stored view v. Only
// items that were shown (their wording hash came back) and whose state
// changed become changes; a hash that matches no current wording means the
// texts changed since the page was rendered, and nothing is saved.
func (s *Server) profileUpdate(t texts, v ProfileView, r *http.Request) (ProfileUpdate, string) {
	f := r.PostForm
	u := ProfileUpdate{
		FirstName: strings.TrimSpace(f.Get("first_name")),
		LastName:  strings.TrimSpace(f.Get("last_name")),
		Title:     strings.TrimSpace(f.Get("title")),
		Language:  f.Get("language"),
		Gender:    resonanz.Gender(f.Get("gender")),
	}
	for _, x := range []string{u.FirstName, u.LastName, u.Title} {
		if !utf8.ValidString(x) || utf8.RuneCountInString(x) > 200 || strings.ContainsAny(x, "\r\n\x00") {
			return u, t["error_text"]
		}
	}
	switch u.Gender {
	case resonanz.GenderUnknown, resonanz.GenderFemale, resonanz.GenderMale, resonanz.GenderDiverse:
	default:
		return u, t["error_text"]
	}
	switch u.Language {
	case "", "de", "en":
	default:
		return u, t["error_text"]
	}
	for _, l := range v.Lists {
		field := "list_" + strconv.FormatInt(l.ListID, 10)
		h, shown := f[field+"_w"]
		want := f.Get(field) == "1"
		if !shown || want == l.Subscribed {
			continue
		}
		w, ok := s.findWording(t, resonanz.PurposeNewsletter, l.Name, h[0])
		if !ok {
			return u, t["stale"]
		}
		u.Lists = append(u.Lists, ListChange{ListID: l.ListID, Subscribe: want, Wording: w})
	}
	for _, p := range consentPurposes {
		h, shown := f[p.field+"_w"]
		want := f.Get(p.field) == "1"
		if !shown || want == v.Consents[p.purpose] {
			continue
		}
		w, ok := s.findWording(t, p.purpose, "", h[0])
		if !ok {
			return u, t["stale"]
		}
		u.Consents = append(u.Consents, ConsentChange{Purpose: p.purpose, Granted: want, Wording: w})
	}
	return u, ""
}

// servePreviewProfile is the profile page of a test token: sample data in
// the visitor's language; saving, downloading and erasing are refused
// (showing the erasure question is harmless).
func (s *Server) servePreviewProfile(w http.ResponseWriter, r *http.Request, tok string) {
	t := s.lang(r, "")
	v := ProfileView{
		Email: t["sample_email"], FirstName: t["sample_first_name"], LastName: t["sample_last_name"],
		Lists: []ListChoice{{Name: t["sample_list"], Subscribed: true}},
	}
	page := pageData{T: t, Page: "profile", Title: t["profile_title"], Preview: true, CSRF: s.signer.csrf(tok, s.cfg.Now())}
	if r.Method != http.MethodPost {
		page.Profile = s.profileForm(t, v)
		s.render(w, http.StatusOK, page)
		return
	}
	if !s.parseForm(w, r, t) {
		return
	}
	if !s.signer.checkCSRF(tok, r.PostForm.Get("csrf"), s.cfg.Now()) {
		s.message(w, t, http.StatusForbidden, "csrf_title", "csrf_text")
		return
	}
	if r.PostForm.Get("action") == "erase" {
		page.Page, page.Title, page.Text = "erase", t["erase_heading"], t["erase_confirm"]
		s.render(w, http.StatusOK, page)
		return
	}
	s.message(w, t, http.StatusForbidden, "preview_title", "preview_refused")
}
