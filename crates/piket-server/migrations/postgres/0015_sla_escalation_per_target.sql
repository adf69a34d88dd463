-- Each SLA target is escalated on its own. One `sla_escalated_at` used to mark a ticket
-- escalated for good, so a ticket escalated for a late first response never reached anyone
-- when it then missed its resolution too. The escalation job's two indexes now hold, per
-- target, the active tickets not yet escalated for it (src/sla/store.rs `BREACHES` spells
-- these conditions out the same way).
ALTER TABLE tickets ADD COLUMN sla_response_escalated_at BIGINT;
ALTER TABLE tickets ADD COLUMN sla_resolution_escalated_at BIGINT;
-- A ticket escalated before counts as escalated for both targets: the first job run after
-- the upgrade must not send a burst of emails about tickets escalated long ago.
UPDATE tickets SET
    sla_response_escalated_at = sla_escalated_at,
    sla_resolution_escalated_at = sla_escalated_at
WHERE sla_escalated_at IS NOT NULL;
DROP INDEX tickets_sla_resolution_due;
DROP INDEX tickets_sla_response_due;
ALTER TABLE tickets DROP COLUMN sla_escalated_at;
CREATE INDEX tickets_sla_resolution_due ON tickets (resolution_due_at)
    WHERE sla_resolution_escalated_at IS NULL AND sla_paused_at IS NULL
    AND status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_sla_response_due ON tickets (first_response_due_at)
    WHERE first_response_at IS NULL AND sla_response_escalated_at IS NULL
    AND sla_paused_at IS NULL AND status NOT IN ('resolved', 'closed');
