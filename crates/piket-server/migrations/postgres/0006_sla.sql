-- SLA: targets per priority (business minutes), the working-hours calendar (one JSON document),
-- each ticket's due and at-risk times, its pause, and the durable job scheduler's table.
CREATE TABLE sla_policies (
    priority BIGINT PRIMARY KEY,
    first_response_minutes BIGINT,
    resolution_minutes BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sla_calendar (
    id BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE tickets ADD COLUMN first_response_due_at BIGINT;
ALTER TABLE tickets ADD COLUMN first_response_risk_at BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_due_at BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_risk_at BIGINT;
-- When the ticket went pending (the clock stands still), and business ms spent paused so far.
ALTER TABLE tickets ADD COLUMN sla_paused_at BIGINT;
ALTER TABLE tickets ADD COLUMN sla_paused_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN sla_escalated_at BIGINT;
CREATE INDEX tickets_sla_resolution_due ON tickets (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL AND sla_escalated_at IS NULL;
CREATE INDEX tickets_sla_response_due ON tickets (first_response_due_at)
    WHERE first_response_due_at IS NOT NULL AND sla_escalated_at IS NULL;

-- Periodic jobs: one row per job name; a node claims a due job with a lease (`locked_until`).
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    next_run_at BIGINT NOT NULL,
    locked_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    last_run_at BIGINT
);
