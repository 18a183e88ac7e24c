// Package recipientcsv reads and writes recipient CSV files: it detects the
// encoding (UTF-8 with or without BOM, else Windows-1252) and the delimiter
// (',', ';' or tab), maps German and English headers to field keys, and
// streams rows with their line numbers. A bad row is reported as a *RowError
// and reading continues with the next row; only an unusable header stops
// the import. It does no database work: validating e-mail addresses, types
// and duplicates is the store's job.
//
// The parser is a small RFC 4180 reader of its own rather than encoding/csv,
// for three reasons: encoding/csv reads the whole rest of the file into one
// record after a stray opening quote (losing every later row and using
// unbounded memory), it cannot cap a record's size before buffering it, and
// it cannot resume parsing at a chosen line. Differences a user may notice:
//
//   - A quote inside an unquoted value (Hans "Hansi" Meier) is kept
//     literally, as encoding/csv does with LazyQuotes, because the value is
//     unambiguous.
//   - Text after a closing quote ("Meier"x) is a bad quote: the row is
//     reported and parsing resumes at the line after the line the row
//     started on.
//   - An opening quote that is never closed (before the end of the file,
//     within MaxFieldBytes, or within MaxRowBytes) is reported on the line
//     where its row starts, and parsing resumes at the next physical line,
//     so one stray quote costs one row, not the rest of the file.
//   - The lines re-read after such an error are parsed line by line: a
//     quote opened on one of them must close on the same line, except on
//     the last one, which may continue onto lines not read yet. This keeps
//     the time linear for files full of stray quotes (each line would
//     otherwise rescan up to MaxRowBytes). A genuine multi-line value is
//     rarely affected: it starts on the last swallowed line, because its
//     opening quote is what ended the stray quoted value.
//   - Line breaks may be LF, CRLF or (classic Mac) CR; an Excel "sep=;"
//     first line sets the delimiter.
package recipientcsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
	"golang.org/x/text/encoding/charmap"
)

// Defaults for Options.
const (
	DefaultMaxFieldBytes = 64 << 10
	DefaultMaxColumns    = 512
	DefaultMaxRowBytes   = 1 << 20
)

// Options configure a Reader. The zero value reads with auto-mapping and the
// default limits.
type Options struct {
	// Map maps headers (as written in the file, matched case-insensitively
	// after trimming) to field keys, overriding auto-mapping. A mapping to ""
	// or "-" ignores the column. Keys are passed through unchanged, so
	// "Tracking" → "consent:tracking:opens" maps a consent column.
	Map map[string]string
	// Fields adds fields with aliases for auto-mapping (custom attributes)
	// or extra aliases for a builtin field (same Key). The builtins are
	// always included; later aliases override earlier ones. Fields whose
	// key starts with ConsentPrefix are not auto-mapped.
	Fields []Field
	// MaxFieldBytes limits one value (default DefaultMaxFieldBytes).
	MaxFieldBytes int
	// MaxColumns limits the header's columns (default DefaultMaxColumns).
	MaxColumns int
	// MaxRowBytes limits one row as written in the file, including quoted
	// line breaks (default DefaultMaxRowBytes, at least MaxFieldBytes). It
	// bounds the reader's memory.
	MaxRowBytes int
	// KeepFormulaEscape keeps the "'" that Writer puts before values
	// starting with = + - @ (see Writer). By default the reader removes it
	// again, so an exported file imports to the same values.
	KeepFormulaEscape bool
}

// Row is one record of the file.
type Row struct {
	// Line is the 1-based physical line on which the record starts.
	Line int
	// Values holds the trimmed values of all columns, indexed like
	// Reader.Columns(), ignored ones included (an import wizard previews
	// them). The slice is not reused by later Reads. Use Get or Map for the
	// mapped fields.
	Values []string
	fields map[string]int // field key → column index, shared by all rows
}

// Get returns the value of the column mapped to field, or "" if no column is.
func (r Row) Get(field string) string {
	if i, ok := r.fields[field]; ok {
		return r.Values[i]
	}
	return ""
}

// Map returns the values of the mapped columns keyed by field. It allocates;
// Get does not.
func (r Row) Map() map[string]string {
	m := make(map[string]string, len(r.fields))
	r.mapInto(m)
	return m
}

func (r Row) mapInto(m map[string]string) {
	for f, i := range r.fields {
		m[f] = r.Values[i]
	}
}

// RowError reports a row that could not be read. The caller records it and
// calls Read again, which continues with the next row.
type RowError struct {
	// Line is the 1-based physical line on which the row starts.
	Line int `json:"line"`
	// Reason is an English sentence for users, e.g. "row has 5 fields, the
	// header has 4"; Key and Params name its catalogue text.
	Reason string            `json:"reason"`
	Key    string            `json:"key,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// rowError is the RowError of line for a reason with a catalogue key.
func rowError(line int, e *resonanz.Error) *RowError {
	return &RowError{Line: line, Reason: e.Message, Key: e.Key, Params: e.Params}
}

// Error implements error.
func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Reader streams rows from a CSV file in constant memory (bounded by
// Options.MaxRowBytes).
type Reader struct {
	src  io.Reader
	buf  []byte
	r, w int   // buf[r:w] is read but not consumed; r is the start of the next record
	base int64 // input offset of buf[0]
	line int   // physical line number of buf[r]
	eof  bool
	rerr error // sticky read error other than io.EOF
	// frontier is the input offset up to which a failed multi-line record
	// was scanned. Records starting before it may not continue onto a line
	// starting before it: the re-read lines are parsed line by line, so a
	// file full of stray quotes costs linear, not quadratic, time.
	frontier int64
	empty    int // consecutive zero-byte reads without error

	format  Format
	term    byte
	delim   byte
	decode  bool // Windows-1252 → UTF-8
	cols    []Column
	fields  map[string]int
	maxFld  int
	maxRow  int
	keepEsc bool

	rec   []byte   // unescaped field bytes of the current record
	ends  []int    // end of each field in rec
	dec   []byte   // rec decoded from Windows-1252
	chunk []string // preallocated Values for the next rows

	// reasons keeps each distinct row reason once: a broken file repeats
	// the same few (a stray quote on 300,000 lines), and its rows share them.
	reasons map[reasonKey]*resonanz.Error
}

// reasonKey names a row reason: a scan status (or a negative check kind)
// and the numbers in its text.
type reasonKey struct{ kind, a, b int }

// Check kinds (reasonKey.kind) beside the scan statuses.
const (
	reasonBinary = -1 - iota
	reasonFieldTooLong
	reasonNotUTF8
	reasonOneField
	reasonFieldCount
)

// reason returns the reason k, built by build the first time.
func (rd *Reader) reason(k reasonKey, build func() *resonanz.Error) *resonanz.Error {
	if e, ok := rd.reasons[k]; ok {
		return e
	}
	e := build()
	if rd.reasons == nil {
		rd.reasons = map[reasonKey]*resonanz.Error{}
	}
	if len(rd.reasons) < 1000 {
		rd.reasons[k] = e
	}
	return e
}

// NewReader detects the format, reads the header and maps its columns. It
// fails with a *HeaderError (which wraps an EINVALID *resonanz.Error) whose
// message names the problem when the header is unusable: an empty file, a spreadsheet or UTF-16 file,
// too many columns, duplicate headers, two columns mapped to one field, a
// Map entry for a missing header, or no e-mail column. A file with a header
// and no rows is fine.
func NewReader(src io.Reader, opt Options) (*Reader, error) {
	rd := &Reader{
		src:     src,
		buf:     make([]byte, SniffBytes),
		line:    1,
		maxFld:  opt.MaxFieldBytes,
		maxRow:  opt.MaxRowBytes,
		keepEsc: opt.KeepFormulaEscape,
	}
	if rd.maxFld <= 0 {
		rd.maxFld = DefaultMaxFieldBytes
	}
	if rd.maxRow <= 0 {
		rd.maxRow = DefaultMaxRowBytes
	}
	rd.maxRow = max(rd.maxRow, rd.maxFld)
	maxCols := opt.MaxColumns
	if maxCols <= 0 {
		maxCols = DefaultMaxColumns
	}

	for rd.w < SniffBytes && rd.fill() {
	}
	// A read error here surfaces once the header or a row needs the
	// missing bytes.
	s, err := sniff(rd.buf[:rd.w], rd.eof)
	if err != nil {
		return nil, err
	}
	rd.format, rd.term, rd.delim = s.format, s.term, byte(s.format.Delimiter)
	rd.decode = s.format.Encoding == EncodingWindows1252
	rd.r = s.bom
	if s.sepLine > 0 {
		rd.advance(s.sepLine, 1)
	}

	headers, err := rd.readHeader(maxCols)
	if err != nil {
		return nil, err
	}
	if rd.cols, err = mapColumns(headers, opt); err != nil {
		return nil, err
	}
	rd.fields = make(map[string]int)
	for _, c := range rd.cols {
		for _, f := range c.Fields() {
			rd.fields[f] = c.Index
		}
	}
	return rd, nil
}

// readHeader reads the first non-empty record as the header.
func (rd *Reader) readHeader(maxCols int) ([]string, error) {
	for {
		line := rd.line
		s := rd.scan()
		switch s.status {
		case scanEOF:
			return nil, invalid("empty", "The file is empty.")
		case scanReadError:
			return nil, rd.rerr
		case scanOK:
		default:
			return nil, invalid("header", "The header (line %d) cannot be read: %s.", line, s.reason(rd).Message)
		}
		rd.advance(s.next, s.lines)
		if s.empty {
			continue
		}
		if s.binary {
			return nil, invalid("binary", "The file does not look like a CSV text file: its header (line %d) contains binary data.", line)
		}
		if reason := rd.check(s); reason != nil {
			return nil, invalid("header", "The header (line %d) cannot be read: %s.", line, reason.Message)
		}
		if n := len(rd.ends); n > maxCols {
			return nil, invalid("columns", "The header has %d columns; at most %d are supported.", n, maxCols)
		}
		vals := rd.values()
		headers := make([]string, len(vals))
		for i, v := range vals {
			headers[i] = strings.TrimSpace(v)
		}
		return headers, nil
	}
}

// Format returns the detected encoding and delimiter.
func (rd *Reader) Format() Format { return rd.format }

// Columns returns the header's columns and their mapping, one per value of
// Row.Values.
func (rd *Reader) Columns() []Column { return slices.Clone(rd.cols) }

// BytesRead returns how many bytes of the input the rows read so far came
// from (BOM and header included), for progress bars; it equals the input's
// size after Read has returned io.EOF.
func (rd *Reader) BytesRead() int64 { return rd.base + int64(rd.r) }

// Read returns the next row. It skips empty lines (also lines of only
// delimiters) and returns io.EOF at the end. A row that cannot be read
// yields a *RowError; the caller records it and calls Read again. Any other
// error comes from the underlying reader and ends the reading.
func (rd *Reader) Read() (Row, error) {
	for {
		line := rd.line
		s := rd.scan()
		switch s.status {
		case scanEOF:
			return Row{}, io.EOF
		case scanReadError:
			return Row{}, rd.rerr
		case scanOK:
		case scanLineTooLong:
			rd.skipLine()
			return Row{Line: line}, rowError(line, s.reason(rd))
		default:
			// Resynchronize: the quote that opened a field may have been a
			// stray one, so the lines it swallowed are read again as rows.
			rd.frontier = max(rd.frontier, rd.base+int64(rd.r+s.next))
			rd.advance(s.firstNext, 1)
			return Row{Line: line}, rowError(line, s.reason(rd))
		}
		rd.advance(s.next, s.lines)
		if s.empty {
			continue
		}
		if reason := rd.check(s); reason != nil {
			return Row{Line: line}, rowError(line, reason)
		}
		if n := len(rd.ends); n == 1 && len(rd.cols) != 1 {
			return Row{Line: line}, rowError(line, rd.reason(reasonKey{reasonOneField, n, len(rd.cols)}, func() *resonanz.Error {
				return resonanz.E(resonanz.EINVALID, "error.import.row.oneField", "row has 1 field, the header has {header}", "header", len(rd.cols))
			}))
		} else if n != len(rd.cols) {
			return Row{Line: line}, rowError(line, rd.reason(reasonKey{reasonFieldCount, n, len(rd.cols)}, func() *resonanz.Error {
				return resonanz.E(resonanz.EINVALID, "error.import.row.fieldCount", "row has {fields} fields, the header has {header}", "fields", n, "header", len(rd.cols))
			}))
		}
		return Row{Line: line, Values: rd.rowValues(), fields: rd.fields}, nil
	}
}

// scan statuses.
const (
	scanOK          = iota
	scanEOF         // no more records
	scanReadError   // the underlying reader failed (rd.rerr)
	scanLineTooLong // the record's first line exceeds MaxRowBytes
	scanRowTooLong  // a quoted field spans lines beyond MaxRowBytes
	scanFieldTooBig // a quoted field spans lines beyond MaxFieldBytes
	scanUnclosed    // the input ends inside a quoted field
	scanQuote       // text follows a closing quote
)

// scanned describes the record at rd.r found by scan.
type scanned struct {
	status    int
	next      int  // offset (from rd.r) of the byte after the record, or after the input scanned for a failed one
	lines     int  // physical lines of the record
	firstNext int  // offset of the line after the record's first line
	empty     bool // all fields are blank
	binary    bool // a control character other than tab and line breaks
	column    int  // 1-based column of a scanQuote or oversized field
}

func (s scanned) reason(rd *Reader) *resonanz.Error {
	return rd.reason(reasonKey{s.status, s.column, 0}, func() *resonanz.Error { return s.buildReason(rd) })
}

func (s scanned) buildReason(rd *Reader) *resonanz.Error {
	switch s.status {
	case scanLineTooLong, scanRowTooLong:
		return resonanz.E(resonanz.EINVALID, "error.import.row.tooLong", "row is longer than {max} bytes", "max", rd.maxRow)
	case scanFieldTooBig:
		return resonanz.E(resonanz.EINVALID, "error.import.row.quotedFieldTooLong", "field {column} is longer than {max} bytes (is a closing quote missing?)", "column", s.column, "max", rd.maxFld)
	case scanUnclosed:
		return resonanz.E(resonanz.EINVALID, "error.import.row.unclosedQuote", "field {column} opens a quote (\") that is never closed", "column", s.column)
	case scanQuote:
		return resonanz.E(resonanz.EINVALID, "error.import.row.textAfterQuote", "field {column} has text after its closing quote (\"); double quotes inside a quoted value", "column", s.column)
	}
	return resonanz.E(resonanz.EINVALID, "error.import.row.unreadable", "the row cannot be read")
}

// lineAt finds the physical line starting at offset off from rd.r, reading
// more input as needed. It returns the line without its terminator and the
// offset of the next line. The returned slice is valid until the next call.
func (rd *Reader) lineAt(off int) (line []byte, next, status int) {
	searched := off
	for {
		if i := bytes.IndexByte(rd.buf[rd.r+searched:rd.w], rd.term); i >= 0 {
			end := searched + i
			if end > rd.maxRow {
				return nil, 0, scanRowTooLong
			}
			return rd.trimCR(rd.buf[rd.r+off : rd.r+end]), end + 1, scanOK
		}
		searched = rd.w - rd.r
		if searched > rd.maxRow {
			return nil, 0, scanRowTooLong
		}
		if !rd.fill() {
			switch {
			case rd.rerr != nil:
				return nil, 0, scanReadError
			case off >= rd.w-rd.r:
				return nil, off, scanEOF
			}
			return rd.trimCR(rd.buf[rd.r+off : rd.w]), rd.w - rd.r, scanOK
		}
	}
}

func (rd *Reader) trimCR(line []byte) []byte {
	if rd.term == '\n' && len(line) > 0 && line[len(line)-1] == '\r' {
		return line[:len(line)-1]
	}
	return line
}

// fill reads more input into buf, keeping buf[r:w]. It returns false when
// no more input is available (EOF or a read error in rd.rerr).
func (rd *Reader) fill() bool {
	if rd.eof {
		return false
	}
	if rd.r > 0 && rd.w == len(rd.buf) {
		copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.base += int64(rd.r)
		rd.w -= rd.r
		rd.r = 0
	}
	if rd.w == len(rd.buf) {
		rd.buf = append(rd.buf, make([]byte, len(rd.buf))...)
	}
	n, err := rd.src.Read(rd.buf[rd.w:])
	rd.w += n
	switch {
	case errors.Is(err, io.EOF):
		rd.eof = true
	case err != nil:
		rd.eof, rd.rerr = true, fmt.Errorf("recipientcsv: read: %w", err)
	case n == 0:
		if rd.empty++; rd.empty > 100 {
			rd.eof, rd.rerr = true, fmt.Errorf("recipientcsv: read: %w", io.ErrNoProgress)
		}
		return !rd.eof
	}
	rd.empty = 0
	return n > 0 || !rd.eof
}

// advance consumes n bytes spanning the given number of physical lines.
func (rd *Reader) advance(n, lines int) {
	rd.r += n
	rd.line += lines
}

// skipLine consumes the rest of an over-long physical line without
// buffering it.
func (rd *Reader) skipLine() {
	for {
		if i := bytes.IndexByte(rd.buf[rd.r:rd.w], rd.term); i >= 0 {
			rd.advance(i+1, 1)
			return
		}
		rd.r = rd.w
		if !rd.fill() {
			rd.line++
			return
		}
	}
}

// scan parses the record at rd.r into rd.rec and rd.ends without consuming
// it.
func (rd *Reader) scan() (s scanned) {
	rd.rec, rd.ends = rd.rec[:0], rd.ends[:0]
	line, next, st := rd.lineAt(0)
	if st != scanOK {
		if st == scanRowTooLong {
			st = scanLineTooLong
		}
		return scanned{status: st}
	}
	s.firstNext, s.lines, s.empty = next, 1, true
	delim := rd.delim
	pos := 0
	for {
		// Start of a field. Blanks before an opening quote are allowed.
		k := pos
		for k < len(line) && (line[k] == ' ' || line[k] == '\t' && delim != '\t') {
			k++
		}
		if k == len(line) || line[k] != '"' {
			// Unquoted: up to the next delimiter; quotes inside are literal.
			end := bytes.IndexByte(line[pos:], delim)
			last := end < 0
			if last {
				end = len(line) - pos
			}
			rd.field(&s, line[pos:pos+end])
			if last {
				s.next = next
				return s
			}
			pos += end + 1
			continue
		}
		// Quoted: up to a quote not followed by another quote.
		pos = k + 1
		start := len(rd.rec)
		for {
			q := bytes.IndexByte(line[pos:], '"')
			if q < 0 {
				// The value continues on the next physical line.
				rd.rec = append(rd.rec, line[pos:]...)
				rd.rec = append(rd.rec, '\n')
				s.binary = s.binary || hasControl(line[pos:])
				s.next = next
				if len(rd.rec)-start > rd.maxFld {
					s.status, s.column = scanFieldTooBig, len(rd.ends)+1
					return s
				}
				if rd.base+int64(rd.r+next) < rd.frontier {
					s.status, s.column = scanUnclosed, len(rd.ends)+1
					return s
				}
				line, next, st = rd.lineAt(next)
				switch st {
				case scanEOF:
					s.status, s.column = scanUnclosed, len(rd.ends)+1
					return s
				case scanOK:
				case scanRowTooLong:
					s.status, s.next = st, rd.w-rd.r
					return s
				default:
					s.status = st
					return s
				}
				s.lines++
				pos = 0
				continue
			}
			rd.rec = append(rd.rec, line[pos:pos+q]...)
			s.binary = s.binary || hasControl(line[pos:pos+q])
			pos += q + 1
			if pos < len(line) && line[pos] == '"' {
				rd.rec = append(rd.rec, '"')
				pos++
				continue
			}
			break
		}
		rd.endField(&s, start)
		// After the closing quote: blanks, then a delimiter or the end.
		for pos < len(line) && (line[pos] == ' ' || line[pos] == '\t' && delim != '\t') {
			pos++
		}
		if pos == len(line) {
			s.next = next
			return s
		}
		if line[pos] != delim {
			s.status, s.column, s.next = scanQuote, len(rd.ends), next
			return s
		}
		pos++
	}
}

// field appends an unquoted field.
func (rd *Reader) field(s *scanned, b []byte) {
	start := len(rd.rec)
	rd.rec = append(rd.rec, b...)
	s.binary = s.binary || hasControl(b)
	rd.endField(s, start)
}

func (rd *Reader) endField(s *scanned, start int) {
	rd.ends = append(rd.ends, len(rd.rec))
	if s.empty && len(bytes.TrimSpace(rd.rec[start:])) > 0 {
		s.empty = false
	}
	if len(rd.rec)-start > rd.maxFld && s.column == 0 {
		s.column = len(rd.ends)
	}
}

// hasControl reports control characters other than tab, CR and LF: NUL
// bytes and the like mean binary data, not text.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return true
		}
	}
	return false
}

// check validates a scanned record's contents; it returns a reason or "".
func (rd *Reader) check(s scanned) *resonanz.Error {
	switch {
	case s.binary:
		return rd.reason(reasonKey{reasonBinary, 0, 0}, func() *resonanz.Error {
			return resonanz.E(resonanz.EINVALID, "error.import.row.binary", "row contains binary data (control characters such as NUL bytes); is this really a CSV text file?")
		})
	case s.column > 0:
		return rd.reason(reasonKey{reasonFieldTooLong, s.column, 0}, func() *resonanz.Error {
			return resonanz.E(resonanz.EINVALID, "error.import.row.fieldTooLong", "field {column} is longer than {max} bytes", "column", s.column, "max", rd.maxFld)
		})
	case !rd.decode && !utf8.Valid(rd.rec):
		return rd.reason(reasonKey{reasonNotUTF8, 0, 0}, func() *resonanz.Error {
			return resonanz.E(resonanz.EINVALID, "error.import.row.notUtf8", "row contains bytes that are not valid UTF-8; save the file as “CSV UTF-8” and import it again")
		})
	}
	return nil
}

// win1252 maps Windows-1252 bytes ≥ 0x80 to their UTF-8 encoding.
var win1252 = func() (t [128]string) {
	for i := range t {
		t[i] = string(charmap.Windows1252.DecodeByte(byte(0x80 + i)))
	}
	return t
}()

// recordString returns the current record's field bytes as one string,
// decoded from Windows-1252 if needed; rd.ends index into it.
func (rd *Reader) recordString() string {
	if !rd.decode {
		return string(rd.rec)
	}
	rd.dec = rd.dec[:0]
	prev := 0
	for i, end := range rd.ends {
		for _, c := range rd.rec[prev:end] {
			if c < 0x80 {
				rd.dec = append(rd.dec, c)
			} else {
				rd.dec = append(rd.dec, win1252[c-0x80]...)
			}
		}
		prev = end
		rd.ends[i] = len(rd.dec)
	}
	return string(rd.dec)
}

// values returns the current record's fields.
func (rd *Reader) values() []string {
	all := rd.recordString()
	out := make([]string, len(rd.ends))
	prev := 0
	for i, end := range rd.ends {
		out[i] = all[prev:end]
		prev = end
	}
	return out
}

// rowChunk is how many rows' Values are allocated at once.
const rowChunk = 64

// rowValues builds Values for a record whose field count matches the header
// with one allocation for the record's text and, amortized over rowChunk
// rows, a fraction of one for the slice: no map per row.
func (rd *Reader) rowValues() []string {
	n := len(rd.cols)
	if len(rd.chunk) < n {
		rd.chunk = make([]string, n*rowChunk)
	}
	vals := rd.chunk[:n:n]
	rd.chunk = rd.chunk[n:]
	all := rd.recordString()
	prev := 0
	for i, end := range rd.ends {
		vals[i] = rd.clean(all[prev:end])
		prev = end
	}
	return vals
}

// clean trims v and removes the "'" Writer puts before formula-like values.
// The quote is looked for before trimming at the end because Writer also
// escapes values starting with a line break.
func (rd *Reader) clean(v string) string {
	if rd.keepEsc || len(v) < 2 || v[0] > ' ' && v[0] < utf8.RuneSelf && v[0] != '\'' {
		return strings.TrimSpace(v) // the common case: no quote, no leading blank
	}
	if v[0] != '\'' {
		v = strings.TrimLeftFunc(v, unicode.IsSpace)
	}
	if len(v) > 1 && v[0] == '\'' && needsEscape(v[1:]) {
		v = v[1:]
	}
	return strings.TrimSpace(v)
}
