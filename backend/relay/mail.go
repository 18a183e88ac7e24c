package relay

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// While the desk is off the relay mails double opt-in confirmations and
// profile links itself, through the mail server the desk published. The
// mail settings (with the password) and the address key live in the
// relay's secret store (the OS keyring, else owner-only files outside the
// data directory), never in its data directory.

// Names in the relay's secret store.
const (
	secretMail       = "relay.mail"
	secretAddressKey = "relay.address-key"
)

// Mailer is a resonanz.Mailer that can be closed (backend/smtp's).
type Mailer interface {
	resonanz.Mailer
	Close() error
}

// relayGen marks a pending opt-in the relay recorded itself: a publication
// that does not name it yet (the desk has not collected the signup) keeps
// it; it goes when it expires.
const relayGen = math.MaxInt64

// SetSecrets keeps what the desk published for the secret store.
func (s *Store) SetSecrets(ctx context.Context, p PubSecrets) error {
	if s.secrets == nil {
		return &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.relay.noSecretStore",
			Message: "The relay has no secret store (--secrets), so it cannot keep the mail settings; it sends no mail."}
	}
	var mail []byte
	if p.Mail != nil {
		var err error
		if mail, err = json.Marshal(p.Mail); err != nil {
			return err
		}
	}
	if err := s.secrets.SetSecret(ctx, secretMail, mail); err != nil {
		return fmt.Errorf("relay: keep the mail settings: %w", err)
	}
	if len(p.AddressKey) > 0 && len(p.AddressKey) < 32 {
		return errors.New("relay: the address key is too short")
	}
	if err := s.secrets.SetSecret(ctx, secretAddressKey, p.AddressKey); err != nil {
		return fmt.Errorf("relay: keep the address key: %w", err)
	}
	return nil
}

func (s *Store) secret(ctx context.Context, name string) []byte {
	if s.secrets == nil {
		return nil
	}
	b, err := s.secrets.Secret(ctx, name)
	if err != nil {
		return nil
	}
	return b
}

// mailSettings returns the published mail settings (nil: none).
func (s *Store) mailSettings(ctx context.Context) *MailSettings {
	b := s.secret(ctx, secretMail)
	if len(b) == 0 {
		return nil
	}
	var m MailSettings
	if json.Unmarshal(b, &m) != nil || m.SMTP.Host == "" || m.Sender.FromAddress == "" {
		return nil
	}
	return &m
}

// canMail reports whether the relay sends its own mails.
func (s *Store) canMail(ctx context.Context) bool {
	return s.mailer != nil && s.mailSettings(ctx) != nil
}

// byAddress opens the person behind an address typed into a form: their
// id and the profile (ENOTFOUND when the address is not published, the
// relay has no address key, or the person erased their data).
func (s *Store) byAddress(ctx context.Context, email string) (AddressEntry, listener.ProfileView, error) {
	key := s.secret(ctx, secretAddressKey)
	_, norm, err := resonanz.NormalizeEmail(email)
	if len(key) == 0 || err != nil {
		return AddressEntry{}, listener.ProfileView{}, notFound
	}
	lookup := AddressLookup(key, norm)
	var sealed []byte
	if err := queryOne(ctx, s.db, `SELECT sealed FROM address WHERE lookup = ?`, []any{lookup}, &sealed); err != nil {
		return AddressEntry{}, listener.ProfileView{}, err
	}
	e, err := openAddress(key, norm, lookup, sealed)
	if err != nil {
		return e, listener.ProfileView{}, notFound
	}
	v, _, err := s.profile(WithPersonSecret(ctx, e.Secret), e.RecipientID)
	return e, v, err
}

// ProfileRecipient finds the person by address for the profile login
// (listener.Signups): the listener mails them a profile link with their
// person secret. The answer to the visitor is the same either way.
func (s *Store) ProfileRecipient(ctx context.Context, email string) (listener.Addressee, error) {
	if !s.canMail(ctx) {
		return listener.Addressee{}, notFound
	}
	e, v, err := s.byAddress(ctx, email)
	if err != nil {
		return listener.Addressee{}, err
	}
	return listener.Addressee{RecipientID: e.RecipientID, Email: v.Email, Name: v.MailName, Language: v.Language,
		LinkKey: EncodeSecret(e.Secret)}, nil
}

// Signup records the sealed signup for the desk. When the relay mails
// itself, it makes the confirmation token (the desk records the request
// under it) and keeps the token's hash, so the link works at once; it
// mails no one the desk would not (suppressed, already confirmed on the
// list). Otherwise the desk mails the confirmation at its next sync. The
// answer is the same either way ("check your mail").
func (s *Store) Signup(ctx context.Context, in listener.Signup, c resonanz.WebClient) (listener.SignupResult, error) {
	var res listener.SignupResult
	if !s.canMail(ctx) {
		return res, s.event(ctx, EventSignup, Payload{Signup: &in, Client: c}, nil)
	}
	email, _, err := resonanz.NormalizeEmail(in.Email)
	if err != nil {
		return res, fmt.Errorf("relay: signup: %w", err) // the listener checked it
	}
	send := true
	if _, v, err := s.byAddress(ctx, email); err == nil {
		res.Language = v.Language
		send = !v.Suppressed
		for _, l := range v.Lists {
			if l.ListID == in.ListID && l.Confirmed && l.Subscribed {
				send = false
			}
		}
	} else if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		return res, err
	}
	if !send {
		return listener.SignupResult{}, s.event(ctx, EventSignup, Payload{Signup: &in, Client: c}, nil)
	}
	var listName string
	if err := queryOne(ctx, s.db, `SELECT name FROM list WHERE id = ?`, []any{in.ListID}, &listName); err != nil {
		return res, err
	}
	b := make([]byte, 32)
	rand.Read(b)
	in.Token = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(in.Token))
	now := s.Now().UTC()
	err = s.event(ctx, EventSignup, Payload{At: now, Signup: &in, Client: c}, func(tx *sql.Tx, seq int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO optin (token_hash, list_name, expires_at, gen) VALUES (?, ?, ?, ?)`,
			hex.EncodeToString(sum[:]), listName, now.Add(resonanz.OptInTTL).UnixMilli(), relayGen)
		return err
	})
	res.Token, res.Email = in.Token, email
	return res, err
}

// noticeMailer sends the listener's notices through the published mail
// server (listener.Mailer), like the desk's portal does.
type noticeMailer struct {
	st   *Store
	dial func(ctx context.Context, m MailSettings) (Mailer, error)
}

func (m noticeMailer) SendNotice(ctx context.Context, n listener.Notice) error {
	ms := m.st.mailSettings(ctx)
	if ms == nil {
		return errors.New("relay: no mail settings published")
	}
	mailer, err := m.dial(ctx, *ms)
	if err != nil {
		return err
	}
	defer mailer.Close()
	msg := &resonanz.Message{From: ms.Sender, To: n.To, ToName: n.ToName, Subject: n.Subject, HTML: n.HTML, Text: n.Text,
		Date: time.Now(), Headers: map[string]string{"Auto-Submitted": "auto-generated", "X-Resonanz-Notice": n.Kind}}
	per, err := mailer.Send(ctx, []*resonanz.Message{msg})
	if err == nil && len(per) == 1 {
		err = per[0]
	}
	if err != nil {
		return fmt.Errorf("relay: send %s mail: %w", n.Kind, err)
	}
	return nil
}
