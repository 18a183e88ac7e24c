-- Relay events the desk could not apply (backend/relay.Collect): each
-- failed attempt is counted with its reason (a catalogue key and its
-- English text); an event that keeps failing, or can never be applied
-- (it cannot be opened), is quarantined: later events go on, the relay may
-- delete it, and the desk keeps the sealed payload for a retry.
CREATE TABLE relay_quarantine (
    id          TEXT    PRIMARY KEY,
    relay_id    TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    sealed      BLOB    NOT NULL,
    attempts    INTEGER NOT NULL,
    quarantined INTEGER NOT NULL DEFAULT 0,
    reason      TEXT    NOT NULL,
    reason_key  TEXT    NOT NULL,
    params      TEXT    NOT NULL DEFAULT '{}',
    failed_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
