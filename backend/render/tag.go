package render

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// tagKind says what a {{ }} tag does.
type tagKind uint8

const (
	tagValue      tagKind = iota // {{ key | filters }}
	tagSalutation                // {{ salutation "name" | filters }}
	tagIf                        // {{ if cond }}
	tagElseIf                    // {{ else if cond }}
	tagElse                      // {{ else }}
	tagEnd                       // {{ end }}
	tagContent                   // layout only: {{ content }}
	tagPreheader                 // layout only: {{ preheader }}
	tagSubject                   // layout only: {{ subject }}
	tagLang                      // layout only: {{ lang }}
	tagSystem                    // {{ profile_url }}, {{ unsubscribe_url }}, {{ survey_url "slug" }}
	tagFooter                    // layout only: {{ footer }}
)

func (k tagKind) control() bool { return k >= tagIf && k <= tagEnd }

// filter is one step of a placeholder's pipeline.
type filter struct {
	name string // default, prefix, suffix, capitalize, upper, lower, date, number, required
	arg  string
	n    int // number: decimals (-1: as stored)
}

// cond is a compiled resonanz.BlockCondition.
type cond struct {
	resonanz.BlockCondition
	num float64 // Value as a number for > and <
}

// tag is a parsed {{ }} tag; off and end are byte offsets in the source.
type tag struct {
	kind    tagKind
	key     string // placeholder key, salutation block name, or system link kind
	arg     string // system links: the survey's slug
	filters []filter
	cond    cond
	off     int
	end     int
}

// mode says where a piece of template text is used, which limits the tags.
type mode uint8

const (
	modeBody mode = iota
	modePlain
	modeLayout
	modeRule // salutation rule: placeholders only
)

// parser holds what tag parsing needs to check names.
type parser struct {
	attrs       map[string]resonanz.AttributeDef // nil: any key is accepted
	salutations map[string]bool                  // block names available
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// posError is a template error at a byte offset of the source.
type posError struct {
	off int
	msg string
}

func errAt(off int, format string, args ...any) *posError {
	return &posError{off: off, msg: fmt.Sprintf(format, args...)}
}

// lineCol converts a byte offset into a 1-based line and column (in runes).
func lineCol(src string, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return line, 1 + utf8.RuneCountInString(src[start:off])
}

// templateError turns a posError into the user-facing EINVALID error.
func templateError(field, src string, e *posError) error {
	line, col := lineCol(src, e.off)
	where := ""
	if field != "body" {
		where = field + ": "
	}
	return &resonanz.Error{Code: resonanz.EINVALID, Field: field, Key: "error.template.invalid",
		Params:  map[string]string{"line": strconv.Itoa(line), "column": strconv.Itoa(col), "detail": e.msg},
		Message: fmt.Sprintf("%sline %d, column %d: %s", where, line, col, e.msg)}
}

// findTagEnd returns the offset just after the "}}" closing the tag that
// starts at off (src[off:] begins with "{{"), skipping quoted strings.
func findTagEnd(src string, off int) (int, *posError) {
	for i := off + 2; i < len(src); i++ {
		switch src[i] {
		case '"':
			j := i + 1
			for ; j < len(src) && src[j] != '"' && src[j] != '\n'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			if j >= len(src) || src[j] != '"' {
				return 0, errAt(i, "unterminated string")
			}
			i = j
		case '\n':
			return 0, errAt(off, "unclosed {{ (a tag must end with }} on the same line)")
		case '}':
			if i+1 < len(src) && src[i+1] == '}' {
				return i + 2, nil
			}
		}
	}
	return 0, errAt(off, "unclosed {{ (a tag must end with }} on the same line)")
}

// token is a lexeme inside a tag.
type token struct {
	kind byte // 'i' identifier, 's' string, 'w' bare word, 'o' operator
	s    string
	off  int
}

func lexTag(src string, off, end int) ([]token, *posError) {
	var toks []token
	for i := off; i < end; {
		c := src[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < end && src[j] != '"'; j++ {
				if src[j] == '\\' && j+1 < end {
					j++
				}
				b.WriteByte(src[j])
			}
			if j >= end {
				return nil, errAt(i, "unterminated string")
			}
			toks = append(toks, token{'s', b.String(), i})
			i = j + 1
		case c == '|' || c == ':' || c == '=' || c == '<' || c == '>':
			if c == '=' && i+1 < end && src[i+1] == '=' {
				toks = append(toks, token{'o', "=", i})
				i += 2
				continue
			}
			toks = append(toks, token{'o', string(c), i})
			i++
		case c == '!' && i+1 < end && src[i+1] == '=':
			toks = append(toks, token{'o', "!=", i})
			i += 2
		case strings.HasPrefix(src[i:end], "≠"):
			toks = append(toks, token{'o', "!=", i})
			i += len("≠")
		default:
			j := i
			for j < end && !strings.ContainsRune(" \t\"|:=<>!", rune(src[j])) && !strings.HasPrefix(src[j:end], "≠") {
				j++
			}
			if j == i {
				return nil, errAt(i, "unexpected %q", src[i:i+1])
			}
			w := src[i:j]
			kind := byte('w')
			if keyPattern.MatchString(w) {
				kind = 'i'
			}
			toks = append(toks, token{kind, w, i})
			i = j
		}
	}
	return toks, nil
}

// parseTag parses the tag src[off:end] (including the braces).
func (p *parser) parseTag(src string, off, end int, m mode) (tag, *posError) {
	t := tag{off: off, end: end}
	toks, perr := lexTag(src, off+2, end-2)
	if perr != nil {
		return t, perr
	}
	if len(toks) == 0 {
		return t, errAt(off, "empty tag {{ }}")
	}
	first := toks[0]
	rest := toks[1:]
	if first.kind != 'i' {
		return t, errAt(first.off, "expected a placeholder name, found %q", first.s)
	}
	switch first.s {
	case "if", "else", "end":
		if m == modeRule {
			return t, errAt(first.off, "conditions are not allowed in salutation rules")
		}
		switch {
		case first.s == "if":
			t.kind = tagIf
		case first.s == "end":
			t.kind = tagEnd
		case len(rest) > 0 && rest[0].kind == 'i' && rest[0].s == "if":
			t.kind = tagElseIf
			rest = rest[1:]
		default:
			t.kind = tagElse
		}
		if t.kind == tagIf || t.kind == tagElseIf {
			c, perr := p.parseCond(rest, first.off)
			t.cond = c
			return t, perr
		}
		if len(rest) > 0 {
			return t, errAt(rest[0].off, "unexpected %q after %s", rest[0].s, first.s)
		}
		return t, nil
	case "salutation":
		if m == modeRule {
			return t, errAt(first.off, "a salutation rule cannot use {{ salutation }}")
		}
		t.kind = tagSalutation
		t.key = "formal"
		if len(rest) > 0 && rest[0].kind == 's' {
			t.key = rest[0].s
			if !p.salutations[t.key] {
				return t, errAt(rest[0].off, "unknown salutation block %q", t.key)
			}
			rest = rest[1:]
		}
	case "profile_url", "unsubscribe_url", "survey_url", "footer":
		if d, ok := p.attrs[first.s]; ok && !d.Builtin {
			goto value // an attribute of that name keeps working
		}
		return p.parseSystem(t, first, rest, m)
	case "content", "preheader", "subject", "lang":
		if m != modeLayout {
			if m == modeBody || m == modePlain {
				if _, ok := p.attrs[first.s]; ok || p.attrs == nil && first.s != "content" {
					goto value // a custom attribute may be called "subject"
				}
			}
			return t, errAt(first.off, "{{ %s }} can only be used in the layout", first.s)
		}
		t.kind = map[string]tagKind{"content": tagContent, "preheader": tagPreheader, "subject": tagSubject, "lang": tagLang}[first.s]
		if len(rest) > 0 {
			return t, errAt(rest[0].off, "unexpected %q after %s", rest[0].s, first.s)
		}
		return t, nil
	default:
		goto value
	}
	return p.parseFilters(t, rest)
value:
	t.kind = tagValue
	t.key = first.s
	if err := p.checkKey(first); err != nil {
		return t, err
	}
	return p.parseFilters(t, rest)
}

// System link kinds, as Options.SystemURL receives them.
const (
	SystemProfile     = "profile"
	SystemUnsubscribe = "unsubscribe"
	SystemSurvey      = "survey"
)

// parseSystem parses the recipient's system links and the layout footer.
func (p *parser) parseSystem(t tag, first token, rest []token, m mode) (tag, *posError) {
	if first.s == "footer" {
		if m != modeLayout {
			return t, errAt(first.off, "{{ footer }} can only be used in the layout")
		}
		t.kind = tagFooter
	} else {
		if m != modeBody && m != modeLayout {
			return t, errAt(first.off, "{{ %s }} can only be used in the body or the layout", first.s)
		}
		t.kind = tagSystem
		t.key = strings.TrimSuffix(first.s, "_url")
		if first.s == "survey_url" {
			if len(rest) == 0 || rest[0].kind != 's' {
				return t, errAt(first.off, `survey_url needs the survey's short name in quotes, e.g. {{ survey_url "leserumfrage" }}`)
			}
			if !resonanz.ValidSlug(rest[0].s) {
				return t, errAt(rest[0].off, "%q is not a survey short name (lower-case letters, digits and dashes)", rest[0].s)
			}
			t.arg = rest[0].s
			rest = rest[1:]
		}
	}
	if len(rest) > 0 {
		return t, errAt(rest[0].off, "unexpected %q after %s (system links take no filters)", rest[0].s, first.s)
	}
	return t, nil
}

func (p *parser) checkKey(tok token) *posError {
	if tok.kind != 'i' {
		return errAt(tok.off, "expected a placeholder name, found %q", tok.s)
	}
	if p.attrs != nil {
		if _, ok := p.attrs[tok.s]; !ok {
			return errAt(tok.off, "unknown placeholder %q", tok.s)
		}
	}
	return nil
}

func (p *parser) parseFilters(t tag, toks []token) (tag, *posError) {
	for len(toks) > 0 {
		if toks[0].kind != 'o' || toks[0].s != "|" {
			return t, errAt(toks[0].off, "expected | before %q", toks[0].s)
		}
		if len(toks) < 2 || toks[1].kind != 'i' {
			return t, errAt(toks[0].off, "expected a filter name after |")
		}
		name := toks[1]
		f := filter{name: name.s, n: -1}
		toks = toks[2:]
		hasArg := false
		if len(toks) > 0 && toks[0].kind == 'o' && toks[0].s == ":" {
			if len(toks) < 2 || toks[1].kind == 'o' {
				return t, errAt(toks[0].off, "expected a value after %s:", name.s)
			}
			f.arg, hasArg = toks[1].s, true
			toks = toks[2:]
		}
		switch f.name {
		case "default", "prefix", "suffix":
			if !hasArg {
				return t, errAt(name.off, `the filter %s needs a value, e.g. %s:"..."`, name.s, name.s)
			}
			f.arg = neutralize(f.arg)
		case "capitalize", "upper", "lower", "required", "trim":
			if hasArg {
				return t, errAt(name.off, "the filter %s takes no value", name.s)
			}
		case "date":
			if !hasArg {
				f.arg = "medium"
			}
			switch f.arg {
			case "short", "medium", "long", "iso":
			default:
				return t, errAt(name.off, `unknown date format %q; use "short", "medium", "long" or "iso"`, f.arg)
			}
			if d, ok := p.attrs[t.key]; ok && t.kind == tagValue && d.Type != resonanz.AttrDate {
				return t, errAt(name.off, "%s is not a date attribute", t.key)
			}
		case "number":
			if hasArg {
				n, err := strconv.Atoi(f.arg)
				if err != nil || n < 0 || n > 10 {
					return t, errAt(name.off, "number:%q: give the number of decimals (0 to 10)", f.arg)
				}
				f.n = n
			}
			if d, ok := p.attrs[t.key]; ok && t.kind == tagValue && d.Type != resonanz.AttrNumber {
				return t, errAt(name.off, "%s is not a number attribute", t.key)
			}
		default:
			return t, errAt(name.off, "unknown filter %q", name.s)
		}
		t.filters = append(t.filters, f)
	}
	return t, nil
}

func (p *parser) parseCond(toks []token, off int) (cond, *posError) {
	var c cond
	if len(toks) == 0 {
		return c, errAt(off, "if needs a condition, e.g. {{ if city = \"Berlin\" }} or {{ if in \"Group\" }}")
	}
	// Target groups: in "Group" / not in "Group".
	neg := toks[0].kind == 'i' && toks[0].s == "not" && len(toks) > 1 && toks[1].s == "in"
	if neg {
		toks = toks[1:]
	}
	if toks[0].kind == 'i' && toks[0].s == "in" && (len(toks) == 1 || toks[1].kind == 's' || toks[1].kind == 'w') {
		if len(toks) != 2 || strings.TrimSpace(toks[1].s) == "" {
			return c, errAt(toks[0].off, `expected a target group name in quotes after in, e.g. in "Stammkunden"`)
		}
		c.Op, c.Value = resonanz.BlockInGroup, toks[1].s
		if neg {
			c.Op = resonanz.BlockNotInGroup
		}
		return c, nil
	}
	key := toks[0]
	if err := p.checkKey(key); err != nil {
		return c, err
	}
	c.Key = key.s
	if len(toks) < 2 {
		return c, errAt(key.off, "expected an operator after %s (=, !=, contains, empty, not empty, before, after, >, <)", key.s)
	}
	op := toks[1]
	rest := toks[2:]
	switch {
	case op.s == "empty":
		c.Op = resonanz.BlockEmpty
	case op.s == "not" && len(rest) > 0 && rest[0].s == "empty":
		c.Op = resonanz.BlockNotEmpty
		rest = rest[1:]
	case op.s == "=" || op.s == "!=" || op.s == ">" || op.s == "<" || op.s == "contains" || op.s == "before" || op.s == "after":
		c.Op = resonanz.BlockOp(op.s)
		if len(rest) == 0 || rest[0].kind == 'o' {
			return c, errAt(op.off, "expected a value after %s", op.s)
		}
		c.Value = rest[0].s
		val := rest[0]
		rest = rest[1:]
		switch c.Op {
		case resonanz.BlockBefore, resonanz.BlockAfter:
			v, err := resonanz.AttributeDef{Key: c.Key, Label: c.Key, Type: resonanz.AttrDate}.Canonical(c.Value)
			if err != nil || v == "" {
				return c, errAt(val.off, "%q is not a date (use 2026-11-28 or 28.11.2026)", c.Value)
			}
			c.Value = v
		case resonanz.BlockGreater, resonanz.BlockLess:
			v, err := resonanz.AttributeDef{Key: c.Key, Label: c.Key, Type: resonanz.AttrNumber}.Canonical(c.Value)
			if err != nil || v == "" {
				return c, errAt(val.off, "%q is not a number", c.Value)
			}
			c.Value = v
			c.num, _ = strconv.ParseFloat(v, 64)
		default:
			if d, ok := p.attrs[c.Key]; ok && !d.Builtin && (d.Type == resonanz.AttrNumber || d.Type == resonanz.AttrDate || d.Type == resonanz.AttrBoolean) {
				if v, err := d.Canonical(c.Value); err == nil {
					c.Value = v
				}
			}
		}
	default:
		return c, errAt(op.off, "unknown operator %q (use =, !=, contains, empty, not empty, before, after, >, <)", op.s)
	}
	if len(rest) > 0 {
		return c, errAt(rest[0].off, "unexpected %q in condition", rest[0].s)
	}
	return c, nil
}

// neutralize makes a value safe for every output: valid UTF-8, and control
// characters and line/paragraph separators replaced by spaces, so nothing a
// recipient's data contains can break a header line.
func neutralize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	if utf8.ValidString(s) && !strings.ContainsFunc(s, badRune) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // invalid bytes arrive as utf8.RuneError
		if badRune(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func badRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == 0x85
}
