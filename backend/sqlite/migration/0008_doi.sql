-- Tracking consents ticked on the public signup form together with a double
-- opt-in request. They are not consents yet: confirmation appends each to the
-- ledger as its own grant, with the wording that was shown next to its own
-- checkbox (never bundled with the newsletter consent).
CREATE TABLE opt_in_consent (
    opt_in_id INTEGER NOT NULL REFERENCES opt_in (id) ON DELETE CASCADE,
    purpose   TEXT    NOT NULL,
    wording   TEXT    NOT NULL,
    PRIMARY KEY (opt_in_id, purpose)
) STRICT;

-- The desk lists a list's unconfirmed members to send them the confirmation
-- mail again.
CREATE INDEX opt_in_list ON opt_in (list_id, recipient_id);
