-- Audit log of admin actions (settings changes, imports, edits, deletions).
-- Append-only; detail is a JSON object describing what changed.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL, -- unix milliseconds, UTC
    actor   TEXT    NOT NULL, -- 'desk' (the local user), 'cli', 'recipient', ...
    action  TEXT    NOT NULL, -- e.g. 'settings.sender.update'
    subject TEXT    NOT NULL DEFAULT '',
    detail  TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);
