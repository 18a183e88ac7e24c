package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Keys is what the desk gives the relay after pairing: its HPKE public key
// (events are sealed to it) and the listener's token secret (the relay
// verifies the same tokens as the desk's listener).
type Keys struct {
	DeskPublicKey  []byte `json:"deskPublicKey"`
	ListenerSecret []byte `json:"listenerSecret"`
}

// Publication is one part of what the desk publishes. Rows are upserted
// with Generation; the Final part of a generation deletes every row of an
// older one, so a publication replaces the previous one as a whole.
type Publication struct {
	Generation int64 `json:"generation"`
	Final      bool  `json:"final"`
	// CollectedThrough is the last event sequence the desk had applied
	// when it read what it publishes: a profile the relay changed after
	// that is kept (the desk has not seen the change yet).
	CollectedThrough int64            `json:"collectedThrough"`
	Lists            []PubList        `json:"lists,omitempty"`
	Links            []PubLink        `json:"links,omitempty"`
	MailingLists     []PubMailingList `json:"mailingLists,omitempty"`
	Surveys          []resonanz.Survey
	Profiles         []PubProfile `json:"profiles,omitempty"`
	// OptIns are the pending double opt-ins (token hashes only).
	OptIns []resonanz.PendingOptIn `json:"optIns,omitempty"`
	// Addresses are the address entries (SealAddress).
	Addresses []PubAddress `json:"addresses,omitempty"`
	// Secrets, in the first part only, go to the relay's secret store,
	// never into its data directory: the mail settings the relay sends its
	// own confirmation and profile-link mails with, and the address key.
	Secrets *PubSecrets `json:"secrets,omitempty"`
	// Branding is the business's name, colours and logo for the pages
	// (public, not sealed: the pages show it to anyone); nil leaves the
	// relay's as it is.
	Branding *PubBranding `json:"branding,omitempty"`
}

// PubAddress is one address entry.
type PubAddress struct {
	Lookup []byte `json:"lookup"`
	Sealed []byte `json:"sealed"`
}

// PubSecrets are what the relay keeps in its secret store.
type PubSecrets struct {
	// Mail is nil when the desk has no mail server set up: the relay then
	// sends nothing and the desk mails confirmations at its next sync.
	Mail       *MailSettings `json:"mail,omitempty"`
	AddressKey []byte        `json:"addressKey"`
}

// MailSettings are the desk's mail server and sender identity, for the
// relay's own mails while the desk is off.
type MailSettings struct {
	SMTP     resonanz.SMTPSettings   `json:"smtp"`
	Password string                  `json:"password"`
	Sender   resonanz.SenderIdentity `json:"sender"`
}

// PubBranding is the published branding and its logo (Logo.Data empty: no
// logo).
type PubBranding struct {
	Branding resonanz.Branding `json:"branding"`
	Logo     resonanz.Logo     `json:"logo"`
}

// PubList is a list with its name and description (the signup form and
// the profile page's wording).
type PubList struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// PubLink is a mailing's link or tracked image.
type PubLink struct {
	MailingID int64  `json:"mailingId"`
	LinkID    int64  `json:"linkId"`
	URL       string `json:"url"`
	Kind      string `json:"kind"`
}

// PubMailingList says which lists a mailing went to (an unsubscribe from
// its link ends those memberships).
type PubMailingList struct {
	MailingID int64   `json:"mailingId"`
	ListIDs   []int64 `json:"listIds"`
}

// PubProfile is one person's profile, sealed (SealProfile) under the
// person secret, stored under Lookup(secret).
type PubProfile struct {
	Lookup      []byte `json:"lookup"`
	RecipientID int64  `json:"recipientId"`
	Sealed      []byte `json:"sealed"`
}

// SetKeys stores the desk's keys.
func (s *Store) SetKeys(ctx context.Context, k Keys) error {
	if len(k.DeskPublicKey) != 32 || len(k.ListenerSecret) < 32 {
		return resonanz.E(resonanz.EINVALID, "error.relay.relayKeysByte", "relay: keys: a 32-byte public key and a listener secret of at least 32 bytes are required")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := setMeta(ctx, tx, metaDeskPublic, k.DeskPublicKey); err != nil {
		return err
	}
	if err := setMeta(ctx, tx, metaListenerSecret, k.ListenerSecret); err != nil {
		return err
	}
	return tx.Commit()
}

// Publish stores one part of a publication in one transaction.
func (s *Store) Publish(ctx context.Context, p Publication) error {
	if p.Generation <= 0 {
		return resonanz.E(resonanz.EINVALID, "error.relay.relayPublicationWithout", "relay: publication without generation")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	g := p.Generation
	for _, l := range p.Lists {
		if _, err := tx.ExecContext(ctx, `INSERT INTO list (id, name, description, gen) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, gen = excluded.gen`,
			l.ID, l.Name, l.Description, g); err != nil {
			return err
		}
	}
	for _, l := range p.Links {
		if _, err := tx.ExecContext(ctx, `INSERT INTO link (mailing_id, link_id, url, kind, gen) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (mailing_id, link_id) DO UPDATE SET url = excluded.url, kind = excluded.kind, gen = excluded.gen`,
			l.MailingID, l.LinkID, l.URL, l.Kind, g); err != nil {
			return err
		}
	}
	for _, m := range p.MailingLists {
		for _, id := range m.ListIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mailing_list (mailing_id, list_id, gen) VALUES (?, ?, ?)
				ON CONFLICT (mailing_id, list_id) DO UPDATE SET gen = excluded.gen`, m.MailingID, id, g); err != nil {
				return err
			}
		}
	}
	for _, sv := range p.Surveys {
		body, err := json.Marshal(sv)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO survey (id, body, gen) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET body = excluded.body, gen = excluded.gen`, sv.ID, body, g); err != nil {
			return err
		}
	}
	for _, pr := range p.Profiles {
		if len(pr.Lookup) != 32 || pr.RecipientID <= 0 {
			return resonanz.E(resonanz.EINVALID, "error.relay.relayMalformedProfile", "relay: malformed profile")
		}
		// A person changed the profile on the relay after the desk read
		// it: keep the relay's version until the desk has the change.
		if _, err := tx.ExecContext(ctx, `INSERT INTO profile (lookup, recipient_id, sealed, gen) VALUES (?, ?, ?, ?)
			ON CONFLICT (lookup) DO UPDATE SET recipient_id = excluded.recipient_id,
			  sealed = CASE WHEN profile.changed_seq > ? THEN profile.sealed ELSE excluded.sealed END,
			  gen = excluded.gen`, pr.Lookup, pr.RecipientID, pr.Sealed, g, p.CollectedThrough); err != nil {
			return err
		}
	}
	for _, a := range p.Addresses {
		if len(a.Lookup) != 32 {
			return errors.New("relay: malformed address entry")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO address (lookup, sealed, gen) VALUES (?, ?, ?)
			ON CONFLICT (lookup) DO UPDATE SET sealed = excluded.sealed, gen = excluded.gen`, a.Lookup, a.Sealed, g); err != nil {
			return err
		}
	}
	for _, o := range p.OptIns {
		if _, err := tx.ExecContext(ctx, `INSERT INTO optin (token_hash, list_name, expires_at, gen) VALUES (?, ?, ?, ?)
			ON CONFLICT (token_hash) DO UPDATE SET list_name = excluded.list_name, expires_at = excluded.expires_at, gen = excluded.gen`,
			o.TokenHash, o.ListName, o.ExpiresAt.UnixMilli(), g); err != nil {
			return err
		}
	}
	if b := p.Branding; b != nil {
		if err := setBranding(ctx, tx, *b); err != nil {
			return err
		}
	}
	if p.Final {
		for _, t := range []string{"list", "link", "mailing_list", "survey", "optin", "address"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE gen < ?`, g); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM profile WHERE gen < ? AND changed_seq <= ?`, g, p.CollectedThrough); err != nil {
			return err
		}
		// What the desk has applied is in what it published.
		for _, t := range []string{"unsubscribed", "erased", "answered"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE seq <= ?`, p.CollectedThrough); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE profile SET changed_seq = 0 WHERE changed_seq <= ?`, p.CollectedThrough); err != nil {
			return err
		}
		// Requests the relay mailed itself that the desk has not seen yet
		// stay (gen relayGen) until they expire.
		if _, err := tx.ExecContext(ctx, `DELETE FROM optin WHERE expires_at < ?`, s.Now().UnixMilli()); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("relay: publish: %w", err)
	}
	return nil
}

func queryOne(ctx context.Context, db *sql.DB, q string, args []any, dest ...any) error {
	err := db.QueryRowContext(ctx, q, args...).Scan(dest...)
	if err == sql.ErrNoRows {
		return resonanz.E(resonanz.ENOTFOUND, "error.relay.notFound", "not found")
	}
	return err
}

const (
	metaBranding = "branding"
	metaLogo     = "logo"
)

// setBranding stores a published branding as the desk validated it; the
// pages check it again (a relay trusts the desk, not what is on its disk).
func setBranding(ctx context.Context, tx execer, b PubBranding) error {
	if b.Logo.Hash() != b.Branding.LogoHash {
		return &resonanz.Error{Code: resonanz.EINVALID, Key: "error.branding.logo.mismatch", Message: "The published logo does not match the branding."}
	}
	body, err := json.Marshal(b.Branding)
	if err != nil {
		return err
	}
	if err := setMeta(ctx, tx, metaBranding, body); err != nil {
		return err
	}
	logo, err := json.Marshal(b.Logo)
	if err != nil {
		return err
	}
	return setMeta(ctx, tx, metaLogo, logo)
}

// Branding returns the published branding (listener.Brands).
func (s *Store) Branding(ctx context.Context) (resonanz.Branding, error) {
	var b resonanz.Branding
	v, err := s.meta(ctx, metaBranding)
	if err != nil || v == nil {
		return b, err
	}
	return b, json.Unmarshal(v, &b)
}

// Logo returns the published logo (listener.Brands).
func (s *Store) Logo(ctx context.Context) (resonanz.Logo, error) {
	var l resonanz.Logo
	v, err := s.meta(ctx, metaLogo)
	if err == nil && v != nil {
		err = json.Unmarshal(v, &l)
	}
	if err == nil && len(l.Data) == 0 {
		err = resonanz.ErrNoLogo
	}
	return l, err
}
