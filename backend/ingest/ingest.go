// Package ingest decodes provider reaction logs (webhook bodies, events-API
// pages, Firehose files, CSV exports) into normalized resonanz.ProviderEvent
// values. It is pure decoding: it reads a stream once, in constant memory,
// and knows nothing about the store; deduplication against stored events,
// recipient matching and the consent gate belong to the importer built on top.
//
// A Decoder yields one event at a time. A malformed event is reported as a
// *resonanz.RowError naming its line (NDJSON, CSV) or its 1-based index (JSON
// arrays, form bodies) and the offending field; Next then goes on with the
// next event. Any other error means the stream cannot be read further.
package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Auto is the provider name that asks NewDecoder to detect the format.
const Auto = "auto"

// Source kinds (resonanz.ProviderEvent.SourceKind).
const (
	SourceWebhook   = "webhook"
	SourceEventsAPI = "events_api"
	SourceFirehose  = "firehose"
	SourceSNS       = "sns"
	SourceCSV       = "csv"
	SourceAPIReport = "api_report"
)

// Limits applied when Options leave them zero.
const (
	DefaultMaxEventBytes = 1 << 20 // one event, one NDJSON line
	DefaultMaxDepth      = 64      // JSON nesting inside one event
	DefaultLinkParam     = "utm_content"
)

// Providers lists the provider names NewDecoder accepts (besides Auto).
var Providers = []string{
	resonanz.ProviderMailgun, resonanz.ProviderSendGrid, resonanz.ProviderPostmark,
	resonanz.ProviderSES, resonanz.ProviderBrevo, resonanz.ProviderMailjet,
	resonanz.ProviderSparkPost, resonanz.ProviderMandrill, resonanz.ProviderMailchimp,
	resonanz.ProviderCSV,
}

// Options tune a Decoder. The zero value is ready to use.
type Options struct {
	// CampaignKey is the metadata key (custom variable, tag name) that
	// carries the campaign id. Empty means "campaign_id", then "campaign".
	// A value found there wins over the provider's native campaign field.
	CampaignKey string
	// LinkParam is the URL query parameter whose value names the link at
	// send time (e.g. utm_content=hero-banner-image); empty means utm_content.
	LinkParam string
	// CSV describes the generic CSV format; only used for provider "csv".
	CSV CSVOptions
	// MaxEventBytes caps one event (and one NDJSON line); 0 means 1 MiB.
	MaxEventBytes int
	// MaxDepth caps the JSON nesting of one event; 0 means 64.
	MaxDepth int
}

func (o Options) withDefaults() Options {
	if o.MaxEventBytes <= 0 {
		o.MaxEventBytes = DefaultMaxEventBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.LinkParam == "" {
		o.LinkParam = DefaultLinkParam
	}
	return o
}

// campaignKeys returns the metadata keys to look the campaign id up under.
func (o *Options) campaignKeys() []string {
	if o.CampaignKey != "" {
		return []string{o.CampaignKey}
	}
	return []string{"campaign_id", "campaign"}
}

// unit is one raw event as cut out of the stream, before mapping.
type unit struct {
	raw  []byte
	line int
	elem bool  // line is an index into a JSON array
	err  error // non-nil: the unit is malformed for this reason
}

// source yields raw units; io.EOF ends it, other errors abort.
type source interface {
	next() (unit, error)
}

// mapper turns one raw event into zero or more normalized events.
type mapper func(m *mapping, raw []byte) error

// Decoder reads the events of one provider log. Create it with NewDecoder.
type Decoder struct {
	provider string
	kind     string
	opt      Options
	src      source
	csv      *csvSource
	m        mapping
	pending  []resonanz.ProviderEvent // events of the current unit
	pi       int                      // next index into pending
	done     bool
}

// NewDecoder returns a Decoder for the log in r, written by provider (one of
// Providers, or Auto to detect it from the first 64 KiB). When an explicit
// provider is given and the data clearly belongs to another one, NewDecoder
// refuses rather than mis-read it.
func NewDecoder(r io.Reader, provider string, opt Options) (*Decoder, error) {
	opt = opt.withDefaults()
	br := bufio.NewReaderSize(r, 64<<10)
	prefix, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("ingest: read: %w", err)
	}
	provider = strings.ToLower(strings.TrimSpace(provider))
	kind := ""
	switch {
	case provider == Auto || provider == "":
		p, k, err := Detect(prefix)
		if err != nil {
			return nil, err
		}
		provider, kind = p, k
	case !slices.Contains(Providers, provider):
		return nil, resonanz.E(resonanz.EINVALID, "error.reactions.unknownProviderOne", "Unknown provider \"{provider}\"; use one of {providers} or {auto}.", "provider", provider, "providers", strings.Join(Providers, ", "), "auto", Auto)
	default:
		if p, k, err := Detect(prefix); err == nil {
			if p != provider {
				return nil, resonanz.E(resonanz.EINVALID, "error.reactions.fileLooksLike", "The file looks like a {detected} log ({evidence}), not {provider}; choose the right provider or \"{auto}\".", "detected", p, "evidence", k, "provider", provider, "auto", Auto)
			}
			kind = k
		}
	}
	d := &Decoder{provider: provider, kind: kind, opt: opt}
	d.m = mapping{provider: provider, opt: &d.opt}
	if provider == resonanz.ProviderCSV {
		cs, err := newCSVSource(br, &d.opt)
		if err != nil {
			return nil, err
		}
		d.csv, d.kind = cs, SourceCSV
		return d, nil
	}
	d.m.fn = mappers[provider]
	src, err := newJSONSource(br, provider, &d.opt)
	if err != nil {
		return nil, err
	}
	d.src = src
	return d, nil
}

// Provider returns the provider the decoder reads (useful after Auto).
func (d *Decoder) Provider() string { return d.provider }

// SourceKind returns the detected source kind (webhook, events_api, sns,
// firehose, csv, api_report), or "" when it was not detected up front; each
// event carries its own.
func (d *Decoder) SourceKind() string { return d.kind }

// Next returns the next event. It returns io.EOF at the end, a
// *resonanz.RowError for one malformed event (call Next again to go on), and
// any other error when the stream cannot be read further.
func (d *Decoder) Next() (resonanz.ProviderEvent, error) {
	for {
		if d.pi < len(d.pending) {
			d.pi++
			return d.pending[d.pi-1], nil
		}
		if d.done {
			return resonanz.ProviderEvent{}, io.EOF
		}
		if d.csv != nil {
			ev, err := d.csv.next()
			if err == io.EOF {
				d.done = true
			}
			return ev, err
		}
		u, err := d.src.next()
		if err == io.EOF {
			d.done = true
			continue
		} else if err != nil {
			d.done = true
			return resonanz.ProviderEvent{}, err
		}
		if u.err != nil {
			return resonanz.ProviderEvent{}, rowError(u, u.err)
		}
		if r := bytes.TrimSpace(u.raw); len(r) == 0 {
			return resonanz.ProviderEvent{}, rowError(u, resonanz.E(resonanz.EINVALID, "error.reactions.row.empty", "the event is not a JSON object (found nothing)"))
		} else if r[0] != '{' {
			return resonanz.ProviderEvent{}, rowError(u, resonanz.E(resonanz.EINVALID, "error.reactions.row.notObjectFound", "the event is not a JSON object (found a JSON {found})", "found", kindOf(r)))
		}
		d.m.reset(u)
		if err := d.m.fn(&d.m, u.raw); err != nil {
			return resonanz.ProviderEvent{}, rowError(u, err)
		}
		d.pending, d.pi = d.m.out, 0
	}
}
