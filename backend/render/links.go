package render

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/yuin/goldmark/ast"
)

// findDest locates a link destination in the source for error positions.
func (w *walker) findDest(dest []byte, n ast.Node) int {
	if len(dest) > 0 {
		if i := bytes.Index(w.src[w.linkCursor:], dest); i >= 0 {
			w.linkCursor += i + len(dest)
			return w.linkCursor - len(dest)
		}
	}
	return nodePos(n)
}

// checkURL accepts absolute http, https and (for links) mailto URLs whose
// scheme and host contain no placeholder.
func (w *walker) checkURL(dest []byte, image bool) string {
	s := string(dest)
	lower := strings.ToLower(s)
	schemes := []string{"https://", "http://", "mailto:"}
	if image {
		schemes = schemes[:2]
	}
	ok := false
	for _, sc := range schemes {
		if strings.HasPrefix(lower, sc) {
			ok = true
			rest := s[len(sc):]
			if sc != "mailto:" {
				host := rest
				if k := strings.IndexAny(host, "/?#"); k >= 0 {
					host = host[:k]
				}
				if i, _ := indexMarker([]byte(host)); i >= 0 || host == "" {
					return "placeholders are only allowed in the path and query of a URL, not in its host"
				}
			} else if rest == "" {
				ok = false
			}
		}
	}
	if !ok {
		what := "link"
		allowed := "http://, https:// or mailto:"
		if image {
			what, allowed = "image", "http:// or https://"
		}
		shown := s
		if utf8.RuneCountInString(shown) > 60 {
			shown = string([]rune(shown)[:57]) + "..."
		}
		shown = w.display([]byte(shown), func(t *tag) string { return "{{…}}" })
		return "the " + what + " URL " + strconv.Quote(shown) + " is not allowed; use an absolute URL starting with " + allowed
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "URLs must not contain spaces or control characters"
	}
	return ""
}

// urlProg compiles a URL with placeholders; values are percent-encoded.
func (w *walker) urlProg(dest []byte, off int) []op {
	var p prog
	for len(dest) > 0 {
		i, idx := indexMarker(dest)
		if i < 0 {
			p.lit(string(dest))
			break
		}
		p.lit(string(dest[:i]))
		dest = dest[i+4:]
		t := &w.tags[idx]
		switch t.kind {
		case tagValue:
			p.add(op{kind: opValue, ctx: ctxURL, t: t})
		case tagSalutation:
			p.add(op{kind: opSal, ctx: ctxURL, t: t})
		case tagSystem:
			w.failTag(t, "{{ %s_url }} must be the whole URL of a link, e.g. [Link text]({{ %s_url }})", t.key, t.key)
		default:
			w.failTag(t, "conditions are not allowed in a URL")
		}
	}
	return p.ops
}

func (w *walker) link(n *ast.Link) {
	dest := n.Destination
	if i, idx := indexMarker(dest); i == 0 && len(dest) == 4 && w.tags[idx].kind == tagSystem {
		w.systemLink(n, &w.tags[idx])
		return
	}
	off := w.findDest(dest, n)
	if msg := w.checkURL(dest, false); msg != "" {
		w.fail(off, "%s", msg)
		return
	}
	label := w.plainText(n, nil)
	meta := resonanz.LinkMeta{Index: len(w.links), Kind: resonanz.LinkText}
	if c := n.FirstChild(); c != nil && c.NextSibling() == nil && c.Kind() == ast.KindImage {
		meta.Kind = resonanz.LinkImage
	}
	// Attribute block right after the link: {name="..." tags="..." kind=image}.
	if nx := n.NextSibling(); nx != nil {
		if t, ok := nx.(*ast.Text); ok && t.Segment.Start < len(w.src) && w.src[t.Segment.Start] == '{' {
			if end, msg, moff := parseLinkAttrs(w.src, t.Segment.Start, &meta); msg != "" {
				w.fail(moff, "%s", msg)
				return
			} else {
				w.skipFrom, w.skipUntil = t.Segment.Start, end
			}
		}
	}
	if meta.Name == "" {
		meta.Name = strings.TrimSpace(w.display(label, func(t *tag) string { return "{{ " + t.key + " }}" }))
		if meta.Name == "" {
			meta.Name = w.display(dest, func(t *tag) string { return "{{ " + t.key + " }}" })
		}
	}
	meta.URL = w.display(dest, func(t *tag) string { return srcOfTag(t) })
	w.links = append(w.links, meta)
	sub := w.urlProg(dest, off)
	w.h.lit(`<a href="`)
	w.h.add(op{kind: opLink, ctx: ctxHTML, link: meta.Index, sub: sub})
	w.h.lit(`"`)
	if len(n.Title) > 0 {
		w.h.lit(` title="`)
		w.emit(&w.h, unescape(n.Title), ctxHTML, off, "a link title")
		w.h.lit(`"`)
	}
	w.h.lit(` target="_blank">`)
	// Text part: "text (url)", or the URL alone when the text is the URL.
	if bytes.Equal(bytes.TrimSpace(label), dest) {
		w.t.add(op{kind: opLink, ctx: ctxText, link: meta.Index, sub: sub})
		w.inlinesHTMLOnly(n)
	} else {
		w.inlines(n)
		w.t.lit(" (")
		w.t.add(op{kind: opLink, ctx: ctxText, link: meta.Index, sub: sub})
		w.t.lit(")")
	}
	w.h.lit("</a>")
}

// systemLink renders a link whose URL is a system link: not a link of the
// mailing (no report name, never tracked), "text (URL)" in the text part.
func (w *walker) systemLink(n *ast.Link, t *tag) {
	w.h.lit(`<a href="`)
	w.h.add(op{kind: opSystem, ctx: ctxHTML, t: t})
	w.h.lit(`" target="_blank">`)
	w.inlines(n)
	w.h.lit("</a>")
	w.t.lit(" (")
	w.t.add(op{kind: opSystem, ctx: ctxText, t: t})
	w.t.lit(")")
}

// inlinesHTMLOnly renders children to the HTML program only.
func (w *walker) inlinesHTMLOnly(n ast.Node) {
	saved := w.t
	w.inlines(n)
	w.t = saved
}

func srcOfTag(t *tag) string {
	return "{{ " + t.key + " }}"
}

func (w *walker) image(n *ast.Image, inLink bool) {
	dest := n.Destination
	off := w.findDest(dest, n)
	if msg := w.checkURL(dest, true); msg != "" {
		w.fail(off, "%s", msg)
		return
	}
	alt := w.plainText(n, nil)
	w.h.lit(`<img src="`)
	w.h.add(op{kind: opImage, ctx: ctxHTML, sub: w.urlProg(dest, off)})
	w.h.lit(`" alt="`)
	w.emit(&w.h, alt, ctxHTML, off, "alt text")
	w.h.lit(`"`)
	if len(n.Title) > 0 {
		w.h.lit(` title="`)
		w.emit(&w.h, unescape(n.Title), ctxHTML, off, "an image title")
		w.h.lit(`"`)
	}
	w.h.lit(` style="max-width:100%;height:auto;border:0;">`)
	if len(bytes.TrimSpace(alt)) > 0 {
		if _, isLink := n.Parent().(*ast.Link); isLink {
			w.emit(&w.t, alt, ctxText, off, "alt text")
		} else {
			w.t.lit("[")
			w.emit(&w.t, alt, ctxText, off, "alt text")
			w.t.lit("]")
		}
	}
}

func (w *walker) autolink(n *ast.AutoLink) {
	url := n.URL(w.src)
	label := n.Label(w.src)
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(url), []byte("mailto:")) {
		url = append([]byte("mailto:"), url...)
	}
	off := w.findDest(label, n)
	if msg := w.checkURL(url, false); msg != "" {
		w.fail(off, "%s", msg)
		return
	}
	meta := resonanz.LinkMeta{Index: len(w.links), Kind: resonanz.LinkText,
		Name: w.display(label, srcOfTag), URL: w.display(url, srcOfTag)}
	w.links = append(w.links, meta)
	sub := w.urlProg(url, off)
	w.h.lit(`<a href="`)
	w.h.add(op{kind: opLink, ctx: ctxHTML, link: meta.Index, sub: sub})
	w.h.lit(`" target="_blank">`)
	w.emit(&w.h, label, ctxHTML, off, "a link")
	w.h.lit("</a>")
	if n.AutoLinkType == ast.AutoLinkEmail {
		w.emit(&w.t, label, ctxText, off, "a link")
	} else {
		w.t.add(op{kind: opLink, ctx: ctxText, link: meta.Index, sub: sub})
	}
}

// parseLinkAttrs reads {key="value" ...} at src[off] (on one line) into m.
// It returns the offset after the closing brace, or an error message and
// its offset.
func parseLinkAttrs(src []byte, off int, m *resonanz.LinkMeta) (int, string, int) {
	i := off + 1
	skip := func() {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
	}
	for {
		skip()
		if i >= len(src) || src[i] == '\n' {
			return 0, "unclosed { after the link: link attributes look like {name=\"Hero\" tags=\"Abenteuerreisen\"}", off
		}
		if src[i] == '}' {
			return i + 1, "", 0
		}
		ks := i
		for i < len(src) && (src[i] >= 'a' && src[i] <= 'z') {
			i++
		}
		key := string(src[ks:i])
		if i >= len(src) || src[i] != '=' || key == "" {
			return 0, "expected name=\"...\", tags=\"...\" or kind=text|image in the link attributes", ks
		}
		i++
		var val string
		if i < len(src) && src[i] == '"' {
			vs := i + 1
			for i = vs; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
			}
			if i >= len(src) || src[i] != '"' {
				return 0, "unterminated string in the link attributes", vs - 1
			}
			val = string(src[vs:i])
			i++
		} else {
			vs := i
			for i < len(src) && src[i] != ' ' && src[i] != '}' && src[i] != '\n' {
				i++
			}
			val = string(src[vs:i])
		}
		if k, _ := indexMarker([]byte(val)); k >= 0 {
			return 0, "placeholders are not allowed in link attributes", ks
		}
		val = strings.TrimSpace(neutralize(val))
		switch key {
		case "name":
			m.Name = val
		case "tags":
			m.Tags = nil
			for _, tg := range strings.Split(val, ",") {
				if tg = strings.TrimSpace(tg); tg != "" {
					m.Tags = append(m.Tags, tg)
				}
			}
		case "kind":
			if val != resonanz.LinkText && val != resonanz.LinkImage {
				return 0, "kind must be text or image", ks
			}
			m.Kind = val
		default:
			return 0, "unknown link attribute " + strconv.Quote(key) + " (use name, tags or kind)", ks
		}
	}
}
