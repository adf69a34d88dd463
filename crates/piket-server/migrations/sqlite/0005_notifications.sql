-- Notifications: in-app entries (the bell) and each user's muted kinds. Emails go through the
-- outbox (0001); both are written in the same transaction as the ticket change.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_id BIGINT REFERENCES tickets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    ticket_title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE notification_mutes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
