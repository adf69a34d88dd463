-- Each SLA target is escalated on its own. One `sla_escalated_at` used to mark a ticket
-- escalated for good, so a ticket escalated for a late first response never reached anyone
-- when it then missed its resolution too. The escalation job's two indexes now hold, per
-- target, the active tickets not yet escalated for it (src/sla/store.rs `BREACHES` spells
-- these conditions out the same way).
ALTER TABLE tickets ADD COLUMN sla_response_escalated_at BIGINT;
ALTER TABLE tickets ADD COLUMN sla_resolution_escalated_at BIGINT;
-- An escalation so far stood for every target already missed at that moment.
UPDATE tickets SET
    sla_response_escalated_at = CASE WHEN first_response_due_at <= sla_escalated_at
        THEN sla_escalated_at END,
    sla_resolution_escalated_at = CASE WHEN resolution_due_at <= sla_escalated_at
        THEN sla_escalated_at END
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
