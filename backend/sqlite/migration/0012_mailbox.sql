-- The mailbox sync (backend/mailbox): per IMAP account and folder the
-- UIDVALIDITY and the highest UID processed, so a sync reads only new
-- messages; a changed UIDVALIDITY starts the folder again from the first
-- message, and mailbox_message (by Message-ID) keeps that from applying
-- anything twice.
CREATE TABLE mailbox_folder (
    account      TEXT    NOT NULL, -- user@host:port
    folder       TEXT    NOT NULL,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    PRIMARY KEY (account, folder)
) STRICT, WITHOUT ROWID;

-- Every message a sync processed, keyed by its Message-ID (or a hash of its
-- header when it has none): a message moved to another folder, or read
-- again after a crash, is recognized. Replies are listed from here for the
-- user; they are erased with the person they came from.
CREATE TABLE mailbox_message (
    key          TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('bounce', 'complaint', 'unsubscribe', 'auto_reply', 'reply', 'error')),
    outcome      TEXT    NOT NULL CHECK (outcome IN ('applied', 'unmatched', 'kept', 'error')),
    reason       TEXT    NOT NULL DEFAULT '',
    processed_at INTEGER NOT NULL,
    date         INTEGER NOT NULL,
    from_addr    TEXT    NOT NULL DEFAULT '',
    from_name    TEXT    NOT NULL DEFAULT '',
    subject      TEXT    NOT NULL DEFAULT '',
    recipient_id INTEGER REFERENCES recipient (id) ON DELETE CASCADE,
    mailing_id   INTEGER REFERENCES mailing (id) ON DELETE SET NULL,
    folder       TEXT    NOT NULL DEFAULT '',
    uid          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX mailbox_message_kind ON mailbox_message (kind, date);
CREATE INDEX mailbox_message_recipient ON mailbox_message (recipient_id) WHERE recipient_id IS NOT NULL;

-- Soft bounces suppress a person after N mailings in a row (Settings →
-- Mailbox): the suppression reasons gain 'soft_bounce'.
CREATE TABLE suppression_new (
    recipient_id INTEGER PRIMARY KEY REFERENCES recipient (id) ON DELETE CASCADE,
    reason       TEXT    NOT NULL CHECK (reason IN ('hard_bounce', 'soft_bounce', 'complaint', 'manual')),
    at           INTEGER NOT NULL,
    detail       TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO suppression_new (recipient_id, reason, at, detail) SELECT recipient_id, reason, at, detail FROM suppression;
DROP TABLE suppression;
ALTER TABLE suppression_new RENAME TO suppression;
