-- Recipients, lists, custom attributes, the consent ledger and import runs.

CREATE TABLE list (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    description   TEXT    NOT NULL DEFAULT '',
    double_opt_in INTEGER NOT NULL DEFAULT 0 CHECK (double_opt_in IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;

-- Custom attributes; the builtin ones are columns of recipient.
CREATE TABLE attribute (
    id         INTEGER PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    type       TEXT    NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean', 'choice')),
    choices    TEXT    NOT NULL DEFAULT '[]', -- JSON array
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE recipient (
    id         INTEGER PRIMARY KEY,
    email      TEXT    NOT NULL,        -- as entered, for display
    email_key  TEXT    NOT NULL UNIQUE, -- normalized for matching (IDNA domain, lower case)
    first_name TEXT    NOT NULL DEFAULT '',
    last_name  TEXT    NOT NULL DEFAULT '',
    gender     TEXT    NOT NULL DEFAULT '' CHECK (gender IN ('', 'f', 'm', 'd')),
    title      TEXT    NOT NULL DEFAULT '',
    language   TEXT    NOT NULL DEFAULT '' CHECK (language IN ('', 'de', 'en')),
    -- lower-cased names for prefix search through the indexes below
    first_key  TEXT    NOT NULL DEFAULT '',
    last_key   TEXT    NOT NULL DEFAULT '',
    attrs      TEXT    NOT NULL DEFAULT '{}', -- JSON object: custom attribute key -> canonical value
    import_id  INTEGER, -- the import that created the person (source of the data, GDPR Art. 14/15; undo)
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX recipient_last_key ON recipient (last_key);
CREATE INDEX recipient_first_key ON recipient (first_key);

CREATE TABLE membership (
    list_id      INTEGER NOT NULL REFERENCES list (id) ON DELETE CASCADE,
    recipient_id INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    status       TEXT    NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (list_id, recipient_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX membership_recipient ON membership (recipient_id);

-- Import runs, so that every import can be reviewed and undone.
CREATE TABLE import_run (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,               -- 'recipients'
    file_name   TEXT    NOT NULL,
    options     TEXT    NOT NULL DEFAULT '{}',  -- JSON: list, mode, mapping
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'undone')),
    stats       TEXT    NOT NULL DEFAULT '{}'   -- JSON: read, created, updated, skipped, rejected
) STRICT;

-- Recipients an import updated; "before" is the recipient (and its membership
-- on the import's list) as it was, for undo. Created ones carry recipient.import_id.
CREATE TABLE import_change (
    import_id    INTEGER NOT NULL REFERENCES import_run (id) ON DELETE CASCADE,
    recipient_id INTEGER NOT NULL,
    before       TEXT    NOT NULL,
    PRIMARY KEY (import_id, recipient_id)
) STRICT, WITHOUT ROWID;

-- The consent ledger: append-only. Current state is derived (newest record per
-- recipient, purpose and list). Only erasure of the person removes records.
CREATE TABLE consent (
    id           INTEGER PRIMARY KEY,
    recipient_id INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    purpose      TEXT    NOT NULL CHECK (purpose IN ('newsletter', 'tracking:opens', 'tracking:clicks', 'profiling')),
    list_id      INTEGER NOT NULL DEFAULT 0, -- newsletter only; kept even if the list is deleted
    granted      INTEGER NOT NULL CHECK (granted IN (0, 1)),
    at           INTEGER NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('form', 'import', 'manual', 'profile_page', 'double_opt_in')),
    wording      TEXT    NOT NULL,
    wording_hash TEXT    NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    evidence     TEXT    NOT NULL DEFAULT '',
    import_id    INTEGER
) STRICT;

CREATE INDEX consent_state ON consent (recipient_id, purpose, list_id, at, id);

CREATE TRIGGER consent_append_only BEFORE UPDATE ON consent
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
