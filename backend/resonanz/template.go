package resonanz

// Template is a mailing's content before personalization: subject,
// preheader and a Markdown body with placeholders, conditional blocks and
// link metadata, wrapped in an HTML layout. The syntax is described in
// docs/templates.md; backend/render compiles and executes it.
type Template struct {
	Subject   string `json:"subject"`
	Preheader string `json:"preheader"` // the preview line mail clients show after the subject
	Body      string `json:"body"`      // Markdown
	// Layout is an HTML document with a {{ content }} slot for the body; empty
	// means the default responsive layout.
	Layout string `json:"layout"`
	// Language is the mailing's language ("de" or "en"); it applies to
	// recipients without a language of their own. Empty means "de".
	Language string `json:"language"`
	// Salutations adds salutation blocks or replaces the default ones of the
	// same name and language.
	Salutations []SalutationBlock `json:"salutations"`
}

// SalutationBlock (Anredebaustein) is a named, reusable rule set that turns a
// recipient into a salutation line, e.g. "Sehr geehrte Frau Dr. Müller".
// Templates use it as {{ salutation }} (the block named "formal") or
// {{ salutation "informal" }}.
type SalutationBlock struct {
	Name     string           `json:"name"`     // e.g. "formal", "informal"
	Language string           `json:"language"` // "de" or "en"
	Rules    []SalutationRule `json:"rules"`    // the first matching rule wins
}

// SalutationRule is one line of a salutation block. It matches a recipient
// whose gender is one of Genders (any gender when empty) and whose attributes
// named in Requires are all non-empty; Text is then rendered with the
// placeholder syntax, e.g. `Sehr geehrte Frau {{ title | suffix:" " }}{{ last_name }}`.
type SalutationRule struct {
	Genders  []Gender `json:"genders"`
	Requires []string `json:"requires"`
	Text     string   `json:"text"`
}

// LinkMeta describes one link of a mailing body, in order of appearance.
// Reports group clicks by Name; Tags feed recipients' interest scores.
type LinkMeta struct {
	Index int      `json:"index"` // 0-based position among the body's links
	URL   string   `json:"url"`   // as written; placeholders stay in {{ }} form
	Name  string   `json:"name"`  // report name; defaults to the link text
	Kind  string   `json:"kind"`  // LinkText or LinkImage
	Tags  []string `json:"tags"`  // interest tags, e.g. "Abenteuerreisen"
}

// BlockOp is the comparison of a BlockCondition.
type BlockOp string

// Condition operators. Text comparisons ignore case; before/after compare
// dates, greater/less numbers.
const (
	BlockEquals     BlockOp = "="
	BlockNotEquals  BlockOp = "!="
	BlockContains   BlockOp = "contains"
	BlockEmpty      BlockOp = "empty"
	BlockNotEmpty   BlockOp = "not empty"
	BlockBefore     BlockOp = "before"
	BlockAfter      BlockOp = "after"
	BlockGreater    BlockOp = ">"
	BlockLess       BlockOp = "<"
	BlockInGroup    BlockOp = "in"     // Value names a target group
	BlockNotInGroup BlockOp = "not in" // Value names a target group
)

// BlockCondition decides whether a conditional block of a template is shown to a
// recipient: an attribute comparison (Key Op Value) or target-group
// membership (Op BlockInGroup/BlockNotInGroup, Value the group's name).
// Values of date and number attributes are in canonical form.
type BlockCondition struct {
	Key   string  `json:"key,omitempty"`
	Op    BlockOp `json:"op"`
	Value string  `json:"value,omitempty"`
}
