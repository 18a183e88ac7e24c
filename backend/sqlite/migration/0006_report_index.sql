-- The mailing report counts unique people per reaction type. With the
-- recipient right after (mailing_id, type) in the covering index, the
-- index delivers each type's reactions already sorted by person, so
-- COUNT(DISTINCT recipient_id) appends to its temporary b-tree instead of
-- inserting at random (report of a 500k-reaction mailing: 0.30 s → 0.17 s,
-- whole program). Queries bounded by time ("opened within N days", the
-- timeline) still read only this index; they filter `at` inside the
-- (mailing_id, type) range instead of seeking to it.
DROP INDEX reaction_mailing;
CREATE INDEX reaction_mailing ON reaction (mailing_id, type, recipient_id, at, flags, ua_id);
