-- The work list (GET /tickets?sort=due): nearest running deadline first, then priority; the same
-- expressions as store/listing.py (DUE_KEY, RANK_KEY), so the planner walks this index.
CREATE INDEX tickets_work_list_idx ON tickets (
    (coalesce(LEAST(ack_due, response_due, resolve_due, update_due), '9999-12-31 00:00+00'::timestamptz)),
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
    ticket_no
);
