-- Double opt-in requests: pending until the person follows the link in the
-- confirmation mail. Both steps keep time, IP and user agent as proof; the
-- confirmation also appends a newsletter grant to the consent ledger.
CREATE TABLE opt_in (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE, -- SHA-256 of the link token; the token itself is never stored
    recipient_id INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    list_id      INTEGER NOT NULL REFERENCES list (id) ON DELETE CASCADE,
    wording      TEXT    NOT NULL,
    requested_at INTEGER NOT NULL,
    requested_ip TEXT    NOT NULL DEFAULT '',
    requested_ua TEXT    NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    confirmed_ip TEXT    NOT NULL DEFAULT '',
    confirmed_ua TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX opt_in_recipient ON opt_in (recipient_id);
