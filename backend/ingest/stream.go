package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// wrapperKeys names the array inside a top-level object that holds the
// events (events API pages, report responses).
var wrapperKeys = map[string]string{
	resonanz.ProviderMailgun:   "items",
	resonanz.ProviderSparkPost: "results",
	resonanz.ProviderMailchimp: "emails",
}

// newJSONSource picks the reader for the stream's shape: a JSON array (or
// several, concatenated) is cut element by element; a form body
// (mandrill_events=...) is percent-decoded on the fly and cut the same way;
// one JSON value per line is read line by line (NDJSON); anything else
// starting with '{' is one or more JSON documents, whose wrapper array is cut
// element by element.
func newJSONSource(br *bufio.Reader, provider string, opt *Options) (source, error) {
	prefix, _ := br.Peek(64 << 10)
	start := skipBOMAndSpace(prefix)
	rest := prefix[start:]
	if len(rest) == 0 {
		return nil, resonanz.E(resonanz.EINVALID, "error.reactions.logEmpty", "The {provider} log is empty.", "provider", provider)
	}
	if start > 0 {
		_, _ = br.Discard(start)
	}
	switch {
	case rest[0] == '[':
		return &docSource{sc: newScanner(br, opt), wrapper: wrapperKeys[provider], opt: opt}, nil
	case rest[0] == '{':
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 && len(prefix) < br.Size() {
			nl = len(rest) // the whole input is one line
		}
		if nl >= 0 && json.Valid(bytes.TrimSpace(rest[:nl])) {
			return &lineSource{br: br, opt: opt, wrapper: wrapperKeys[provider]}, nil
		}
		return &docSource{sc: newScanner(br, opt), wrapper: wrapperKeys[provider], opt: opt}, nil
	case provider == resonanz.ProviderMandrill && isFormBody(rest):
		return newFormSource(br, opt), nil
	}
	return nil, resonanz.E(resonanz.EINVALID, "error.reactions.logDoesStart", "The {provider} log does not start with JSON: it starts with {rest}.", "provider", provider, "rest", quotePrefix(rest))
}

func skipBOMAndSpace(b []byte) int {
	i := 0
	if bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		i = 3
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quotePrefix shows the first bytes of b in an error message.
func quotePrefix(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q…", b[:40])
	}
	return fmt.Sprintf("%q", b)
}

// scanner cuts complete JSON values out of a buffered stream without
// decoding them, tracking nesting with a counter (no recursion), so a
// nesting bomb or an oversize event costs neither stack nor memory.
type scanner struct {
	br     *bufio.Reader
	buf    []byte
	max    int
	depth  int
	offset int64 // bytes consumed
}

func newScanner(br *bufio.Reader, opt *Options) *scanner {
	return &scanner{br: br, max: opt.MaxEventBytes, depth: opt.MaxDepth}
}

// skipSpace skips whitespace and returns the next byte without consuming it.
func (s *scanner) skipSpace() (byte, error) {
	for {
		b, err := s.br.Peek(1)
		if err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, fmt.Errorf("ingest: read: %w", err)
		}
		if !isSpace(b[0]) {
			return b[0], nil
		}
		_, _ = s.br.Discard(1)
		s.offset++
	}
}

// expect consumes the byte c after optional whitespace.
func (s *scanner) expect(c byte, what string) error {
	b, err := s.skipSpace()
	if err == io.EOF {
		return resonanz.E(resonanz.EINVALID, "error.reactions.jsonEndsEarly", "The JSON ends early at byte {offset}: expected {what}.", "offset", s.offset, "what", what)
	} else if err != nil {
		return err
	}
	if b != c {
		return resonanz.E(resonanz.EINVALID, "error.reactions.invalidJsonByte", "Invalid JSON at byte {offset}: expected {what}, found \"{found}\".", "offset", s.offset, "what", what, "found", string(rune(b)))
	}
	_, _ = s.br.Discard(1)
	s.offset++
	return nil
}

// value reads one complete JSON value. The bytes are valid until the next
// call. A value deeper than the depth limit or larger than the size limit is
// consumed and reported in problem (the stream goes on); err is for a stream
// that cannot be read further (I/O error, unterminated value).
func (s *scanner) value() (val []byte, problem error, err error) {
	first, err := s.skipSpace()
	if err == io.EOF {
		return nil, nil, resonanz.E(resonanz.EINVALID, "error.reactions.jsonEndsEarly2", "The JSON ends early at byte {offset}: expected a value.", "offset", s.offset)
	} else if err != nil {
		return nil, nil, err
	}
	s.buf = s.buf[:0]
	startOff := s.offset
	depth, maxDepth := 0, 0
	inStr, esc, started := false, false, false
	scalar := first != '{' && first != '[' && first != '"'
	tooBig := false
	for {
		_, perr := s.br.Peek(1)
		if perr != nil {
			if perr == io.EOF {
				if scalar && started {
					break
				}
				return nil, nil, resonanz.E(resonanz.EINVALID, "error.reactions.jsonEndsInside", "The JSON ends inside a value that starts at byte {startOff}.", "startOff", startOff)
			}
			return nil, nil, fmt.Errorf("ingest: read: %w", perr)
		}
		n := s.br.Buffered()
		chunk, _ := s.br.Peek(n)
		i := 0
		end := false
		for ; i < len(chunk); i++ {
			c := chunk[i]
			if scalar {
				if isSpace(c) || c == ',' || c == ']' || c == '}' || c == ':' {
					end = true
					break
				}
				started = true
				continue
			}
			if inStr {
				if esc {
					esc = false
					continue
				}
				// Jump to the next quote or backslash (IndexByte is
				// vectorized; most of an event is strings).
				rest := chunk[i:]
				q := bytes.IndexByte(rest, '"')
				lim := len(rest)
				if q >= 0 {
					lim = q
				}
				if b := bytes.IndexByte(rest[:lim], '\\'); b >= 0 {
					i += b // the backslash; the next byte is escaped
					esc = true
					continue
				}
				if q < 0 {
					i = len(chunk) - 1 // the rest of the chunk is inside the string
					continue
				}
				i += q // the closing quote
				inStr = false
				if depth == 0 {
					i++
					end = true
					break
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
				if depth > maxDepth {
					maxDepth = depth
				}
			case '}', ']':
				depth--
				if depth <= 0 {
					i++
					end = true
				}
			}
			if end {
				break
			}
		}
		if !tooBig {
			if len(s.buf)+i > s.max {
				tooBig = true
				s.buf = s.buf[:0]
			} else {
				s.buf = append(s.buf, chunk[:i]...)
			}
		}
		_, _ = s.br.Discard(i)
		s.offset += int64(i)
		if end {
			break
		}
	}
	switch {
	case tooBig:
		return nil, resonanz.E(resonanz.EINVALID, "error.reactions.row.tooLargeAt", "the event is larger than {max} bytes (starts at byte {offset})", "max", s.max, "offset", startOff), nil
	case maxDepth > s.depth:
		return nil, tooDeep(maxDepth, s.depth), nil
	}
	return s.buf, nil, nil
}

// docSource reads JSON documents: top-level arrays of events, and objects
// that are either one event or a wrapper whose array holds the events.
type docSource struct {
	sc      *scanner
	wrapper string
	opt     *Options
	state   int // stTop, stArray, stObject
	inObj   bool
	first   bool // at the first element/key of the current container
	index   int
	obj     []byte // the top-level object rebuilt, when it is a single event
	objBig  bool
	wrapped bool
}

const (
	stTop = iota
	stArray
	stObject
)

func (d *docSource) next() (unit, error) {
	sc := d.sc
	for {
		switch d.state {
		case stTop:
			c, err := sc.skipSpace()
			if err != nil {
				return unit{}, err
			}
			switch c {
			case '[':
				_, _ = sc.br.Discard(1)
				sc.offset++
				d.state, d.inObj, d.first = stArray, false, true
			case '{':
				if d.wrapper == "" {
					v, problem, err := sc.value()
					if err != nil {
						return unit{}, err
					}
					d.index++
					return unit{raw: v, line: d.index, err: problem}, nil
				}
				_, _ = sc.br.Discard(1)
				sc.offset++
				d.state, d.first, d.wrapped, d.objBig = stObject, true, false, false
				d.obj = append(d.obj[:0], '{')
			default:
				return unit{}, resonanz.E(resonanz.EINVALID, "error.reactions.invalidJsonByte2", "Invalid JSON at byte {offset}: expected an object or an array, found \"{value}\".", "offset", sc.offset, "value", c)
			}
		case stArray:
			c, err := sc.skipSpace()
			if err == io.EOF {
				return unit{}, resonanz.E(resonanz.EINVALID, "error.reactions.jsonArrayEnds", "The JSON array ends early after element {index} (byte {offset}).", "index", d.index, "offset", sc.offset)
			} else if err != nil {
				return unit{}, err
			}
			if c == ']' {
				_, _ = sc.br.Discard(1)
				sc.offset++
				if d.inObj {
					d.state, d.first = stObject, false
				} else {
					d.state = stTop
				}
				continue
			}
			if !d.first {
				if c != ',' {
					return unit{}, resonanz.E(resonanz.EINVALID, "error.reactions.invalidJsonAfter", "Invalid JSON after array element {index} (byte {offset}): expected , or ], found \"{value}\".", "index", d.index, "offset", sc.offset, "value", c)
				}
				_, _ = sc.br.Discard(1)
				sc.offset++
			}
			d.first = false
			v, problem, err := sc.value()
			if err != nil {
				return unit{}, err
			}
			d.index++
			return unit{raw: v, line: d.index, elem: true, err: problem}, nil
		case stObject:
			c, err := sc.skipSpace()
			if err == io.EOF {
				return unit{}, resonanz.E(resonanz.EINVALID, "error.reactions.jsonObjectEnds", "The JSON object ends early (byte {offset}).", "offset", sc.offset)
			} else if err != nil {
				return unit{}, err
			}
			if c == '}' {
				_, _ = sc.br.Discard(1)
				sc.offset++
				d.state = stTop
				if d.wrapped {
					continue
				}
				d.index++
				if d.objBig {
					return unit{line: d.index, err: resonanz.E(resonanz.EINVALID, "error.reactions.row.tooLarge", "the event is larger than {max} bytes", "max", sc.max)}, nil
				}
				d.obj = append(d.obj, '}')
				return unit{raw: d.obj, line: d.index}, nil
			}
			if !d.first {
				if err := d.sc.expect(',', ", or }"); err != nil {
					return unit{}, err
				}
			}
			d.first = false
			k, problem, err := sc.value()
			if err != nil {
				return unit{}, err
			}
			var key string
			if problem != nil || json.Unmarshal(k, &key) != nil {
				return unit{}, resonanz.E(resonanz.EINVALID, "error.reactions.invalidJsonByte3", "Invalid JSON at byte {offset}: expected an object key.", "offset", sc.offset)
			}
			if err := sc.expect(':', ":"); err != nil {
				return unit{}, err
			}
			if c, err := sc.skipSpace(); err == nil && c == '[' && key == d.wrapper && !d.wrapped {
				_, _ = sc.br.Discard(1)
				sc.offset++
				d.state, d.inObj, d.first, d.wrapped = stArray, true, true, true
				continue
			}
			v, problem, err := sc.value()
			if err != nil {
				return unit{}, err
			}
			if d.wrapped || d.objBig {
				continue
			}
			if problem != nil || len(d.obj)+len(k)+len(v)+2 > sc.max {
				d.objBig = true
				continue
			}
			if len(d.obj) > 1 {
				d.obj = append(d.obj, ',')
			}
			d.obj = append(d.obj, k...)
			d.obj = append(d.obj, ':')
			d.obj = append(d.obj, v...)
		}
	}
}

// lineSource reads NDJSON: one event (or one array of events, or one
// wrapper object) per line, each line at most MaxEventBytes.
type lineSource struct {
	br      *bufio.Reader
	opt     *Options
	wrapper string
	line    int
	buf     []byte
	queue   []json.RawMessage // elements of an array line
	qi      int
	qline   int
}

func (l *lineSource) next() (unit, error) {
	for {
		if l.qi < len(l.queue) {
			l.qi++
			return unit{raw: l.queue[l.qi-1], line: l.qline}, nil
		}
		l.queue, l.qi = nil, 0
		line, tooLong, err := l.readLine()
		if err != nil {
			return unit{}, err
		}
		l.line++
		if tooLong {
			return unit{line: l.line, err: resonanz.E(resonanz.EINVALID, "error.reactions.row.lineTooLong", "the line is longer than {max} bytes", "max", l.opt.MaxEventBytes)}, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if d := nesting(line); d > l.opt.MaxDepth {
			return unit{line: l.line, err: tooDeep(d, l.opt.MaxDepth)}, nil
		}
		if !json.Valid(line) {
			return unit{line: l.line, err: notJSONLine(line)}, nil
		}
		var elems []json.RawMessage
		switch {
		case line[0] == '[':
			_ = json.Unmarshal(line, &elems)
		case l.wrapper != "" && bytes.Contains(line, []byte(`"`+l.wrapper+`"`)):
			var obj map[string]json.RawMessage
			if json.Unmarshal(line, &obj) == nil {
				if w := bytes.TrimSpace(obj[l.wrapper]); len(w) > 0 && w[0] == '[' {
					_ = json.Unmarshal(w, &elems)
				} else {
					return unit{raw: line, line: l.line}, nil
				}
			}
		default:
			return unit{raw: line, line: l.line}, nil
		}
		l.queue, l.qi, l.qline = elems, 0, l.line
	}
}

// readLine returns the next line without its newline; a line over the limit
// is skipped to its end and reported as tooLong.
func (l *lineSource) readLine() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		frag, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(frag) > l.opt.MaxEventBytes+2 {
				tooLong = true
			} else {
				l.buf = append(l.buf, frag...)
			}
		}
		switch {
		case err == nil:
			return l.buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(l.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return l.buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("ingest: read line %d: %w", l.line+1, err)
		}
	}
}

// nesting returns the maximum nesting depth of a JSON text (strings skipped).
func nesting(b []byte) int {
	depth, maxDepth := 0, 0
	inStr, esc := false, false
	for _, c := range b {
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return maxDepth
}

// notJSONLine is the reason for an NDJSON line that is not JSON, with the
// parser's words and where it stopped.
func notJSONLine(b []byte) error {
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.lineNotJsonAt", "the line is not valid JSON (at byte {offset}: {detail})", "offset", se.Offset, "detail", se.Error())
	}
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.lineNotJson", "the line is not valid JSON")
}

// tooDeep is the reason for an event nested deeper than the limit.
func tooDeep(depth, limit int) error {
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.tooDeep", "the event is nested {depth} levels deep, more than the limit of {max}", "depth", depth, "max", limit)
}
