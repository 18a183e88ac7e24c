-- Placeholder so that 0007_doi.sql applies on the doi branch alone: another branch
-- (surveys) owns version 0006. Delete this file when merging that branch.
SELECT 1;
