package resonanz

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// List is a mailing list recipients subscribe to.
type List struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	DoubleOptIn bool      `json:"doubleOptIn"`
	CreatedAt   time.Time `json:"createdAt"`
	// Counts by membership status, filled by Lists.
	Confirmed    int `json:"confirmed"`
	Unconfirmed  int `json:"unconfirmed"`
	Unsubscribed int `json:"unsubscribed"`
}

// Validate checks a list before it is stored.
func (l List) Validate() error {
	if n := strings.TrimSpace(l.Name); n == "" || utf8.RuneCountInString(n) > 100 || strings.ContainsAny(n, "\r\n") {
		return FieldError("name", "error.list.name.invalid", "Give the list a name of 1 to 100 characters on one line.")
	}
	if utf8.RuneCountInString(l.Description) > MaxFieldLength {
		return FieldError("description", "error.list.description.tooLong", "The description is too long (at most 1000 characters).")
	}
	return nil
}

// Membership status of a recipient on a list.
const (
	StatusUnconfirmed  = "unconfirmed"  // signed up, double opt-in pending
	StatusConfirmed    = "confirmed"    // may be mailed
	StatusUnsubscribed = "unsubscribed" // must not be mailed
)

// Membership is a recipient's status on one list.
type Membership struct {
	ListID    int64     `json:"listId"`
	ListName  string    `json:"listName"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ListService stores lists and memberships.
type ListService interface {
	Lists(ctx context.Context) ([]List, error)
	CreateList(ctx context.Context, l List) (List, error)
	ListByName(ctx context.Context, name string) (List, error)
}
