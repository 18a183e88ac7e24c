package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// This file is a small allocation-free walker over one JSON object, used by
// the hot SendGrid path instead of decoding into a map: it visits each
// top-level field once and validates what it skips, so the event bytes kept
// as Raw are valid JSON.

var errNotObject = resonanz.E(resonanz.EINVALID, "error.reactions.row.notObject", "the event is not a JSON object")

// eachField calls fn with every top-level key (unescaped) and raw value of
// the JSON object b, in order.
func eachField(b []byte, fn func(key, val []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		if skipWS(b, i+1) != len(b) {
			return errors.New("the event has data after its closing brace")
		}
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return fmt.Errorf("invalid JSON at byte %d: expected a field name", i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if err := json.Unmarshal(b[i:end], &k); err != nil {
				return fmt.Errorf("invalid JSON at byte %d: bad field name", i)
			}
			key = []byte(k)
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return fmt.Errorf("invalid JSON at byte %d: expected ':' after field %q", i, key)
		}
		i = skipWS(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
		if err := fn(key, b[i:vend]); err != nil {
			return err
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return errors.New("invalid JSON: the event object is not closed")
		}
		if b[i] == '}' {
			if skipWS(b, i+1) != len(b) {
				return errors.New("the event has data after its closing brace")
			}
			return nil
		}
		if b[i] != ',' {
			return fmt.Errorf("invalid JSON at byte %d: expected ',' or '}' after field %q", i, key)
		}
		i = skipWS(b, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i], validating it.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("a value is missing")
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		end, err := skipContainer(b, i)
		if err != nil {
			return 0, err
		}
		if !json.Valid(b[i:end]) {
			return 0, errors.New("invalid JSON")
		}
		return end, nil
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || isDigit(c):
		return skipNumber(b, i)
	}
	return 0, fmt.Errorf("invalid JSON value starting with %q", b[i])
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if !bytes.HasPrefix(b[i:], []byte(lit)) {
		return 0, fmt.Errorf("invalid JSON literal, expected %s", lit)
	}
	return i + len(lit), nil
}

// skipString validates the string at b[i] (escapes, no control bytes).
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			if j+1 >= len(b) {
				return 0, errors.New("unterminated string")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, errors.New("invalid \\u escape in string")
				}
				j += 5
			default:
				return 0, errors.New("invalid escape in string")
			}
		case c < 0x20:
			return 0, errors.New("control character in string")
		}
	}
	return 0, errors.New("unterminated string")
}

// skipNumber validates a JSON number.
func skipNumber(b []byte, i int) (int, error) {
	bad := errors.New("invalid number")
	j := i
	if b[j] == '-' {
		j++
	}
	if j >= len(b) || !isDigit(b[j]) {
		return 0, bad
	}
	if b[j] == '0' {
		j++
	} else {
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return 0, bad
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return 0, bad
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j, nil
}

// skipContainer finds the end of the object/array at b[i] by counting.
func skipContainer(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, err := skipString(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, errors.New("unterminated object or array")
}

// str returns the JSON string val unquoted; null is ""; other kinds fail.
func str(field string, val []byte) (string, error) {
	if len(val) == 0 || val[0] == 'n' {
		return "", nil
	}
	if val[0] != '"' {
		return "", wrongKind(field, "string", kindOf(val))
	}
	raw := val[1 : len(val)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	var s string
	if err := json.Unmarshal(val, &s); err != nil {
		return "", resonanz.E(resonanz.EINVALID, "error.reactions.row.badString", "field \"{field}\": not a valid string", "field", field)
	}
	return s, nil
}

// scalarText is a string unquoted, or a number/bool as written (ids sent as
// numbers by some providers keep every digit).
func scalarText(field string, val []byte) (string, error) {
	if len(val) > 0 && (val[0] == '-' || isDigit(val[0]) || val[0] == 't' || val[0] == 'f') {
		return string(val), nil
	}
	return str(field, val)
}

func kindOf(val []byte) string {
	switch val[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
