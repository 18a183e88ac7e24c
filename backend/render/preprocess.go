package render

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// posmap maps offsets of the preprocessed body back to the source.
type posmap []struct{ pre, orig int }

func (m posmap) orig(p int) int {
	i := sort.Search(len(m), func(i int) bool { return m[i].pre > p }) - 1
	if i < 0 {
		return p
	}
	return m[i].orig + (p - m[i].pre)
}

// preprocess parses the tags of src and replaces each with a marker rune.
// In the body a condition tag alone on its line becomes a paragraph of its
// own, so block conditions wrap whole Markdown blocks.
func (p *parser) preprocess(src string, m mode) ([]byte, []tag, posmap, *posError) {
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, nil, nil, errAt(i, "the text is not valid UTF-8")
		}
		if r >= markerBase {
			return nil, nil, nil, errAt(i, "unsupported character U+%X", r)
		}
		i += size
	}
	var (
		b    []byte
		tags []tag
		pm   posmap
		last int
	)
	copyTo := func(end int) {
		if last < end {
			pm = append(pm, struct{ pre, orig int }{len(b), last})
			b = append(b, src[last:end]...)
		}
	}
	for i := 0; ; {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			break
		}
		j += i
		if j > 0 && src[j-1] == '\\' {
			if m != modeBody { // Markdown unescapes \{ itself
				copyTo(j - 1)
				last = j
			}
			i = j + 2
			continue
		}
		end, perr := findTagEnd(src, j)
		if perr != nil {
			return nil, nil, nil, perr
		}
		t, perr := p.parseTag(src, j, end, m)
		if perr != nil {
			return nil, nil, nil, perr
		}
		if len(tags) >= maxTags {
			return nil, nil, nil, errAt(j, "too many tags")
		}
		ls := strings.LastIndexByte(src[:j], '\n') + 1
		le := strings.IndexByte(src[end:], '\n')
		if le < 0 {
			le = len(src)
		} else {
			le += end
		}
		alone := m == modeBody && t.kind.control() &&
			strings.TrimLeft(src[ls:j], " \t") == "" && strings.TrimSpace(src[end:le]) == ""
		if alone {
			copyTo(ls)
			b = append(b, '\n')
			last = ls
			copyTo(j)
		} else {
			copyTo(j)
		}
		pm = append(pm, struct{ pre, orig int }{len(b), j})
		b = append(b, marker(len(tags))...)
		tags = append(tags, t)
		last = end
		if alone {
			pm = append(pm, struct{ pre, orig int }{len(b), end})
			b = append(b, '\n', '\n')
			last = le
		}
		i = max(end, last)
	}
	copyTo(len(src))
	return b, tags, pm, nil
}
