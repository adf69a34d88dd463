-- Bytes each user uploaded per UTC day (day = unix milliseconds / 86400000), for the daily upload
-- quota (`attachment_daily_quota_bytes`). Counted inside the upload's transaction by a
-- conditional upsert, so parallel uploads cannot pass the limit together; the attachments.sweep
-- job removes the rows of past days. Removing a file does not give its bytes back.
CREATE TABLE upload_usage (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
