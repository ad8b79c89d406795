-- The workflow's view of the ticket as its last step left it, written with that step's events: GET
-- /tickets/{no} answers from here instead of querying the workflow (a query is a round trip through the
-- Temporal server to a worker, and fails while Temporal is down).
ALTER TABLE tickets ADD COLUMN view jsonb;
