-- Page notices a user has dismissed (issue #19), kept per user so a dismissal holds on every
-- device and across sessions. `notice` is a code the server knows (`smtp_missing`, the "email is
-- not set up" notice); a later notice adds its code, not a table.
CREATE TABLE notice_dismissals (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notice TEXT NOT NULL,
    dismissed_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, notice)
);
