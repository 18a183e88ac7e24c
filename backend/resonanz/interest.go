package resonanz

import (
	"math"
	"time"
)

// DefaultInterestHalfLife is how long until a click counts half for an
// interest score.
const DefaultInterestHalfLife = 90 * 24 * time.Hour

// InterestWeight is what one click of the given age adds to an interest
// score: 1 when new, halving every halfLife (recent clicks count more).
func InterestWeight(age, halfLife time.Duration) float64 {
	if age <= 0 || halfLife <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(halfLife))
}

// InterestScore is a person's interest in one tag: decayed clicks on links
// with the tag (only with profiling consent), plus declared interests.
type InterestScore struct {
	Tag       string    `json:"tag"`
	Score     float64   `json:"score"`
	Clicks    int       `json:"clicks"`
	LastClick time.Time `json:"lastClick,omitzero"`
	// Declared says the person named the interest in a survey (it adds
	// DeclaredInterestWeight); DeclaredAt is the time of that answer.
	Declared   bool      `json:"declared,omitempty"`
	DeclaredAt time.Time `json:"declaredAt,omitzero"`
}
