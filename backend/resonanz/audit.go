package resonanz

import (
	"context"
	"time"
)

// AuditEntry is one admin action recorded in the audit log.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail"` // JSON object describing what changed
}

// AuditService reads the audit log.
type AuditService interface {
	// Recent returns the newest entries, newest first.
	Recent(ctx context.Context, limit int) ([]AuditEntry, error)
}
