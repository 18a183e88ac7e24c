package resonanz

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Condition kinds of a target-group rule.
const (
	CondGroup       = "group"        // nested AND/OR of Conditions
	CondAttribute   = "attribute"    // Field Op Value
	CondList        = "list"         // member of ListID (with Status, default confirmed)
	CondConsent     = "consent"      // current consent for Purpose (ListID for newsletter) is granted
	CondReaction    = "reaction"     // Reaction on MailingID / any mailing of ListID / LinkID / Tag within Days
	CondInterest    = "interest"     // interest score for Tag ≥ Min
	CondTargetGroup = "target_group" // member of the saved target group TargetGroupID
)

// Attribute operators.
const (
	OpEq       = "eq"
	OpNe       = "ne"
	OpContains = "contains"
	OpStarts   = "starts"
	OpEnds     = "ends"
	OpEmpty    = "empty"
	OpNotEmpty = "not_empty"
	OpBefore   = "before" // dates
	OpAfter    = "after"  // dates
	OpGt       = "gt"     // numbers
	OpLt       = "lt"     // numbers
)

// Reactions a condition can ask for.
const (
	ReactOpened    = "opened"
	ReactClicked   = "clicked"
	ReactNotOpened = "not_opened" // received the mailing(s) but opened none
	ReactBounced   = "bounced"
)

// Scopes of a reaction condition.
const (
	ScopeAny     = "any"
	ScopeMailing = "mailing"
	ScopeList    = "list"
)

// RuleCount is a live count of a rule with the number it would have if
// reaction conditions did not require the consent their purpose needs now:
// "24 clicked, 1 of them with consent to analysis".
type RuleCount struct {
	Count           int `json:"count"`
	IgnoringConsent int `json:"ignoringConsent"`
}

// Condition is one node of a target-group rule. Which fields matter depends
// on Kind. Negate inverts the node (e.g. "not in list").
type Condition struct {
	Kind   string `json:"kind"`
	Negate bool   `json:"negate,omitempty"`
	// CondGroup
	Match      string      `json:"match,omitempty"` // "all" (AND) or "any" (OR)
	Conditions []Condition `json:"conditions,omitempty"`
	// CondAttribute
	Field string `json:"field,omitempty"`
	Op    string `json:"op,omitempty"`
	Value string `json:"value,omitempty"`
	// CondList, CondConsent (newsletter), CondReaction (any mailing of the list)
	ListID int64  `json:"listId,omitempty"`
	Status string `json:"status,omitempty"`
	// CondConsent
	Purpose string `json:"purpose,omitempty"`
	// CondReaction
	Reaction string `json:"reaction,omitempty"`
	// Scope says what the reaction is on: ScopeMailing (MailingID),
	// ScopeList (any mailing of ListID) or ScopeAny; "" infers it from the
	// ids. A scope without its id is refused (an incomplete condition).
	Scope     string `json:"scope,omitempty"`
	MailingID int64  `json:"mailingId,omitempty"`
	LinkID    int64  `json:"linkId,omitempty"`
	Tag       string `json:"tag,omitempty"` // also CondInterest
	Days      int    `json:"days,omitempty"`
	// CondInterest
	Min float64 `json:"min,omitempty"`
	// CondTargetGroup
	TargetGroupID int64 `json:"targetGroupId,omitempty"`
}

// MaxRuleDepth bounds nesting of groups (and saved groups used in groups).
const MaxRuleDepth = 8

// Validate checks a rule and says which condition is wrong (path like
// "2.1" for the first condition of the second).
func (c Condition) Validate() error { return c.validate("", 0) }

func (c Condition) validate(path string, depth int) error {
	bad := func(msg string) error {
		where := "The rule"
		if path != "" {
			where = "Condition " + path
		}
		return &Error{Code: EINVALID, Key: "error.targetGroup.condition", Field: "rule", Message: where + ": " + msg,
			Params: map[string]string{"detail": where + ": " + msg}}
	}
	// incomplete names a choice still to be made, with its own message key.
	incomplete := func(key, msg string) error {
		err := bad(msg).(*Error)
		err.Key = key
		return err
	}
	if depth > MaxRuleDepth {
		return bad("groups are nested too deeply.")
	}
	switch c.Kind {
	case CondGroup:
		if c.Match != "all" && c.Match != "any" {
			return bad("a group matches all or any of its conditions.")
		}
		for i, sub := range c.Conditions {
			p := strconv.Itoa(i + 1)
			if path != "" {
				p = path + "." + p
			}
			if err := sub.validate(p, depth+1); err != nil {
				return err
			}
		}
	case CondAttribute:
		if strings.TrimSpace(c.Field) == "" {
			return bad("choose an attribute.")
		}
		switch c.Op {
		case OpEq, OpNe, OpContains, OpStarts, OpEnds, OpBefore, OpAfter, OpGt, OpLt:
			if c.Value == "" && c.Op != OpEq && c.Op != OpNe {
				return bad("enter a value to compare with.")
			}
		case OpEmpty, OpNotEmpty:
		default:
			return bad("unknown comparison " + quoteShort(c.Op) + ".")
		}
		if utf8.RuneCountInString(c.Value) > 1000 {
			return bad("the value is too long.")
		}
	case CondList:
		if c.ListID == 0 {
			return bad("choose a list.")
		}
		switch c.Status {
		case "", StatusConfirmed, StatusUnconfirmed, StatusUnsubscribed:
		default:
			return bad("unknown membership status.")
		}
	case CondConsent:
		switch c.Purpose {
		case PurposeTrackingOpens, PurposeTrackingClicks, PurposeProfiling:
		case PurposeNewsletter:
			if c.ListID == 0 {
				return bad("newsletter consent is per list; choose the list.")
			}
		default:
			return bad("unknown consent purpose.")
		}
	case CondReaction:
		switch c.Reaction {
		case ReactOpened, ReactNotOpened, ReactBounced:
			if c.LinkID != 0 || c.Tag != "" {
				return bad("links and tags only go with clicks.")
			}
		case ReactClicked:
		default:
			return bad("unknown reaction.")
		}
		if c.Days < 0 || c.Days > 3650 {
			return bad("the period is 1 to 3650 days (0: any time).")
		}
		switch c.Scope {
		case "", ScopeAny:
		case ScopeMailing:
			if c.MailingID == 0 {
				return incomplete("error.targetGroup.reaction.mailingRequired", "choose the mailing.")
			}
		case ScopeList:
			if c.ListID == 0 {
				return incomplete("error.targetGroup.reaction.listRequired", "choose the list whose mailings count.")
			}
		default:
			return bad("unknown scope " + quoteShort(c.Scope) + ".")
		}
	case CondInterest:
		if strings.TrimSpace(c.Tag) == "" {
			return bad("choose an interest tag.")
		}
		if c.Min <= 0 {
			return bad("the minimum interest score must be above 0.")
		}
	case CondTargetGroup:
		if c.TargetGroupID == 0 {
			return bad("choose a target group.")
		}
	default:
		return bad("unknown kind of condition " + quoteShort(c.Kind) + ".")
	}
	return nil
}

// TargetGroup is a saved rule (Zielgruppe): a mailing's audience, or the
// condition of a content block.
type TargetGroup struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Rule        Condition `json:"rule"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Validate checks the name and the rule.
func (g TargetGroup) Validate() error {
	if strings.TrimSpace(g.Name) == "" {
		return FieldError("name", "error.targetGroup.name.required", "Give the target group a name.")
	}
	if utf8.RuneCountInString(g.Name) > MaxNameLength {
		return FieldError("name", "error.targetGroup.name.tooLong", "The name is too long (at most 200 characters).")
	}
	return g.Rule.Validate()
}

// TargetGroupService stores target groups and evaluates rules. Only
// personal, consented reaction rows can qualify someone; anonymous counts
// never do.
type TargetGroupService interface {
	TargetGroups(ctx context.Context) ([]TargetGroup, error)
	SaveTargetGroup(ctx context.Context, g TargetGroup) (TargetGroup, error)
	DeleteTargetGroup(ctx context.Context, id int64) error
	// CountMatching counts the recipients the rule selects (live count).
	CountMatching(ctx context.Context, rule Condition) (int, error)
	// ExplainCount is CountMatching with the count the rule would have if
	// reaction conditions did not require current consent. Returns
	// EINVALID (field "rule") for an incomplete or invalid rule.
	ExplainCount(ctx context.Context, rule Condition) (RuleCount, error)
	// Matching returns a page of the recipients the rule selects.
	Matching(ctx context.Context, rule Condition, f RecipientFilter) (RecipientPage, error)
}
