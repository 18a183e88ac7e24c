package recipientcsv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Encodings reported in Format.Encoding.
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingWindows1252 = "windows-1252"
)

// SniffBytes is how much of the input Sniff and NewReader look at to decide
// the encoding and the delimiter.
const SniffBytes = 64 << 10

// Format is what detection found out about a file.
type Format struct {
	// Encoding is EncodingUTF8, EncodingUTF8BOM or EncodingWindows1252.
	Encoding string
	// Delimiter is ',', ';' or '\t'.
	Delimiter rune
}

// String renders f for logs and the command line, e.g. `utf-8, ";"`.
func (f Format) String() string {
	d := string(f.Delimiter)
	if f.Delimiter == '\t' {
		d = `\t`
	}
	return fmt.Sprintf("%s, %q", f.Encoding, d)
}

type formatJSON struct {
	Encoding  string `json:"encoding"`
	Delimiter string `json:"delimiter"`
}

// MarshalJSON renders the delimiter as a one-character string (";", ",",
// "\t") rather than a number, for the frontend.
func (f Format) MarshalJSON() ([]byte, error) {
	return json.Marshal(formatJSON{f.Encoding, string(f.Delimiter)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Format) UnmarshalJSON(b []byte) error {
	var j formatJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	f.Encoding, f.Delimiter = j.Encoding, 0
	if j.Delimiter != "" {
		r, n := utf8.DecodeRuneInString(j.Delimiter)
		if n != len(j.Delimiter) {
			return fmt.Errorf("recipientcsv: delimiter %q is not one character", j.Delimiter)
		}
		f.Delimiter = r
	}
	return nil
}

// Sniff reads up to SniffBytes of r and reports its encoding and delimiter,
// exactly as NewReader would detect them. It fails with a *HeaderError for
// input that is clearly not a CSV text file.
func Sniff(r io.Reader) (Format, error) {
	buf := make([]byte, SniffBytes)
	n, err := io.ReadFull(r, buf)
	atEOF := false
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		atEOF = true
	case err != nil:
		return Format{}, fmt.Errorf("recipientcsv: sniff: %w", err)
	}
	s, err := sniff(buf[:n], atEOF)
	return s.format, err
}

// sniffed is the result of looking at the start of the input.
type sniffed struct {
	format  Format
	bom     int  // bytes of byte order mark to skip
	sepLine int  // bytes of an Excel "sep=;" line (with its line break) to skip, after the BOM
	term    byte // line terminator: '\n' (LF or CRLF) or '\r' (classic Mac)
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// sniff decides the format from the first bytes of the input; atEOF says that
// b is the whole input.
func sniff(b []byte, atEOF bool) (sniffed, error) {
	var s sniffed
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		s.bom = len(bomUTF8)
		s.format.Encoding = EncodingUTF8BOM
	case bytes.HasPrefix(b, bomUTF16LE), bytes.HasPrefix(b, bomUTF16BE):
		return s, invalid("utf16",
			"The file is saved as UTF-16 (“Unicode text”); save it as “CSV UTF-8” and import it again.")
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return s, invalid("spreadsheet",
			"The file is a spreadsheet workbook, not a CSV file; save it as “CSV UTF-8” (or CSV) and import that file.")
	case validUTF8Prefix(b, atEOF):
		s.format.Encoding = EncodingUTF8
	default:
		s.format.Encoding = EncodingWindows1252
	}
	body := b[s.bom:]
	s.term = lineTerminator(body, atEOF)

	// Excel understands a first line "sep=;" naming the delimiter; honour it.
	first, rest, found := bytes.Cut(body, []byte{s.term})
	first = bytes.TrimSuffix(first, []byte{'\r'})
	if len(first) == 5 && bytes.EqualFold(first[:4], []byte("sep=")) && isDelimiter(rune(first[4])) && (found || atEOF) {
		s.format.Delimiter = rune(first[4])
		s.sepLine = len(body) - len(rest)
		return s, nil
	}
	s.format.Delimiter = detectDelimiter(body, s.term)
	return s, nil
}

// validUTF8Prefix reports whether b is valid UTF-8, ignoring a multi-byte
// character cut off at the end of b when more input follows.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	if !atEOF {
		// Look back at most utf8.UTFMax-1 bytes for the start of the last
		// character; drop it if it is incomplete.
		for i := len(b) - 1; i >= 0 && i >= len(b)-(utf8.UTFMax-1); i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// lineTerminator returns '\r' for files with classic Mac line breaks (a CR
// that is not followed by LF comes before any LF) and '\n' otherwise.
func lineTerminator(b []byte, atEOF bool) byte {
	cr := bytes.IndexByte(b, '\r')
	if cr < 0 {
		return '\n'
	}
	if lf := bytes.IndexByte(b, '\n'); lf >= 0 && lf < cr {
		return '\n'
	}
	if cr+1 < len(b) {
		if b[cr+1] == '\n' {
			return '\n'
		}
		return '\r'
	}
	if atEOF {
		return '\r'
	}
	return '\n' // a CR at the very end of the sample: assume CRLF
}

// delimiters in order of preference for ties: German Excel writes ';'.
var delimiters = [...]rune{';', ',', '\t'}

func isDelimiter(r rune) bool { return r == ';' || r == ',' || r == '\t' }

// detectDelimiter counts the candidate delimiters outside quotes in the
// header line (the first line that is not blank) and picks the one giving the
// most columns; ties go to ';', then ',', then tab. A line without any
// candidate is a single-column file, read with ','.
func detectDelimiter(b []byte, term byte) rune {
	fallback := ',' // for a file of blank lines: the delimiter they hold
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{term})
		var counts [len(delimiters)]int
		inQuote, blank := false, true
		for _, c := range line {
			switch c {
			case '"':
				inQuote = !inQuote
				blank = false
			case ';', ',', '\t':
				if !inQuote {
					counts[bytes.IndexByte([]byte(";,\t"), c)]++
				}
			case ' ', '\r':
			default:
				blank = false
			}
		}
		best := 0
		for i := range counts {
			if counts[i] > counts[best] {
				best = i
			}
		}
		switch {
		case blank:
			// An empty line, or only delimiters: not the header.
			if counts[best] > 0 && fallback == ',' {
				fallback = delimiters[best]
			}
		case counts[best] == 0:
			return ','
		default:
			return delimiters[best]
		}
	}
	return fallback
}

// HeaderError is the error NewReader and Sniff return when a file cannot be
// imported at all (empty, not CSV text, unusable header or mapping). Message
// is a complete English sentence for users. Error prefixes it with
// "recipientcsv: "; errors.As also finds a *resonanz.Error with code
// EINVALID and Key as its i18n key.
type HeaderError struct {
	// Key is the i18n key, "error.import.csv." followed by the kind of
	// problem, e.g. "error.import.csv.no_email".
	Key string
	// Message says what is wrong and what to do.
	Message string
}

// Error implements error.
func (e *HeaderError) Error() string { return "recipientcsv: " + e.Message }

// Unwrap returns the error as a user-facing *resonanz.Error.
func (e *HeaderError) Unwrap() error {
	return &resonanz.Error{Code: resonanz.EINVALID, Key: e.Key, Message: e.Message}
}

// invalid returns a *HeaderError with an i18n key under "error.import.csv.".
func invalid(key, format string, args ...any) error {
	return &HeaderError{Key: "error.import.csv." + key, Message: fmt.Sprintf(format, args...)}
}
