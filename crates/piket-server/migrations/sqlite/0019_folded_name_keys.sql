-- Case-insensitive unique names, the same on both backends. The unique indexes on lower(name)
-- (0001, 0002, 0003) and lower(asset_tag) (0007) folded only ASCII on SQLite, whose lower()
-- leaves other letters alone: "ÉQUIPE" and "équipe" were two departments there and one on
-- PostgreSQL. Each now has a key column the server fills with the text lowercased in Rust
-- (src/db/fold.rs, as software's name_key), and the unique index moves to it. The keys are
-- filled here with lower() and refolded by the server at start for letters beyond ASCII.
-- A later migration that inserts into these tables fills the key too.
ALTER TABLE departments ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE departments SET name_key = lower(name);
DROP INDEX departments_name;
CREATE UNIQUE INDEX departments_name ON departments (name_key);

ALTER TABLE roles ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE roles SET name_key = lower(name);
DROP INDEX roles_name;
CREATE UNIQUE INDEX roles_name ON roles (name_key);

ALTER TABLE ticket_categories ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE ticket_categories SET name_key = lower(name);
DROP INDEX ticket_categories_name;
CREATE UNIQUE INDEX ticket_categories_name ON ticket_categories (name_key);

ALTER TABLE canned_responses ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE canned_responses SET name_key = lower(name);
DROP INDEX canned_responses_name;
CREATE UNIQUE INDEX canned_responses_name ON canned_responses (name_key);

ALTER TABLE hardware_assets ADD COLUMN tag_key TEXT NOT NULL DEFAULT '';
UPDATE hardware_assets SET tag_key = lower(asset_tag);
DROP INDEX hardware_assets_tag;
CREATE UNIQUE INDEX hardware_assets_tag ON hardware_assets (tag_key) WHERE tag_key <> '';
