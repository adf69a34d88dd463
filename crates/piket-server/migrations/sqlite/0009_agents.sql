-- Agents: enrollment tokens, enrolled piket-agent devices, the identities other agents
-- (FusionInventory, OCS, GLPI) report under, and the last report kept for each asset.
CREATE TABLE enrollment_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    uses BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX enrollment_tokens_hash ON enrollment_tokens (token_hash);

-- One row per enrolled piket-agent: its public id (`dev_…`) and hashed secret.
CREATE TABLE agent_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_key TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    token_id BIGINT REFERENCES enrollment_tokens (id) ON DELETE SET NULL,
    agent_version TEXT NOT NULL DEFAULT '',
    enrolled_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX agent_devices_key ON agent_devices (device_key);
CREATE INDEX agent_devices_asset ON agent_devices (asset_id);

-- The identity a report arrived under (`piket` device key, FusionInventory DEVICEID, GLPI agent
-- id) and the asset it maps to: the first and strongest way a report finds its asset.
CREATE TABLE asset_identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX asset_identities_asset ON asset_identities (asset_id);

-- The last report applied to an asset: its fingerprint makes an unchanged re-report cheap, and
-- the full inventory (JSON) shows the details the asset row has no column for.
CREATE TABLE asset_reports (
    asset_id BIGINT PRIMARY KEY REFERENCES hardware_assets (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    inventory TEXT NOT NULL
);

-- Matching by serial (with manufacturer) and by hostname.
CREATE INDEX hardware_assets_serial ON hardware_assets (lower(serial)) WHERE serial <> '';
CREATE INDEX hardware_assets_hostname ON hardware_assets (lower(hostname)) WHERE hostname <> '';
