-- Hardware assets (inventory), their field history, run-time settings and the collector's rate counter.
CREATE TABLE hardware_assets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_tag TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    manufacturer TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    cpu TEXT NOT NULL DEFAULT '',
    ram_mb BIGINT,
    storage TEXT NOT NULL DEFAULT '',
    os TEXT NOT NULL DEFAULT '',
    hostname TEXT NOT NULL DEFAULT '',
    ip_addresses TEXT NOT NULL DEFAULT '',
    mac_addresses TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL,
    location TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    purchase_date TEXT,
    warranty_end TEXT,
    notes TEXT NOT NULL DEFAULT '',
    jenis TEXT NOT NULL DEFAULT '',
    lisensi_windows TEXT NOT NULL DEFAULT '',
    credential TEXT NOT NULL DEFAULT '',
    office TEXT NOT NULL DEFAULT '',
    lisensi_office TEXT NOT NULL DEFAULT '',
    is_main INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- At most one main device per user; asset tags are unique when given.
CREATE UNIQUE INDEX hardware_assets_main ON hardware_assets (owner_id) WHERE is_main = 1;
CREATE UNIQUE INDEX hardware_assets_tag ON hardware_assets (lower(asset_tag)) WHERE asset_tag <> '';
CREATE INDEX hardware_assets_department ON hardware_assets (department_id);
CREATE INDEX hardware_assets_owner ON hardware_assets (owner_id);

-- Field-level history: one row per changed field, by a person or by a collector report.
CREATE TABLE hardware_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    source TEXT NOT NULL,
    actor_id BIGINT,
    actor_label TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL
);
CREATE INDEX hardware_history_asset ON hardware_history (asset_id, id);

-- Settings admins change at run time (the collector switch and its token hash).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Collector requests per user, for the 10-an-hour limit (in the database, so it holds across nodes).
CREATE TABLE collector_hits (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at BIGINT NOT NULL
);
CREATE INDEX collector_hits_user ON collector_hits (user_id, at);
CREATE INDEX collector_hits_at ON collector_hits (at);
