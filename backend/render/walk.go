package render

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// walker turns the goldmark AST of the body into the HTML and text programs.
type walker struct {
	src         []byte
	tags        []tag
	pm          posmap
	h, t        prog
	links       []resonanz.LinkMeta
	skipFrom    int // a link attribute block: source range the text output skips
	skipUntil   int
	linkCursor  int
	first, rest string // text part: prefix of the next line and of continuation lines
	conds       []condFrame
	err         *posError
}

type condFrame struct {
	container ast.Node
	tag       *tag
	sawElse   bool
}

var markdown = goldmark.New(goldmark.WithExtensions(extension.Strikethrough))

func (t *Template) compileBody(p *parser, body string) *posError {
	pre, tags, pm, perr := p.preprocess(body, modeBody)
	if perr != nil {
		return perr
	}
	doc := markdown.Parser().Parse(text.NewReader(pre))
	w := &walker{src: pre, tags: tags, pm: pm}
	w.block(doc)
	if w.err == nil && len(w.conds) > 0 {
		w.err = errAt(w.conds[len(w.conds)-1].tag.off, "{{ if }} without {{ end }}")
	}
	if w.err != nil {
		return w.err
	}
	// Every tag must have been emitted; a marker goldmark swallowed (e.g. in
	// a link reference definition) would silently lose a placeholder.
	t.html, t.text, t.links = resolve(w.h.ops), resolve(w.t.ops), w.links
	return nil
}

func (w *walker) fail(preOff int, format string, args ...any) {
	if w.err == nil {
		w.err = errAt(w.pm.orig(preOff), format, args...)
	}
}

func (w *walker) failTag(t *tag, format string, args ...any) {
	if w.err == nil {
		w.err = errAt(t.off, format, args...)
	}
}

func (w *walker) blocks(n ast.Node) {
	for c := n.FirstChild(); c != nil && w.err == nil; c = c.NextSibling() {
		w.block(c)
	}
}

// controlOnly reports the tag of a paragraph that holds nothing but a
// condition tag.
func (w *walker) controlOnly(n ast.Node) (*tag, bool) {
	c := n.FirstChild()
	if c == nil || c.NextSibling() != nil || c.Kind() != ast.KindText {
		return nil, false
	}
	v := bytes.TrimSpace(c.(*ast.Text).Segment.Value(w.src))
	i, idx := indexMarker(v)
	if i != 0 || len(v) != 4 || !w.tags[idx].kind.control() {
		return nil, false
	}
	return &w.tags[idx], true
}

func (w *walker) block(n ast.Node) {
	if w.err != nil {
		return
	}
	switch n := n.(type) {
	case *ast.Document:
		w.blocks(n)
	case *ast.Paragraph, *ast.TextBlock:
		if t, ok := w.controlOnly(n); ok {
			w.control(t, n.Parent())
			return
		}
		tight := n.Kind() == ast.KindTextBlock
		if !tight {
			w.h.lit("<p>")
		}
		w.t.add(op{kind: opWrapStart})
		w.inlines(n)
		w.t.add(op{kind: opWrapEnd, s: w.first, s2: w.rest})
		w.first = w.rest
		if tight {
			w.t.lit("\n")
			if n.NextSibling() != nil {
				w.h.lit("\n")
			}
		} else {
			w.h.lit("</p>\n")
			w.t.lit("\n\n")
		}
	case *ast.Heading:
		lvl := strconv.Itoa(n.Level)
		w.h.lit("<h" + lvl + ">")
		w.t.add(op{kind: opWrapStart})
		w.inlines(n)
		w.h.lit("</h" + lvl + ">\n")
		w.t.add(op{kind: opWrapEnd, s: w.first, s2: w.rest})
		switch n.Level {
		case 1:
			w.t.add(op{kind: opUnderline, s: "=", s2: w.rest})
		case 2:
			w.t.add(op{kind: opUnderline, s: "-", s2: w.rest})
		}
		w.t.lit("\n\n")
		w.first = w.rest
	case *ast.ThematicBreak:
		w.h.lit("<hr>\n")
		w.t.lit(w.first + "----------------------------------------\n\n")
		w.first = w.rest
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		w.h.lit("<pre><code>")
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			v := seg.Value(w.src)
			w.emit(&w.h, v, ctxHTML, seg.Start, "code")
			w.t.lit(w.first + "    ")
			w.first = w.rest
			w.emit(&w.t, bytes.TrimRight(v, "\r\n"), ctxText, seg.Start, "code")
			w.t.lit("\n")
		}
		w.h.lit("</code></pre>\n")
		w.t.lit("\n")
	case *ast.Blockquote:
		w.h.lit("<blockquote>\n")
		f, r := w.first, w.rest
		w.first, w.rest = f+"> ", r+"> "
		w.blocks(n)
		w.first, w.rest = r, r
		w.h.lit("</blockquote>\n")
		w.t.lit("\n")
	case *ast.List:
		tagName := "ul"
		if n.IsOrdered() {
			tagName = "ol"
			if n.Start != 1 {
				w.h.lit(`<ol start="` + strconv.Itoa(n.Start) + `">` + "\n")
			} else {
				w.h.lit("<ol>\n")
			}
		} else {
			w.h.lit("<ul>\n")
		}
		num := n.Start
		for item := n.FirstChild(); item != nil && w.err == nil; item = item.NextSibling() {
			mark := "- "
			if n.IsOrdered() {
				mark = strconv.Itoa(num) + ". "
				num++
			}
			w.h.lit("<li>")
			f, r := w.first, w.rest
			w.first, w.rest = f+mark, r+strings.Repeat(" ", len(mark))
			w.blocks(item)
			w.first, w.rest = r, r
			w.h.lit("</li>\n")
			if !n.IsTight {
				w.t.lit("\n")
			}
		}
		w.h.lit("</" + tagName + ">\n")
		w.t.lit("\n")
	case *ast.HTMLBlock:
		w.fail(n.Lines().At(0).Start, "HTML is not allowed in the body; use Markdown (put HTML into the layout)")
	default:
		w.blocks(n)
	}
}

func (w *walker) inlines(n ast.Node) {
	for c := n.FirstChild(); c != nil && w.err == nil; c = c.NextSibling() {
		w.inline(c)
	}
}

// nodePos returns the source offset of a node's first text, or -1.
func nodePos(n ast.Node) int {
	if t, ok := n.(*ast.Text); ok {
		return t.Segment.Start
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if p := nodePos(c); p >= 0 {
			return p
		}
	}
	return -1
}

func unescape(v []byte) []byte {
	if bytes.IndexByte(v, '\\') >= 0 {
		v = util.UnescapePunctuations(v)
	}
	if bytes.IndexByte(v, '&') >= 0 {
		v = util.ResolveEntityNames(util.ResolveNumericReferences(v))
	}
	return v
}

// lineBreak ends a line inside a paragraph. Every line break the writer
// typed is kept ("hard wraps"): mail writers expect "Herzliche Grüße⏎Ihr
// Team" on two lines, as in their mail program, not joined into one as
// Markdown would. A blank line still starts a new paragraph.
func (w *walker) lineBreak() {
	w.h.lit("<br>\n")
	w.t.lit("\v")
}

func (w *walker) inline(n ast.Node) {
	if w.skipUntil > 0 {
		if p := nodePos(n); p >= w.skipFrom && p < w.skipUntil {
			t, ok := n.(*ast.Text)
			if !ok || t.Segment.Stop <= w.skipUntil {
				if ok && t.SoftLineBreak() {
					w.lineBreak()
				}
				return
			}
			cut := *t
			cut.Segment = t.Segment.WithStart(w.skipUntil)
			n = &cut
		}
	}
	switch n := n.(type) {
	case *ast.Text:
		v := n.Segment.Value(w.src)
		if !n.IsRaw() {
			v = unescape(v)
		}
		w.flow(v, n.Parent(), n.Segment.Start)
		if n.HardLineBreak() || n.SoftLineBreak() {
			w.lineBreak()
		}
	case *ast.String:
		w.flow(n.Value, n.Parent(), -1)
	case *ast.CodeSpan:
		w.h.lit("<code>")
		w.inlines(n)
		w.h.lit("</code>")
	case *ast.Emphasis:
		tg := "em"
		if n.Level == 2 {
			tg = "strong"
		}
		w.h.lit("<" + tg + ">")
		w.inlines(n)
		w.h.lit("</" + tg + ">")
	case *east.Strikethrough:
		w.h.lit("<del>")
		w.inlines(n)
		w.h.lit("</del>")
	case *ast.Link:
		w.link(n)
	case *ast.Image:
		w.image(n, false)
	case *ast.AutoLink:
		w.autolink(n)
	case *ast.RawHTML:
		off := -1
		if n.Segments.Len() > 0 {
			off = n.Segments.At(0).Start
		}
		w.fail(off, "HTML is not allowed in the body; use Markdown (put HTML into the layout)")
	default:
		w.inlines(n)
	}
}

// flow emits body text with its tags to both programs.
func (w *walker) flow(v []byte, parent ast.Node, off int) {
	for len(v) > 0 && w.err == nil {
		i, idx := indexMarker(v)
		if i < 0 {
			w.h.lit(string(appendHTML(nil, string(v))))
			w.t.lit(string(v))
			return
		}
		w.h.lit(string(appendHTML(nil, string(v[:i]))))
		w.t.lit(string(v[:i]))
		v = v[i+4:]
		t := &w.tags[idx]
		switch t.kind {
		case tagValue:
			w.h.add(op{kind: opValue, ctx: ctxHTML, t: t})
			w.t.add(op{kind: opValue, ctx: ctxText, t: t})
		case tagSalutation:
			w.h.add(op{kind: opSal, ctx: ctxHTML, t: t})
			w.t.add(op{kind: opSal, ctx: ctxText, t: t})
		case tagSystem:
			w.h.add(op{kind: opSystem, ctx: ctxHTML, t: t})
			w.t.add(op{kind: opSystem, ctx: ctxText, t: t})
		default:
			w.control(t, parent)
		}
	}
}

// emit writes text with placeholders (no conditions) to one program.
func (w *walker) emit(p *prog, v []byte, c ectx, off int, where string) {
	for len(v) > 0 && w.err == nil {
		i, idx := indexMarker(v)
		if i < 0 {
			i = len(v)
		}
		switch c {
		case ctxHTML:
			p.lit(string(appendHTML(nil, string(v[:i]))))
		default:
			p.lit(string(v[:i]))
		}
		if i == len(v) {
			return
		}
		v = v[i+4:]
		t := &w.tags[idx]
		switch t.kind {
		case tagValue:
			p.add(op{kind: opValue, ctx: c, t: t})
		case tagSalutation:
			p.add(op{kind: opSal, ctx: c, t: t})
		case tagSystem:
			p.add(op{kind: opSystem, ctx: c, t: t})
		default:
			w.failTag(t, "conditions are not allowed in %s", where)
		}
	}
}

func (w *walker) control(t *tag, container ast.Node) {
	k := map[tagKind]opKind{tagIf: opIf, tagElseIf: opElseIf, tagElse: opElse, tagEnd: opEnd}[t.kind]
	if t.kind != tagIf {
		if len(w.conds) == 0 {
			w.failTag(t, "%s without {{ if }}", tagName(t.kind))
			return
		}
		f := &w.conds[len(w.conds)-1]
		if f.container != container {
			w.failTag(t, "%s must be in the same block as its {{ if }} (a condition cannot start inside a paragraph, list or link and end outside it)", tagName(t.kind))
			return
		}
		if f.sawElse && t.kind != tagEnd {
			w.failTag(t, "%s after {{ else }}", tagName(t.kind))
			return
		}
		if t.kind == tagElse {
			f.sawElse = true
		}
		if t.kind == tagEnd {
			w.conds = w.conds[:len(w.conds)-1]
		}
	} else {
		w.conds = append(w.conds, condFrame{container: container, tag: t})
	}
	w.h.add(op{kind: k, t: t})
	w.t.add(op{kind: k, t: t})
}

// plainText collects the text of inline nodes (for names and alt texts),
// markers included.
func (w *walker) plainText(n ast.Node, b []byte) []byte {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Segment.Value(w.src)
			if !c.IsRaw() {
				v = unescape(v)
			}
			b = append(b, v...)
			if c.SoftLineBreak() || c.HardLineBreak() {
				b = append(b, ' ')
			}
		case *ast.String:
			b = append(b, c.Value...)
		case *ast.AutoLink:
			b = append(b, c.Label(w.src)...)
		default:
			b = w.plainText(c, b)
		}
	}
	return b
}

// display replaces markers by the tags' source text.
func (w *walker) display(v []byte, src func(t *tag) string) string {
	var b strings.Builder
	for len(v) > 0 {
		i, idx := indexMarker(v)
		if i < 0 {
			b.Write(v)
			break
		}
		b.Write(v[:i])
		b.WriteString(src(&w.tags[idx]))
		v = v[i+4:]
	}
	return b.String()
}
