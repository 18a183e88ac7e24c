-- Settings of the desk, one row per named value. Sender identity and similar
-- small, rarely written values live here; secrets never do (see README).
CREATE TABLE setting (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL -- unix milliseconds, UTC
) STRICT;
