-- A mailing's save writes every column, so "UPDATE OF list_id, status"
-- fired for each edit of its text: publish only when the list or the
-- status really changed.
DROP TRIGGER relay_publish_mailing_u;
CREATE TRIGGER relay_publish_mailing_u AFTER UPDATE OF list_id, status ON mailing
WHEN OLD.list_id IS NOT NEW.list_id OR OLD.status IS NOT NEW.status
BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;

-- Saving a mailing rewrites its links too; the relay holds only their URL
-- and kind.
DROP TRIGGER relay_publish_link_u;
CREATE TRIGGER relay_publish_link_u AFTER UPDATE ON link
WHEN OLD.url IS NOT NEW.url OR OLD.kind IS NOT NEW.kind OR OLD.mailing_id IS NOT NEW.mailing_id
BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
