package render

import (
	"unicode/utf8"
)

// ectx is the escaping context a value is written in.
type ectx uint8

const (
	ctxText ectx = iota // plain text: as is (values are neutralized anyway)
	ctxHTML             // HTML text or a quoted attribute value
	ctxURL              // a component of a URL: percent-encoded
)

// opKind is an instruction of a compiled program. A program is a flat list
// of literal pieces and slots filled per recipient; conditions jump.
type opKind uint8

const (
	opLit       opKind = iota // write s
	opValue                   // write the placeholder t
	opSal                     // write the salutation t
	opIf                      // if t.cond fails, continue at the next branch
	opElseIf                  // reached from a taken branch: jump to end
	opElse                    // reached from a taken branch: jump to end
	opEnd                     // end of a conditional
	opLink                    // write the URL of link (sub is its URL program), rewritten
	opImage                   // write an image URL (sub), rewritten
	opWrapStart               // remember where a paragraph of the text part starts
	opWrapEnd                 // wrap the paragraph; s: first-line prefix, s2: prefix of the others
	opUnderline               // underline the last line with s (rune), prefix s2
	opContent                 // layout: the body
	opPreheader               // layout: the preheader (HTML-escaped)
	opSubject                 // layout: the subject (HTML-escaped)
	opLang                    // layout: the effective language
	opPixel                   // layout: the open pixel, if any
	opSystem                  // a system link's URL (t: kind and slug)
	opFooter                  // the footer with profile and unsubscribe links (ctx: HTML or text)
)

type op struct {
	kind opKind
	ctx  ectx
	s    string
	s2   string
	t    *tag
	link int
	sub  []op
	next int // opIf/opElseIf/opElse: index of the next branch op
	end  int // opElseIf/opElse: index of the opEnd
}

// prog builds a program, merging adjacent literals.
type prog struct {
	ops []op
}

func (p *prog) lit(s string) {
	if s == "" {
		return
	}
	if n := len(p.ops); n > 0 && p.ops[n-1].kind == opLit {
		p.ops[n-1].s += s
		return
	}
	p.ops = append(p.ops, op{kind: opLit, s: s})
}

func (p *prog) add(o op) { p.ops = append(p.ops, o) }

// resolve fills the jump targets of conditionals; tags are balanced by then.
func resolve(ops []op) []op {
	type frame struct{ branches []int }
	var stack []frame
	for i := range ops {
		switch ops[i].kind {
		case opIf:
			stack = append(stack, frame{branches: []int{i}})
		case opElseIf, opElse:
			f := &stack[len(stack)-1]
			ops[f.branches[len(f.branches)-1]].next = i
			f.branches = append(f.branches, i)
		case opEnd:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			ops[f.branches[len(f.branches)-1]].next = i
			for _, b := range f.branches {
				ops[b].end = i
			}
		case opLink, opImage:
			ops[i].sub = resolve(ops[i].sub)
		}
	}
	return ops
}

// appendHTML appends s HTML-escaped (safe in text and quoted attributes).
func appendHTML(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// appendURL appends s percent-encoded except for unreserved characters, so
// a value can never end a query parameter or change the URL's structure.
func appendURL(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

func appendCtx(b []byte, s string, c ectx) []byte {
	switch c {
	case ctxHTML:
		return appendHTML(b, s)
	case ctxURL:
		return appendURL(b, s)
	}
	return append(b, s...)
}

// Markers stand for tags while goldmark parses the body: one rune of the
// supplementary private use area per tag. Sources containing such runes are
// rejected, so every marker found after parsing is ours.
const (
	markerBase = 0xF0000
	maxTags    = 0xFFFD
)

func marker(i int) string { return string(rune(markerBase + i)) }

// indexMarker returns the byte index of the first marker in b and its tag index.
func indexMarker(b []byte) (int, int) {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0xF3 && b[i+1] >= 0xB0 && b[i+1] <= 0xBF {
			r, _ := utf8.DecodeRune(b[i:])
			if r >= markerBase {
				return i, int(r - markerBase)
			}
		}
	}
	return -1, 0
}
