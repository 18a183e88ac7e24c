package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// sketchID names one distinct-people sketch: a mailing and a reaction type.
type sketchID struct {
	mailing int64
	code    int
}

// sketchFeed collects, for one transaction, the recipients whose reactions
// feed the sketches. Only the keyed hash reaches the stored registers.
type sketchFeed map[sketchID][]int64

// add feeds a reaction by the shared definition of opened and clicked: a
// click, or an open not flagged as a machine open.
func (f sketchFeed) add(mailing int64, code int, recipient int64, flags int) {
	if mailing == 0 || recipient == 0 {
		return
	}
	if code != codeClicked && (code != codeOpened || flags&flagMachineOpen != 0) {
		return
	}
	id := sketchID{mailing, code}
	f[id] = append(f[id], recipient)
}

// writeSketches adds the fed recipients to the stored sketches.
func writeSketches(ctx context.Context, tx *sql.Tx, f sketchFeed) error {
	if len(f) == 0 {
		return nil
	}
	var key []byte
	if err := tx.QueryRowContext(ctx, `SELECT key FROM sketch_key WHERE id = 1`).Scan(&key); err != nil {
		return fmt.Errorf("distinct sketch: key: %w", err)
	}
	hasher := resonanz.NewSketchHasher(key)
	for id, recipients := range f {
		var regs []byte
		err := tx.QueryRowContext(ctx, `SELECT registers FROM reaction_sketch WHERE mailing_id = ? AND type = ?`, id.mailing, id.code).Scan(&regs)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("distinct sketch: %w", err)
		}
		sk := resonanz.ParseDistinctSketch(regs)
		for _, r := range recipients {
			sk.Add(hasher.Hash(id.mailing, r))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reaction_sketch (mailing_id, type, registers) VALUES (?, ?, ?)
			ON CONFLICT (mailing_id, type) DO UPDATE SET registers = excluded.registers`, id.mailing, id.code, sk.Bytes()); err != nil {
			return fmt.Errorf("distinct sketch: %w", err)
		}
	}
	return nil
}

// sketchEstimates returns the estimated distinct people per reaction type
// of a mailing.
func sketchEstimates(ctx context.Context, tx *sql.Tx, mailingID int64) (map[int]int, error) {
	out := map[int]int{}
	rows, err := tx.QueryContext(ctx, `SELECT type, registers FROM reaction_sketch WHERE mailing_id = ?`, mailingID)
	if err != nil {
		return nil, fmt.Errorf("distinct sketch: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code int
		var regs []byte
		if err := rows.Scan(&code, &regs); err != nil {
			return nil, fmt.Errorf("distinct sketch: %w", err)
		}
		out[code] = resonanz.ParseDistinctSketch(regs).Estimate()
	}
	return out, rows.Err()
}
