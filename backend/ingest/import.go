package ingest

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// countingReader counts the bytes read through it (for progress).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// fileSource is a Decoder that reports how far it has read.
type fileSource struct {
	*Decoder
	counter *countingReader
	size    int64
}

func (s fileSource) BytesRead() int64 { return s.counter.n.Load() }
func (s fileSource) Size() int64      { return s.size }

// Import decodes the log in r (size bytes, 0 if unknown) from provider (or
// Auto) and stores it with imp: the one path the command line and the desk
// share. The detected provider is recorded in the result.
func Import(ctx context.Context, r io.Reader, size int64, provider string, opt Options, imp resonanz.ReactionImporter, ropt resonanz.ReactionImport, progress func(resonanz.ImportProgress)) (resonanz.ReactionImportResult, error) {
	counter := &countingReader{r: r}
	d, err := NewDecoder(counter, provider, opt)
	if err != nil {
		return resonanz.ReactionImportResult{Provider: provider, ByType: map[string]int{}, Errors: []resonanz.RowError{}}, err
	}
	ropt.Provider = d.Provider()
	return imp.ImportReactions(ctx, fileSource{Decoder: d, counter: counter, size: size}, ropt, progress)
}

// Preview reads the log in r without storing anything and says which
// provider campaigns it names and where their events will be filed: the
// mailing with that campaign id, or a new imported mailing.
func Preview(ctx context.Context, r io.Reader, provider string, opt Options, imp resonanz.ReactionImporter) (resonanz.ReactionPreview, error) {
	out := resonanz.ReactionPreview{Provider: provider, Campaigns: []resonanz.CampaignPreview{}}
	d, err := NewDecoder(r, provider, opt)
	if err != nil {
		return out, err
	}
	out.Provider = d.Provider()
	index := map[string]int{}
	for {
		if out.Events%1000 == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		ev, err := d.Next()
		var rowErr *resonanz.RowError
		switch {
		case errors.Is(err, io.EOF):
			ids := make([]string, len(out.Campaigns))
			for i, c := range out.Campaigns {
				ids[i] = c.ID
			}
			known, err := imp.CampaignMailings(ctx, ids)
			if err != nil {
				return out, err
			}
			for i, c := range out.Campaigns {
				if m, ok := known[c.ID]; ok {
					out.Campaigns[i].MailingID, out.Campaigns[i].MailingName = m.ID, m.Name
				}
			}
			return out, nil
		case errors.As(err, &rowErr):
			continue
		case err != nil:
			return out, err
		}
		out.Events++
		if ev.CampaignID == "" {
			out.WithoutCampaign++
			continue
		}
		i, ok := index[ev.CampaignID]
		if !ok {
			i = len(out.Campaigns)
			index[ev.CampaignID] = i
			out.Campaigns = append(out.Campaigns, resonanz.CampaignPreview{ID: ev.CampaignID})
		}
		out.Campaigns[i].Events++
	}
}
