package resonanz

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AttributeType is the type of a custom attribute's values.
type AttributeType string

// Attribute types.
const (
	AttrText    AttributeType = "text"
	AttrNumber  AttributeType = "number"
	AttrDate    AttributeType = "date"
	AttrBoolean AttributeType = "boolean"
	AttrChoice  AttributeType = "choice"
)

// AttributeDef defines an attribute recipients can carry. The builtin ones
// (first name, last name, gender, title, language) are columns of Recipient;
// users add more, which live in Recipient.Attributes.
type AttributeDef struct {
	ID      int64         `json:"id"`
	Key     string        `json:"key"`   // stable identifier used in templates and imports, e.g. "customer_since"
	Label   string        `json:"label"` // shown in the UI
	Type    AttributeType `json:"type"`
	Choices []string      `json:"choices"` // for AttrChoice
	Builtin bool          `json:"builtin"`
}

// Builtin attribute keys (columns of Recipient).
const (
	KeyEmail     = "email"
	KeyFirstName = "first_name"
	KeyLastName  = "last_name"
	KeyGender    = "gender"
	KeyTitle     = "title"
	KeyLanguage  = "language"
)

// BuiltinAttributes are predefined in every project.
var BuiltinAttributes = []AttributeDef{
	{Key: KeyEmail, Label: "E-mail", Type: AttrText, Builtin: true},
	{Key: KeyFirstName, Label: "First name", Type: AttrText, Builtin: true},
	{Key: KeyLastName, Label: "Last name", Type: AttrText, Builtin: true},
	{Key: KeyGender, Label: "Gender", Type: AttrChoice, Choices: []string{"f", "m", "d"}, Builtin: true},
	{Key: KeyTitle, Label: "Title", Type: AttrText, Builtin: true},
	{Key: KeyLanguage, Label: "Language", Type: AttrChoice, Choices: []string{"de", "en"}, Builtin: true},
}

// IsBuiltinKey reports whether key names a builtin attribute.
func IsBuiltinKey(key string) bool {
	return slices.ContainsFunc(BuiltinAttributes, func(a AttributeDef) bool { return a.Key == key })
}

var attrKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks a user-defined attribute definition.
func (a AttributeDef) Validate() error {
	if !attrKey.MatchString(a.Key) {
		return FieldError("key", "error.attribute.key.invalid",
			"The key must start with a letter and contain only lower-case letters, digits and _ (at most 40).")
	}
	if IsBuiltinKey(a.Key) || strings.HasPrefix(a.Key, "consent") {
		return FieldError("key", "error.attribute.key.reserved", "The key "+quoteShort(a.Key)+" is reserved.")
	}
	if strings.TrimSpace(a.Label) == "" || utf8.RuneCountInString(a.Label) > 100 {
		return FieldError("label", "error.attribute.label.invalid", "Give the attribute a label of 1 to 100 characters.")
	}
	switch a.Type {
	case AttrText, AttrNumber, AttrDate, AttrBoolean:
	case AttrChoice:
		if len(a.Choices) == 0 {
			return FieldError("choices", "error.attribute.choices.required", "A choice attribute needs at least one choice.")
		}
		seen := map[string]bool{}
		for _, c := range a.Choices {
			if strings.TrimSpace(c) == "" || seen[c] {
				return FieldError("choices", "error.attribute.choices.invalid", "Choices must be non-empty and distinct.")
			}
			seen[c] = true
		}
	default:
		return FieldError("type", "error.attribute.type.invalid",
			"Unknown attribute type "+quoteShort(string(a.Type))+"; use text, number, date, boolean or choice.")
	}
	return nil
}

// Canonical parses a raw value (as typed or imported, German or English
// notation) into the stored form: numbers as Go decimal strings ("1234.5"),
// dates as YYYY-MM-DD, booleans as "true"/"false", choices as the defined
// choice (matched case-insensitively). Empty input stays empty.
func (a AttributeDef) Canonical(raw string) (string, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", nil
	}
	bad := func(kind, what string) (string, error) {
		return "", &Error{Code: EINVALID, Field: a.Key, Key: "error.attribute.value." + kind,
			Params:  map[string]string{"label": a.Label, "value": v, "choices": strings.Join(a.Choices, ", ")},
			Message: a.Label + ": " + quoteShort(v) + " is not " + what + "."}
	}
	switch a.Type {
	case AttrNumber:
		if n, ok := parseNumber(v); ok {
			return strconv.FormatFloat(n, 'f', -1, 64), nil
		}
		return bad("number", "a number")
	case AttrDate:
		for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006", "02.01.06", "2006/01/02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.Format("2006-01-02"), nil
			}
		}
		return bad("date", "a date (use 2026-11-28 or 28.11.2026)")
	case AttrBoolean:
		switch strings.ToLower(v) {
		case "true", "yes", "ja", "y", "j", "1", "x", "wahr":
			return "true", nil
		case "false", "no", "nein", "n", "0", "falsch":
			return "false", nil
		}
		return bad("boolean", "yes or no")
	case AttrChoice:
		for _, c := range a.Choices {
			if strings.EqualFold(c, v) {
				return c, nil
			}
		}
		return bad("choice", "one of "+strings.Join(a.Choices, ", "))
	default:
		if utf8.RuneCountInString(v) > MaxFieldLength || !utf8.ValidString(v) {
			return bad("text", "valid text of at most 1000 characters")
		}
		return v, nil
	}
}

// parseNumber accepts 1234.5, 1234,5, 1.234,5 and 1,234.5.
func parseNumber(v string) (float64, bool) {
	s := strings.ReplaceAll(v, " ", "")
	lastDot, lastComma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case lastComma > lastDot: // German: comma is the decimal separator
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	case lastDot > lastComma && lastComma >= 0: // English with thousands separators
		s = strings.ReplaceAll(s, ",", "")
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "eEinfINFxX") {
		return 0, false
	}
	return n, true
}

// AttributeService stores attribute definitions.
type AttributeService interface {
	// Attributes returns builtin and custom definitions, builtin first.
	Attributes(ctx context.Context) ([]AttributeDef, error)
	CreateAttribute(ctx context.Context, a AttributeDef) (AttributeDef, error)
}
