package recipientcsv

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Builtin field keys. Custom attribute and consent keys are passed through as
// the caller names them.
const (
	FieldEmail     = "email"
	FieldFirstName = "first_name"
	FieldLastName  = "last_name"
	FieldGender    = "gender"
	FieldTitle     = "title"
	FieldLanguage  = "language"
)

// ConsentPrefix starts the keys of consent fields ("consent:tracking:opens").
// They are never auto-mapped: consent needs a stated source and evidence, so
// only an explicit Options.Map entry maps a column to one.
const ConsentPrefix = "consent:"

// Field is a field key with the header names that map to it automatically.
// The key itself is always an alias too. Aliases are compared after
// normalization (see NormalizeHeader).
type Field struct {
	Key     string   `json:"key"`
	Aliases []string `json:"aliases"`
}

// builtinFields lists the builtin fields with their German and English
// aliases. "Name" is a weak alias of last_name, handled in mapColumns.
var builtinFields = []Field{
	{Key: FieldEmail, Aliases: []string{"E-Mail", "Email", "E-Mail-Adresse", "Mail", "Email Address",
		"E-Mail Address", "Emailadresse", "Mailadresse", "Mail Address", "E-Mail-Addresse", "Emailaddress"}},
	{Key: FieldFirstName, Aliases: []string{"Vorname", "First name", "Firstname", "Given name", "Rufname"}},
	{Key: FieldLastName, Aliases: []string{"Nachname", "Last name", "Lastname", "Surname", "Familienname", "Family name"}},
	{Key: FieldGender, Aliases: []string{"Anrede", "Geschlecht", "Salutation", "Gender"}},
	{Key: FieldTitle, Aliases: []string{"Titel", "Title", "Akad. Titel", "Akademischer Titel", "Academic title"}},
	{Key: FieldLanguage, Aliases: []string{"Sprache", "Language", "Lang", "Korrespondenzsprache"}},
}

// weakName is the normalized "Name" header: it maps to last_name only when
// no other column does, since "Name" is as often a full name.
const weakName = "name"

// BuiltinFields returns the builtin fields and their aliases (a copy).
func BuiltinFields() []Field {
	out := make([]Field, len(builtinFields))
	for i, f := range builtinFields {
		out[i] = Field{Key: f.Key, Aliases: slices.Clone(f.Aliases)}
	}
	return out
}

// Column describes one column of the file.
type Column struct {
	// Index is the 0-based position of the column; Row.Values uses it.
	Index int `json:"index"`
	// Header is the header cell as written (trimmed).
	Header string `json:"header"`
	// Field is the field key the column maps to; "" means the column is ignored.
	Field string `json:"field"`
	// Also lists further consent fields the same column grants (a column
	// "Einwilligung" may stand for the newsletter and click tracking).
	Also []string `json:"also,omitempty"`
	// Auto says the mapping came from the header name, not from Options.Map.
	Auto bool `json:"auto"`
}

// Fields returns the field keys the column maps to: Field and then Also.
func (c Column) Fields() []string {
	if c.Field == "" {
		return nil
	}
	return append([]string{c.Field}, c.Also...)
}

// FieldSeparator separates several field keys in one Options.Map value
// ("consent:newsletter:Kunden\nconsent:tracking:clicks"): a line break,
// because no field key or list name can contain one.
const FieldSeparator = "\n"

// umlauts folds German letters so "Straße" and "Strasse" normalize alike.
var umlauts = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss")

// NormalizeHeader returns the form in which headers and aliases are compared:
// lower case, umlauts folded (ä→ae, ö→oe, ü→ue, ß→ss), and everything but
// letters and digits removed, so "E-Mail-Adresse", "e_mail adresse" and
// "EMAILADRESSE" are all "emailadresse".
func NormalizeHeader(s string) string {
	s = umlauts.Replace(strings.ToLower(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// aliasTable maps normalized aliases to field keys: builtins first, then the
// caller's fields, later entries overriding earlier ones. Consent fields are
// left out so they are never auto-mapped.
func aliasTable(extra []Field) map[string]string {
	t := make(map[string]string)
	for _, fields := range [][]Field{builtinFields, extra} {
		for _, f := range fields {
			if f.Key == "" || strings.HasPrefix(f.Key, ConsentPrefix) {
				continue
			}
			for _, a := range append([]string{f.Key}, f.Aliases...) {
				if n := NormalizeHeader(a); n != "" {
					t[n] = f.Key
				}
			}
		}
	}
	return t
}

// mapColumns maps the header cells to fields: explicit Map entries first,
// then aliases. It returns an EINVALID error naming the header for every way
// the mapping can be unusable.
func mapColumns(headers []string, opt Options) ([]Column, error) {
	cols := make([]Column, len(headers))
	explicit := make([]bool, len(headers))
	for i, h := range headers {
		cols[i] = Column{Index: i, Header: h}
	}

	// Explicit mappings, in a stable order so errors are deterministic.
	keys := make([]string, 0, len(opt.Map))
	for k := range opt.Map {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	explicitFields := make(map[string]bool)
	for _, k := range keys {
		var fields []string
		for _, f := range strings.Split(opt.Map[k], FieldSeparator) {
			if f = strings.TrimSpace(f); f != "" && f != "-" && !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
		if len(fields) > 1 {
			for _, f := range fields {
				if !strings.HasPrefix(f, ConsentPrefix) {
					return nil, invalid("map_several",
						"The column %q is mapped to several fields; only consent purposes can share a column (%q is none).", k, f)
				}
			}
		}
		field := ""
		var also []string
		if len(fields) > 0 {
			field, also = fields[0], fields[1:]
		}
		matched := false
		for i, h := range headers {
			if strings.EqualFold(h, strings.TrimSpace(k)) {
				cols[i].Field, cols[i].Also, explicit[i], matched = field, slices.Clone(also), true, true
			}
		}
		if !matched {
			return nil, invalid("map_unknown_header",
				"The mapping names the header %q, but the file has no such column; found headers: %s.", k, listHeaders(headers))
		}
		for _, f := range fields {
			explicitFields[f] = true
		}
	}

	// Auto-mapping; explicit mappings win over aliases.
	aliases := aliasTable(opt.Fields)
	_, nameOverridden := aliases[weakName]
	for i, h := range headers {
		if explicit[i] {
			continue
		}
		if f, ok := aliases[NormalizeHeader(h)]; ok && !explicitFields[f] {
			cols[i].Field, cols[i].Auto = f, true
		}
	}
	if !nameOverridden && !explicitFields[FieldLastName] && !slices.ContainsFunc(cols, func(c Column) bool { return c.Field == FieldLastName }) {
		for i, h := range headers {
			if !explicit[i] && NormalizeHeader(h) == weakName {
				cols[i].Field, cols[i].Auto = FieldLastName, true
			}
		}
	}

	// Conflicts among the columns that are used.
	for i := range cols {
		if cols[i].Field == "" {
			continue
		}
		for j := i + 1; j < len(cols); j++ {
			if cols[j].Field == "" {
				continue
			}
			if NormalizeHeader(cols[i].Header) == NormalizeHeader(cols[j].Header) {
				hint := fmt.Sprintf("ignore one with --map '%s=-'", cols[j].Header)
				if strings.EqualFold(cols[i].Header, cols[j].Header) {
					hint = "rename one of them"
				}
				return nil, invalid("duplicate_header",
					"The header %q appears twice (columns %d and %d); %s.", cols[i].Header, i+1, j+1, hint)
			}
			for _, f := range cols[i].Fields() {
				if slices.Contains(cols[j].Fields(), f) {
					return nil, invalid("duplicate_field",
						"The columns %q (column %d) and %q (column %d) are both mapped to the field %q; ignore one with --map '%s=-' or map it to another field.",
						cols[i].Header, i+1, cols[j].Header, j+1, f, cols[j].Header)
				}
			}
		}
	}
	if !slices.ContainsFunc(cols, func(c Column) bool { return c.Field == FieldEmail }) {
		return nil, invalid("no_email",
			"No column holds the e-mail address; found headers: %s; map one with --map 'Header=email'.", listHeaders(headers))
	}
	return cols, nil
}

// listHeaders renders headers for error messages: quoted, comma-separated,
// shortened for very wide files.
func listHeaders(headers []string) string {
	const max = 20
	var b strings.Builder
	for i, h := range headers {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(headers)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", h)
	}
	if len(headers) == 0 {
		return "none"
	}
	return b.String()
}
