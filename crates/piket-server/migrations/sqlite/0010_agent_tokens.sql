-- Enrollment tokens: an optional use limit, and an owner for a personal token (a requester's
-- own "enroll this PC" command): the asset it enrolls becomes that user's.
ALTER TABLE enrollment_tokens ADD COLUMN max_uses BIGINT;
ALTER TABLE enrollment_tokens ADD COLUMN owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
