-- Reports (issue 15): withdrawals name their channel in the ledger, and
-- distinct openers and clickers are estimated without storing who reacted.

-- The consent ledger accepts the unsubscribe channels as sources:
-- unsubscribe_link (the page linked in the mail), one_click (RFC 8058 POST),
-- mail_unsubscribe (a mail to the List-Unsubscribe address) and
-- provider:<name> (a provider's log). SQLite cannot widen a CHECK in place,
-- so the table is rebuilt with the same rows, indexes and trigger.
CREATE TABLE consent_new (
    id           INTEGER PRIMARY KEY,
    recipient_id INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    purpose      TEXT    NOT NULL CHECK (purpose IN ('newsletter', 'tracking:opens', 'tracking:clicks', 'profiling')),
    list_id      INTEGER NOT NULL DEFAULT 0, -- newsletter only; kept even if the list is deleted
    granted      INTEGER NOT NULL CHECK (granted IN (0, 1)),
    at           INTEGER NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('form', 'import', 'manual', 'profile_page', 'double_opt_in',
                                                    'unsubscribe_link', 'one_click', 'mail_unsubscribe')
                                         OR (source GLOB 'provider:?*' AND length(source) <= 49)),
    wording      TEXT    NOT NULL,
    wording_hash TEXT    NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    evidence     TEXT    NOT NULL DEFAULT '',
    import_id    INTEGER
) STRICT;

INSERT INTO consent_new (id, recipient_id, purpose, list_id, granted, at, source, wording, wording_hash, ip, user_agent, evidence, import_id)
SELECT id, recipient_id, purpose, list_id, granted, at, source, wording, wording_hash, ip, user_agent, evidence, import_id FROM consent;

DROP TABLE consent;
ALTER TABLE consent_new RENAME TO consent;

CREATE INDEX consent_state ON consent (recipient_id, purpose, list_id, at, id);
CREATE INDEX consent_purpose ON consent (purpose, list_id, recipient_id, at, granted);

CREATE TRIGGER consent_append_only BEFORE UPDATE ON consent
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;

-- Distinct people per mailing and reaction type, estimated by a HyperLogLog
-- sketch (2^14 one-byte registers) fed with a keyed hash of mailing and
-- recipient when the reaction arrives. It holds no identifier.
CREATE TABLE reaction_sketch (
    mailing_id INTEGER NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    type       INTEGER NOT NULL REFERENCES reaction_type (code),
    registers  BLOB    NOT NULL,
    PRIMARY KEY (mailing_id, type)
) STRICT, WITHOUT ROWID;

-- The key of the sketches' hash, made once per database. Without it the
-- registers cannot be tested against a known person's id.
CREATE TABLE sketch_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB    NOT NULL
) STRICT;

INSERT INTO sketch_key (id, key) VALUES (1, randomblob(32));
