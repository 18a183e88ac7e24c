package resonanz

import (
	"encoding/json"
	"strings"
)

// Text is a sentence the program stores or shows that is not an error: a
// quarantine reason, a ledger entry written by the program. Key names its
// catalogue text (de.json, en.json), Params fill the catalogue text's
// {name} placeholders, and Message is the English text with the params
// filled in (what the command line prints, and what an older reader of a
// stored row sees). A test checks that Message's template equals en.json.
type Text struct {
	Key     string            `json:"key"`
	Params  map[string]string `json:"params,omitempty"`
	Message string            `json:"message"`
}

// T returns the Text under key; message is its English catalogue text with
// {name} placeholders, params name/value pairs (values formatted with
// fmt.Sprint), as for E.
func T(key, message string, params ...any) Text {
	t := Text{Key: key, Message: message}
	if len(params) > 1 {
		t.Params = make(map[string]string, len(params)/2)
	}
	for i := 0; i+1 < len(params); i += 2 {
		name := paramString(params[i])
		value := paramString(params[i+1])
		t.Params[name] = value
		t.Message = strings.ReplaceAll(t.Message, "{"+name+"}", value)
	}
	return t
}

// UnmarshalJSON reads a Text, or a plain string as its Message (rows
// stored before texts had keys).
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = Text{Message: s}
		return nil
	}
	type plain Text
	return json.Unmarshal(b, (*plain)(t))
}

// IsZero reports whether t is empty (no reason).
func (t Text) IsZero() bool { return t.Key == "" && t.Message == "" }

// FormatDecimal writes a plain decimal number as strconv formats it (an
// optional minus, digits, optionally a point and more digits) the way the
// UI's Intl.NumberFormat does for lang: in groups of three with the marks
// of de-DE (-1.234,5) or en-GB (-1,234.5); any language but "en" is German.
func FormatDecimal(lang, s string) string {
	neg := strings.HasPrefix(s, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	thou, dec := ".", ","
	if lang == "en" {
		thou, dec = ",", "."
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thou)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(dec)
		b.WriteString(frac)
	}
	return b.String()
}
