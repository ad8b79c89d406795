-- The reports' figures on the tickets table read only these two indexes (issue 22: a month over a million
-- tickets): opened in a period (volume, team load, the repeat-contact probes of a customer with many
-- tickets), and closed in or after it (team load, backlog at its end). Same keys as before, so every other
-- reader keeps its plan.
DROP INDEX tickets_created_idx;
CREATE INDEX tickets_created_idx ON tickets (created_at DESC, ticket_no DESC)
    INCLUDE (customer_id, category, kind, priority, channel, team);
DROP INDEX tickets_closed_idx;
CREATE INDEX tickets_closed_idx ON tickets (closed_at, created_at) INCLUDE (team, sla_breached)
    WHERE closed_at IS NOT NULL;
