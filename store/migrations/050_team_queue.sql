-- Seed 001 (高优先级工单优先分配): tickets no one in their team can take wait here, one queue a team,
-- highest priority first (rank 0 = urgent), then by intake time; a freed slot wakes the head at once.
CREATE TABLE team_queue (
    ticket_no text PRIMARY KEY,
    team_id   text NOT NULL,
    rank      smallint NOT NULL,
    opened_at timestamptz NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_queue_order_idx ON team_queue (team_id, rank, opened_at, ticket_no);
