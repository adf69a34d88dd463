-- A reply being written, kept per ticket and user so it survives a reload, a side-panel save
-- and another device (issue #19). Removed when the reply is sent or the text is emptied.
CREATE TABLE ticket_drafts (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_drafts_user ON ticket_drafts (user_id);
