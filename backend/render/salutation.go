package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

const titleSp = `{{ title | suffix:" " }}`

// DefaultSalutations returns the salutation blocks every template can use:
// "formal" and "informal" in German and English. A template's own blocks of
// the same name and language replace them, and so do the project's own
// (Settings → salutations): that is how a business picks, per language, what
// a known name without a gender gets — the named neutral form ("Guten Tag
// Alex Weiß", "Hello Alex Weiß", the default) or, with that rule removed,
// the anonymous one ("Sehr geehrte Damen und Herren").
func DefaultSalutations() []resonanz.SalutationBlock {
	f, m, d := []resonanz.Gender{resonanz.GenderFemale}, []resonanz.Gender{resonanz.GenderMale}, []resonanz.Gender{resonanz.GenderDiverse}
	unknown := []resonanz.Gender{resonanz.GenderUnknown}
	last := []string{resonanz.KeyLastName}
	full := []string{resonanz.KeyFirstName, resonanz.KeyLastName}
	first := []string{resonanz.KeyFirstName}
	return []resonanz.SalutationBlock{
		{Name: "formal", Language: "de", Rules: []resonanz.SalutationRule{
			{Genders: f, Requires: last, Text: "Sehr geehrte Frau " + titleSp + "{{ last_name }}"},
			{Genders: m, Requires: last, Text: "Sehr geehrter Herr " + titleSp + "{{ last_name }}"},
			{Genders: d, Requires: full, Text: "Guten Tag " + titleSp + "{{ first_name }} {{ last_name }}"},
			{Genders: unknown, Requires: full, Text: "Guten Tag " + titleSp + "{{ first_name }} {{ last_name }}"},
			{Text: "Sehr geehrte Damen und Herren"},
		}},
		{Name: "informal", Language: "de", Rules: []resonanz.SalutationRule{
			{Requires: first, Text: "Hallo {{ first_name }}"},
			{Text: "Hallo"},
		}},
		{Name: "formal", Language: "en", Rules: []resonanz.SalutationRule{
			{Genders: []resonanz.Gender{resonanz.GenderFemale, resonanz.GenderMale, resonanz.GenderDiverse},
				Requires: []string{resonanz.KeyTitle, resonanz.KeyLastName}, Text: "Dear {{ title }} {{ last_name }}"},
			{Genders: f, Requires: last, Text: "Dear Ms {{ last_name }}"},
			{Genders: m, Requires: last, Text: "Dear Mr {{ last_name }}"},
			{Genders: d, Requires: full, Text: "Dear {{ first_name }} {{ last_name }}"},
			{Genders: unknown, Requires: full, Text: "Hello " + titleSp + "{{ first_name }} {{ last_name }}"},
			{Text: "Dear Sir or Madam"},
		}},
		{Name: "informal", Language: "en", Rules: []resonanz.SalutationRule{
			{Requires: first, Text: "Hi {{ first_name }}"},
			{Text: "Hi"},
		}},
	}
}

type salBlock struct {
	name, lang string
	rules      []salRule
}

type salRule struct {
	genders  []resonanz.Gender
	requires []string
	text     []op
}

func compileBlock(b resonanz.SalutationBlock) (*salBlock, error) {
	sb := &salBlock{name: strings.TrimSpace(b.Name), lang: normLang(b.Language)}
	if sb.name == "" || sb.lang == "" {
		return nil, resonanz.FieldError("salutations", "error.template.salutation.invalid",
			"A salutation block needs a name and a language (de or en).")
	}
	p := &parser{}
	for i, r := range b.Rules {
		text, perr := p.compilePlain(r.Text, modeRule, ctxText)
		if perr != nil {
			line, col := lineCol(r.Text, perr.off)
			return nil, &resonanz.Error{Code: resonanz.EINVALID, Field: "salutations", Key: "error.template.salutation.invalid",
				Message: fmt.Sprintf("salutation %q (%s), rule %d: line %d, column %d: %s", sb.name, sb.lang, i+1, line, col, perr.msg)}
		}
		for _, k := range r.Requires {
			if !keyPattern.MatchString(k) {
				return nil, resonanz.FieldError("salutations", "error.template.salutation.invalid",
					fmt.Sprintf("salutation %q (%s), rule %d: %q is not an attribute key.", sb.name, sb.lang, i+1, k))
			}
		}
		sb.rules = append(sb.rules, salRule{genders: r.Genders, requires: r.Requires, text: text})
	}
	return sb, nil
}

func compileSalutations(extra []resonanz.SalutationBlock) (map[string]*salBlock, error) {
	m := map[string]*salBlock{}
	for _, b := range append(DefaultSalutations(), extra...) {
		sb, err := compileBlock(b)
		if err != nil {
			return nil, err
		}
		m[sb.lang+"/"+sb.name] = sb
	}
	return m, nil
}

// match returns the index of the first rule that applies to r, or -1.
func (b *salBlock) match(s *state) int {
	for i, rl := range b.rules {
		if len(rl.genders) > 0 && !slices.Contains(rl.genders, s.r.Gender) {
			continue
		}
		ok := true
		for _, k := range rl.requires {
			if strings.TrimSpace(s.raw(k)) == "" {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// SalutationSample is a salutation block evaluated for one recipient.
type SalutationSample struct {
	Text string `json:"text"`
	Rule int    `json:"rule"` // index of the matching rule; -1 when none matched
}

// EvalSalutation evaluates a salutation block against sample recipients,
// e.g. for the live table of the salutation editor. The block's language is
// used regardless of the recipients' languages.
func EvalSalutation(block resonanz.SalutationBlock, samples []resonanz.Recipient) ([]SalutationSample, error) {
	sb, err := compileBlock(block)
	if err != nil {
		return nil, err
	}
	out := make([]SalutationSample, len(samples))
	t := &Template{lang: sb.lang}
	for i := range samples {
		s := state{t: t, r: &samples[i], lang: sb.lang}
		out[i].Rule = sb.match(&s)
		if out[i].Rule >= 0 {
			out[i].Text = collapse(string(s.run(nil, sb.rules[out[i].Rule].text)))
		}
	}
	return out, nil
}
