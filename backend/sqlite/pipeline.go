package sqlite

import (
	"context"
	"strings"
)

// pipeline runs read in its own goroutine, one batch ahead of write, so on
// two cores decoding and validation overlap SQLite's work. read returns a
// batch and whether the source is exhausted (eof) or failed (err); write
// sees every batch, including the last one of a failed source (to count
// what it read), and the pipeline then returns the source's error.
// cancelled reports a run that ended early because of ctx (also when
// cancelling stopped the reader before the writer saw ctx.Err()).
func pipeline[B any](ctx context.Context, read func() (b B, eof bool, err error), write func(B) error) (cancelled bool, err error) {
	type item struct {
		b   B
		eof bool
		err error
	}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	items := make(chan item, 1)
	go func() {
		defer close(items)
		for {
			b, eof, err := read()
			select {
			case items <- item{b, eof, err}:
			case <-readCtx.Done():
				return
			}
			if eof || err != nil {
				return
			}
		}
	}()
	complete := false
	for it := range items {
		if ctx.Err() != nil {
			break
		}
		if err = write(it.b); err != nil {
			if ctx.Err() != nil {
				err = nil
			}
			break
		}
		if it.err != nil {
			err = it.err
			break
		}
		complete = it.eof
	}
	stopReading()
	for range items {
		// Wait for the reader to stop: the source is the caller's again once we return.
	}
	return !complete && err == nil, err
}

// placeholders returns "(?,?),(?,?)" for rows×cols parameters of a
// multi-row INSERT.
func placeholders(rows, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + "),"
	return strings.TrimSuffix(strings.Repeat(row, rows), ",")
}
