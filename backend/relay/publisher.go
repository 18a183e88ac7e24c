package relay

import (
	"context"
	"encoding/json"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Source is what the desk publishes from: its own services.
type Source struct {
	Recipients resonanz.RecipientService
	Profiles   listener.Profiles // the profile page's view of a person
	Lists      resonanz.ListService
	Mailings   resonanz.MailingService
	Surveys    resonanz.SurveyService
	// OptIns lists the pending double opt-ins (may be nil).
	OptIns interface {
		PendingOptIns(ctx context.Context) ([]resonanz.PendingOptIn, error)
	}
	// PersonKey is the desk's key the person secrets derive from.
	PersonKey []byte
	// AddressKey is the desk's key of the address entries (≥ 32 bytes;
	// the relay keeps it in its secret store).
	AddressKey []byte
	// Mail returns the mail settings for the relay's own mails (nil: the
	// desk has no mail server set up); may be nil.
	Mail func(ctx context.Context) (*MailSettings, error)
	// Brands gives the branding the pages show (may be nil).
	Brands listener.Brands
}

// PublishResult counts what was published.
type PublishResult struct {
	Generation int64 `json:"generation"`
	Profiles   int   `json:"profiles"`
	Lists      int   `json:"lists"`
	Links      int   `json:"links"`
	Surveys    int   `json:"surveys"`
}

// profilesPerPart bounds one publish request.
const profilesPerPart = 2000

// PublishAll publishes everything as one generation: lists, mailings'
// links and lists, open surveys, then every person's profile sealed under
// their person secret. collectedThrough is the desk's cursor for the relay
// (collect first, then publish).
func PublishAll(ctx context.Context, c *Client, src Source, collectedThrough int64) (PublishResult, error) {
	res := PublishResult{Generation: time.Now().UnixNano()}
	head := Publication{Generation: res.Generation, CollectedThrough: collectedThrough}
	lists, err := src.Lists.Lists(ctx)
	if err != nil {
		return res, err
	}
	for _, l := range lists {
		head.Lists = append(head.Lists, PubList{ID: l.ID, Name: l.Name, Description: l.Description})
	}
	mailings, err := src.Mailings.Mailings(ctx)
	if err != nil {
		return res, err
	}
	for _, m := range mailings {
		links, err := src.Mailings.Links(ctx, m.ID)
		if err != nil {
			return res, err
		}
		for _, l := range links {
			head.Links = append(head.Links, PubLink{MailingID: m.ID, LinkID: l.ID, URL: l.URL, Kind: l.Kind})
		}
		if m.ListID != 0 {
			head.MailingLists = append(head.MailingLists, PubMailingList{MailingID: m.ID, ListIDs: []int64{m.ListID}})
		}
	}
	surveys, err := src.Surveys.Surveys(ctx)
	if err != nil {
		return res, err
	}
	for _, sum := range surveys {
		sv, err := src.Surveys.Survey(ctx, sum.ID)
		if err != nil {
			return res, err
		}
		if sv.Status == resonanz.SurveyOpen {
			head.Surveys = append(head.Surveys, sv)
		}
	}
	if src.OptIns != nil {
		if head.OptIns, err = src.OptIns.PendingOptIns(ctx); err != nil {
			return res, err
		}
	}
	head.Secrets = &PubSecrets{AddressKey: src.AddressKey}
	if src.Mail != nil {
		if head.Secrets.Mail, err = src.Mail(ctx); err != nil {
			return res, err
		}
	}
	if src.Brands != nil {
		b := PubBranding{}
		if b.Branding, err = src.Brands.Branding(ctx); err != nil {
			return res, err
		}
		if b.Logo, err = src.Brands.Logo(ctx); err != nil && resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			return res, err
		}
		b.Branding.LogoHash = b.Logo.Hash()
		head.Branding = &b
	}
	res.Lists, res.Links, res.Surveys = len(head.Lists), len(head.Links), len(head.Surveys)
	if err := c.Publish(ctx, head); err != nil {
		return res, err
	}
	part := Publication{Generation: res.Generation, CollectedThrough: collectedThrough}
	var after int64
	for {
		page, err := src.Recipients.FindRecipients(ctx, resonanz.RecipientFilter{AfterID: after, Limit: 1000})
		if err != nil {
			return res, err
		}
		for _, r := range page.Recipients {
			after = r.ID
			v, err := src.Profiles.Profile(ctx, r.ID)
			if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
				continue
			} else if err != nil {
				return res, err
			}
			pp, err := SealView(src.PersonKey, r.ID, v)
			if err != nil {
				return res, err
			}
			part.Profiles = append(part.Profiles, pp)
			res.Profiles++
			if _, key, err := resonanz.NormalizeEmail(r.Email); err == nil && len(src.AddressKey) > 0 {
				a, err := SealAddress(src.AddressKey, key, AddressEntry{RecipientID: r.ID, Secret: PersonSecret(src.PersonKey, r.ID)})
				if err != nil {
					return res, err
				}
				part.Addresses = append(part.Addresses, a)
			}
			if len(part.Profiles) >= profilesPerPart {
				if err := c.Publish(ctx, part); err != nil {
					return res, err
				}
				part.Profiles, part.Addresses = part.Profiles[:0], part.Addresses[:0]
			}
		}
		if len(page.Recipients) < 1000 {
			break
		}
	}
	part.Final = true
	return res, c.Publish(ctx, part)
}

// SealView seals a profile view for the relay under the person's secret.
func SealView(personKey []byte, recipientID int64, v listener.ProfileView) (PubProfile, error) {
	secret := PersonSecret(personKey, recipientID)
	plain, err := json.Marshal(v)
	if err != nil {
		return PubProfile{}, err
	}
	sealed, err := SealProfile(secret, recipientID, plain)
	return PubProfile{Lookup: Lookup(secret), RecipientID: recipientID, Sealed: sealed}, err
}
