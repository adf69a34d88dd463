-- Canned responses: admin-managed reply templates with {{placeholders}}, optionally offered only
-- to the staff of one department (deleting the department lifts the restriction, as categories do).
CREATE TABLE canned_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_responses_name ON canned_responses (lower(name));
CREATE INDEX canned_responses_department ON canned_responses (department_id);
