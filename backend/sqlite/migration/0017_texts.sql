-- Texts the program writes are stored as catalogue keys with parameters
-- (JSON), so the desk shows them in the user's language (issue 16). The
-- English text stays in the old column: rows written before this migration
-- have only that and are shown as they are. Columns are added, never a
-- table rebuilt (a rebuild would drop the consent ledger's append-only
-- trigger and the relay's publish-flag triggers).

-- Why an imported provider event is quarantined.
ALTER TABLE reaction_quarantine ADD COLUMN reason_key TEXT NOT NULL DEFAULT '';
ALTER TABLE reaction_quarantine ADD COLUMN reason_params TEXT NOT NULL DEFAULT '{}';

-- Ledger entries the program writes itself (a withdrawal from a provider
-- log, a complaint or unsubscribe mail, the unsubscribe link): the wording
-- and evidence as keys, sharing one set of parameters. The wording column
-- keeps the English text, which wording_hash covers.
ALTER TABLE consent ADD COLUMN wording_key TEXT NOT NULL DEFAULT '';
ALTER TABLE consent ADD COLUMN evidence_key TEXT NOT NULL DEFAULT '';
ALTER TABLE consent ADD COLUMN text_params TEXT NOT NULL DEFAULT '{}';
