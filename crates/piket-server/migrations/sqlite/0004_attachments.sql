-- Files on tickets and replies. The bytes live in the blob store under sha256 (content-addressed),
-- so one file attached twice is stored once; a blob is removed when no row uses it any more.
-- Whether a file is internal follows its comment (a file on an internal note is internal).
CREATE TABLE ticket_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    comment_id BIGINT REFERENCES ticket_comments (id) ON DELETE CASCADE,
    uploader_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);
CREATE INDEX ticket_attachments_comment ON ticket_attachments (comment_id);
CREATE INDEX ticket_attachments_sha256 ON ticket_attachments (sha256);
