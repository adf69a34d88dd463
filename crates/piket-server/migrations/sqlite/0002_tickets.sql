-- Ticketing: categories, tickets, watchers, tags, comments, history, per-status counters,
-- saved views, and the full-text index. Priority is an INTEGER rank (0 low .. 3 urgent) so it sorts.
CREATE TABLE ticket_categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ticket_categories_name ON ticket_categories (lower(name));

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    requester_id BIGINT NOT NULL REFERENCES users (id),
    department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL,
    category_id BIGINT REFERENCES ticket_categories (id) ON DELETE SET NULL,
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    source TEXT NOT NULL,
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT
);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_department_status ON tickets (department_id, status, updated_at, id);
CREATE INDEX tickets_assignee_status ON tickets (assignee_id, status, updated_at, id);
CREATE INDEX tickets_requester ON tickets (requester_id, status, updated_at, id);
CREATE INDEX tickets_category ON tickets (category_id);
CREATE INDEX tickets_due ON tickets (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE ticket_watchers (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_watchers_user ON ticket_watchers (user_id, ticket_id);

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);

CREATE TABLE ticket_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    internal INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, id);

CREATE TABLE ticket_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    internal INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

-- Per-department, per-status counters kept by triggers in the same transaction as the change,
-- so the sidebar counts stay O(departments) at a million tickets. Department 0 = none.
CREATE TABLE ticket_counts (
    department_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (department_id, status)
);
CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_counts (department_id, status, n)
    VALUES (COALESCE(NEW.department_id, 0), NEW.status, 1)
    ON CONFLICT (department_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets BEGIN
    UPDATE ticket_counts SET n = n - 1
    WHERE department_id = COALESCE(OLD.department_id, 0) AND status = OLD.status;
END;
CREATE TRIGGER ticket_counts_update AFTER UPDATE OF status, department_id ON tickets
WHEN OLD.status IS NOT NEW.status OR OLD.department_id IS NOT NEW.department_id BEGIN
    UPDATE ticket_counts SET n = n - 1
    WHERE department_id = COALESCE(OLD.department_id, 0) AND status = OLD.status;
    INSERT INTO ticket_counts (department_id, status, n)
    VALUES (COALESCE(NEW.department_id, 0), NEW.status, 1)
    ON CONFLICT (department_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TABLE ticket_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_views_user ON ticket_views (user_id, id);

-- Full text: one document per ticket (rowid = ticket id). `body` holds the description and
-- public replies; `notes` holds internal notes and is only matched for staff.
CREATE VIRTUAL TABLE ticket_search USING fts5 (
    title, body, notes, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
END;
