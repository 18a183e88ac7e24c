-- What a mailing looked like when it went out: once sending starts, a
-- custom layout's HTML is kept with the mailing, so later edits of the
-- layout do not change the mailing's exports, previews or later sends to
-- new members. NULL: not sent yet, or the built-in default layout.
ALTER TABLE mailing ADD COLUMN sent_layout TEXT;
