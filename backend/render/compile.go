package render

import (
	"sort"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
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
