package render

import (
	"bytes"
)

// compilePlain compiles a text without Markdown (subject, preheader, layout,
// salutation rule) into a program writing values in context c.
func (p *parser) compilePlain(src string, m mode, c ectx) ([]op, *posError) {
	pre, tags, _, perr := p.preprocess(src, m)
	if perr != nil {
		return nil, perr
	}
	var (
		pr       prog
		stack    []int // tag indexes of open ifs
		seen     []bool
		contents int
		html     htmlScanner // layouts: where each placeholder stands
	)
	lit := func(s []byte) {
		if m == modeLayout {
			html.feed(s)
		}
		if m == modePlain || m == modeRule {
			s = bytes.Map(func(r rune) rune {
				if badRune(r) {
					return ' '
				}
				return r
			}, s)
		}
		pr.lit(string(s))
	}
	for len(pre) > 0 {
		i, idx := indexMarker(pre)
		if i < 0 {
			lit(pre)
			break
		}
		lit(pre[:i])
		pre = pre[i+4:]
		t := &tags[idx]
		if m == modeLayout && !t.kind.control() {
			if why := html.check(t.kind); why != "" {
				return nil, errAt(t.off, "%s", why)
			}
			html.feed([]byte("x")) // the value stands for some text
		}
		switch t.kind {
		case tagValue:
			pr.add(op{kind: opValue, ctx: c, t: t})
		case tagSalutation:
			pr.add(op{kind: opSal, ctx: c, t: t})
		case tagIf:
			stack = append(stack, idx)
			seen = append(seen, false)
			pr.add(op{kind: opIf, t: t})
		case tagElseIf, tagElse, tagEnd:
			if len(stack) == 0 {
				return nil, errAt(t.off, "%s without {{ if }}", tagName(t.kind))
			}
			if seen[len(seen)-1] && t.kind != tagEnd {
				return nil, errAt(t.off, "%s after {{ else }}", tagName(t.kind))
			}
			k := map[tagKind]opKind{tagElseIf: opElseIf, tagElse: opElse, tagEnd: opEnd}[t.kind]
			pr.add(op{kind: k, t: t})
			if t.kind == tagElse {
				seen[len(seen)-1] = true
			}
			if t.kind == tagEnd {
				stack, seen = stack[:len(stack)-1], seen[:len(seen)-1]
			}
		case tagContent:
			// Placed errors for a layout editor; a missing {{ content }} has
			// no place and is reported by Compile.
			if len(stack) > 0 {
				return nil, errAt(t.off, "{{ content }} must not be inside a condition: the text must always be there")
			}
			if contents++; contents > 1 {
				return nil, errAt(t.off, "{{ content }} a second time: the layout must contain it exactly once")
			}
			pr.add(op{kind: opContent})
		case tagPreheader:
			pr.add(op{kind: opPreheader})
		case tagSubject:
			pr.add(op{kind: opSubject})
		case tagLang:
			pr.add(op{kind: opLang})
		case tagSystem:
			pr.add(op{kind: opSystem, ctx: c, t: t})
		case tagFooter:
			pr.add(op{kind: opFooter, ctx: ctxHTML})
		}
	}
	if len(stack) > 0 {
		return nil, errAt(tags[stack[len(stack)-1]].off, "{{ if }} without {{ end }}")
	}
	return resolve(pr.ops), nil
}

func tagName(k tagKind) string {
	switch k {
	case tagIf:
		return "{{ if }}"
	case tagElseIf:
		return "{{ else if }}"
	case tagElse:
		return "{{ else }}"
	}
	return "{{ end }}"
}
