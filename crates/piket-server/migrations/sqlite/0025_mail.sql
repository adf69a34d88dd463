-- The email channel (issue #21). A mailbox is fetched over IMAP or POP3 by one node at a time
-- (`locked_until`/`lease_owner`, like the job scheduler); its password is sealed (`secrets`).
-- `auth` is `password` today; `xoauth2` keeps room for Microsoft 365 and Gmail.
-- Fetch state: `uidvalidity` the folder's as last seen, `last_uid` the highest UID handled,
-- `start_uid` the first fetch's choice (UIDs at or below it are skipped: "only mail from now
-- on"), `first_fetch` `ask` until an administrator chose when a large backlog was found
-- (`backlog` mails), then `new` or `all`.
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    protocol TEXT NOT NULL,
    host TEXT NOT NULL,
    port BIGINT NOT NULL,
    tls TEXT NOT NULL,
    tls_verify INTEGER NOT NULL DEFAULT 1,
    auth TEXT NOT NULL DEFAULT 'password',
    username TEXT NOT NULL,
    password TEXT NOT NULL DEFAULT '',
    folder TEXT NOT NULL DEFAULT 'INBOX',
    after_fetch TEXT NOT NULL,
    move_to TEXT NOT NULL DEFAULT '',
    poll_secs BIGINT NOT NULL,
    department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL,
    category_id BIGINT REFERENCES ticket_categories (id) ON DELETE SET NULL,
    priority TEXT NOT NULL DEFAULT 'normal',
    reply_address TEXT NOT NULL DEFAULT '',
    unknown_senders TEXT NOT NULL DEFAULT 'create',
    enabled INTEGER NOT NULL DEFAULT 1,
    first_fetch TEXT NOT NULL DEFAULT 'ask',
    backlog BIGINT NOT NULL DEFAULT 0,
    uidvalidity BIGINT,
    start_uid BIGINT NOT NULL DEFAULT 0,
    last_uid BIGINT NOT NULL DEFAULT 0,
    fetched BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    locked_until BIGINT,
    last_ok_at BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mailboxes_name ON mailboxes (name_key);

-- Every mail taken from a mailbox, by (mailbox, `uid_key`): `imap:<uidvalidity>:<uid>` or
-- `pop3:<uidl>`, written in the transaction of the ticket change it caused, so a fetch that
-- stops anywhere is taken up again without losing or doubling a mail. `outcome`: `ticket` (a
-- new one), `reply` (added to one), `bounce`, `ignored` (loops, rate), `refused` (an unknown
-- sender where they are refused) or `quarantined` (could not be processed; `raw_sha256` keeps
-- the message for a retry). `reason` says why, for staff. The raw message (`.eml`) is kept in
-- the blob store under `raw_sha256`.
CREATE TABLE mail_received (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    uid_key TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets (id) ON DELETE SET NULL,
    comment_id BIGINT REFERENCES ticket_comments (id) ON DELETE SET NULL,
    raw_sha256 TEXT NOT NULL DEFAULT '',
    raw_size BIGINT NOT NULL DEFAULT 0,
    received_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mail_received_uid ON mail_received (mailbox_id, uid_key);
CREATE INDEX mail_received_ticket ON mail_received (ticket_id);
CREATE INDEX mail_received_outcome ON mail_received (outcome, id);
CREATE INDEX mail_received_sender ON mail_received (sender, received_at);
CREATE INDEX mail_received_raw ON mail_received (raw_sha256);

-- Message-IDs of mail received into a ticket, for threading replies that quote them (the ids
-- Piket sends carry their ticket and a MAC, so they need no row).
CREATE TABLE mail_message_ids (
    message_id TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, ticket_id)
);

-- Addresses whose mail bounced (the notifications to them are held back on the page).
CREATE TABLE mail_bouncing (
    address TEXT NOT NULL PRIMARY KEY,
    ticket_id BIGINT REFERENCES tickets (id) ON DELETE SET NULL,
    since BIGINT NOT NULL
);

-- Threading of outgoing ticket mail: the ticket it concerns and the extra headers (JSON: from,
-- reply_to, in_reply_to, references).
ALTER TABLE outbox ADD COLUMN ticket_id BIGINT;
ALTER TABLE outbox ADD COLUMN headers TEXT NOT NULL DEFAULT '';
