-- Software: the catalog, what is installed on each hardware asset, and licences with their
-- assigned devices and users. `*_key` columns hold the lowercased text (lowercased in Rust, so both
-- backends agree on non-ASCII names); identity is (lower(name), lower(vendor), version).
CREATE TABLE software (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    name_key TEXT NOT NULL,
    vendor_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX software_identity ON software (name_key, vendor_key, version);

CREATE TABLE software_installations (
    device_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    software_id BIGINT NOT NULL REFERENCES software (id) ON DELETE CASCADE,
    installed_on TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, software_id)
);
CREATE INDEX software_installations_software ON software_installations (software_id);

CREATE TABLE licenses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    product_key TEXT NOT NULL,
    vendor_key TEXT NOT NULL,
    license_key TEXT NOT NULL DEFAULT '',
    seats BIGINT NOT NULL,
    expires_on TEXT,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE license_devices (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    device_id BIGINT NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    PRIMARY KEY (license_id, device_id)
);

CREATE TABLE license_users (
    license_id BIGINT NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (license_id, user_id)
);
