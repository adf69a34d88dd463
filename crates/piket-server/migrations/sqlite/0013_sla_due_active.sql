-- The escalation job looks for active, unescalated tickets past a due time. Its indexes held
-- every ticket with a due time that was not escalated, which once a ticket is resolved on time
-- is nearly all of them, and the OR across the two due times made the planner walk the whole
-- table in id order instead (2 s on a million tickets, every minute). Now each index holds
-- only the tickets the job can act on, and the job asks each index on its own
-- (src/sla/store.rs `breaches`, which spells these conditions out the same way).
DROP INDEX tickets_sla_resolution_due;
DROP INDEX tickets_sla_response_due;
CREATE INDEX tickets_sla_resolution_due ON tickets (resolution_due_at)
    WHERE sla_escalated_at IS NULL AND sla_paused_at IS NULL
    AND status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_sla_response_due ON tickets (first_response_due_at)
    WHERE first_response_at IS NULL AND sla_escalated_at IS NULL AND sla_paused_at IS NULL
    AND status NOT IN ('resolved', 'closed');
