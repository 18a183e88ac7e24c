package ingest

import (
	"context"
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
