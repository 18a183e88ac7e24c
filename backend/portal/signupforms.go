package portal

import (
	"context"
	"fmt"
	"html"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// SignupForms returns every list's signup form URL and an embeddable HTML
// snippet (a plain form that posts the address; the listener shows the full
// form with the consent wordings before anything is stored). Without a
// public URL there are none.
func (s *Service) SignupForms(ctx context.Context) ([]resonanz.SignupForm, error) {
	var ls resonanz.ListenerSettings
	if _, err := s.svc.Settings.Value(ctx, resonanz.SettingListener, &ls); err != nil || ls.PublicURL == "" {
		return []resonanz.SignupForm{}, err
	}
	urls, err := s.svc.URLs(ctx)
	if err != nil {
		return nil, err
	}
	lists, err := s.svc.Lists.Lists(ctx)
	if err != nil {
		return nil, err
	}
	out := []resonanz.SignupForm{}
	for _, l := range lists {
		u := urls.Form(l.ID)
		snippet := fmt.Sprintf(`<form action="%s" method="post">
  <label>E-Mail <input type="email" name="email" required></label>
  <button type="submit">Newsletter „%s“ abonnieren</button>
</form>`, html.EscapeString(u), html.EscapeString(l.Name))
		out = append(out, resonanz.SignupForm{ListID: l.ID, ListName: l.Name, URL: u, Snippet: snippet})
	}
	return out, nil
}
