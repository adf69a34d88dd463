-- Legacy agents (FusionInventory/OCS, GLPI) report with an enrollment token as their HTTP Basic
-- password. The token an identity first reported with is kept: later reports of that identity
-- must bring the same token (still accepted once it has expired or is used up, never once
-- revoked), and an anonymous report can no longer take over an identity bound to a token.
-- Identities from before this version have none: they reported anonymously.
ALTER TABLE asset_identities ADD COLUMN token_id BIGINT REFERENCES enrollment_tokens (id) ON DELETE SET NULL;

-- A report that looked like an existing asset (same serial or hostname) but was not allowed to
-- write to it made a new asset instead; an admin decides whether the two are one machine.
CREATE TABLE asset_merge_suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The asset the report created.
    asset_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    -- The existing asset it looks like.
    other_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    -- 'serial' or 'hostname'.
    reason TEXT NOT NULL,
    -- Who reported, as the history names it.
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX asset_merge_suggestions_pair ON asset_merge_suggestions (asset_id, other_id);
CREATE INDEX asset_merge_suggestions_other ON asset_merge_suggestions (other_id);
