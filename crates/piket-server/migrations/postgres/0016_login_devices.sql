-- Browsers that have signed in to an account (OWASP "device cookies"). A sign-in that presents
-- one for the account it names is not held by the account's lock, which strangers can trigger;
-- it counts against its own limit instead (`login_throttle` key `device:<token_hash>`). Only the
-- SHA-256 of the random cookie is kept.
CREATE TABLE login_devices (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_devices_user ON login_devices (user_id);
CREATE INDEX login_devices_expires ON login_devices (expires_at);
