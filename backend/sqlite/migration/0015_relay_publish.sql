-- Publish on change (backend/relay.AutoPublisher): a one-row flag that
-- triggers set whenever data the paired relays hold a copy of changes
-- (lists and their wordings, surveys, mailings' links, pending opt-ins,
-- settings such as branding, and what a person's profile page shows).
-- The triggers write only when the flag is clear, so a bulk import pays
-- one lookup per row, not one write; the desk clears the flag right
-- before it reads what it publishes. Works across processes (a command
-- line import while the window runs is seen too).
CREATE TABLE relay_publish (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    changed INTEGER NOT NULL
) STRICT;

INSERT INTO relay_publish (id, changed) VALUES (1, 1);

CREATE TRIGGER relay_publish_recipient_i AFTER INSERT ON recipient BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_recipient_u AFTER UPDATE ON recipient BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_recipient_d AFTER DELETE ON recipient BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_membership_i AFTER INSERT ON membership BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_membership_u AFTER UPDATE ON membership BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_membership_d AFTER DELETE ON membership BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_consent_i AFTER INSERT ON consent BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_list_i AFTER INSERT ON list BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_list_u AFTER UPDATE ON list BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_list_d AFTER DELETE ON list BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_survey_i AFTER INSERT ON survey BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_survey_u AFTER UPDATE ON survey BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_survey_d AFTER DELETE ON survey BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
-- A mailing's text is edited often while it is written and is not
-- published; its list and its status (a send starts) are.
CREATE TRIGGER relay_publish_mailing_i AFTER INSERT ON mailing BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_mailing_u AFTER UPDATE OF list_id, status ON mailing BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_mailing_d AFTER DELETE ON mailing BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_link_i AFTER INSERT ON link BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_link_u AFTER UPDATE ON link BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_link_d AFTER DELETE ON link BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_opt_in_i AFTER INSERT ON opt_in BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_opt_in_d AFTER DELETE ON opt_in BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
-- Settings (branding, the sender) are published; the relay sync's own
-- status is not (it would publish after every publish).
CREATE TRIGGER relay_publish_setting_i AFTER INSERT ON setting WHEN NEW.name NOT LIKE 'relay.%' BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
CREATE TRIGGER relay_publish_setting_u AFTER UPDATE ON setting WHEN NEW.name NOT LIKE 'relay.%' BEGIN UPDATE relay_publish SET changed = 1 WHERE id = 1 AND changed = 0; END;
