-- Surveys (Umfragen), the answers of recipients and the interests they
-- declared. Answers belong to the person: erasing the recipient erases them
-- (ON DELETE CASCADE), and the data export includes them.
CREATE TABLE survey (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    slug       TEXT    NOT NULL UNIQUE, -- {{ survey_url "slug" }} in templates
    title      TEXT    NOT NULL,
    intro      TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    questions  TEXT    NOT NULL DEFAULT '[]', -- JSON array of questions with stable keys
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- One row per person and survey: the latest submission wins.
CREATE TABLE survey_response (
    survey_id       INTEGER NOT NULL REFERENCES survey (id) ON DELETE CASCADE,
    recipient_id    INTEGER NOT NULL REFERENCES recipient (id) ON DELETE CASCADE,
    answers         TEXT    NOT NULL, -- JSON array of {question, choices, text, rating}
    submitted_at    INTEGER NOT NULL,
    -- "use my answers to update my profile": ticked, with the exact wording
    -- shown and the client, as proof like a consent record.
    update_profile  INTEGER NOT NULL DEFAULT 0 CHECK (update_profile IN (0, 1)),
    profile_wording TEXT    NOT NULL DEFAULT '',
    ip              TEXT    NOT NULL DEFAULT '',
    ua              TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (survey_id, recipient_id)
) STRICT;

CREATE INDEX survey_response_recipient ON survey_response (recipient_id);

-- Interest tags declared by the latest submission (choices mapped to a tag).
-- They count into the interest profile only while profiling consent is granted.
CREATE TABLE survey_interest (
    survey_id    INTEGER NOT NULL,
    recipient_id INTEGER NOT NULL,
    tag          TEXT    NOT NULL COLLATE NOCASE,
    at           INTEGER NOT NULL,
    PRIMARY KEY (survey_id, recipient_id, tag),
    FOREIGN KEY (survey_id, recipient_id) REFERENCES survey_response (survey_id, recipient_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX survey_interest_recipient ON survey_interest (recipient_id);
CREATE INDEX survey_interest_tag ON survey_interest (tag);
