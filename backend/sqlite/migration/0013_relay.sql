-- The relay sync (backend/relay): per relay the last event sequence the
-- desk applied (the cursor of its pulls), and every applied event's id,
-- so an event delivered twice (a lost acknowledgement, a second relay's
-- copy) is applied once.
CREATE TABLE relay_cursor (
    relay_id TEXT    PRIMARY KEY,
    seq      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE relay_event (
    id         TEXT    PRIMARY KEY,
    relay_id   TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
