-- When each timeline row was committed (wall clock), beside `at`, the workflow's time of the event: the
-- difference is how late a timer-driven event (breach, escalation) reached the timeline (bench/escalation.py).
ALTER TABLE ticket_events ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT clock_timestamp();
