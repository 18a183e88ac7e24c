package render

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Template is a compiled mailing template: parsed once by Compile, then
// executed per recipient by Execute. It is immutable and safe for concurrent
// use.
type Template struct {
	lang      string
	subject   []op
	preheader []op
	layout    []op
	html      []op
	text      []op
	links     []resonanz.LinkMeta
	groups    []string
	system    []SystemLink
	sal       map[string]*salBlock // key: language + "/" + name
}

// SystemLink is a system link a template uses: Kind is SystemProfile,
// SystemUnsubscribe or SystemSurvey (Slug names the survey).
type SystemLink struct {
	Kind string
	Slug string
}

// SystemLinks returns the system links the body and layout use (the
// footer's not counted: it is left out without a listener), each once.
func (t *Template) SystemLinks() []SystemLink { return t.system }

// Surveys returns the slugs of the surveys the template links, sorted.
func (t *Template) Surveys() []string {
	var out []string
	for _, l := range t.system {
		if l.Kind == SystemSurvey {
			out = append(out, l.Slug)
		}
	}
	return out
}

// Links returns the body's links in order of appearance.
func (t *Template) Links() []resonanz.LinkMeta { return t.links }

// Groups returns the names of the target groups the template's conditions
// ask about, sorted, so a sender can evaluate them once beforehand.
func (t *Template) Groups() []string { return t.groups }

// Language returns the mailing's language ("de" or "en").
func (t *Template) Language() string { return t.lang }

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

// Compile parses and checks a template. attrs lists the attribute
// definitions of the project (builtin and custom); when it is non-nil,
// placeholders and conditions naming other keys are errors. Errors are
// *resonanz.Error with code EINVALID, Field "subject", "preheader", "body"
// or "layout", and a message starting with the line and column.
func Compile(tpl resonanz.Template, attrs []resonanz.AttributeDef) (*Template, error) {
	t := &Template{lang: normLang(tpl.Language)}
	if t.lang == "" {
		t.lang = "de"
	}
	p := &parser{salutations: map[string]bool{}}
	if attrs != nil {
		p.attrs = map[string]resonanz.AttributeDef{}
		for _, a := range resonanz.BuiltinAttributes {
			p.attrs[a.Key] = a
		}
		for _, a := range attrs {
			p.attrs[a.Key] = a
		}
	}
	var err error
	if t.sal, err = compileSalutations(tpl.Salutations); err != nil {
		return nil, err
	}
	for _, b := range t.sal {
		p.salutations[b.name] = true
	}
	var perr *posError
	if t.subject, perr = p.compilePlain(tpl.Subject, modePlain, ctxText); perr != nil {
		return nil, templateError("subject", tpl.Subject, perr)
	}
	if t.preheader, perr = p.compilePlain(tpl.Preheader, modePlain, ctxText); perr != nil {
		return nil, templateError("preheader", tpl.Preheader, perr)
	}
	layout := tpl.Layout
	if strings.TrimSpace(layout) == "" {
		layout = DefaultLayout
	}
	if t.layout, perr = p.compilePlain(layout, modeLayout, ctxHTML); perr != nil {
		return nil, templateError("layout", layout, perr)
	}
	contents := 0
	for _, o := range t.layout {
		if o.kind == opContent {
			contents++
		}
	}
	if contents != 1 {
		return nil, resonanz.FieldError("layout", "error.template.layout.content",
			"The layout must contain {{ content }} exactly once, outside of conditions.")
	}
	t.layout = insertPixel(t.layout)
	if perr = t.compileBody(p, tpl.Body); perr != nil {
		return nil, templateError("body", tpl.Body, perr)
	}
	// The text part gets the footer when the layout has one.
	for _, o := range t.layout {
		if o.kind == opFooter {
			t.text = append(t.text, op{kind: opFooter, ctx: ctxText})
			break
		}
	}
	groups := map[string]bool{}
	system := map[SystemLink]bool{}
	for _, prg := range [][]op{t.subject, t.preheader, t.layout, t.html} {
		for _, o := range prg {
			if o.t != nil && (o.t.cond.Op == resonanz.BlockInGroup || o.t.cond.Op == resonanz.BlockNotInGroup) {
				groups[o.t.cond.Value] = true
			}
			if o.kind == opSystem && !system[SystemLink{o.t.key, o.t.arg}] {
				system[SystemLink{o.t.key, o.t.arg}] = true
				t.system = append(t.system, SystemLink{o.t.key, o.t.arg})
			}
		}
	}
	sort.Slice(t.system, func(i, j int) bool {
		a, b := t.system[i], t.system[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Slug < b.Slug
	})
	for g := range groups {
		t.groups = append(t.groups, g)
	}
	sort.Strings(t.groups)
	return t, nil
}

// insertPixel puts the open pixel slot before the layout's last </body>,
// or at its end.
func insertPixel(ops []op) []op {
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].kind != opLit {
			continue
		}
		k := strings.LastIndex(strings.ToLower(ops[i].s), "</body>")
		if k < 0 {
			continue
		}
		before, after := ops[i].s[:k], ops[i].s[k:]
		out := append([]op{}, ops[:i]...)
		out = append(out, op{kind: opLit, s: before}, op{kind: opPixel}, op{kind: opLit, s: after})
		return resolve(append(out, ops[i+1:]...))
	}
	return append(ops, op{kind: opPixel})
}

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

func (w *walker) inline(n ast.Node) {
	if w.skipUntil > 0 {
		if p := nodePos(n); p >= w.skipFrom && p < w.skipUntil {
			t, ok := n.(*ast.Text)
			if !ok || t.Segment.Stop <= w.skipUntil {
				if ok && t.SoftLineBreak() {
					w.h.lit("\n")
					w.t.lit(" ")
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
		if n.HardLineBreak() {
			w.h.lit("<br>\n")
			w.t.lit("\v")
		} else if n.SoftLineBreak() {
			w.h.lit("\n")
			w.t.lit(" ")
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
