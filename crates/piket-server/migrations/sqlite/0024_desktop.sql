-- The desktop helper (issue #20). A link ties one OS account on one PC to one Piket user: the
-- helper asks for it (`link_key` is public, the secret's hash is kept), the signed-in user
-- confirms it in the browser by typing the `code` the helper shows (the page never shows it, so
-- a link someone else sends cannot be confirmed by a click; `failed_codes` wrong tries void it),
-- and from then on the secret files tickets as `user_id` and reads that user's own tickets,
-- nothing else. `requested_from` is the address the helper asked from, shown on the page.
-- `device_id` is the enrolled agent device the helper said it runs on, if any.
CREATE TABLE desktop_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    link_key TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    code TEXT NOT NULL,
    hostname TEXT NOT NULL,
    os_user TEXT NOT NULL,
    requested_from TEXT NOT NULL,
    failed_codes BIGINT NOT NULL DEFAULT 0,
    device_id BIGINT REFERENCES agent_devices (id) ON DELETE SET NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    linked_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX desktop_links_key ON desktop_links (link_key);
CREATE INDEX desktop_links_user ON desktop_links (user_id);

-- A ticket filed by a client that retries (the desktop helper's offline queue): the client's key
-- for the request and the ticket it made, so a retry answers with that ticket instead of a
-- second one. Written in the transaction that files the ticket.
CREATE TABLE ticket_requests (
    request_key TEXT NOT NULL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

-- The machine a ticket was filed from, as its helper saw it (a JSON object of the fields in
-- `tickets::machine`) and the address the server saw the report come from. Staff only.
CREATE TABLE ticket_machines (
    ticket_id BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    details TEXT NOT NULL,
    public_ip TEXT NOT NULL
);
