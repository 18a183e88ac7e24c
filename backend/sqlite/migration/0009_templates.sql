-- Layouts (reusable HTML wrappers around a mailing's body) and mailing
-- templates (a mailing's content to start new issues from).
CREATE TABLE layout (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    html       TEXT    NOT NULL, -- checked by render.Compile before it is stored
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- NULL: the built-in default layout. A layout a mailing uses cannot be
-- deleted (the store refuses it by name; the key backs that up).
ALTER TABLE mailing ADD COLUMN layout_id INTEGER REFERENCES layout (id);

CREATE INDEX mailing_layout ON mailing (layout_id) WHERE layout_id IS NOT NULL;

CREATE TABLE mailing_template (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    subject    TEXT    NOT NULL DEFAULT '',
    preheader  TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL DEFAULT '', -- Markdown template
    language   TEXT    NOT NULL DEFAULT '' CHECK (language IN ('', 'de', 'en')),
    -- A template whose layout is deleted falls back to the default layout.
    layout_id  INTEGER REFERENCES layout (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
