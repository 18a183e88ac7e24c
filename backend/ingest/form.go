package ingest

import (
	"bufio"
	"fmt"
	"io"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// isFormBody reports whether b starts like application/x-www-form-urlencoded
// data: a field name of letters, digits and _ followed by '='.
func isFormBody(b []byte) bool {
	for i, c := range b {
		switch {
		case c == '=':
			return i > 0
		case c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c):
		default:
			return false
		}
	}
	return false
}

// formField is the Mandrill webhook's form field holding the JSON array.
const formField = "mandrill_events"

// formSource reads Mandrill webhook bodies (one per line): it finds the
// mandrill_events field and percent-decodes its value while the JSON array
// in it is cut element by element, so a body is never held in memory whole.
type formSource struct {
	br    *bufio.Reader
	opt   *Options
	inner *docSource
	base  int // elements of earlier bodies, so indexes keep counting
	found bool
}

func newFormSource(br *bufio.Reader, opt *Options) *formSource {
	return &formSource{br: br, opt: opt}
}

func (f *formSource) next() (unit, error) {
	for {
		if f.inner != nil {
			u, err := f.inner.next()
			if err == nil {
				u.line += f.base
				return u, nil
			}
			if err != io.EOF {
				return unit{}, err
			}
			f.base += f.inner.index
			f.inner = nil
		}
		key, err := f.readKey()
		if err == io.EOF {
			if !f.found {
				return unit{}, resonanz.E(resonanz.EINVALID, "error.reactions.formBodyHas", "The form body has no {formField} field.", "formField", formField)
			}
			return unit{}, io.EOF
		} else if err != nil {
			return unit{}, err
		}
		if key != formField {
			if err := f.skipValue(); err != nil && err != io.EOF {
				return unit{}, err
			}
			continue
		}
		f.found = true
		pr := &pctReader{br: f.br}
		f.inner = &docSource{sc: newScanner(bufio.NewReaderSize(pr, 32<<10), f.opt)}
	}
}

// readKey reads a form key up to '=' (skipping separators); io.EOF at the end.
func (f *formSource) readKey() (string, error) {
	var key []byte
	for {
		c, err := f.br.ReadByte()
		if err == io.EOF {
			if len(key) > 0 {
				return string(key), nil
			}
			return "", io.EOF
		} else if err != nil {
			return "", fmt.Errorf("ingest: read form: %w", err)
		}
		switch c {
		case '=':
			return string(key), nil
		case '&', '\n', '\r':
			if len(key) > 0 { // a key without value
				return string(key), nil
			}
		default:
			if len(key) > 256 {
				return "", resonanz.E(resonanz.EINVALID, "error.reactions.formBodyHas2", "The form body has a field name longer than 256 bytes.")
			}
			key = append(key, c)
		}
	}
}

func (f *formSource) skipValue() error {
	for {
		c, err := f.br.ReadByte()
		if err != nil {
			return err
		}
		if c == '&' || c == '\n' {
			return nil
		}
	}
}

// pctReader percent-decodes one form value ('+' is a space) and ends at '&',
// a newline or the end of the input.
type pctReader struct {
	br   *bufio.Reader
	done bool
}

func (p *pctReader) Read(b []byte) (int, error) {
	if p.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) {
		c, err := p.br.ReadByte()
		if err == io.EOF {
			p.done = true
			break
		} else if err != nil {
			return n, err
		}
		switch c {
		case '&', '\n', '\r':
			p.done = true
			return n, nil
		case '+':
			c = ' '
		case '%':
			h, err := p.br.Peek(2)
			if err != nil || !isHex(h[0]) || !isHex(h[1]) {
				return n, resonanz.E(resonanz.EINVALID, "error.reactions.fieldHasInvalid", "The {formField} field has an invalid %-escape.", "formField", formField)
			}
			c = unhex(h[0])<<4 | unhex(h[1])
			_, _ = p.br.Discard(2)
		}
		b[n] = c
		n++
	}
	if n == 0 && p.done {
		return 0, io.EOF
	}
	return n, nil
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
