package listener

import (
	"context"
	"crypto/rand"
	"net/netip"
	"strings"
	"sync"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// KeyName names the listener's token key in the secret store.
const KeyName = "listener.key"

// Setup is the desk's listener set-up: its stored settings, its token key
// in the secret store and the one URL builder every mail, form and notice
// takes its links from. The composition root builds one over the store.
type Setup struct {
	// Settings holds resonanz.SettingListener.
	Settings resonanz.SettingsService
	// Secrets holds the token key (KeyName): outside the database, so a
	// copy or backup of resonanz.db does not carry it.
	Secrets resonanz.SecretStore
	// PersonLinks, when not nil, returns what profile and survey links
	// carry for a person (URLs.WithPersonKey): the desk paired with a
	// relay gives the person secret the relay opens the person's sealed
	// profile with; nil (and no error) when not paired.
	PersonLinks func(ctx context.Context) (func(recipientID int64) string, error)

	keyMu sync.Mutex // creating the key the first time
}

// Key returns the listener's HMAC key, creating 32 random bytes the first
// time.
func (s *Setup) Key(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	b, err := s.Secrets.Secret(ctx, KeyName)
	if err != nil {
		return nil, err
	}
	if len(b) >= MinSecretLength {
		return b, nil
	}
	b = make([]byte, 32)
	rand.Read(b)
	if err := s.Secrets.SetSecret(ctx, KeyName, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Load returns the stored listener settings with defaults (the address,
// an empty list of trusted proxies).
func (s *Setup) Load(ctx context.Context) (resonanz.ListenerSettings, error) {
	var ls resonanz.ListenerSettings
	if _, err := s.Settings.Value(ctx, resonanz.SettingListener, &ls); err != nil {
		return ls, err
	}
	if ls.Addr == "" {
		ls.Addr = resonanz.DefaultListenerAddr
	}
	if ls.TrustedProxies == nil {
		ls.TrustedProxies = []string{}
	}
	return ls, nil
}

// Save checks and stores the listener settings.
func (s *Setup) Save(ctx context.Context, ls resonanz.ListenerSettings) (resonanz.ListenerSettings, error) {
	if err := ls.Validate(); err != nil {
		return ls, err
	}
	if _, err := TrustedProxies(ls.TrustedProxies); err != nil {
		return ls, err
	}
	return ls, s.Settings.SetValue(ctx, resonanz.SettingListener, ls)
}

// TrustedProxies is ParseTrustedProxies with the user-facing error (field
// trustedProxies) for a bad entry.
func TrustedProxies(list []string) ([]netip.Prefix, error) {
	p, err := ParseTrustedProxies(list)
	if err != nil {
		return nil, resonanz.FieldError("trustedProxies", "error.listener.trustedProxies",
			strings.TrimPrefix(err.Error(), "listener: ")+".")
	}
	return p, nil
}

// URLs returns the URL builder for the configured public URL; ok is false
// (and err nil) when none is set: then mails carry no tracking.
func (s *Setup) URLs(ctx context.Context) (urls URLs, ok bool, err error) {
	var ls resonanz.ListenerSettings
	if _, err := s.Settings.Value(ctx, resonanz.SettingListener, &ls); err != nil {
		return urls, false, err
	}
	if ls.PublicURL == "" {
		return urls, false, nil
	}
	secret, err := s.Key(ctx)
	if err != nil {
		return urls, false, err
	}
	signer, err := NewSigner(secret)
	if err != nil {
		return urls, false, err
	}
	urls, err = NewURLs(ls.PublicURL, signer)
	if err != nil {
		return urls, false, resonanz.E(resonanz.EINVALID, "error.listener.config", "The listener cannot start: {reason}", "reason", err)
	}
	if s.PersonLinks != nil {
		key, err := s.PersonLinks(ctx)
		if err != nil {
			return urls, false, err
		}
		if key != nil {
			urls = urls.WithPersonKey(key)
		}
	}
	return urls, true, nil
}

// RequireURLs is URLs that fails when no public URL is set (a signup form
// or a confirmation link needs one).
func (s *Setup) RequireURLs(ctx context.Context) (URLs, error) {
	urls, ok, err := s.URLs(ctx)
	if err == nil && !ok {
		err = resonanz.FieldError("publicUrl", "error.listener.publicUrlMissing",
			"Set the listener's public URL first (Settings → Listener): the links in the mails point there.")
	}
	return urls, err
}
