-- Issue 7: hotspot incidents opened exactly once per workflow crossing, incident lookups by ticket,
-- closing by whom, root-cause search and the purge's and report's scans.

ALTER TABLE incidents ADD COLUMN dedupe_key text UNIQUE;
ALTER TABLE incidents ADD COLUMN closed_by text;
ALTER TABLE incidents ADD COLUMN note text;
CREATE INDEX incidents_opened_idx ON incidents (opened_at);
CREATE INDEX incidents_status_idx ON incidents (status, opened_at DESC);
CREATE INDEX incident_tickets_ticket_idx ON incident_tickets (ticket_no);
CREATE INDEX tickets_closed_idx ON tickets (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX tickets_customer_idx ON tickets (customer_id);
