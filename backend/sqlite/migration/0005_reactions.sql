-- Mailings, their links, deliveries and reactions (listener hits and
-- imported provider logs).

CREATE TABLE mailing (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    subject     TEXT    NOT NULL DEFAULT '',
    preheader   TEXT    NOT NULL DEFAULT '',
    body        TEXT    NOT NULL DEFAULT '', -- Markdown template
    language    TEXT    NOT NULL DEFAULT '' CHECK (language IN ('', 'de', 'en')),
    list_id     INTEGER REFERENCES list (id) ON DELETE SET NULL,
    status      TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sending', 'paused', 'sent', 'imported')),
    external_id TEXT    NOT NULL DEFAULT '', -- campaign id at the sending provider
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    sent_at     INTEGER
) STRICT;

CREATE INDEX mailing_external ON mailing (external_id) WHERE external_id <> '';

CREATE TABLE link (
    id         INTEGER PRIMARY KEY,
    mailing_id INTEGER NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    url        TEXT    NOT NULL,
    url_key    TEXT    NOT NULL, -- url without tracking parameters, to match provider clicks
    name       TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL CHECK (kind IN ('text', 'image', 'unknown', 'asset')), -- asset: an image shown in the mail (downloads are tracked)
    tags       TEXT    NOT NULL DEFAULT '[]', -- JSON array, mirrored in link_tag
    UNIQUE (mailing_id, idx)
) STRICT;

CREATE INDEX link_url ON link (mailing_id, url_key);

CREATE TABLE link_tag (
    tag     TEXT    NOT NULL COLLATE NOCASE,
    link_id INTEGER NOT NULL REFERENCES link (id) ON DELETE CASCADE,
    PRIMARY KEY (tag, link_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX link_tag_link ON link_tag (link_id);

-- One row per mailing and recipient it is sent to: the send run's ledger
-- (resume without mailing anyone twice) and the Message-ID that provider
-- logs are matched by.
CREATE TABLE delivery (
    mailing_id   INTEGER NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    recipient_id INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    message_id   TEXT    NOT NULL UNIQUE,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
    at           INTEGER NOT NULL,
    error        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (mailing_id, recipient_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX delivery_recipient ON delivery (recipient_id);
-- "anything still queued?" after every batch of a send run, without walking
-- the rows already sent.
CREATE INDEX delivery_status ON delivery (mailing_id, status);

-- Reaction types as stored (small integers keep 10M-row tables compact).
CREATE TABLE reaction_type (
    code INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
) STRICT;

INSERT INTO reaction_type (code, name) VALUES
    (1, 'sent'), (2, 'delivered'), (3, 'deferred'), (4, 'bounced'), (5, 'rejected'),
    (6, 'opened'), (7, 'clicked'), (8, 'image_load'), (9, 'unsubscribed'), (10, 'resubscribed'),
    (11, 'complained'), (12, 'failed'), (13, 'unknown');

CREATE TABLE user_agent (
    id INTEGER PRIMARY KEY,
    ua TEXT    NOT NULL UNIQUE
) STRICT;

-- Reactions stored per person: opens, clicks and image loads only with a
-- tracking consent valid when they happened; delivery events, bounces,
-- complaints and unsubscribes always (they protect the recipient).
-- No IP addresses are kept (data minimization).
CREATE TABLE reaction (
    id           INTEGER PRIMARY KEY,
    mailing_id   INTEGER REFERENCES mailing (id) ON DELETE CASCADE, -- NULL: a bounce or complaint no mailing matched
    recipient_id INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    type         INTEGER NOT NULL REFERENCES reaction_type (code),
    at           INTEGER NOT NULL, -- unix ms, UTC
    link_id      INTEGER REFERENCES link (id) ON DELETE SET NULL,
    flags        INTEGER NOT NULL DEFAULT 0, -- 1 machine open, 2 first open (provider), 4 hard bounce, 8 soft bounce
    ua_id        INTEGER REFERENCES user_agent (id),
    import_id    INTEGER -- NULL: recorded by the listener
) STRICT;

-- Covering indexes: mailing reports (counts, uniques, time series, mail
-- clients) read only reaction_mailing; per-link results and "clicked a link
-- tagged T within N days" only reaction_link.
CREATE INDEX reaction_mailing ON reaction (mailing_id, type, at, recipient_id, flags, ua_id);
CREATE INDEX reaction_recipient ON reaction (recipient_id, at);
CREATE INDEX reaction_link ON reaction (link_id, type, at, recipient_id) WHERE link_id IS NOT NULL;

-- Reactions without consent (and those of erased people) as anonymous
-- counts per mailing, type, link and hour.
CREATE TABLE reaction_anon (
    mailing_id INTEGER NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    type       INTEGER NOT NULL REFERENCES reaction_type (code),
    link_id    INTEGER NOT NULL DEFAULT 0,
    hour       INTEGER NOT NULL, -- unix hours
    machine    INTEGER NOT NULL DEFAULT 0 CHECK (machine IN (0, 1)),
    n          INTEGER NOT NULL,
    PRIMARY KEY (mailing_id, type, link_id, hour, machine)
) STRICT, WITHOUT ROWID;

-- Provider events seen: the event time (unix ms, 8 bytes big-endian) and 8
-- bytes of SHA-256 of the dedupe key, so importing a file twice adds nothing.
CREATE TABLE reaction_seen (
    key BLOB PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- Imported events that matched no recipient or mailing, kept for review.
CREATE TABLE reaction_quarantine (
    id        INTEGER PRIMARY KEY,
    key       BLOB    NOT NULL UNIQUE, -- as in reaction_seen; the event moves out once it matches
    import_id INTEGER NOT NULL REFERENCES import_run (id) ON DELETE CASCADE,
    email_key TEXT    NOT NULL DEFAULT '',
    reason    TEXT    NOT NULL,
    event     TEXT    NOT NULL -- normalized event, JSON
) STRICT;

CREATE INDEX reaction_quarantine_import ON reaction_quarantine (import_id);
CREATE INDEX reaction_quarantine_email ON reaction_quarantine (email_key);

-- Recipients who must not be mailed again: hard bounces and complaints.
CREATE TABLE suppression (
    recipient_id INTEGER PRIMARY KEY REFERENCES recipient (id) ON DELETE CASCADE,
    reason       TEXT    NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'manual')),
    at           INTEGER NOT NULL,
    detail       TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Saved target groups (Zielgruppen): a rule as JSON (resonanz.Condition).
CREATE TABLE target_group (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT    NOT NULL DEFAULT '',
    rule        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- Target groups select by current consent per purpose: one index range per
-- purpose, newest record per person found in order.
CREATE INDEX consent_purpose ON consent (purpose, list_id, recipient_id, at, granted);
