-- Issue 7: the report's team load reads the open backlog without scanning every ticket ever opened.
CREATE INDEX tickets_open_created_idx ON tickets (created_at) WHERE closed_at IS NULL;
